// A conversation's labels (what it needs: Follow-up, Escalated …) and tags (what it is
// about), as chips under the thread's head and on the list's cards. Members who reply
// add one by typing it and Enter, or by picking one the team uses, and take one off
// with the × on its chip; each change saves the whole new set.
import { useId, useState, type KeyboardEvent } from "react";
import { call, errorMessage } from "../api/client";
import type { Conversation } from "../api/types";
import { listFieldErrors } from "../components/Feedback";
import { hasName, suggestNames, tagsChanged, typedName, useTagsInUse, type TagKind } from "../lib/tags";
import { useAction } from "../lib/useAction";
import { useWorkspace } from "../workspace";

const NOUN: Record<TagKind, { one: string; many: string }> = {
  labels: { one: "label", many: "Labels" },
  tags: { one: "tag", many: "Tags" },
};

/** One label or tag, as a chip. */
export function TagChip({ kind, name }: { kind: TagKind; name: string }) {
  return (
    <span className={`tag-chip tag-chip-${kind}`} title={`${kind === "labels" ? "Label" : "Tag"}: ${name}`}>
      <span className="tag-name">{name}</span>
    </span>
  );
}

/**
 * A card's labels and its first tags, so the queue can be scanned by them; what does
 * not fit is counted.
 */
export function CardTags({ c }: { c: Conversation }) {
  const labels = c.labels ?? [];
  const tags = c.tags ?? [];
  const shownLabels = labels.slice(0, 3);
  const shownTags = tags.slice(0, 2);
  const rest = [...labels.slice(3), ...tags.slice(2)];
  if (labels.length + tags.length === 0) return null;
  return (
    <span className="card-tags">
      {shownLabels.map((l) => (
        <TagChip key={`l-${l}`} kind="labels" name={l} />
      ))}
      {shownTags.map((t) => (
        <TagChip key={`t-${t}`} kind="tags" name={t} />
      ))}
      {rest.length ? (
        <span className="card-meta" title={rest.join(", ")}>
          +{rest.length}
        </span>
      ) : null}
    </span>
  );
}

/**
 * What the server refused in a set it was sent, in words: the set (at most 20 …) by its
 * name, a single name (tags[2]) by what was typed.
 */
export function tagErrorText(error: unknown, sent: { kind: TagKind; names: string[] } | null): string {
  return (sent && listFieldErrors(error, sent.kind, sent.names, NOUN[sent.kind].one, NOUN[sent.kind].many)) || errorMessage(error);
}

/** One set's chips and, for members who reply, the box that adds to it. */
function TagSet({
  kind,
  names,
  known,
  editable,
  busy,
  onSave,
  onStart,
}: {
  kind: TagKind;
  names: string[];
  /** the names in use, most used first: the suggestions */
  known: string[];
  editable: boolean;
  busy: boolean;
  /** saves the whole new set; true when it was saved */
  onSave: (names: string[]) => Promise<boolean>;
  /** the member is about to add one: the suggestions are wanted */
  onStart: () => void;
}) {
  const noun = NOUN[kind];
  const [typed, setTyped] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const id = useId();
  const offered = open ? suggestNames(known, typed, names) : [];
  const current = active >= 0 && active < offered.length ? offered[active] : undefined;

  const add = async (name: string) => {
    // Each change sends the whole set: the next waits for the one saving.
    if (!name || busy) return;
    // Already on the conversation, whatever its case: nothing to save.
    if (hasName(names, name)) {
      setTyped("");
      return;
    }
    if (await onSave([...names, name])) {
      setTyped("");
      setActive(-1);
    }
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setOpen(true);
      const n = suggestNames(known, typed, names).length;
      if (n) setActive((a) => (e.key === "ArrowDown" ? (a + 1) % n : a <= 0 ? n - 1 : a - 1));
    } else if (e.key === "Escape" && open) {
      e.preventDefault();
      setOpen(false);
      setActive(-1);
    } else if (e.key === "Enter" && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void add(current ?? typedName(typed, known));
    }
  };

  const listId = `${id}-list`;
  const optionId = (i: number) => `${id}-${i}`;
  if (!editable && names.length === 0) return null;
  return (
    <div className={`tag-set tag-set-${kind}`}>
      <ul className="tag-chips" aria-label={noun.many}>
        {names.map((n) => (
          <li key={n} className={`tag-chip tag-chip-${kind}`}>
            <span className="tag-name" title={n}>
              {n}
            </span>
            {editable ? (
              <button type="button" className="tag-remove" aria-label={`Remove ${noun.one} ${n}`} disabled={busy} onClick={() => void onSave(names.filter((x) => x !== n))}>
                ×
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {editable ? (
        <div className="tag-add">
          <input
            type="text"
            role="combobox"
            aria-label={`Add ${noun.one}`}
            aria-autocomplete="list"
            aria-expanded={offered.length > 0}
            aria-controls={offered.length ? listId : undefined}
            aria-activedescendant={current ? optionId(active) : undefined}
            placeholder={`+ ${noun.one}`}
            // Not disabled while a change saves: the focus stays in the box for the next.
            value={typed}
            onFocus={() => {
              onStart();
              setOpen(true);
            }}
            onBlur={() => {
              setOpen(false);
              setActive(-1);
            }}
            onChange={(e) => {
              setTyped(e.target.value);
              setOpen(true);
              setActive(-1);
            }}
            onKeyDown={onKeyDown}
          />
          {offered.length ? (
            // A pick keeps the focus in the box, so typing goes on.
            <ul className="suggestions tag-suggestions" role="listbox" id={listId} aria-label={`${noun.many} in use`} onMouseDown={(e) => e.preventDefault()}>
              {offered.map((s, i) => (
                <li
                  key={s}
                  id={optionId(i)}
                  role="option"
                  aria-selected={i === active}
                  className={`suggestion tag-option${i === active ? " active" : ""}`}
                  onMouseEnter={() => setActive(i)}
                  onClick={() => void add(s)}
                >
                  {s}
                </li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The open conversation's labels and tags, under its head. Members who reply
 * (conversations:reply) change them; others read them, and see nothing when there are
 * none.
 */
export function ConversationTags({ c, onChanged }: { c: Conversation; onChanged: (v: Conversation) => void }) {
  const w = useWorkspace();
  const editable = w.can("conversations:reply");
  // The names in use load the first time a member starts adding one.
  const [wanted, setWanted] = useState(false);
  const known = useTagsInUse(wanted);
  const { busy, error, run } = useAction();
  const [sent, setSent] = useState<{ kind: TagKind; names: string[] } | null>(null);
  const labels = c.labels ?? [];
  const tags = c.tags ?? [];
  if (!editable && labels.length + tags.length === 0) return null;

  const save = (kind: TagKind) => (names: string[]) => {
    setSent({ kind, names });
    return run(async () => {
      const body = kind === "tags" ? { tags: names } : { labels: names };
      onChanged(await call("patch", "/api/v1/workspaces/{workspace}/conversations/{conversation}", { path: { workspace: w.slug, conversation: c.id }, body }));
      tagsChanged(w.slug);
    });
  };
  const start = () => setWanted(true);

  return (
    <div className="tag-bar" role="group" aria-label="Labels and tags">
      <TagSet kind="labels" names={labels} known={known?.labels.map((x) => x.name) ?? []} editable={editable} busy={busy} onSave={save("labels")} onStart={start} />
      <TagSet kind="tags" names={tags} known={known?.tags.map((x) => x.name) ?? []} editable={editable} busy={busy} onSave={save("tags")} onStart={start} />
      {error ? (
        <p className="error tag-error" role="alert">
          {tagErrorText(error, sent)}
        </p>
      ) : null}
    </div>
  );
}
