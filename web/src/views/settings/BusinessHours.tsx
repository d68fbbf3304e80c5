// Business hours: the weekly times the team works, in the workspace's time zone.
// Outside them a message written waits (scheduled) until they open, unless it is sent
// as urgent; internal notes are never held. Admins set them, everyone else reads them.
import { useState } from "react";
import { call } from "../../api/client";
import type { BusinessHoursView, HoursInterval } from "../../api/types";
import { ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { opening } from "../../lib/format";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

const DAYS = [
  { key: "mon", name: "Monday" },
  { key: "tue", name: "Tuesday" },
  { key: "wed", name: "Wednesday" },
  { key: "thu", name: "Thursday" },
  { key: "fri", name: "Friday" },
  { key: "sat", name: "Saturday" },
  { key: "sun", name: "Sunday" },
] as const;

type Day = (typeof DAYS)[number]["key"];
type Week = Record<Day, HoursInterval[]>;

/** The server takes at most this many intervals a day. */
const MAX_INTERVALS = 4;

/** Office hours, offered when business hours are turned on with no day open. */
const WORKDAY: HoursInterval = { open: "09:00", close: "17:00" };
const WORKWEEK: Day[] = ["mon", "tue", "wed", "thu", "fri"];

function weekOf(days: BusinessHoursView["days"]): Week {
  const out = {} as Week;
  for (const d of DAYS) out[d.key] = (days[d.key] ?? []).map((iv) => ({ ...iv }));
  return out;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(":").map(Number);
  return h * 60 + m;
}

function hhmm(mins: number): string {
  return `${String(Math.floor(mins / 60)).padStart(2, "0")}:${String(mins % 60).padStart(2, "0")}`;
}

/**
 * The interval an "Add hours" starts from: office hours on a closed day, else an hour
 * from where the day's last one closes (null when that is midnight).
 */
function nextInterval(day: HoursInterval[]): HoursInterval | null {
  const last = day[day.length - 1];
  if (!last) return { ...WORKDAY };
  const from = minutes(last.close);
  if (!Number.isFinite(from) || from >= 24 * 60) return null;
  return { open: hhmm(from), close: hhmm(Math.min(from + 60, 24 * 60)) };
}

// A time box cannot hold 24:00: midnight at the end of the day shows, and is typed, as
// 00:00, which a closing time can only mean (it must be after the opening).
const closeShown = (close: string) => (close === "24:00" ? "00:00" : close);
const closeSent = (typed: string) => (typed === "00:00" ? "24:00" : typed);

/** "09:00–12:30, 13:30–17:00", or Closed. */
function dayText(day: HoursInterval[]): string {
  return day.length ? day.map((iv) => `${iv.open}–${iv.close}`).join(", ") : "Closed";
}

/** Where the hours stand now, in the words of the page. */
function Status({ hours }: { hours: BusinessHoursView }) {
  let text: string;
  if (!hours.enabled) text = "Off: messages go out at any hour.";
  else if (hours.open_now) text = "Open now: messages go out at once.";
  else if (hours.next_open) text = `Closed now: messages wait until ${opening(hours.next_open, hours.time_zone)} unless sent as urgent.`;
  else text = "Closed now: messages wait until business hours open, unless sent as urgent.";
  return <p className={`notice hours-status${hours.enabled && !hours.open_now ? " notice-warn" : ""}`}>{text}</p>;
}

function DayRow({
  day,
  name,
  intervals,
  error,
  onChange,
}: {
  day: Day;
  name: string;
  intervals: HoursInterval[];
  error: unknown;
  onChange: (next: HoursInterval[]) => void;
}) {
  const closed = intervals.length === 0;
  const more = intervals.length < MAX_INTERVALS ? nextInterval(intervals) : null;
  const set = (i: number, patch: Partial<HoursInterval>) => onChange(intervals.map((iv, j) => (j === i ? { ...iv, ...patch } : iv)));
  const dayError = fieldError(error, `days.${day}`);
  return (
    <fieldset className="hours-day">
      <legend>{name}</legend>
      <label className="check">
        <input type="checkbox" checked={closed} onChange={(e) => onChange(e.target.checked ? [] : [{ ...WORKDAY }])} /> Closed
      </label>
      {intervals.map((iv, i) => (
        <div className="row row-end hours-interval" key={i} role="group" aria-label={`${name}, hours ${i + 1}`}>
          <Field label="Opens" error={fieldError(error, `days.${day}[${i}].open`)}>
            <input type="time" value={iv.open} required onChange={(e) => set(i, { open: e.target.value })} />
          </Field>
          <Field label="Closes" error={fieldError(error, `days.${day}[${i}].close`)}>
            <input type="time" value={closeShown(iv.close)} required onChange={(e) => set(i, { close: closeSent(e.target.value) })} />
          </Field>
          <button
            type="button"
            className="btn"
            aria-label={`Remove ${name} ${iv.open}–${iv.close}`}
            onClick={() => onChange(intervals.filter((_, j) => j !== i))}
          >
            Remove
          </button>
        </div>
      ))}
      {!closed ? (
        <button type="button" className="btn" disabled={!more} aria-label={`Add hours on ${name}`} onClick={() => more && onChange([...intervals, more])}>
          Add hours
        </button>
      ) : null}
      {dayError ? <p className="field-error">{dayError}</p> : null}
    </fieldset>
  );
}

function HoursForm({ hours, onSaved }: { hours: BusinessHoursView; onSaved: (v: BusinessHoursView) => void }) {
  const w = useWorkspace();
  const [enabled, setEnabled] = useState(hours.enabled);
  const [week, setWeek] = useState<Week>(() => weekOf(hours.days));
  const action = useAction();
  const { busy, error } = action;

  const turn = (on: boolean) => {
    setEnabled(on);
    // Turned on with no day open: office hours to start from, rather than a week closed.
    if (on && DAYS.every((d) => week[d.key].length === 0)) {
      setWeek((wk) => ({ ...wk, ...Object.fromEntries(WORKWEEK.map((d) => [d, [{ ...WORKDAY }]])) }));
    }
  };

  const save = action.submit(async () => {
    // A closed day is left out, as the server stores it.
    const days = Object.fromEntries(DAYS.filter((d) => week[d.key].length > 0).map((d) => [d.key, week[d.key]]));
    const v = await call("put", "/api/v1/workspaces/{workspace}/business-hours", { path: { workspace: w.slug }, body: { enabled, days } });
    onSaved(v);
  });

  const daysError = fieldError(error, "days");
  return (
    <form className="card-section hours-form" aria-label="Business hours" onSubmit={save} noValidate>
      <label className="check">
        <input type="checkbox" role="switch" checked={enabled} onChange={(e) => turn(e.target.checked)} /> Hold messages outside business hours
      </label>
      {fieldError(error, "enabled") ? <p className="field-error">{fieldError(error, "enabled")}</p> : null}
      <p className="hint">Times are in {hours.time_zone}. A closing time of 00:00 is midnight.</p>
      {daysError ? <p className="field-error">{daysError}</p> : null}
      <div className="hours-week">
        {DAYS.map((d) => (
          <DayRow key={d.key} day={d.key} name={d.name} intervals={week[d.key]} error={error} onChange={(next) => setWeek((wk) => ({ ...wk, [d.key]: next }))} />
        ))}
      </div>
      <ErrorText error={error} />
      <div className="row">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}

/** The hours as a member who cannot change them sees them. */
function HoursTable({ hours }: { hours: BusinessHoursView }) {
  return (
    <section className="card-section" aria-labelledby="hours-week-title">
      <h2 id="hours-week-title">Weekly hours</h2>
      <p className="hint">Times are in {hours.time_zone}.</p>
      <dl className="hours-list">
        {DAYS.map((d) => (
          <div key={d.key}>
            <dt>{d.name}</dt>
            <dd>{dayText(hours.days[d.key] ?? [])}</dd>
          </div>
        ))}
      </dl>
      <p className="hint">Only an admin can change the business hours.</p>
    </section>
  );
}

export function BusinessHours() {
  const w = useWorkspace();
  const hours = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/business-hours", { path: { workspace: w.slug }, signal }), [w.slug]);
  // Each save starts the form again from what the server stored.
  const [saved, setSaved] = useState(0);
  const manage = w.can("workspace:manage");
  return (
    <div className="settings-page">
      <h1>Business hours</h1>
      <p className="hint">
        Outside business hours a message waits, scheduled, until they open, unless it is sent as urgent. Internal notes are never held, and a message
        scheduled for a chosen time goes then.
      </p>
      {hours.loading && !hours.data ? <Loading /> : null}
      <ErrorText error={hours.error} />
      {hours.data ? <Status hours={hours.data} /> : null}
      {saved > 0 ? (
        <p className="hint" role="status">
          Saved.
        </p>
      ) : null}
      {hours.data ? (
        manage ? (
          <HoursForm
            key={saved}
            hours={hours.data}
            onSaved={(v) => {
              hours.setData(() => v);
              setSaved((n) => n + 1);
            }}
          />
        ) : (
          <HoursTable hours={hours.data} />
        )
      ) : null}
    </div>
  );
}
