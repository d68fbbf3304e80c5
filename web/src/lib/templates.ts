// An approved message template as the provider lists it (name, language, category,
// body text and its raw components), read for what a send must fill in: the body's
// placeholders ({{1}}, {{2}} … or {{first_name}} …), a media header's file (a link,
// or a file uploaded to the workspace) or a text header's one placeholder, the
// suffixes of dynamic URL buttons and a copy-code button's code.
//
// A value may name fields of the recipient ({{first_name}}, {{code}} …), which the
// server fills for each recipient as the send's copies are stored: one send to a list
// greets every customer by their own name.
import type { ListedTemplate, Template } from "../api/types";

export type MediaFormat = "IMAGE" | "VIDEO" | "DOCUMENT";

/** The files a media header may show, by its format: jpg or png, mp4, pdf. */
export const HEADER_ACCEPT: Record<MediaFormat, string> = { IMAGE: ".jpg,.jpeg,.png", VIDEO: ".mp4", DOCUMENT: ".pdf" };

const HEADER_TYPES: Record<MediaFormat, string[]> = { IMAGE: ["image/jpeg", "image/png"], VIDEO: ["video/mp4"], DOCUMENT: ["application/pdf"] };

/** Whether a picked file can be a header of the format: by its name's extension, else its type. */
export function fitsHeader(format: MediaFormat, file: { name: string; type: string }): boolean {
  const dot = file.name.lastIndexOf(".");
  if (dot > 0) return HEADER_ACCEPT[format].split(",").includes(file.name.slice(dot).toLowerCase());
  return HEADER_TYPES[format].includes(file.type.toLowerCase());
}

/** A file uploaded to the workspace (POST …/media) as a media header. */
export interface HeaderFile {
  id: string;
  filename: string;
}

export interface TemplateShape {
  /** name and language, which together name a template */
  key: string;
  template: ListedTemplate;
  body: string;
  /** a TEXT header's text */
  headerText?: string;
  /** the TEXT header's placeholder ("1", or a name), which every send fills */
  headerParam?: string;
  /** an example value of it, where the provider lists one */
  headerExample?: string;
  /** a media header, whose file (a link or an uploaded one) every send gives */
  mediaHeader?: MediaFormat;
  footer?: string;
  /** named ({{first_name}}) rather than positional ({{1}}) parameters */
  named: boolean;
  /** the body's parameters in order: "1", "2" … or the names */
  params: string[];
  /** an example value of each parameter, where the provider lists one */
  examples: Record<string, string>;
  /** the labels of the URL buttons whose link ends in a parameter */
  urlButtons: string[];
  copyCode: boolean;
  /** the other buttons' labels, for the preview */
  buttons: string[];
}

/** What the person sending fills in. */
export interface TemplateValues {
  params: Record<string, string>;
  /** a media header's link */
  headerUrl: string;
  /** or the file uploaded for it, which goes instead of the link */
  headerFile: HeaderFile | null;
  /** the value of the text header's placeholder */
  headerText: string;
  buttonUrls: string[];
  copyCode: string;
}

export const NO_VALUES: TemplateValues = { params: {}, headerUrl: "", headerFile: null, headerText: "", buttonUrls: [], copyCode: "" };

/**
 * A template as a message carries it (the template and media of a MessageRequest):
 * a media header's uploaded file goes beside the template, by its id.
 */
export interface TemplateMessage {
  template: Template;
  media?: { file_id: string };
}

export const templateKey = (t: { name: string; language: string }) => `${t.name}|${t.language}`;

type Component = { type?: unknown; format?: unknown; text?: unknown; buttons?: unknown; example?: unknown };

function components(raw: unknown): Component[] {
  return Array.isArray(raw) ? raw.filter((c): c is Component => !!c && typeof c === "object") : [];
}

const upper = (v: unknown) => (typeof v === "string" ? v.toUpperCase() : "");
const text = (v: unknown) => (typeof v === "string" ? v : undefined);

const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g;

/** The placeholders of a text, each once, in order of appearance. */
export function placeholders(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(PLACEHOLDER)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

/** Examples the provider gives for the body's parameters. */
function bodyExamples(example: unknown, params: string[], named: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  if (!example || typeof example !== "object") return out;
  const ex = example as { body_text?: unknown; body_text_named_params?: unknown };
  if (named && Array.isArray(ex.body_text_named_params)) {
    for (const p of ex.body_text_named_params as { param_name?: unknown; example?: unknown }[]) {
      if (typeof p?.param_name === "string" && typeof p.example === "string") out[p.param_name] = p.example;
    }
  } else if (!named && Array.isArray(ex.body_text) && Array.isArray(ex.body_text[0])) {
    (ex.body_text[0] as unknown[]).forEach((v, i) => {
      if (typeof v === "string" && params.includes(String(i + 1))) out[String(i + 1)] = v;
    });
  }
  return out;
}

/** The example the provider gives for a text header's placeholder. */
function headerExample(example: unknown): string | undefined {
  if (!example || typeof example !== "object") return undefined;
  const ex = example as { header_text?: unknown; header_text_named_params?: unknown };
  if (Array.isArray(ex.header_text) && typeof ex.header_text[0] === "string") return ex.header_text[0];
  if (Array.isArray(ex.header_text_named_params)) {
    const p = ex.header_text_named_params[0] as { example?: unknown } | undefined;
    if (typeof p?.example === "string") return p.example;
  }
  return undefined;
}

export function describeTemplate(t: ListedTemplate): TemplateShape {
  const cs = components(t.components);
  const bodyC = cs.find((c) => upper(c.type) === "BODY");
  const headerC = cs.find((c) => upper(c.type) === "HEADER");
  const footerC = cs.find((c) => upper(c.type) === "FOOTER");
  const buttonsC = cs.find((c) => upper(c.type) === "BUTTONS");
  const body = t.body || text(bodyC?.text) || "";
  const found = placeholders(body);
  const named = t.parameter_format ? t.parameter_format.toLowerCase() === "named" : found.some((p) => !/^\d+$/.test(p));
  // Positional parameters are {{1}} to the highest number used, each one given.
  const highest = Math.max(0, ...found.filter((p) => /^\d+$/.test(p)).map(Number));
  const params = named ? found : Array.from({ length: highest }, (_, i) => String(i + 1));
  const format = upper(headerC?.format);
  const headerText = format === "TEXT" ? text(headerC?.text) : undefined;
  // A text header holds at most one placeholder.
  const headerParam = headerText ? placeholders(headerText)[0] : undefined;
  const shape: TemplateShape = {
    key: templateKey(t),
    template: t,
    body,
    headerText,
    headerParam,
    headerExample: headerParam ? headerExample(headerC?.example) : undefined,
    mediaHeader: format === "IMAGE" || format === "VIDEO" || format === "DOCUMENT" ? format : undefined,
    footer: text(footerC?.text),
    named,
    params,
    examples: bodyExamples(bodyC?.example, params, named),
    urlButtons: [],
    copyCode: false,
    buttons: [],
  };
  for (const b of Array.isArray(buttonsC?.buttons) ? (buttonsC.buttons as Component[]) : []) {
    const label = text(b?.text) ?? "";
    const type = upper(b?.type);
    const url = (b as { url?: unknown })?.url;
    if (type === "URL" && typeof url === "string" && url.includes("{{")) shape.urlButtons.push(label);
    else if (type === "COPY_CODE") shape.copyCode = true;
    else shape.buttons.push(label);
  }
  return shape;
}

/** A text with its placeholders replaced by the values given; the others stay as they are. */
export function substitute(body: string, params: Record<string, string>): string {
  return body.replace(PLACEHOLDER, (all, name: string) => params[name]?.trim() || all);
}

/** The recipient's fields a value may name, as the picker offers them. */
export const RECIPIENT_FIELDS = [
  { field: "name", label: "Name" },
  { field: "first_name", label: "First name" },
  { field: "last_name", label: "Last name" },
  { field: "phone", label: "Phone" },
  { field: "email", label: "Email" },
  { field: "code", label: "Code" },
] as const;

export const fieldToken = (field: string) => `{{${field}}}`;

/** A fresh 6-digit code for each recipient, the same everywhere in one message. */
const CODE = fieldToken("code");

/** One field as the server reads it: {{ name }}, or {{ name | fallback }} for a recipient without one. */
const FIELD = /\{\{\s*([A-Za-z0-9_.-]+)\s*(?:\|([^{}]*))?\}\}/g;

/** A piece of a filled text: words as they are, or a field each recipient gets their own value of. */
export type Part = string | { field: string; fallback: string; token: string };

/** A value's words and the recipient's fields it names. */
export function valueParts(value: string): Part[] {
  const out: Part[] = [];
  let at = 0;
  for (const m of value.matchAll(FIELD)) {
    if (m.index > at) out.push(value.slice(at, m.index));
    out.push({ field: m[1], fallback: (m[2] ?? "").trim(), token: m[0] });
    at = m.index + m[0].length;
  }
  if (at < value.length) out.push(value.slice(at));
  return out;
}

/**
 * A text with its placeholders replaced by the values given (as substitute does), in
 * parts, so that a field a value names shows as one rather than as the words it is.
 */
export function filledParts(body: string, params: Record<string, string>): Part[] {
  const out: Part[] = [];
  const add = (p: Part) => {
    const prev = out[out.length - 1];
    if (typeof p === "string" && typeof prev === "string") out[out.length - 1] = prev + p;
    else if (p !== "") out.push(p);
  };
  let at = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    add(body.slice(at, m.index));
    const value = params[m[1]]?.trim();
    for (const p of value ? valueParts(value) : [m[0]]) add(p);
    at = m.index + m[0].length;
  }
  add(body.slice(at));
  return out;
}

/** Whether the template is one the provider approved to send one-time codes. */
const isAuthentication = (s: TemplateShape) => s.template.category?.toLowerCase() === "authentication";

/**
 * The contact's details a value starts as, with what a recipient without one gets: a
 * greeting's name falls back to a word, so that a contact saved without a name still
 * gets the message. The others (last name, phone, email) have no word to stand in for
 * them; the picker's field buttons still offer them.
 */
const GREETED: Record<string, string> = { first_name: "{{first_name|there}}", name: "{{name|there}}" };

/**
 * What a template's values start as: a parameter named after the contact's name
 * ({{first_name}}, {{name}}) names that field, so each copy of a send greets its own
 * recipient (better than the provider's example, which is one person's); an
 * authentication template's code, in the body and on its copy-code button, is a fresh
 * code for each.
 */
export function defaultValues(s: TemplateShape): TemplateValues {
  const auth = isAuthentication(s);
  const params: Record<string, string> = {};
  for (const p of s.params) {
    if (auth) params[p] = CODE;
    else if (s.named && GREETED[p]) params[p] = GREETED[p];
  }
  const headerText = s.named && s.headerParam && GREETED[s.headerParam] ? GREETED[s.headerParam] : "";
  return { ...NO_VALUES, params, headerText, copyCode: auth && s.copyCode ? CODE : "" };
}

/** Whether everything the template needs is filled in. */
export function complete(s: TemplateShape, v: TemplateValues): boolean {
  return (
    s.params.every((p) => v.params[p]?.trim()) &&
    (!s.mediaHeader || !!v.headerFile || !!v.headerUrl.trim()) &&
    (!s.headerParam || !!v.headerText.trim()) &&
    s.urlButtons.every((_, i) => v.buttonUrls[i]?.trim()) &&
    (!s.copyCode || !!v.copyCode.trim())
  );
}

/**
 * The template of a send (sdk.Template): positional values in order, or named ones by
 * name. A media header's link goes in it unless a file was uploaded for the header,
 * which goes beside it (templateMessage).
 */
export function templateToSend(s: TemplateShape, v: TemplateValues): Template {
  const out: Template = { name: s.template.name, language: s.template.language };
  const value = (p: string) => (v.params[p] ?? "").trim();
  if (s.params.length && s.named) out.named = Object.fromEntries(s.params.map((p) => [p, value(p)]));
  else if (s.params.length) out.body = s.params.map(value);
  if (s.mediaHeader && !v.headerFile) out.header_url = v.headerUrl.trim();
  if (s.headerParam) {
    out.header_text = v.headerText.trim();
    if (s.named) out.header_param = s.headerParam;
  }
  if (s.urlButtons.length) out.button_urls = s.urlButtons.map((_, i) => (v.buttonUrls[i] ?? "").trim());
  if (s.copyCode) out.copy_code = v.copyCode.trim();
  return out;
}

/** The template and, for a media header given as an uploaded file, that file's id. */
export function templateMessage(s: TemplateShape, v: TemplateValues): TemplateMessage {
  const template = templateToSend(s, v);
  return s.mediaHeader && v.headerFile ? { template, media: { file_id: v.headerFile.id } } : { template };
}
