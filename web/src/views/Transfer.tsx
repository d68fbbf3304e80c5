// Handing tickets on: to a member who may reply, each shown with their open tickets and
// availability to weigh who has room (a member who is busy or away can still be chosen
// by hand), or into a queue: back to the queue, or with teams the general queue or a
// team's. A ticket's Transfer and the Team Inbox's bulk assignment choose the same way.
import { useId, useState } from "react";
import { call } from "../api/client";
import type { Team, Workload } from "../api/types";
import { MemberAvailability } from "../components/Availability";
import { Dialog, DialogActions } from "../components/Dialog";
import { fieldError } from "../components/Feedback";
import { Field } from "../components/Field";
import { holdsTickets } from "../lib/assignment";
import { queueName } from "../lib/teams";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useWorkspace } from "../workspace";

/**
 * Where tickets go, as POST …/assign and …/bulk-assign take it: a member (null: a
 * queue) and the team whose queue they are in (an id; "": the general queue; left
 * out, each ticket keeps its team, as a handover to a member does).
 */
export interface TransferTarget {
  assignee_id: string | null;
  team_id?: string;
}

/** Whom the tickets are with now, to mark that choice: one ticket's member and team. */
interface Holder {
  assignee_id?: string | null;
  team_id?: string | null;
}

/** A member's open tickets as a transfer weighs them: active out of their capacity, when they have one. */
function load(wl: Workload | undefined): string {
  if (!wl) return "no open tickets";
  const active = wl.capacity > 0 ? `${wl.active}/${wl.capacity}` : String(wl.active);
  return `${active} active · ${wl.pending} pending`;
}

function sameTarget(a: TransferTarget | undefined, b: TransferTarget): boolean {
  return !!a && a.assignee_id === b.assignee_id && a.team_id === b.team_id;
}

/** Who may take a ticket waiting in a team's queue. */
function teamTakers(t: Team): string {
  const n = t.member_ids.length;
  return n === 0 ? "no members yet" : `its ${n} member${n === 1 ? "" : "s"} may accept it`;
}

/**
 * The choices of where tickets go, as radios in a group named Transfer to: the members
 * (offer members), the queues (offer queues), or both. Without teams the queue is one,
 * and a ticket goes back to it keeping its team; with teams each queue is its own
 * choice, the general one and each team's.
 */
function TransferChoices({
  offer,
  teams,
  holder,
  value,
  onChange,
  refused,
}: {
  offer: "all" | "members" | "queues";
  teams: Team[];
  holder?: Holder;
  value: TransferTarget | undefined;
  onChange: (t: TransferTarget) => void;
  refused?: string;
}) {
  const w = useWorkspace();
  const errorId = useId();
  const members = offer !== "queues";
  const loads = useAsync(
    (signal) => (members ? call("get", "/api/v1/workspaces/{workspace}/workloads", { path: { workspace: w.slug }, signal }) : Promise.resolve(undefined)),
    [w.slug, members],
  );
  const takers = members ? w.members.filter((m) => holdsTickets(m.role)) : [];
  const queued = holder && !holder.assignee_id;
  const queues: { label: string; hint: string; target: TransferTarget; here: boolean }[] =
    offer === "members"
      ? []
      : teams.length === 0
        ? [{ label: "Back to the queue", hint: "anyone may accept it", target: { assignee_id: null }, here: !!queued }]
        : [
            { label: "General queue", hint: "anyone may accept it", target: { assignee_id: null, team_id: "" }, here: !!queued && !holder?.team_id },
            ...teams.map((t) => ({ label: queueName(t), hint: teamTakers(t), target: { assignee_id: null, team_id: t.id }, here: !!queued && holder?.team_id === t.id })),
          ];
  return (
    <fieldset className="transfer-choices" aria-describedby={refused ? errorId : undefined}>
      <legend>Transfer to</legend>
      {members && takers.length === 0 ? <p className="hint">No member who may reply is listed.</p> : null}
      {takers.map((m, i) => {
        const wl = loads.data?.items.find((x) => x.user_id === m.user_id);
        return (
          <label key={m.user_id}>
            <input type="radio" name="transfer-to" autoFocus={i === 0} checked={sameTarget(value, { assignee_id: m.user_id })} onChange={() => onChange({ assignee_id: m.user_id })} />
            <span>
              {m.name || m.email}
              {m.user_id === w.me ? " (you)" : ""}
              <span className="hint"> · {m.role}</span>
              {m.user_id === holder?.assignee_id ? <strong className="transfer-current"> · has it now</strong> : null}
            </span>
            {/* Counted only once loaded: absent from the list means none. */}
            {loads.data ? (
              <span className="transfer-load">
                {wl ? (
                  <>
                    <MemberAvailability availability={wl.availability} online={wl.online} /> ·{" "}
                  </>
                ) : null}
                {load(wl)}
              </span>
            ) : null}
          </label>
        );
      })}
      {queues.map((q, i) => (
        <label key={q.target.team_id ?? "queue"}>
          <input type="radio" name="transfer-to" autoFocus={takers.length === 0 && i === 0} checked={sameTarget(value, q.target)} onChange={() => onChange(q.target)} />
          <span>
            {q.label}
            {q.here ? <strong className="transfer-current"> · it is there now</strong> : null}
          </span>
          <span className="transfer-load">{q.hint}</span>
        </label>
      ))}
      {loads.error ? <p className="hint">Open tickets could not be counted.</p> : null}
      {refused ? (
        <p className="field-error" id={errorId}>
          {refused}
        </p>
      ) : null}
    </fieldset>
  );
}

/**
 * Choosing where tickets go, with a note for whoever takes them (kept in each thread as
 * an internal note). onTransfer throws when the server refuses; the dialog then says
 * why beside the choice or the note, and what else it was about (refusalOf: the
 * tickets of a bulk assignment) above its buttons.
 */
export function TransferDialog({
  title,
  action = "Transfer",
  offer = "all",
  teams,
  holder,
  onClose,
  onTransfer,
  refusalOf,
}: {
  title: string;
  /** the submit button's label */
  action?: string;
  offer?: "all" | "members" | "queues";
  teams: Team[];
  holder?: Holder;
  onClose: () => void;
  onTransfer: (to: TransferTarget, note: string) => Promise<void>;
  refusalOf?: (error: unknown) => string | undefined;
}) {
  // undefined until a choice is made.
  const [to, setTo] = useState<TransferTarget | undefined>(undefined);
  const [note, setNote] = useState("");
  const { busy, error, run } = useAction();
  const other = refusalOf?.(error);
  return (
    <Dialog title={title} onClose={onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (to === undefined) return;
          void run(async () => {
            await onTransfer(to, note.trim());
            onClose();
          });
        }}
      >
        <TransferChoices
          offer={offer}
          teams={teams}
          holder={holder}
          value={to}
          onChange={setTo}
          refused={fieldError(error, "assignee_id") ?? fieldError(error, "team_id")}
        />
        <Field
          label="Transfer note (optional)"
          hint="Kept in the thread as an internal note, “Transferred to …”; the customer never sees it."
          error={fieldError(error, "note")}
        >
          <textarea rows={3} value={note} maxLength={4096} placeholder="For the next one: what they should know" onChange={(e) => setNote(e.target.value)} />
        </Field>
        {other ? <p className="field-error">{other}</p> : null}
        <DialogActions onCancel={onClose} busy={busy} disabled={to === undefined} error={error}>
          {action}
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** A transfer's body as the API takes it: the team only when a queue's choice names one, the note only when written. */
export function transferBody(to: TransferTarget, note: string): { assignee_id: string | null; team_id?: string; note?: string } {
  return { assignee_id: to.assignee_id, ...(to.team_id !== undefined ? { team_id: to.team_id } : {}), ...(note ? { note } : {}) };
}
