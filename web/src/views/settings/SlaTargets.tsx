// SLA targets: how soon the team answers and resolves a ticket. The server sets them
// on a ticket when its clock starts (the customer's message), so a change applies to
// clocks started after it and tickets already counting keep theirs. Managers and
// admins set them (conversations:assign); anyone else who opens the page reads them.
import { useId, useState } from "react";
import { call } from "../../api/client";
import type { SLAPolicy } from "../../api/types";
import { ErrorText, fieldError, Loading, SaveFooter } from "../../components/Feedback";
import { TimeChoice } from "../../components/TimeChoice";
import { slaOf, typedTime } from "../../lib/assignment";
import { useAction } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { Link } from "../../router";
import { useWorkspace } from "../../workspace";

function SlaForm({ policy, manage, onSaved }: { policy: SLAPolicy; manage: boolean; onSaved: (v: SLAPolicy) => void }) {
  const w = useWorkspace();
  const id = useId();
  const [first, setFirst] = useState(() => typedTime(policy.first_response_minutes));
  const [next, setNext] = useState(() => typedTime(policy.next_response_minutes));
  const [resolution, setResolution] = useState(() => typedTime(policy.resolution_minutes));
  const [businessHours, setBusinessHours] = useState(policy.business_hours);
  const { busy, error, submit } = useAction();

  const save = submit(async () => {
    const v = await call("put", "/api/v1/workspaces/{workspace}/sla", { path: { workspace: w.slug }, body: slaOf({ first, next, resolution }, businessHours) });
    onSaved(v);
  });

  // Business hours are set on a page of their own, which managers and admins open.
  const hoursPage = w.can("workspace:read") ? <Link href={`/w/${w.slug}/settings/business-hours`}>Settings → Business hours</Link> : "Settings → Business hours";
  const hoursError = fieldError(error, "business_hours");
  return (
    <form aria-label="SLA targets" onSubmit={save} noValidate>
      <TimeChoice
        label="First response within"
        none="No target"
        hint="From the customer's first message of a new ticket to the team's first answer."
        value={first}
        error={fieldError(error, "first_response_minutes")}
        disabled={!manage}
        onChange={setFirst}
      />
      <TimeChoice
        label="Next response within"
        none="No target"
        hint="After the first answer, from each customer message waiting to the team's answer; more messages meanwhile do not move it."
        value={next}
        error={fieldError(error, "next_response_minutes")}
        disabled={!manage}
        onChange={setNext}
      />
      <TimeChoice
        label="Resolution within"
        none="No target"
        hint="From the ticket's first message, or the customer's message that reopened it, to resolving it."
        value={resolution}
        error={fieldError(error, "resolution_minutes")}
        disabled={!manage}
        onChange={setResolution}
      />
      <div className={`choice${hoursError ? " field-invalid" : ""}`}>
        <label className="check">
          <input
            type="checkbox"
            checked={businessHours}
            disabled={!manage}
            aria-describedby={[`${id}-hours`, hoursError ? `${id}-hours-error` : ""].filter(Boolean).join(" ")}
            onChange={(e) => setBusinessHours(e.target.checked)}
          />{" "}
          Count business hours only
        </label>
        <p className="hint choice-hint" id={`${id}-hours`}>
          When the workspace's business hours are on ({hoursPage}), only the time they are open counts: four working hours from Friday at 16:00 fall
          due on Monday at 12:00 in an office open from 9 to 17. With business hours off, every hour counts.
        </p>
        {hoursError ? (
          <p className="field-error" id={`${id}-hours-error`}>
            {hoursError}
          </p>
        ) : null}
      </div>
      <SaveFooter error={error} busy={busy} readOnly={manage ? undefined : "Only managers and admins can change the SLA targets."} />
    </form>
  );
}

/** The Assignment page's SLA section, below the auto-close rules. */
export function SlaTargets() {
  const w = useWorkspace();
  const titleId = useId();
  const policy = useAsync((signal) => call("get", "/api/v1/workspaces/{workspace}/sla", { path: { workspace: w.slug }, signal }), [w.slug]);
  // Each save starts the form again from what the server stored.
  const [saved, setSaved] = useState(0);
  return (
    <section className="card-section" aria-labelledby={titleId}>
      <h2 id={titleId}>SLA targets</h2>
      <p className="hint">
        How soon the team answers and resolves tickets. A ticket's targets are set when its clock starts, at the customer's message, so a change applies to
        clocks that start after it: tickets already counting keep theirs. A clock runs while the ticket is queued, active or pending and stops when it is
        resolved or abandoned. Any message to the customer answers; internal notes do not. The Team Inbox counts each ticket down and marks those that
        missed a target.
      </p>
      {policy.loading && !policy.data ? <Loading /> : null}
      <ErrorText error={policy.error} />
      {saved > 0 ? (
        <p className="hint" role="status">
          Saved. New clocks start with these targets.
        </p>
      ) : null}
      {policy.data ? (
        <SlaForm
          key={saved}
          policy={policy.data}
          manage={w.can("conversations:assign")}
          onSaved={(v) => {
            policy.setData(() => v);
            setSaved((n) => n + 1);
          }}
        />
      ) : null}
    </section>
  );
}
