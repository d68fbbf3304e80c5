// Contacts: the address book, searched as you type, with its groups in the rail. A
// contact opens beside the list to be edited and put in groups.
import { useEffect, useState } from "react";
import { call } from "../api/client";
import type { Contact, Group } from "../api/types";
import { ConfirmDialog, Dialog, DialogActions } from "../components/Dialog";
import { Empty, ErrorText, fieldError, Loading } from "../components/Feedback";
import { Field } from "../components/Field";
import { PlusIcon } from "../components/Icons";
import { useAction } from "../lib/useAction";
import { useAsync } from "../lib/useAsync";
import { Link, navigate } from "../router";
import { useWorkspace } from "../workspace";
import { SearchBox, useListQuery } from "./ConversationList";

function contactLabel(c: Contact): string {
  return c.name || c.phone || c.email || c.messenger_id || "Unknown";
}

function NewGroupDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (g: Group) => void }) {
  const w = useWorkspace();
  const [name, setName] = useState("");
  const { busy, error, submit } = useAction();
  return (
    <Dialog title="New group" onClose={onClose}>
      <form
        noValidate
        onSubmit={submit(async () => onCreated(await call("post", "/api/v1/workspaces/{workspace}/contact-groups", { path: { workspace: w.slug }, body: { name } })))}
      >
        <Field label="Name" error={fieldError(error, "name")}>
          <input value={name} onChange={(e) => setName(e.target.value)} autoFocus required maxLength={100} />
        </Field>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          Create group
        </DialogActions>
      </form>
    </Dialog>
  );
}

function NewContactDialog({ onClose, onCreated }: { onClose: () => void; onCreated: (c: Contact) => void }) {
  const w = useWorkspace();
  const [v, setV] = useState({ name: "", phone: "", email: "" });
  const { busy, error, submit } = useAction();
  return (
    <Dialog title="New contact" onClose={onClose}>
      <form
        noValidate
        onSubmit={submit(async () =>
          onCreated(
            await call("post", "/api/v1/workspaces/{workspace}/contacts", {
              path: { workspace: w.slug },
              body: { name: v.name.trim() || undefined, phone: v.phone.trim() || undefined, email: v.email.trim() || undefined },
            }),
          ),
        )}
      >
        <Field label="Name" error={fieldError(error, "name")}>
          <input value={v.name} onChange={(e) => setV({ ...v, name: e.target.value })} autoFocus />
        </Field>
        <Field label="Phone" hint="With its country code, e.g. +44 20 7946 0958." error={fieldError(error, "phone")}>
          <input value={v.phone} onChange={(e) => setV({ ...v, phone: e.target.value })} inputMode="tel" />
        </Field>
        <Field label="Email" error={fieldError(error, "email")}>
          <input type="email" value={v.email} onChange={(e) => setV({ ...v, email: e.target.value })} />
        </Field>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          Add contact
        </DialogActions>
      </form>
    </Dialog>
  );
}

/** One contact, editable by those who manage contacts, and its place in groups. */
function ContactCard({ id, groups, onChanged }: { id: string; groups: Group[]; onChanged: () => void }) {
  const w = useWorkspace();
  const path = { workspace: w.slug, contact: id };
  const contact = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/contacts/{contact}", { path, signal }), [w.slug, id]);
  const [form, setForm] = useState<{ name: string; email: string; attributes: string; opted_out: boolean; whatsapp_consent: boolean } | null>(null);
  const [group, setGroup] = useState("");
  const { busy, error, run, submit } = useAction();
  const manage = w.can("contacts:manage");

  useEffect(() => {
    const c = contact.data;
    if (!c) return;
    setForm({
      name: c.name,
      email: c.email,
      attributes: Object.entries(c.attributes ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
      opted_out: c.opted_out,
      whatsapp_consent: c.whatsapp_consent,
    });
  }, [contact.data]);

  if (!contact.data || !form) return <section className="pane pane-thread pane-placeholder">{contact.error ? <ErrorText error={contact.error} /> : <Loading />}</section>;
  const c = contact.data;
  const save = submit(async () => {
    const attributes: Record<string, string> = {};
    for (const line of form.attributes.split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) attributes[line.slice(0, i).trim()] = line.slice(i + 1).trim();
    }
    await call("patch", "/api/v1/workspaces/{workspace}/contacts/{contact}", {
      path,
      body: { name: form.name, email: form.email, attributes, opted_out: form.opted_out, whatsapp_consent: form.whatsapp_consent },
    });
    await contact.reload();
    onChanged();
  });
  return (
    <section className="pane pane-thread contact-card" aria-label={`Contact ${contactLabel(c)}`}>
      <header className="thread-head">
        <div className="thread-title">
          <h2>{contactLabel(c)}</h2>
          <p className="hint">{[c.phone, c.email, c.messenger_id].filter(Boolean).join(" · ")}</p>
        </div>
      </header>
      <form className="contact-form" noValidate onSubmit={save}>
        <fieldset disabled={!manage || busy}>
          <Field label="Name" error={fieldError(error, "name")}>
            <input value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
          </Field>
          <Field label="Email" error={fieldError(error, "email")}>
            <input type="email" value={form.email} onChange={(e) => setForm({ ...form, email: e.target.value })} />
          </Field>
          <Field label="Custom attributes" hint="One per line: key=value." error={fieldError(error, "attributes")}>
            <textarea rows={3} value={form.attributes} onChange={(e) => setForm({ ...form, attributes: e.target.value })} />
          </Field>
          <label className="check">
            <input type="checkbox" checked={form.opted_out} onChange={(e) => setForm({ ...form, opted_out: e.target.checked })} /> Opted out (sends to
            them fail)
          </label>
          <label className="check">
            <input type="checkbox" checked={form.whatsapp_consent} onChange={(e) => setForm({ ...form, whatsapp_consent: e.target.checked })} /> Agreed to
            WhatsApp messages from us
          </label>
          {manage ? (
            <button type="submit" className="btn btn-primary">
              Save
            </button>
          ) : null}
        </fieldset>
      </form>
      {manage && groups.length > 0 ? (
        <form
          className="row"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (!group) return;
            void run(async () => {
              await call("post", "/api/v1/workspaces/{workspace}/contact-groups/{group}/members", {
                path: { workspace: w.slug, group },
                body: { contact_ids: [id] },
              });
              onChanged();
            });
          }}
        >
          <Field label="Add to group">
            <select value={group} onChange={(e) => setGroup(e.target.value)}>
              <option value="">Choose a group</option>
              {groups.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.name}
                </option>
              ))}
            </select>
          </Field>
          <button type="submit" className="btn" disabled={!group || busy}>
            Add
          </button>
        </form>
      ) : null}
      <ErrorText error={error} />
    </section>
  );
}

export function ContactsView({ contact }: { contact?: string }) {
  const w = useWorkspace();
  const base = `/w/${w.slug}/contacts`;
  const lq = useListQuery(base, contact, ["group"] as const);
  const { q, group: groupId } = lq.query;
  const groups = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/contact-groups", { path: { workspace: w.slug }, query: { limit: 200 }, signal }), [w.slug]);
  const list = useAsync(
    (signal) =>
      call("get", "/api/v1/workspaces/{workspace}/contacts", {
        path: { workspace: w.slug },
        query: { q: q || undefined, group: groupId || undefined, limit: 100 },
        signal,
      }),
    [w.slug, q, groupId],
  );
  const [creating, setCreating] = useState(false);
  const [adding, setAdding] = useState(false);
  const [deletingGroup, setDeletingGroup] = useState(false);
  const { error: actionError, run } = useAction();
  // Pages after the first, loaded on demand; the first comes with the query.
  const [more, setMore] = useState<{ items: Contact[]; cursor: string }>({ items: [], cursor: "" });
  useEffect(() => setMore({ items: [], cursor: "" }), [q, groupId]);
  const cursor = more.cursor || list.data?.next_cursor || "";
  const loadMore = () =>
    void run(async () => {
      const page = await call("get", "/api/v1/workspaces/{workspace}/contacts", {
        path: { workspace: w.slug },
        query: { q: q || undefined, group: groupId || undefined, limit: 100, cursor },
      });
      setMore((prev) => ({ items: [...prev.items, ...page.items], cursor: page.next_cursor || "" }));
    });
  const shown = [...(list.data?.items ?? []), ...more.items];
  const hasMore = more.items.length > 0 ? more.cursor !== "" : !!list.data?.next_cursor;
  const current = groups.data?.items.find((g) => g.id === groupId);
  const refresh = () => {
    void list.reload();
    void groups.reload();
  };

  return (
    <div className={`columns columns-chat${contact ? " has-selection" : ""}`}>
      <nav className="pane pane-rail" aria-label="Contact groups">
        {w.can("contacts:manage") ? (
          <>
            <button type="button" className="btn btn-primary btn-block" onClick={() => setAdding(true)}>
              <PlusIcon /> New contact
            </button>
            <button type="button" className="btn btn-block" onClick={() => setCreating(true)}>
              <PlusIcon /> New group
            </button>
          </>
        ) : null}
        <ul className="rail">
          <li>
            <Link href={lq.hrefWith({ group: "" })} replace className={`rail-item${groupId ? "" : " active"}`} aria-current={groupId ? undefined : "page"}>
              <span>All contacts</span>
            </Link>
          </li>
          {(groups.data?.items ?? []).map((g) => (
            <li key={g.id}>
              <Link href={lq.hrefWith({ group: g.id })} replace className={`rail-item${groupId === g.id ? " active" : ""}`} aria-current={groupId === g.id ? "page" : undefined}>
                <span>{g.name}</span>
                <span className="count" aria-label={`${g.members} members`}>
                  {g.members}
                </span>
              </Link>
            </li>
          ))}
        </ul>
        <ErrorText error={groups.error} />
      </nav>
      <section className="pane pane-list" aria-label="Contacts">
        <div className="pane-head">
          <h1>{current ? current.name : "Contacts"}</h1>
          {current && w.can("contacts:manage") ? (
            <button
              type="button"
              className="btn btn-quiet"
              onClick={() => setDeletingGroup(true)}
            >
              Delete group
            </button>
          ) : null}
        </div>
        <div className="filters">
          <SearchBox id="contact-search" label="Search contacts" placeholder="Name, number or email" value={lq.typed} onChange={lq.setTyped} />
        </div>
        <ErrorText error={list.error ?? actionError} />
        {list.loading && !list.data ? <Loading /> : null}
        {list.data && shown.length === 0 ? <Empty title={q ? "No contact matches" : current ? "No one in this group yet" : "No contacts yet"} /> : null}
        <ul className="contact-list pane-scroll" aria-label="Contact list">
          {shown.map((c) => (
            <li key={c.id} className={c.id === contact ? "active" : undefined}>
              <Link href={lq.hrefOf(c)} className="contact-row" aria-current={c.id === contact ? "true" : undefined}>
                <span className="card-title">{contactLabel(c)}</span>
                <span className="hint">
                  {[c.phone, c.email].filter(Boolean).join(" · ")}
                  {c.opted_out ? " · opted out" : ""}
                </span>
              </Link>
              {current && w.can("contacts:manage") ? (
                <button
                  type="button"
                  className="link-btn"
                  aria-label={`Remove ${contactLabel(c)} from ${current.name}`}
                  onClick={() =>
                    void run(async () => {
                      await call("delete", "/api/v1/workspaces/{workspace}/contact-groups/{group}/members/{contact}", {
                        path: { workspace: w.slug, group: current.id, contact: c.id },
                      });
                      refresh();
                    })
                  }
                >
                  Remove
                </button>
              ) : null}
            </li>
          ))}
        </ul>
        {hasMore ? (
          <button type="button" className="btn btn-quiet btn-block" onClick={loadMore}>
            Load more
          </button>
        ) : null}
      </section>
      {deletingGroup && current ? (
        <ConfirmDialog
          title={`Delete the group ${current.name}?`}
          confirm="Delete group"
          cancel="Keep"
          danger
          onClose={() => setDeletingGroup(false)}
          onConfirm={() =>
            void run(async () => {
              await call("delete", "/api/v1/workspaces/{workspace}/contact-groups/{group}", { path: { workspace: w.slug, group: current.id } });
              navigate(lq.hrefWith({ group: "" }), { replace: true });
              void groups.reload();
            })
          }
        >
          The group goes; its {current.members === 1 ? "contact stays" : `${current.members} contacts stay`} in the address book.
        </ConfirmDialog>
      ) : null}
      {contact ? <ContactCard key={contact} id={contact} groups={groups.data?.items ?? []} onChanged={refresh} /> : null}
      {adding ? (
        <NewContactDialog
          onClose={() => setAdding(false)}
          onCreated={(c) => {
            setAdding(false);
            void list.reload();
            navigate(lq.hrefOf(c));
          }}
        />
      ) : null}
      {creating ? (
        <NewGroupDialog
          onClose={() => setCreating(false)}
          onCreated={(g) => {
            setCreating(false);
            void groups.reload();
            navigate(lq.hrefWith({ group: g.id }));
          }}
        />
      ) : null}
    </div>
  );
}
