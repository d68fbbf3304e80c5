// The composer's list of canned responses: typing "/" and a shortcut (at the start of
// the text or after a space) or Ctrl+/ (⌘/ on a Mac) opens it above the text box. The
// box keeps the focus, so typing goes on narrowing the list; ↑ and ↓ move through it,
// Enter, Tab or a click puts the response in place of the "/shortcut", and Escape
// closes it leaving what was typed. A detail the conversation could not fill in stays
// as its {{token}}, selected once the response is in, so that typing replaces it. The
// workspace's responses are loaded the first time the list opens and kept while the
// conversation is open; a load that failed is tried again when the list opens anew.
import { useEffect, useId, useRef, useState, type KeyboardEvent } from "react";
import { call } from "../api/client";
import { cannedPreview, findCanned, slashToken, type CannedResponse } from "../lib/canned";
import { insertAt, type Edit } from "../lib/editing";
import { commandKey } from "../lib/keys";
import { ErrorText } from "./Feedback";

/** The text the picked response replaces: the "/shortcut", or what was typed since Ctrl+/. */
interface Token {
  start: number;
  end: number;
  query: string;
  /** opened with Ctrl+/, not by a "/" in the text */
  manual: boolean;
}

/** Characters a shortcut is made of, after the "/" that may start it. */
const TYPED = /^\/?[a-z0-9_-]*$/i;

/** A {{token}} of a response that was not filled in. */
const UNFILLED = /\{\{[^{}]*\}\}/;

export function useCannedPicker({
  slug,
  enabled,
  text,
  fill,
  onInsert,
}: {
  slug?: string;
  /** what the text box holds */
  text: string;
  /** the member may read the workspace's canned responses (canned:read) */
  enabled: boolean;
  /** a response's text with the conversation's details filled in */
  fill: (body: string) => string;
  /** puts the edit in the text box, the caret after the response */
  onInsert: (edit: Edit) => void;
}) {
  const [token, setToken] = useState<Token | null>(null);
  // Where a "/shortcut" closed with Escape starts: typing on in it does not open the list again.
  const [dismissed, setDismissed] = useState<number | null>(null);
  const [active, setActive] = useState(0);
  const [items, setItems] = useState<CannedResponse[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const asked = useRef(false);
  const id = useId();

  /** Loads the responses once; after a failure again only when the list opens anew (anew). */
  const load = (anew: boolean) => {
    if (!slug || items) return;
    if (asked.current && !(anew && error)) return;
    asked.current = true;
    setError(null);
    call("get", "/api/v1/workspaces/{workspace}/canned-responses", { path: { workspace: slug } }).then(
      (r) => setItems(r.items),
      (err) => setError(err),
    );
  };

  const matches = token && items ? findCanned(items, token.query) : [];
  const current = matches[Math.min(active, matches.length - 1)];
  const optionId = (r: CannedResponse) => `${id}-${r.id}`;

  const open = (t: Token) => {
    if (!token || token.start !== t.start || token.query !== t.query) setActive(0);
    setToken(t);
    // Typing on in the "/shortcut" or moving through the list is not opening it anew.
    load(!token || token.start !== t.start || token.manual !== t.manual);
  };

  /** Follows the text and the caret: opens, narrows or closes the list. */
  const track = (value: string, caret: number) => {
    if (!enabled) return;
    if (token?.manual) {
      const typed = value.slice(token.start, caret);
      if (caret < token.start || !TYPED.test(typed)) setToken(null);
      else open({ ...token, end: caret, query: typed.replace(/^\//, "") });
      return;
    }
    const t = slashToken(value, caret);
    if (!t) {
      setToken(null);
      setDismissed(null);
    } else if (t.start === dismissed) {
      setToken(null);
    } else {
      open({ start: t.start, end: caret, query: t.query, manual: false });
    }
  };

  const close = () => setToken(null);

  const insert = (r: CannedResponse) => {
    if (!token) return;
    setToken(null);
    const body = fill(r.body);
    const edit = insertAt(text, token.start, token.end, body);
    // A detail left unfilled would go to the customer as "{{…}}": it is selected, to be typed over.
    const left = body.match(UNFILLED);
    onInsert(left?.index === undefined ? edit : { ...edit, start: token.start + left.index, end: token.start + left.index + left[0].length });
  };

  /** Ctrl+/ and the keys the open list takes from the text box; true when the key was used. */
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>): boolean => {
    if (!enabled) return false;
    const box = e.currentTarget;
    if (isCannedKey(e)) {
      e.preventDefault();
      if (token) close();
      else open({ start: box.selectionStart, end: box.selectionEnd, query: "", manual: true });
      return true;
    }
    if (!token) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      if (matches.length) {
        const at = matches.indexOf(current);
        setActive((at + (e.key === "ArrowDown" ? 1 : -1) + matches.length) % matches.length);
      }
      return true;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      if (!token.manual) setDismissed(token.start);
      close();
      return true;
    }
    const enter = e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing;
    const tab = e.key === "Tab" && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey;
    if (!enter && !tab) return false;
    if (current) {
      e.preventDefault();
      insert(current);
      return true;
    }
    if (enter && items === null && !error) {
      // Still loading: Enter waits for the list rather than sending the "/shortcut".
      e.preventDefault();
      return true;
    }
    if (enter) {
      // Nothing picked: Enter closes the list rather than sending a "/shortcut" that
      // matched nothing to the customer. A second Enter sends what is in the box.
      e.preventDefault();
      if (!token.manual) setDismissed(token.start);
      close();
      return true;
    }
    close();
    return false;
  };

  // The option moved to with the arrows stays in sight in a long list.
  const activeId = token && current ? optionId(current) : undefined;
  useEffect(() => {
    if (activeId) document.getElementById(activeId)?.scrollIntoView?.({ block: "nearest" });
  }, [activeId]);

  const listId = `${id}-list`;
  return {
    track,
    close,
    onKeyDown,
    /** What the text box says of the list, for screen readers. */
    boxProps: enabled
      ? {
          "aria-haspopup": "listbox" as const,
          "aria-controls": token && matches.length ? listId : undefined,
          "aria-activedescendant": activeId,
        }
      : {},
    popup: token ? (
      <div className="suggestions canned-picker" onMouseDown={(e) => e.preventDefault()}>
        {items === null ? (
          error ? (
            <ErrorText error={error} />
          ) : (
            <p className="canned-empty">Loading canned responses…</p>
          )
        ) : matches.length === 0 ? (
          <p className="canned-empty">{items.length === 0 ? "The team keeps no canned responses yet" : "No canned responses match"}</p>
        ) : (
          <ul className="canned-list" role="listbox" id={listId} aria-label="Canned responses">
            {matches.map((r) => (
              <li
                key={r.id}
                id={optionId(r)}
                role="option"
                aria-selected={r === current}
                className={`suggestion canned-option${r === current ? " active" : ""}`}
                onMouseEnter={() => setActive(matches.indexOf(r))}
                onClick={() => insert(r)}
              >
                <span className="canned-head">
                  <span className="canned-shortcut">/{r.shortcut}</span>
                  <span className="canned-title">{r.title}</span>
                </span>
                <span className="canned-preview">{cannedPreview(r.body)}</span>
              </li>
            ))}
          </ul>
        )}
      </div>
    ) : null,
  };
}

/**
 * Whether a key press is Ctrl+/ (⌘/ on a Mac); "/" needs Shift on some layouts. The
 * key's place is read only when it names no character: on a German or Nordic keyboard
 * that place is "-", and Ctrl+- zooms out.
 */
function isCannedKey(e: KeyboardEvent<HTMLTextAreaElement>): boolean {
  return commandKey(e) && !e.altKey && (e.key === "/" || (e.code === "Slash" && e.key.length !== 1));
}
