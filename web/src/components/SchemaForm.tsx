// A form generated from a channel plugin's config JSON Schema: a control per property
// (text, password for x-secret, number, checkbox, select for enums, checkboxes for a
// list of enums, JSON for objects), labelled with the property's title and explained
// with its description. The plugin checks the values when the connection is saved;
// its messages come back as config.<field> and show under the field.
import { useId } from "react";
import { Field } from "./Field";

export interface JSONSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JSONSchema>;
  required?: string[];
  enum?: unknown[];
  default?: unknown;
  items?: JSONSchema;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  format?: string;
  additionalProperties?: boolean | JSONSchema;
  "x-secret"?: boolean;
}

export type Config = Record<string, unknown>;

/** The masked value the API shows for a stored secret; sent back, it keeps the secret. */
export const MASK = "********";

function typeOf(s: JSONSchema): string {
  return Array.isArray(s.type) ? (s.type.find((t) => t !== "null") ?? "string") : (s.type ?? (s.enum ? "string" : "string"));
}

/** The starting values: the stored config (edit) or the schema's defaults (new). */
export function initialConfig(schema: JSONSchema, stored?: Config): Config {
  const out: Config = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (stored && k in stored) out[k] = stored[k];
    else if (!stored && s.default !== undefined) out[k] = s.default;
  }
  return out;
}

/** What to send: empty values left out, so the plugin applies its defaults. */
export function cleanConfig(schema: JSONSchema, values: Config): Config {
  const out: Config = {};
  for (const k of Object.keys(schema.properties ?? {})) {
    const v = values[k];
    if (v === undefined || v === "" || (Array.isArray(v) && v.length === 0 && !schema.required?.includes(k))) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Which engine a property belongs to, when its description says so the way plugin
 * manifests word it ("Cloud: …", "Twilio: …"); such properties of other engines are
 * folded away.
 */
export function engineOf(s: JSONSchema, engines: string[]): string | undefined {
  const m = /^([A-Za-z][\w-]*):/.exec(s.description ?? "");
  if (!m) return undefined;
  return engines.find((e) => e.toLowerCase() === m[1].toLowerCase());
}

/** a11y: what Field gives its control (id, aria-describedby, aria-invalid), passed on to the input. */
type A11y = { id?: string; "aria-describedby"?: string; "aria-invalid"?: boolean };

function Control({
  name,
  schema,
  value,
  onChange,
  required,
  ...a11y
}: {
  name: string;
  schema: JSONSchema;
  value: unknown;
  onChange: (v: unknown) => void;
  required: boolean;
} & A11y) {
  const t = typeOf(schema);
  const groupId = useId();
  if (schema.enum && t !== "array") {
    return (
      <select {...a11y} name={name} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(e.target.value || undefined)} required={required}>
        {!required ? <option value="">—</option> : null}
        {schema.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  }
  if (t === "boolean") {
    return <input {...a11y} type="checkbox" name={name} checked={value === true} onChange={(e) => onChange(e.target.checked)} />;
  }
  if (t === "integer" || t === "number") {
    return (
      <input
        {...a11y}
        type="number"
        name={name}
        value={value === undefined || value === null ? "" : String(value)}
        min={schema.minimum}
        max={schema.maximum}
        step={t === "integer" ? 1 : "any"}
        required={required}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
      />
    );
  }
  if (t === "array" && schema.items?.enum) {
    const list = Array.isArray(value) ? (value as unknown[]) : [];
    return (
      <div role="group" id={a11y.id} aria-labelledby={groupId} aria-describedby={a11y["aria-describedby"]} className="checks">
        <span id={groupId} className="sr-only">
          {schema.title ?? name}
        </span>
        {schema.items.enum.map((o) => (
          <label key={String(o)} className="check">
            <input
              type="checkbox"
              checked={list.includes(o)}
              onChange={(e) => onChange(e.target.checked ? [...list, o] : list.filter((x) => x !== o))}
            />{" "}
            {String(o)}
          </label>
        ))}
      </div>
    );
  }
  if (t === "object" || t === "array") {
    return (
      <textarea
        {...a11y}
        name={name}
        rows={3}
        className="mono"
        defaultValue={value === undefined ? "" : JSON.stringify(value, null, 2)}
        onChange={(e) => {
          try {
            onChange(e.target.value.trim() ? JSON.parse(e.target.value) : undefined);
          } catch {
            // Kept as typed; the plugin names the field if it stays wrong.
            onChange(e.target.value);
          }
        }}
      />
    );
  }
  const secret = schema["x-secret"] === true;
  return (
    <input
      {...a11y}
      type={secret ? "password" : schema.format === "uri" ? "url" : "text"}
      name={name}
      value={value === undefined || value === null ? "" : String(value)}
      required={required}
      autoComplete={secret ? "new-password" : "off"}
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

export function SchemaForm({
  schema,
  values,
  onChange,
  errors = {},
  engine,
  engines = [],
}: {
  schema: JSONSchema;
  values: Config;
  onChange: (v: Config) => void;
  /** field messages by property name */
  errors?: Record<string, string>;
  engine?: string;
  engines?: string[];
}) {
  const required = new Set(schema.required ?? []);
  const entries = Object.entries(schema.properties ?? {});
  const mine = entries.filter(([, s]) => {
    const e = engineOf(s, engines);
    return !e || !engine || e === engine;
  });
  const others = entries.filter((x) => !mine.includes(x));
  const render = ([k, s]: [string, JSONSchema]) => (
    <Field key={k} label={`${s.title ?? k}${required.has(k) ? " (required)" : ""}`} hint={s.description} error={errors[k]}>
      <Control name={k} schema={s} value={values[k]} required={required.has(k)} onChange={(v) => onChange({ ...values, [k]: v })} />
    </Field>
  );
  return (
    <div className="schema-form">
      {schema.description ? <p className="hint">{schema.description}</p> : null}
      {mine.map(render)}
      {others.length ? (
        <details>
          <summary>Settings of the other engines ({others.length})</summary>
          {others.map(render)}
        </details>
      ) : null}
    </div>
  );
}
