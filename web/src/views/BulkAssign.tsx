// Assigning several tickets at once from the Team Inbox's list (managers and admins:
// conversations:assign): tickets picked by their cards' boxes, or all those listed,
// go to one member, back to the queue, or into a team's queue, all or none (POST
// …/conversations/bulk-assign). The choices are a transfer's.
import { useEffect, useRef, useState } from "react";
import { call } from "../api/client";
import type { Conversation, Team } from "../api/types";
import { ErrorText, listFieldErrors } from "../components/Feedback";
import { useAction } from "../lib/useAction";
import { useWorkspace } from "../workspace";
import type { Selection } from "./ConversationList";
import { displayName } from "./ConversationPane";
import { transferBody, TransferDialog, type TransferTarget } from "./Transfer";

/** The most tickets one bulk assignment takes, as the server does. */
export const MAX_BULK = 100;

/**
 * The tickets picked among those listed. One that leaves the list (handed on, resolved,
 * filtered out) is no longer picked: only what is on screen is acted on.
 */
export function useTicketSelection(listed: Conversation[]): Selection & { picked: Conversation[]; pickAll: (on: boolean) => void; clear: () => void } {
  const [ids, setIds] = useState<ReadonlySet<string>>(new Set());
  return {
    picked: listed.filter((c) => ids.has(c.id)),
    has: (id) => ids.has(id),
    toggle: (c) =>
      setIds((prev) => {
        const next = new Set(prev);
        if (!next.delete(c.id)) next.add(c.id);
        return next;
      }),
    pickAll: (on) => setIds(on ? new Set(listed.map((c) => c.id)) : new Set()),
    clear: () => setIds(new Set()),
  };
}

/**
 * Above the list: a box that picks every ticket listed, and once some are picked how
 * many and where they may go. After the server took them the pick is cleared and the
 * list loaded again; a refusal says which ticket, by its name.
 */
export function BulkAssignBar({
  listed,
  selection,
  teams,
  onAssigned,
}: {
  listed: Conversation[];
  selection: ReturnType<typeof useTicketSelection>;
  teams: Team[];
  onAssigned: () => void;
}) {
  const w = useWorkspace();
  const [choosing, setChoosing] = useState<"members" | "queues" | null>(null);
  const { busy, error, run } = useAction();
  const allBox = useRef<HTMLInputElement>(null);
  // The tickets as they were sent, to name the one a refusal points at (conversation_ids[i]).
  const sent = useRef<Conversation[]>([]);
  const picked = selection.picked;
  const n = picked.length;
  const tooMany = n > MAX_BULK;
  const all = n > 0 && n === listed.length;
  // Some picked, not all: the box says so, as a box that picks all does.
  const some = n > 0 && !all;
  useEffect(() => {
    if (allBox.current) allBox.current.indeterminate = some;
  }, [some]);

  const assign = async (to: TransferTarget, note = "") => {
    sent.current = picked;
    await call("post", "/api/v1/workspaces/{workspace}/conversations/bulk-assign", {
      path: { workspace: w.slug },
      body: { conversation_ids: picked.map((c) => c.id), ...transferBody(to, note) },
    });
    selection.clear();
    onAssigned();
  };
  const refusalOf = (err: unknown) =>
    listFieldErrors(
      err,
      "conversation_ids",
      sent.current.map((c) => displayName(c)),
      "Ticket",
      "Tickets",
    );
  const tickets = n === 1 ? "1 ticket" : `${n} tickets`;

  if (listed.length === 0) return null;
  return (
    <div className="bulk-bar" role="region" aria-label="Selected tickets">
      <div className="bulk-row">
        <label className="check">
          <input ref={allBox} type="checkbox" checked={all} onChange={(e) => selection.pickAll(e.target.checked)} /> Select all on this page
        </label>
        {n > 0 ? (
          <span className="bulk-count" role="status">
            {n} selected
          </span>
        ) : null}
      </div>
      {n > 0 ? (
        <div className="bulk-row">
          <button type="button" className="btn" disabled={busy || tooMany} onClick={() => setChoosing("members")}>
            Assign to…
          </button>
          <button type="button" className="btn" disabled={busy || tooMany} onClick={() => void run(() => assign({ assignee_id: null }))} title="Each ticket goes back to the queue it is in">
            Back to queue
          </button>
          {teams.length > 0 ? (
            <button type="button" className="btn" disabled={busy || tooMany} onClick={() => setChoosing("queues")}>
              To team…
            </button>
          ) : null}
          <button type="button" className="btn btn-quiet" disabled={busy} onClick={selection.clear}>
            Clear
          </button>
        </div>
      ) : null}
      {tooMany ? <p className="hint">At most {MAX_BULK} tickets at once.</p> : null}
      {error ? (
        <>
          <ErrorText error={error} />
          {refusalOf(error) ? <p className="field-error">{refusalOf(error)}</p> : null}
        </>
      ) : null}
      {choosing ? (
        <TransferDialog
          title={choosing === "members" ? `Assign ${tickets}` : `Move ${tickets} to a queue`}
          action={choosing === "members" ? "Assign" : "Move"}
          offer={choosing}
          teams={teams}
          onClose={() => setChoosing(null)}
          onTransfer={assign}
          refusalOf={refusalOf}
        />
      ) : null}
    </div>
  );
}
