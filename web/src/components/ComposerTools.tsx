// The composer's tools beside the text box: the emoji picker, the menu of other ways to
// send (a location, a message scheduled for later), and the dialogs those open.
import { useId, useState, type FormEvent, type KeyboardEvent as ReactKeyboardEvent, type ReactNode, type RefObject } from "react";
import type { MessageRequest } from "../api/types";
import { localInput } from "../lib/format";
import { usePopover } from "../lib/usePopover";
import { useAction, useFormValues } from "../lib/useAction";
import { Dialog, DialogActions } from "./Dialog";
import { fieldError } from "./Feedback";
import { Field } from "./Field";
import { EmojiIcon, MoreIcon } from "./Icons";

export type SharedLocation = NonNullable<MessageRequest["location"]>;

/** Arrow keys between a popover's items; up and down move a row of cols at a time. */
function arrows(items: () => HTMLElement[], cols: number) {
  return (e: ReactKeyboardEvent) => {
    const all = items();
    const i = all.indexOf(document.activeElement as HTMLElement);
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[e.key];
    const to = e.key === "Home" ? 0 : e.key === "End" ? all.length - 1 : step === undefined || i < 0 ? -1 : Math.min(all.length - 1, Math.max(0, i + step));
    if (to < 0 || all.length === 0) return;
    e.preventDefault();
    all[to].focus();
  };
}

/** The emojis offered, by what they are used for in a customer conversation. */
export const EMOJI: { group: string; items: [emoji: string, name: string][] }[] = [
  {
    group: "Smileys",
    items: [
      ["😀", "Grinning face"],
      ["😂", "Face with tears of joy"],
      ["😊", "Smiling face with smiling eyes"],
      ["😍", "Smiling face with heart-eyes"],
      ["😉", "Winking face"],
      ["🤔", "Thinking face"],
      ["😮", "Face with open mouth"],
      ["😢", "Crying face"],
    ],
  },
  {
    group: "Gestures",
    items: [
      ["👍", "Thumbs up"],
      ["👎", "Thumbs down"],
      ["👏", "Clapping hands"],
      ["🙏", "Folded hands"],
      ["👋", "Waving hand"],
      ["👌", "OK hand"],
      ["🤝", "Handshake"],
      ["💪", "Flexed biceps"],
    ],
  },
  {
    group: "Celebration",
    items: [
      ["❤️", "Red heart"],
      ["💚", "Green heart"],
      ["🎉", "Party popper"],
      ["🎁", "Wrapped gift"],
      ["⭐", "Star"],
      ["✨", "Sparkles"],
      ["🔥", "Fire"],
      ["💯", "Hundred points"],
    ],
  },
  {
    group: "Orders and appointments",
    items: [
      ["📦", "Package"],
      ["🚚", "Delivery truck"],
      ["🛒", "Shopping cart"],
      ["💳", "Credit card"],
      ["📅", "Calendar"],
      ["⏰", "Alarm clock"],
      ["📞", "Telephone receiver"],
      ["📍", "Round pushpin"],
    ],
  },
  {
    group: "Signs",
    items: [
      ["✅", "Check mark"],
      ["❌", "Cross mark"],
      ["⚠️", "Warning"],
      ["❗", "Exclamation mark"],
      ["❓", "Question mark"],
      ["➡️", "Right arrow"],
      ["👉", "Pointing right"],
      ["💬", "Speech balloon"],
    ],
  },
];

/** Every group holds a row of this many, so up and down keep to a column. */
const EMOJI_COLUMNS = 8;

/** A composer tool's button that opens its popover (see usePopover). */
function ToolTrigger({
  trigger,
  label,
  popup,
  open,
  setOpen,
  children,
}: {
  trigger: RefObject<HTMLButtonElement | null>;
  label: string;
  popup: "dialog" | "menu";
  open: boolean;
  setOpen: (open: boolean) => void;
  children: ReactNode;
}) {
  return (
    <button
      ref={trigger}
      type="button"
      className="icon-btn tool-btn"
      aria-label={label}
      title={label}
      aria-haspopup={popup}
      aria-expanded={open}
      onClick={() => setOpen(!open)}
    >
      {children}
    </button>
  );
}

/** The emoji button and its grid; a picked emoji goes to onPick, which puts it in the text. */
export function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const { open, setOpen, ref, trigger } = usePopover(".emoji-grid button");
  const id = useId();
  const items = () => Array.from(ref.current?.querySelectorAll<HTMLElement>(".emoji-grid button") ?? []);
  return (
    <div className="composer-pop" ref={ref}>
      <ToolTrigger trigger={trigger} label="Insert emoji" popup="dialog" open={open} setOpen={setOpen}>
        <EmojiIcon />
      </ToolTrigger>
      {open ? (
        <div className="emoji-picker" role="dialog" aria-label="Emoji" onKeyDown={arrows(items, EMOJI_COLUMNS)}>
          {EMOJI.map((g, gi) => (
            <div key={g.group} role="group" aria-labelledby={`${id}-${gi}`}>
              <p className="emoji-group" id={`${id}-${gi}`}>
                {g.group}
              </p>
              <div className="emoji-grid">
                {g.items.map(([emoji, name], i) => (
                  <button
                    key={emoji}
                    type="button"
                    tabIndex={gi === 0 && i === 0 ? 0 : -1}
                    aria-label={name}
                    title={name}
                    onClick={() => {
                      setOpen(false);
                      onPick(emoji);
                    }}
                  >
                    {emoji}
                  </button>
                ))}
              </div>
            </div>
          ))}
        </div>
      ) : null}
    </div>
  );
}

export interface MoreItem {
  label: string;
  icon: ReactNode;
  run: () => void;
  /** why the item cannot be used now; it stays in the menu, greyed, saying so */
  unavailable?: string;
}

/** The other ways to send, behind one button so the box keeps its width. */
export function MoreMenu({ items }: { items: MoreItem[] }) {
  const { open, setOpen, ref, trigger } = usePopover('[role="menuitem"]');
  const id = useId();
  const all = () => Array.from(ref.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? []);
  // Focus goes back to the button before the item runs: the dialog it opens returns
  // focus there when it closes.
  const choose = (item: MoreItem) => () => {
    if (item.unavailable) return;
    setOpen(false);
    trigger.current?.focus();
    item.run();
  };
  return (
    <div className="composer-pop" ref={ref}>
      <ToolTrigger trigger={trigger} label="More ways to send" popup="menu" open={open} setOpen={setOpen}>
        <MoreIcon />
      </ToolTrigger>
      {open ? (
        <div className="menu composer-menu" role="menu" aria-label="More ways to send" onKeyDown={arrows(all, 1)}>
          {items.map((item, i) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              tabIndex={-1}
              aria-disabled={item.unavailable ? true : undefined}
              aria-labelledby={`${id}-${i}`}
              aria-describedby={item.unavailable ? `${id}-${i}-why` : undefined}
              onClick={choose(item)}
            >
              {item.icon}
              <span className="composer-menu-text">
                <span id={`${id}-${i}`}>{item.label}</span>
                {item.unavailable ? (
                  <span className="hint" id={`${id}-${i}-why`}>
                    {item.unavailable}
                  </span>
                ) : null}
              </span>
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}

/** A typed coordinate, or what is wrong with it in the server's words. */
function coordinate(typed: string, limit: number, example: string): number | string {
  // A minus sign copied from a map page may be the typographic one.
  const t = typed.trim().replace(/^\u2212/, "-");
  if (!t) return "is required";
  if (!/^[+-]?(\d+\.?\d*|\.\d+)$/.test(t)) return `must be a number, e.g. ${example}`;
  const n = Number(t);
  return n < -limit || n > limit ? `must be between -${limit} and ${limit}` : n;
}

/**
 * A place to send: its coordinates, and the name and address the customer's app shows
 * with the pin. onSend sends it and throws when refused; the dialog then says why.
 */
export function LocationDialog({ onSend, onClose }: { onSend: (location: SharedLocation) => Promise<unknown>; onClose: () => void }) {
  const { values, field } = useFormValues({ latitude: "", longitude: "", name: "", address: "" });
  const [checked, setChecked] = useState(false);
  const { busy, error, run } = useAction();
  const latitude = coordinate(values.latitude, 90, "51.5074");
  const longitude = coordinate(values.longitude, 180, "-0.1278");
  // Once Send was pressed, what is wrong shows as it is typed, until it is right.
  const wrong = (v: number | string) => (checked && typeof v === "string" ? v : undefined);

  const send = (e: FormEvent) => {
    e.preventDefault();
    setChecked(true);
    if (typeof latitude === "string" || typeof longitude === "string") return;
    const location: SharedLocation = { latitude, longitude };
    const name = values.name.trim();
    const address = values.address.trim();
    if (name) location.name = name;
    if (address) location.address = address;
    void run(async () => {
      await onSend(location);
      onClose();
    });
  };

  return (
    <Dialog title="Share a location" onClose={onClose}>
      <form onSubmit={send} noValidate>
        <div className="row">
          <Field label="Latitude" hint="From -90 (south) to 90 (north), e.g. 51.5074." error={wrong(latitude) ?? fieldError(error, "location.latitude")}>
            <input {...field("latitude")} inputMode="decimal" autoComplete="off" required />
          </Field>
          <Field label="Longitude" hint="From -180 (west) to 180 (east), e.g. -0.1278." error={wrong(longitude) ?? fieldError(error, "location.longitude")}>
            <input {...field("longitude")} inputMode="decimal" autoComplete="off" required />
          </Field>
        </div>
        <Field label="Name" hint="Optional: what the place is called, e.g. our shop." error={fieldError(error, "location.name")}>
          <input {...field("name")} autoComplete="off" />
        </Field>
        <Field label="Address" hint="Optional." error={fieldError(error, "location.address")}>
          <input {...field("address")} autoComplete="off" />
        </Field>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          Send location
        </DialogActions>
      </form>
    </Dialog>
  );
}

/**
 * When the message in the composer goes out: a time in the member's own time zone, at
 * least a minute ahead (the server's rule). onSchedule sends it with that time and
 * throws when refused; the dialog then says why.
 */
export function ScheduleDialog({
  what,
  onSchedule,
  onClose,
}: {
  /** what goes out, and when, in a sentence */
  what: string;
  onSchedule: (at: string) => Promise<unknown>;
  onClose: () => void;
}) {
  const [at, setAt] = useState(() => localInput(Date.now() + 5 * 60 * 1000));
  const [problem, setProblem] = useState<string>();
  const { busy, error, run } = useAction();

  const schedule = (e: FormEvent) => {
    e.preventDefault();
    // datetime-local has no zone: the browser reads it in the member's own.
    const when = at ? new Date(at).getTime() : NaN;
    const wrong = !at
      ? "is required"
      : Number.isNaN(when)
        ? "must be a date and time"
        : when < Date.now() + 60 * 1000
          ? "must be at least one minute in the future"
          : undefined;
    setProblem(wrong);
    if (wrong) return;
    void run(async () => {
      await onSchedule(new Date(when).toISOString());
      onClose();
    });
  };

  return (
    <Dialog title="Schedule message" onClose={onClose}>
      <form onSubmit={schedule} noValidate>
        <p className="dialog-lead">{what}</p>
        <Field
          label="Send at"
          hint={`Your time zone (${Intl.DateTimeFormat().resolvedOptions().timeZone}); at least a minute from now.`}
          error={problem ?? fieldError(error, "schedule_at")}
        >
          <input
            type="datetime-local"
            value={at}
            min={localInput(Date.now() + 60 * 1000)}
            onChange={(e) => {
              setAt(e.target.value);
              setProblem(undefined);
            }}
            required
          />
        </Field>
        <p className="hint">A scheduled message takes its credit when it goes out. Until then the thread shows it, to send at once or cancel.</p>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          Schedule
        </DialogActions>
      </form>
    </Dialog>
  );
}
