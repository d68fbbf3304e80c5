// Canned responses: the replies the team keeps ready, which agents put in the composer
// with "/" and the shortcut. Everyone who uses them reads the list here; managers and
// admins add, edit and delete them (canned:manage).
import { useState } from "react";
import { call } from "../../api/client";
import { ConfirmDialog, Dialog, DialogActions } from "../../components/Dialog";
import { Empty, ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { Table } from "../../components/Table";
import { CANNED_VARIABLES, cannedPreview, findCanned, type CannedResponse } from "../../lib/canned";
import { useAction, useFormValues } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";
import { SearchBox } from "../ConversationList";

const VARIABLES_HINT = `At most 4,096 characters. It may name the customer's details and your own name, filled in as it goes in the composer: ${CANNED_VARIABLES.map((v) => `{{${v}}}`).join(", ")}. A detail the customer has not given stays as written, for you to fill in.`;

/** Adds a response, or edits one (only the fields changed are sent). */
function CannedForm({ existing, onClose, onSaved }: { existing?: CannedResponse; onClose: () => void; onSaved: () => void }) {
  const w = useWorkspace();
  const { values, field } = useFormValues({
    shortcut: existing?.shortcut ?? "",
    title: existing?.title ?? "",
    category: existing?.category ?? "",
    body: existing?.body ?? "",
  });
  const { busy, error, submit } = useAction();

  const save = submit(async () => {
    if (existing) {
      const changed = Object.fromEntries(Object.entries(values).filter(([k, v]) => v !== existing[k as keyof typeof values]));
      if (Object.keys(changed).length > 0) {
        await call("patch", "/api/v1/workspaces/{workspace}/canned-responses/{canned}", { path: { workspace: w.slug, canned: existing.id }, body: changed });
      }
    } else {
      await call("post", "/api/v1/workspaces/{workspace}/canned-responses", { path: { workspace: w.slug }, body: values });
    }
    onSaved();
  });

  return (
    <Dialog title={existing ? `Edit /${existing.shortcut}` : "Add a canned response"} onClose={onClose} wide>
      <form onSubmit={save} noValidate>
        <div className="row">
          <Field label="Shortcut" hint="Lower-case letters, digits, - and _: agents type / and the shortcut in the composer." error={fieldError(error, "shortcut")}>
            <input {...field("shortcut")} autoComplete="off" spellCheck={false} required autoFocus />
          </Field>
          <Field label="Title" error={fieldError(error, "title")}>
            <input {...field("title")} autoComplete="off" required />
          </Field>
          <Field label="Category" hint="Optional." error={fieldError(error, "category")}>
            <input {...field("category")} autoComplete="off" />
          </Field>
        </div>
        <Field label="Text" hint={VARIABLES_HINT} error={fieldError(error, "body")}>
          <textarea {...field("body")} rows={6} required />
        </Field>
        <DialogActions onCancel={onClose} busy={busy} error={error}>
          {existing ? "Save" : "Add"}
        </DialogActions>
      </form>
    </Dialog>
  );
}

export function CannedResponses() {
  const w = useWorkspace();
  const manage = w.can("canned:manage");
  const list = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/canned-responses", { path: { workspace: w.slug }, signal }), [w.slug]);
  const [q, setQ] = useState("");
  const [editing, setEditing] = useState<CannedResponse | "new" | null>(null);
  const [deleting, setDeleting] = useState<CannedResponse | null>(null);
  const action = useAction();
  const all = list.data?.items;
  const shown = all ? findCanned(all, q, "everywhere") : [];

  const remove = (r: CannedResponse) =>
    action.run(async () => {
      await call("delete", "/api/v1/workspaces/{workspace}/canned-responses/{canned}", { path: { workspace: w.slug, canned: r.id } });
      await list.reload();
    });

  return (
    <div className="settings-page">
      <div className="page-head">
        <h1>Canned responses</h1>
        {manage ? (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")}>
            Add canned response
          </button>
        ) : null}
      </div>
      <p className="hint">
        Replies the team keeps ready. In a conversation, type / and the shortcut (or press Ctrl+/, ⌘/ on a Mac) to put one in the box, with the customer's
        details filled in, and read it over before sending.
      </p>
      {all && all.length > 0 ? (
        <div className="filter-row">
          <SearchBox id="canned-search" label="Search canned responses" placeholder="Search shortcut, title or text" value={q} onChange={setQ} />
        </div>
      ) : null}
      {list.loading && !all ? <Loading /> : null}
      <ErrorText error={action.error ?? list.error} />
      {all && all.length === 0 ? (
        <Empty title="No canned responses yet">{manage ? "Add the replies your team writes again and again." : "Managers and admins add them."}</Empty>
      ) : null}
      {all && all.length > 0 && shown.length === 0 ? <Empty title="No canned responses match" /> : null}
      {shown.length > 0 ? (
        <Table caption="Canned responses" columns={["Shortcut", "Title", "Category"]} actions={manage}>
          {shown.map((r) => (
            <tr key={r.id}>
              <td className="mono">{`/${r.shortcut}`}</td>
              <td>
                {r.title}
                <p className="hint canned-row-preview">{cannedPreview(r.body)}</p>
              </td>
              <td>{r.category || "—"}</td>
              {manage ? (
                <td>
                  <span className="row">
                    <button type="button" className="btn" aria-label={`Edit /${r.shortcut}`} onClick={() => setEditing(r)}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-danger" aria-label={`Delete /${r.shortcut}`} disabled={action.busy} onClick={() => setDeleting(r)}>
                      Delete
                    </button>
                  </span>
                </td>
              ) : null}
            </tr>
          ))}
        </Table>
      ) : null}
      {editing ? (
        <CannedForm
          existing={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void list.reload();
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          title={`Delete /${deleting.shortcut}?`}
          confirm="Delete"
          cancel="Keep"
          danger
          onClose={() => setDeleting(null)}
          onConfirm={() => void remove(deleting)}
        >
          “{deleting.title}” goes for the whole team; messages already sent with it stay as they are.
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
