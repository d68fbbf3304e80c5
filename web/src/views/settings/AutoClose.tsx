// Auto-close: tickets no one touches close by themselves. Active and pending ones idle
// long enough are resolved, queued ones no one took are abandoned; the server's sweep
// applies the rules each minute and leaves a note in each ticket it closes. Managers
// and admins set them (conversations:assign); anyone else who opens the page reads them.
import { useId, useState } from "react";
import { call } from "../../api/client";
import type { AutoClose as AutoCloseRules } from "../../api/types";
import { ErrorText, fieldError, Loading, SaveFooter } from "../../components/Feedback";
import { TimeChoice } from "../../components/TimeChoice";
import { autoCloseOf, typedTime } from "../../lib/assignment";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

function AutoCloseForm({ rules, manage, onSaved }: { rules: AutoCloseRules; manage: boolean; onSaved: (v: AutoCloseRules) => void }) {
  const w = useWorkspace();
  const [resolve, setResolve] = useState(() => typedTime(rules.resolve_after_minutes));
  const [abandon, setAbandon] = useState(() => typedTime(rules.abandon_after_minutes));
  const { busy, error, submit } = useAction();

  const save = submit(async () => {
    const v = await call("put", "/api/v1/workspaces/{workspace}/auto-close", { path: { workspace: w.slug }, body: autoCloseOf(resolve, abandon) });
    onSaved(v);
  });

  return (
    <form aria-label="Auto-close" onSubmit={save} noValidate>
      <TimeChoice
        label="Resolve idle tickets after"
        none="Never"
        hint="Active and pending tickets. A resolved ticket stays with its member: the customer's next message goes back to them."
        value={resolve}
        error={fieldError(error, "resolve_after_minutes")}
        disabled={!manage}
        onChange={setResolve}
      />
      <TimeChoice
        label="Close queued tickets as abandoned after"
        none="Never"
        hint="Tickets waiting in the queue that no one accepted. An abandoned ticket leaves the queue; the customer's next message puts it back there."
        value={abandon}
        error={fieldError(error, "abandon_after_minutes")}
        disabled={!manage}
        onChange={setAbandon}
      />
      <SaveFooter error={error} busy={busy} readOnly={manage ? undefined : "Only managers and admins can change the auto-close rules."} />
    </form>
  );
}

/** The Assignment page's auto-close section, below the queue's rules. */
export function AutoClose() {
  const w = useWorkspace();
  const titleId = useId();
  const rules = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/auto-close", { path: { workspace: w.slug }, signal }), [w.slug]);
  // Each save starts the form again from what the server stored.
  const [saved, setSaved] = useState(0);
  return (
    <section className="card-section" aria-labelledby={titleId}>
      <h2 id={titleId}>Auto-close</h2>
      <p className="hint">
        Tickets no one touches close by themselves. A ticket is idle while no message comes or goes, either way; internal notes do not count, and
        accepting, transferring or reopening it starts its idle time afresh. Each ticket closed gets an internal note saying why.
      </p>
      {rules.loading && !rules.data ? <Loading /> : null}
      <ErrorText error={rules.error} />
      {saved > 0 ? (
        <p className="hint" role="status">
          Saved. The rules are applied every minute, to tickets already idle too.
        </p>
      ) : null}
      {rules.data ? (
        <AutoCloseForm
          key={saved}
          rules={rules.data}
          manage={w.can("conversations:assign")}
          onSaved={(v) => {
            rules.setData(() => v);
            setSaved((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
