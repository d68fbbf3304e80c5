import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi } from "../test/fakes";
import { ApiError, buildPath, call, onUnauthorized, postForm, uploadMedia, uploadRefusal } from "./client";

afterEach(() => vi.unstubAllGlobals());

describe("call", () => {
  it("sends the session's CSRF token on changes, not on reads", async () => {
    document.cookie = "sb_csrf=tok%2Fen";
    const api = mockApi({
      "GET /api/v1/workspaces/demo/members": { body: { items: [], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/invitations": { status: 201, body: { token: "t" } },
    });
    await call("get", "/api/v1/workspaces/{workspace}/members", { path: { workspace: "demo" } });
    await call("post", "/api/v1/workspaces/{workspace}/invitations", { path: { workspace: "demo" }, body: { email: "a@b.c", role: "agent" } });
    expect(api.calls[0].headers["X-CSRF-Token"]).toBeUndefined();
    expect(api.calls[1].headers["X-CSRF-Token"]).toBe("tok/en");
    expect(api.calls[1].headers["Content-Type"]).toBe("application/json");
    expect(api.calls[1].body).toEqual({ email: "a@b.c", role: "agent" });
  });

  it("posts a form as multipart, with the CSRF token and the browser's own Content-Type", async () => {
    document.cookie = "sb_csrf=tok";
    const stored = { id: "f1", filename: "a.pdf", mime_type: "application/pdf", size: 3, sha256: "x", created_at: "2030-01-02T10:00:00Z" };
    const api = mockApi({ "POST /api/v1/workspaces/demo/media": { status: 201, body: stored } });
    const form = new FormData();
    form.append("file", new File(["%PD"], "a.pdf", { type: "application/pdf" }));
    await expect(postForm("/api/v1/workspaces/{workspace}/media", { path: { workspace: "demo" }, form })).resolves.toEqual(stored);
    expect(api.calls[0].body).toBe(form);
    expect(api.calls[0].headers["X-CSRF-Token"]).toBe("tok");
    expect(api.calls[0].headers["Content-Type"]).toBeUndefined();
  });

  it("uploads a file to the workspace's media, with the connection whose limits apply", async () => {
    const stored = { id: "f1", filename: "a.pdf", mime_type: "application/pdf", size: 3, sha256: "x", created_at: "2030-01-02T10:00:00Z" };
    const api = mockApi({ "POST /api/v1/workspaces/demo/media": { status: 201, body: stored } });
    const file = new File(["%PD"], "a.pdf", { type: "application/pdf" });
    await expect(uploadMedia("demo", file, "conn1")).resolves.toEqual(stored);
    await uploadMedia("demo", file);
    const [withConn, without] = api.calls.map((c) => c.body as FormData);
    expect((withConn.get("file") as File).name).toBe("a.pdf");
    expect(withConn.get("connection_id")).toBe("conn1");
    expect(without.has("connection_id")).toBe(false);
  });

  it("says why an upload was refused: the file's fault after its name, else the connection's, else as is", () => {
    const refused = (fields: Record<string, string>) => new ApiError(422, { code: "validation_failed", message: "validation failed", fields });
    expect(uploadRefusal("a.pdf", refused({ file: "is empty" }))).toBe("a.pdf is empty");
    expect(uploadRefusal("a.pdf", refused({ connection_id: "is disabled" }))).toBe("The conversation's connection is disabled");
    const other = new ApiError(403, { code: "forbidden", message: "no" });
    expect(uploadRefusal("a.pdf", other)).toBe(other);
  });

  it("turns an error answer into an ApiError with the server's words and fields", async () => {
    mockApi({
      "POST /api/v1/auth/signup": { status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: { email: "is not a valid email address" } } } },
    });
    const err = await call("post", "/api/v1/auth/signup", { body: { email: "x", password: "p", name: "n", workspace_name: "w" } }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.message).toBe("validation failed");
    expect(err.fields).toEqual({ email: "is not a valid email address" });
  });

  it("tells the app when the session is gone", async () => {
    mockApi({ "GET /api/v1/me": { status: 401, body: { error: { code: "unauthenticated", message: "sign in first" } } } });
    const gone = vi.fn();
    const off = onUnauthorized(gone);
    await expect(call("get", "/api/v1/me")).rejects.toThrow("sign in first");
    off();
    expect(gone).toHaveBeenCalledOnce();
  });

  it("answers 204 with nothing", async () => {
    mockApi({ "POST /api/v1/auth/logout": { status: 204 } });
    await expect(call("post", "/api/v1/auth/logout")).resolves.toBeUndefined();
  });
});

describe("buildPath", () => {
  it("escapes path parameters and leaves out empty query values", () => {
    expect(buildPath("/api/v1/workspaces/{workspace}/conversations/{conversation}", { workspace: "a b", conversation: "c/1" }, { q: "x&y", pill: "", limit: 50, archived: undefined })).toBe(
      "/api/v1/workspaces/a%20b/conversations/c%2F1?q=x%26y&limit=50",
    );
    expect(() => buildPath("/api/v1/workspaces/{workspace}", {})).toThrow("missing path parameter workspace");
  });
});
