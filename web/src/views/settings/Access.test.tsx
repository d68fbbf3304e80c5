import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi } from "../../test/fakes";
import { connection, fakeWorkspace, renderInWorkspace } from "../../test/workspace";
import { Access } from "./Access";

const RULES = "GET /api/v1/workspaces/demo/access-rules";
const SET = "PUT /api/v1/workspaces/demo/access-rules";
const open = (role: string) => ({ role, mode: "all", unassigned: false, connection_ids: [], updated_at: "2030-01-01T00:00:00Z" });

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Access", () => {
  it("sets a role to Match assignee with the queue and one inbox, and sends exactly that", async () => {
    const { calls } = mockApi({
      [RULES]: { body: { items: [open("manager"), open("agent"), open("viewer")], next_cursor: "" } },
      [SET]: (c) => ({ body: { ...(c.body as object), updated_at: "2030-01-02T00:00:00Z" } }),
    });
    const sales = connection({ id: "conn2", display_name: "Sales", address: "+15550000002" });
    renderInWorkspace(<Access />, fakeWorkspace({ connections: [connection(), sales] }));
    const agents = await screen.findByRole("form", { name: "Agents" });
    expect(within(agents).queryByLabelText(/unassigned/)).toBeNull(); // only with Match assignee
    await userEvent.selectOptions(within(agents).getByLabelText("Sees"), "assignee");
    await userEvent.click(within(agents).getByLabelText(/unassigned/));
    await userEvent.click(within(agents).getByLabelText(/Sales/));
    await userEvent.click(within(agents).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PUT")).toBe(true));
    expect(calls.find((c) => c.method === "PUT")!.body).toEqual({ role: "agent", mode: "assignee", unassigned: true, connection_ids: ["conn2"] });
  });

  it("shows what the server says is wrong, by field", async () => {
    mockApi({
      [RULES]: { body: { items: [open("manager"), open("agent"), open("viewer")], next_cursor: "" } },
      [SET]: { status: 422, body: { error: { code: "validation_failed", message: "validation failed", fields: { connection_ids: '"conn9" is not a connection of this workspace' } } } },
    });
    renderInWorkspace(<Access />, fakeWorkspace());
    const viewers = await screen.findByRole("form", { name: "Viewers" });
    await userEvent.click(within(viewers).getByRole("button", { name: "Save" }));
    expect(await within(viewers).findByText('"conn9" is not a connection of this workspace')).toBeTruthy();
  });
});
