// Availability: a member's own say whether the queue hands them tickets (online) or
// passes them over (busy, offline), shown as a coloured dot and a word; the member sets
// theirs at the top of the page.
import { useEffect, useState } from "react";
import { call, errorMessage } from "../api/client";
import type { Availability } from "../api/types";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { useWorkspace } from "../workspace";

/** Online by their say, without the app open: the queue passes them over too. */
type Presence = Availability | "away";

const CHOICES: { value: Availability; label: string; hint: string }[] = [
  { value: "online", label: "Online", hint: "Takes new tickets from the queue" },
  { value: "busy", label: "Busy", hint: "Busy: the queue passes you over" },
  { value: "offline", label: "Offline", hint: "Offline: the queue passes you over" },
];

const OTHERS: Record<Presence, string> = {
  online: "Online: takes new tickets from the queue while they have the app open",
  away: "Online, but without the app open: the queue passes them over",
  busy: "Busy: the queue passes them over",
  offline: "Offline: the queue passes them over",
};

/** The title of another member's presence: whether they have the app open, when known. */
function othersHint(p: Presence, online?: boolean): string {
  return p === "online" && online ? "Online with the app open: takes new tickets from the queue" : OTHERS[p];
}

/** A member's presence: offline by their say, else away without the app open (when known), else their say. */
export function presence(availability: Availability, online?: boolean): Presence {
  if (availability === "offline") return "offline";
  return online === false ? "away" : availability;
}

export function AvailabilityDot({ value }: { value: Presence }) {
  return <span className={`avail-dot avail-${value}`} aria-hidden="true" />;
}

/** Another member's availability: a dot and a word; online says whether they have the app open, when known. */
export function MemberAvailability({ availability, online }: { availability: Availability; online?: boolean }) {
  const p = presence(availability, online);
  return (
    <span className="avail" title={othersHint(p, online)}>
      <AvailabilityDot value={p} /> {p}
    </span>
  );
}

/**
 * The member's own availability, set at the top of the page. A change that fails keeps
 * the one before and says why. Loaded again with every realtime (re)connect, since
 * another tab may have changed it.
 */
export function AvailabilityControl() {
  const w = useWorkspace();
  const mine = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/availability", { path: { workspace: w.slug }, signal }), [w.slug]);
  const { reload, setData } = mine;
  useEffect(() => w.realtime.onResync(() => void reload()), [w.realtime, reload]);
  // The choice being saved, shown until the server answers.
  const [saving, setSaving] = useState<Availability | null>(null);
  const { busy, error, run } = useAction();
  // Not loaded (or refused): nothing to set yet.
  if (!mine.data) return null;
  const value = saving ?? mine.data.availability;
  const choice = CHOICES.find((c) => c.value === value) ?? CHOICES[0];
  const change = (next: Availability) => {
    setSaving(next);
    void run(async () => {
      try {
        const v = await call("put", "/api/v1/workspaces/{workspace}/availability", { path: { workspace: w.slug }, body: { availability: next } });
        setData(() => v);
      } finally {
        setSaving(null);
      }
    });
  };
  return (
    <span className="avail avail-mine" title={choice.hint}>
      <AvailabilityDot value={value} />
      <label className="sr-only" htmlFor="my-availability">
        Your availability
      </label>
      <select id="my-availability" className="avail-select" value={value} disabled={busy} onChange={(e) => change(e.target.value as Availability)}>
        {CHOICES.map((c) => (
          <option key={c.value} value={c.value}>
            {c.label}
          </option>
        ))}
      </select>
      {error ? (
        <span className="avail-error" role="alert">
          Not changed: {errorMessage(error)}
        </span>
      ) : null}
    </span>
  );
}

/**
 * Offers desktop notices of tickets handed to the member, while the browser has not
 * been asked: asking only when they choose to, not on every page load.
 */
export function EnableNotifications() {
  const [permission, setPermission] = useState(() => (typeof Notification === "undefined" ? "unsupported" : Notification.permission));
  if (permission !== "default") return null;
  return (
    <button
      type="button"
      className="btn btn-quiet"
      // Short on a crowded bar; its name says what it does.
      aria-label="Enable desktop notifications"
      title="A desktop notification when a ticket is assigned to you while you are away from this page"
      onClick={() => {
        Notification.requestPermission().then(setPermission, () => undefined);
      }}
    >
      Notifications
    </button>
  );
}
