// The typed API client: every call is checked against the operations generated from
// the server's OpenAPI document (schema.gen.ts): its path, its path and query
// parameters, its body and what it answers.
import type { ErrorDetail, Paths } from "./schema.gen";

export type Method = "get" | "post" | "put" | "patch" | "delete";

type PathsWith<M extends Method> = {
  [P in keyof Paths]: M extends keyof Paths[P] ? P : never;
}[keyof Paths];

type Op<P extends keyof Paths, M extends Method> = M extends keyof Paths[P] ? Paths[P][M] : never;

type Field<O, K extends string> = K extends keyof O ? O[K] : never;

type Has<T> = [T] extends [never] ? false : true;

type PathArg<O> = Has<Field<O, "path">> extends true ? { path: Field<O, "path"> } : { path?: undefined };
type QueryArg<O> = Has<Field<O, "query">> extends true ? { query?: Field<O, "query"> } : { query?: undefined };
type BodyArg<O> = [Field<O, "body">] extends [never] ? { body?: undefined } : { body: Field<O, "body"> };

export type CallOptions<O> = PathArg<O> & QueryArg<O> & BodyArg<O> & { signal?: AbortSignal };

/** An error answer of the API; message is the server's own wording, shown as is. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly fields: Record<string, string>;

  constructor(status: number, detail: ErrorDetail) {
    super(detail.message);
    this.name = "ApiError";
    this.status = status;
    this.code = detail.code;
    this.fields = detail.fields ?? {};
  }
}

/** The message to show for any failure: the server's words, or the network's. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

const CSRF_COOKIE = "sb_csrf";
const CSRF_HEADER = "X-CSRF-Token";

/** The session's CSRF token, which the server sets as a cookie the page can read. */
export function csrfToken(): string {
  for (const part of document.cookie.split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === CSRF_COOKIE) return decodeURIComponent(v.join("="));
  }
  return "";
}

/** Listeners told when a call answers 401: the session ended (expired, signed out elsewhere). */
const unauthorized = new Set<() => void>();
export function onUnauthorized(fn: () => void): () => void {
  unauthorized.add(fn);
  return () => unauthorized.delete(fn);
}

/** Fills {name} segments of an OpenAPI path. */
export function buildPath(template: string, params?: Record<string, string>, query?: object): string {
  const path = template.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = params?.[name];
    if (v === undefined || v === "") throw new Error(`missing path parameter ${name}`);
    return encodeURIComponent(v);
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v === undefined || v === null || v === "") continue;
    qs.set(k, String(v));
  }
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

async function send<T>(method: Method, url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (method !== "get") {
    headers[CSRF_HEADER] = csrfToken();
  }
  let payload: string | FormData | undefined;
  if (body instanceof FormData) {
    // A file goes as multipart/form-data: the browser writes the Content-Type with
    // the boundary that separates the form's parts.
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await fetch(url, { method: method.toUpperCase(), headers, body: payload, credentials: "same-origin", signal });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!res.ok) {
    const detail = (data as { error?: ErrorDetail } | undefined)?.error;
    const err = new ApiError(res.status, detail ?? { code: `http_${res.status}`, message: text.trim() || `${res.status} ${res.statusText}` });
    if (res.status === 401 && !url.startsWith("/api/v1/auth/")) {
      unauthorized.forEach((fn) => fn());
    }
    throw err;
  }
  return data as T;
}

/** Calls one operation of the API. */
export function call<M extends Method, P extends PathsWith<M>>(
  method: M,
  path: P,
  // Options are required when the operation has path parameters or a body.
  ...[opts]: Has<Field<Op<P, M>, "path">> extends true
    ? [CallOptions<Op<P, M>>]
    : Has<Field<Op<P, M>, "body">> extends true
      ? [CallOptions<Op<P, M>>]
      : [CallOptions<Op<P, M>>?]
): Promise<Field<Op<P, M>, "response">> {
  const o = (opts ?? {}) as { path?: Record<string, string>; query?: object; body?: unknown; signal?: AbortSignal };
  return send(method, buildPath(path as string, o.path, o.query), o.body, o.signal);
}

/**
 * Posts a form to an operation that takes one (an upload): the file and fields of
 * form, with the same CSRF token and error handling as call.
 */
export function postForm<P extends PathsWith<"post">>(
  path: P,
  opts: { path: Field<Op<P, "post">, "path">; form: FormData; signal?: AbortSignal },
): Promise<Field<Op<P, "post">, "response">> {
  return send("post", buildPath(path as string, opts.path as Record<string, string>), opts.form, opts.signal);
}

/**
 * Uploads a file to the workspace (POST …/media), to send by its id. With a
 * connection, the file is checked against that channel's limits before it is stored.
 */
export function uploadMedia(workspace: string, file: File, connection?: string, signal?: AbortSignal) {
  const form = new FormData();
  if (connection) form.append("connection_id", connection);
  form.append("file", file, file.name);
  return postForm("/api/v1/workspaces/{workspace}/media", { path: { workspace }, form, signal });
}

/** What to say about a refused upload: the server's words about the file, after its name. */
export function uploadRefusal(name: string, err: unknown): unknown {
  const fields = err instanceof ApiError ? err.fields : {};
  if (fields.file) return `${name} ${fields.file}`;
  if (fields.connection_id) return `The conversation's connection ${fields.connection_id}`;
  return err;
}
