// Who is writing in a conversation, so that two members do not answer the same
// customer at once: while a member types, their composer tells the server (POST
// …/typing), which tells the others who see the conversation (conversation.typing);
// the open conversation names them for a few seconds after each word.
import { useCallback, useEffect, useRef, useState } from "react";
import { call } from "../api/client";
import { useSignedInUser } from "../session";
import { useWorkspace } from "../workspace";

/** How often a member still typing says so again, at most: the server asks for every few seconds. */
export const TYPING_EVERY_MS = 4000;

/** How long a member shows as typing after they last said so: a little over one interval, so a steady writer never flickers. */
export const TYPING_SHOWN_MS = 6000;

/**
 * What the composer calls at each keystroke: the first says the member is writing in
 * the conversation, and the next only once 4 seconds have passed. Only a signed-in
 * member writes (an API token may not say so); a failure is of no matter to them, so
 * it is left unsaid.
 */
export function useTypingSignal(conversationId: string): () => void {
  const w = useWorkspace();
  const signedIn = !!useSignedInUser();
  const last = useRef<number | null>(null);
  useEffect(() => {
    last.current = null;
  }, [conversationId]);
  return useCallback(() => {
    if (!signedIn) return;
    const now = Date.now();
    if (last.current !== null && now - last.current < TYPING_EVERY_MS) return;
    last.current = now;
    call("post", "/api/v1/workspaces/{workspace}/conversations/{conversation}/typing", { path: { workspace: w.slug, conversation: conversationId } }).catch(
      () => undefined,
    );
  }, [signedIn, w.slug, conversationId]);
}

interface Typist {
  user_id: string;
  name: string;
}

/**
 * The other members writing in the conversation now, in the order they started: each
 * for 6 seconds after they last said so, or until their message arrives.
 */
export function useTypists(conversationId: string): string[] {
  const w = useWorkspace();
  const [typists, setTypists] = useState<Typist[]>([]);
  useEffect(() => {
    const timers = new Map<string, ReturnType<typeof setTimeout>>();
    const forget = (userId: string) => {
      clearTimeout(timers.get(userId));
      timers.delete(userId);
      setTypists((prev) => (prev.some((t) => t.user_id === userId) ? prev.filter((t) => t.user_id !== userId) : prev));
    };
    setTypists([]);
    const off = w.realtime.subscribe((ev) => {
      if (ev.conversation_id !== conversationId) return;
      if (ev.type === "message.created" && ev.data.author_id) {
        forget(ev.data.author_id);
        return;
      }
      if (ev.type !== "conversation.typing" || !ev.data?.user_id || ev.data.user_id === w.me) return;
      const who = ev.data;
      clearTimeout(timers.get(who.user_id));
      timers.set(
        who.user_id,
        setTimeout(() => forget(who.user_id), TYPING_SHOWN_MS),
      );
      setTypists((prev) => (prev.some((t) => t.user_id === who.user_id) ? prev : [...prev, { user_id: who.user_id, name: who.name }]));
    });
    return () => {
      off();
      timers.forEach((t) => clearTimeout(t));
    };
  }, [w.realtime, w.me, conversationId]);
  return typists.map((t) => t.name || memberLabel(w.members, t.user_id));
}

function memberLabel(members: { user_id: string; name: string; email: string }[], userId: string): string {
  const m = members.find((x) => x.user_id === userId);
  return m ? m.name || m.email : "Someone";
}

/** "Ana is typing…", "Ana and Bo are typing…", "Ana, Bo and Cy are typing…"; null for nobody. */
export function typingText(names: string[]): string | null {
  if (names.length === 0) return null;
  if (names.length === 1) return `${names[0]} is typing…`;
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]} are typing…`;
}
