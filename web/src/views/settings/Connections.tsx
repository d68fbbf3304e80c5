// The workspace's channel connections: status and errors, and a form generated from
// the plugin's config schema to add or reconfigure one.
import { useState, type FormEvent } from "react";
import { ApiError, call } from "../../api/client";
import type { Connection, PluginStatus } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { Empty, ErrorText, fieldError, Loading } from "../../components/Feedback";
import { Field } from "../../components/Field";
import { cleanConfig, initialConfig, SchemaForm, type Config, type JSONSchema } from "../../components/SchemaForm";
import { useAsync } from "../../lib/useAsync";
import { useWorkspace } from "../../workspace";

/** The plugins and their config schemas. The API gives them to platform operators only. */
function usePlugins() {
  return useAsync(async (signal) => {
    try {
      const r = await call("get", "/api/v1/operator/plugins", { signal });
      return r.items;
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) return null;
      throw err;
    }
  }, []);
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
  plugins,
  existing,
  onClose,
  onSaved,
}: {
  plugins: PluginStatus[] | null;
  existing?: Connection;
  onClose: () => void;
  onSaved: () => void;
}) {
  const w = useWorkspace();
  const usable = (plugins ?? []).filter((p) => p.state !== "disabled" || p.id === existing?.plugin);
  const [pluginId, setPluginId] = useState(existing?.plugin ?? usable[0]?.id ?? "");
  const plugin = usable.find((p) => p.id === pluginId);
  const schema = (plugin?.config_schema ?? null) as JSONSchema | null;
  const [engine, setEngine] = useState(existing?.engine ?? plugin?.engines[0] ?? "");
  const [name, setName] = useState(existing?.display_name ?? "");
  const [address, setAddress] = useState(existing?.address ?? "");
  const [values, setValues] = useState<Config>(() => (schema ? initialConfig(schema, existing?.config) : {}));
  const [raw, setRaw] = useState(() => JSON.stringify(existing?.config ?? {}, null, 2));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  const pick = (id: string) => {
    setPluginId(id);
    const p = usable.find((x) => x.id === id);
    setEngine(p?.engines[0] ?? "");
    setValues(p?.config_schema ? initialConfig(p.config_schema as JSONSchema) : {});
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      let config: Config;
      if (schema) config = cleanConfig(schema, values);
      else {
        try {
          config = JSON.parse(raw || "{}");
        } catch {
          throw new ApiError(422, { code: "validation_failed", message: "The configuration is not valid JSON.", fields: { config: "is not valid JSON" } });
        }
      }
      if (existing) {
        await call("patch", "/api/v1/workspaces/{workspace}/connections/{connection}", {
          path: { workspace: w.slug, connection: existing.id },
          body: { display_name: name, config },
        });
      } else {
        await call("post", "/api/v1/workspaces/{workspace}/connections", {
          path: { workspace: w.slug },
          body: { plugin: pluginId, engine, display_name: name, address, config },
        });
      }
      onSaved();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Dialog title={existing ? `Edit ${existing.display_name}` : "Add a connection"} onClose={onClose} wide>
      <form onSubmit={submit} noValidate className="connection-form">
        {plugins ? (
          <div className="row">
            <Field label="Channel plugin" error={fieldError(error, "plugin")}>
              <select value={pluginId} onChange={(e) => pick(e.target.value)} disabled={!!existing}>
                {usable.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.id} ({p.kind}, {p.version})
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Engine" error={fieldError(error, "engine")}>
              <select value={engine} onChange={(e) => setEngine(e.target.value)} disabled={!!existing}>
                {(plugin?.engines ?? []).map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
              </select>
            </Field>
          </div>
        ) : (
          <div className="row">
            <p className="hint">
              This server lists channel plugins and their settings only to platform operators, so the configuration is entered as JSON.
            </p>
            <Field label="Channel plugin" error={fieldError(error, "plugin")}>
              <input value={pluginId} onChange={(e) => setPluginId(e.target.value)} disabled={!!existing} placeholder="whatsapp" />
            </Field>
            <Field label="Engine" error={fieldError(error, "engine")}>
              <input value={engine} onChange={(e) => setEngine(e.target.value)} disabled={!!existing} placeholder="cloud" />
            </Field>
          </div>
        )}
        <div className="row">
          <Field label="Name" hint="How the team sees this number or account." error={fieldError(error, "display_name")}>
            <input value={name} onChange={(e) => setName(e.target.value)} required />
          </Field>
          <Field label="Address" hint="Phone number, email address or page id." error={fieldError(error, "address")}>
            <input value={address} onChange={(e) => setAddress(e.target.value)} required disabled={!!existing} />
          </Field>
        </div>
        {schema ? (
          <fieldset>
            <legend>{String((schema as { title?: string }).title ?? "Settings")}</legend>
            <SchemaForm schema={schema} values={values} onChange={setValues} errors={configErrors(error)} engine={engine} engines={plugin?.engines} />
          </fieldset>
        ) : (
          <Field label="Configuration (JSON)" error={fieldError(error, "config")}>
            <textarea className="mono" rows={8} value={raw} onChange={(e) => setRaw(e.target.value)} />
          </Field>
        )}
        <ErrorText error={error} />
        <div className="dialog-actions">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {existing ? "Save" : "Connect"}
          </button>
        </div>
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
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  if (!w.can("workspace:manage")) return null;
  const save = async (v: string) => {
    setValue(v);
    setError(null);
    setSaved(false);
    try {
      await call("patch", "/api/v1/workspaces/{workspace}", {
        path: { workspace: w.slug },
        body: { whatsapp_engine: (v || "") as "cloud" },
      });
      setSaved(true);
    } catch (err) {
      setError(err);
    }
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
  const plugins = usePlugins();
  const manage = w.can("channels:manage");
  const [editing, setEditing] = useState<Connection | "new" | null>(null);
  const [error, setError] = useState<unknown>(null);
  const conns = w.connections ?? [];

  const toggle = async (c: Connection) => {
    setError(null);
    try {
      await call("patch", "/api/v1/workspaces/{workspace}/connections/{connection}", {
        path: { workspace: w.slug, connection: c.id },
        body: { enabled: c.status === "disabled" },
      });
      await w.reloadConnections();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (c: Connection) => {
    if (!window.confirm(`Remove ${c.display_name}? Its conversations stay.`)) return;
    setError(null);
    try {
      await call("delete", "/api/v1/workspaces/{workspace}/connections/{connection}", { path: { workspace: w.slug, connection: c.id } });
      await w.reloadConnections();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <div className="settings-page">
      <div className="page-head">
        <h1>Connections</h1>
        {manage ? (
          <button type="button" className="btn btn-primary" onClick={() => setEditing("new")} disabled={plugins.loading}>
            Add connection
          </button>
        ) : null}
      </div>
      <WhatsAppEngine />
      <ErrorText error={error ?? plugins.error} />
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
              </div>
              {manage ? (
                <div className="conn-actions">
                  <button type="button" className="btn" onClick={() => setEditing(c)} disabled={plugins.loading}>
                    Edit
                  </button>
                  <button type="button" className="btn" onClick={() => void toggle(c)}>
                    {c.status === "disabled" ? "Enable" : "Disable"}
                  </button>
                  <button type="button" className="btn btn-danger" onClick={() => void remove(c)}>
                    Remove
                  </button>
                </div>
              ) : null}
            </li>
          ))}
        </ul>
      )}
      {plugins.loading && editing ? <Loading /> : null}
      {editing && !plugins.loading ? (
        <ConnectionForm
          plugins={plugins.data ?? null}
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
