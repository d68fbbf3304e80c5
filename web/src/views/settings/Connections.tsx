// The workspace's channel connections: status and errors, and a form generated from
// the config schema of the channel (GET …/channels) to add or reconfigure one. Channels
// the workspace may not connect (plugin not running, not in the plan) are shown
// disabled, with the reason.
import { useState } from "react";
import { ApiError, call } from "../../api/client";
import type { ChannelOption, Connection } from "../../api/types";
import { Dialog, DialogActions } from "../../components/Dialog";
import { Empty, ErrorText, fieldError } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { cleanConfig, initialConfig, SchemaForm, type Config, type JSONSchema } from "../../components/SchemaForm";
import { useAction, useFormValues } from "../../lib/useAction";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

/** The channel plugins this workspace may connect, with their config schemas. */
function useChannels() {
  const w = useWorkspace();
  return useAsync(
    async (signal) => (await call("get", "/api/v1/workspaces/{workspace}/channels", { path: { workspace: w.slug }, signal })).items,
    [w.slug],
  );
}

/** The channel's config schema, which the form is built from. */
function schemaOf(c: ChannelOption | undefined): JSONSchema | null {
  const s = c?.config_schema;
  return s && typeof s === "object" && !Array.isArray(s) ? (s as JSONSchema) : null;
}

/** config.<field> messages of a 422, by field. */
function configErrors(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (error instanceof ApiError) {
    for (const [k, v] of Object.entries(error.fields)) if (k.startsWith("config.")) out[k.slice(7)] = v;
  }
  return out;
}

function ConnectionForm({
  channels,
  existing,
  onClose,
  onSaved,
}: {
  channels: ChannelOption[];
  existing?: Connection;
  onClose: () => void;
  onSaved: () => void;
}) {
  const w = useWorkspace();
  const unavailable = channels.filter((c) => !c.available);
  const [pluginId, setPluginId] = useState(existing?.plugin ?? channels.find((c) => c.available)?.plugin ?? "");
  const channel = channels.find((c) => c.plugin === pluginId);
  const schema = schemaOf(channel);
  const [engine, setEngine] = useState(existing?.engine ?? channel?.engines[0] ?? "");
  const { values: text, field } = useFormValues({
    name: existing?.display_name ?? "",
    address: existing?.address ?? "",
    rate: existing?.send_rate ? String(existing.send_rate) : "",
  });
  const defaultRate = channel?.send_rates?.[engine];
  const [values, setValues] = useState<Config>(() => (schema ? initialConfig(schema, existing?.config) : {}));
  // The settings of a connection whose channel is no longer offered stay editable as JSON.
  const [raw, setRaw] = useState(() => JSON.stringify(existing?.config ?? {}, null, 2));
  const { busy, error, submit } = useAction();

  const pick = (id: string) => {
    setPluginId(id);
    const c = channels.find((x) => x.plugin === id);
    setEngine(c?.engines[0] ?? "");
    const s = schemaOf(c);
    setValues(s ? initialConfig(s) : {});
  };

  const save = submit(async () => {
    let config: Config;
    if (schema) config = cleanConfig(schema, values);
    else {
      try {
        config = JSON.parse(raw || "{}");
      } catch {
        throw new ApiError(422, { code: "validation_failed", message: "The configuration is not valid JSON.", fields: { config: "is not valid JSON" } });
      }
    }
    const display_name = text.name;
    // Empty is the channel's default (0 to the API).
    const send_rate = text.rate.trim() === "" ? 0 : Number(text.rate);
    if (!(send_rate >= 0)) {
      throw new ApiError(422, { code: "validation_failed", message: "The send rate is not a number.", fields: { send_rate: "must be a number of messages a second" } });
    }
    if (existing) {
      await call("patch", "/api/v1/workspaces/{workspace}/connections/{connection}", {
        path: { workspace: w.slug, connection: existing.id },
        body: { display_name, config, ...(send_rate !== (existing.send_rate ?? 0) ? { send_rate } : {}) },
      });
    } else {
      await call("post", "/api/v1/workspaces/{workspace}/connections", {
        path: { workspace: w.slug },
        body: { plugin: pluginId, engine, display_name, address: text.address, config, ...(send_rate ? { send_rate } : {}) },
      });
    }
    onSaved();
  });

  return (
    <Dialog title={existing ? `Edit ${existing.display_name}` : "Add a connection"} onClose={onClose} wide>
      <form onSubmit={save} noValidate className="connection-form">
        <div className="row">
          <Field label="Channel plugin" error={fieldError(error, "plugin")}>
            <select value={pluginId} onChange={(e) => pick(e.target.value)} disabled={!!existing}>
              {existing && !channel ? <option value={existing.plugin}>{existing.plugin}</option> : null}
              {channels.map((c) => (
                <option key={c.plugin} value={c.plugin} disabled={!c.available}>
                  {c.plugin} ({c.kind}){c.available ? "" : ` — unavailable: ${c.reason || "not offered"}`}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Engine" error={fieldError(error, "engine")}>
            <select value={engine} onChange={(e) => setEngine(e.target.value)} disabled={!!existing}>
              {(channel?.engines ?? (existing ? [existing.engine] : [])).map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </Field>
        </div>
        {unavailable.length && !existing ? (
          <ul className="hint unavailable" aria-label="Unavailable channels">
            {unavailable.map((c) => (
              <li key={c.plugin}>
                {c.plugin}: {c.reason || "not offered to this workspace"}
              </li>
            ))}
          </ul>
        ) : null}
        {!existing && !channel ? <p className="error">No channel can be connected to this workspace now.</p> : null}
        <div className="row">
          <Field label="Name" hint="How the team sees this number or account." error={fieldError(error, "display_name")}>
            <input {...field("name")} required />
          </Field>
          <Field label="Address" hint="Phone number, email address or page id." error={fieldError(error, "address")}>
            <input {...field("address")} required disabled={!!existing} />
          </Field>
        </div>
        <div className="row">
          <Field
            label="Send rate (messages a second)"
            hint={
              defaultRate
                ? `Empty: ${defaultRate} a second, the provider's default for ${engine}. Campaigns are paced to it; set your account's own limit if it was raised.`
                : "Empty: as fast as the provider accepts. Set your account's limit to pace campaigns to it."
            }
            error={fieldError(error, "send_rate")}
          >
            <input {...field("rate")} inputMode="decimal" placeholder={defaultRate ? String(defaultRate) : "No limit"} />
          </Field>
        </div>
        {schema ? (
          <fieldset>
            <legend>{schema.title ?? "Settings"}</legend>
            <SchemaForm schema={schema} values={values} onChange={setValues} errors={configErrors(error)} engine={engine} engines={channel?.engines} />
          </fieldset>
        ) : existing ? (
          <>
            <p className="hint">The {existing.plugin} channel is not offered to this workspace now, so its settings are shown as JSON.</p>
            <Field label="Configuration (JSON)" error={fieldError(error, "config")}>
              <textarea className="mono" rows={8} value={raw} onChange={(e) => setRaw(e.target.value)} />
            </Field>
          </>
        ) : null}
        <DialogActions onCancel={onClose} busy={busy} disabled={!existing && !channel} error={error}>
          {existing ? "Save" : "Connect"}
        </DialogActions>
      </form>
    </Dialog>
  );
}

function StatusBadge({ c }: { c: Connection }) {
  return <span className={`status status-${c.status}`}>{c.status}</span>;
}

function WhatsAppEngine() {
  const w = useWorkspace();
  const [value, setValue] = useState(w.view.whatsapp_engine ?? "");
  const [saved, setSaved] = useState(false);
  const { error, run } = useAction();
  if (!w.can("workspace:manage")) return null;
  const save = async (v: string) => {
    setValue(v);
    setSaved(false);
    setSaved(
      await run(() =>
        call("patch", "/api/v1/workspaces/{workspace}", {
          path: { workspace: w.slug },
          body: { whatsapp_engine: (v || "") as "cloud" },
        }),
      ),
    );
  };
  return (
    <div className="row row-end">
      <Field label="Active WhatsApp engine" hint="Chat shows the conversations of this engine." error={fieldError(error, "whatsapp_engine")}>
        <select value={value} onChange={(e) => void save(e.target.value)}>
          <option value="">None</option>
          <option value="cloud">Cloud API</option>
          <option value="twilio">Twilio</option>
          <option value="unofficial">Unofficial</option>
        </select>
      </Field>
      {saved ? <span role="status" className="hint">Saved</span> : null}
      <ErrorText error={error} />
    </div>
  );
}

export function Connections() {
  const w = useWorkspace();
  const channels = useChannels();
  const manage = w.can("channels:manage");
  const [editing, setEditing] = useState<Connection | "new" | null>(null);
  const action = useAction();
  const conns = w.connections ?? [];
  const change = (fn: () => Promise<unknown>) =>
    action.run(async () => {
      await fn();
      await w.reloadConnections();
    });

  const toggle = (c: Connection) =>
    change(() =>
      call("patch", "/api/v1/workspaces/{workspace}/connections/{connection}", {
        path: { workspace: w.slug, connection: c.id },
        body: { enabled: c.status === "disabled" },
      }),
    );
  const remove = (c: Connection) => {
    if (!window.confirm(`Remove ${c.display_name}? Its conversations stay.`)) return;
    void change(() => call("delete", "/api/v1/workspaces/{workspace}/connections/{connection}", { path: { workspace: w.slug, connection: c.id } }));
  };

  return (
    <div className="settings-page">
      <div className="page-head">
        <h1>Connections</h1>
        {manage ? (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} disabled={!channels.data}>
            Add connection
          </button>
        ) : null}
      </div>
      <WhatsAppEngine />
      <ErrorText error={action.error ?? channels.error} />
      {conns.length === 0 ? (
        <Empty title="No connections yet">Connect a WhatsApp number, an SMS sender, a mailbox or a Messenger page to start.</Empty>
      ) : (
        <ul className="conn-list" aria-label="Connections">
          {conns.map((c) => (
            <li key={c.id} className="conn" data-connection-id={c.id}>
              <div className="conn-main">
                <h2>
                  {c.display_name} <StatusBadge c={c} />
                </h2>
                <p className="hint">
                  {c.plugin} · {c.engine} · {c.address}
                </p>
                {c.status_reason ? (
                  <p className={c.status === "error" ? "error" : "hint"} role={c.status === "error" ? "alert" : undefined}>
                    {c.status_reason}
                  </p>
                ) : null}
                <label className="hint" htmlFor={`hook-${c.id}`}>
                  Webhook URL for the provider
                </label>
                <input id={`hook-${c.id}`} className="mono" readOnly value={c.webhook_url} onFocus={(e) => e.target.select()} />
                {c.kind === "whatsapp" && c.engine === "cloud" ? (
                  <p className="hint">
                    Several of this workspace's numbers on one Meta app? Point the app at any one of their URLs: each number gets its
                    own messages.
                  </p>
                ) : null}
              </div>
              {manage ? (
                <div className="conn-actions">
                  <button type="button" className="btn" onClick={() => setEditing(c)} disabled={!channels.data}>
                    Edit
                  </button>
                  <button type="button" className="btn" disabled={action.busy} onClick={() => void toggle(c)}>
                    {c.status === "disabled" ? "Enable" : "Disable"}
                  </button>
                  <button type="button" className="btn btn-danger" disabled={action.busy} onClick={() => remove(c)}>
                    Remove
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {editing && channels.data ? (
        <ConnectionForm
          channels={channels.data}
          existing={editing === "new" ? undefined : editing}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            void w.reloadConnections();
          }}
        />
      ) : null}
    </div>
  );
}
