import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi } from "../../test/fakes";
import { AGENT, fakeWorkspace, MANAGER, renderInWorkspace } from "../../test/workspace";
import { CannedResponses } from "./CannedResponses";

const LIST = "GET /api/v1/workspaces/demo/canned-responses";
const CREATE = "POST /api/v1/workspaces/demo/canned-responses";
const one = (id: string, shortcut: string, title: string, category = "", body = `The ${title.toLowerCase()} text`) => ({
  id, shortcut, title, category, body, created_at: "2030-01-01T00:00:00Z", updated_at: "2030-01-01T00:00:00Z",
});

afterEach(() => vi.unstubAllGlobals());

const rows = () => screen.getAllByRole("row").slice(1).map((tr) => within(tr).getAllByRole("cell").slice(0, 3).map((td) => td.firstChild?.textContent));
const manager = () => fakeWorkspace({ permissions: MANAGER, role: "manager" });

describe("Settings → Canned responses", () => {
  it("lists them by shortcut with title and category, and finds them as the search is typed", async () => {
    mockApi({ [LIST]: { body: { items: [one("cr2", "thanks", "Thank you"), one("cr1", "hours", "Opening hours", "Info", "Open 9 to 5 {{first_name}}")], next_cursor: "" } } });
    renderInWorkspace(<CannedResponses />, manager());
    await screen.findByText("/hours");
    expect(rows()).toEqual([
      ["/hours", "Opening hours", "Info"],
      ["/thanks", "Thank you", "—"],
    ]);
    expect(screen.getByText("Open 9 to 5 {{first_name}}")).toBeTruthy(); // its first line under the title
    await userEvent.type(screen.getByLabelText("Search canned responses"), "9 to 5");
    expect(rows()).toEqual([["/hours", "Opening hours", "Info"]]);
    await userEvent.clear(screen.getByLabelText("Search canned responses"));
    await userEvent.type(screen.getByLabelText("Search canned responses"), "nothing like it");
    expect(screen.queryByRole("table")).toBeNull();
    expect(screen.getByText("No canned responses match")).toBeTruthy();
  });

  it("adds one with what was typed, and lists it", async () => {
    let items = [one("cr1", "hours", "Opening hours")];
    const { calls } = mockApi({
      [LIST]: () => ({ body: { items, next_cursor: "" } }),
      [CREATE]: (c) => {
        const made = { ...one("cr2", "", ""), ...(c.body as object) };
        items = [...items, made];
        return { status: 201, body: made };
      },
    });
    renderInWorkspace(<CannedResponses />, manager());
    await screen.findByText("/hours");
    await userEvent.click(screen.getByRole("button", { name: "Add canned response" }));
    const dialog = screen.getByRole("dialog", { name: "Add a canned response" });
    expect(within(dialog).getByText(/\{\{first_name\}\}, \{\{last_name\}\}, \{\{phone\}\}, \{\{email\}\}, \{\{agent_name\}\}/)).toBeTruthy();
    await userEvent.type(within(dialog).getByLabelText("Shortcut"), "thanks");
    await userEvent.type(within(dialog).getByLabelText("Title"), "Thank you");
    await userEvent.type(within(dialog).getByLabelText("Category"), "Closing");
    await userEvent.type(within(dialog).getByLabelText("Text"), "Thanks {{{{first_name}}, {{{{agent_name}} here.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ shortcut: "thanks", title: "Thank you", category: "Closing", body: "Thanks {{first_name}}, {{agent_name}} here." });
    await screen.findByText("/thanks");
    expect(rows()).toEqual([
      ["/hours", "Opening hours", "—"],
      ["/thanks", "Thank you", "Closing"],
    ]);
  });

  it("shows a shortcut another response has next to Shortcut, and keeps the dialog open", async () => {
    mockApi({
      [LIST]: { body: { items: [one("cr1", "hours", "Opening hours")], next_cursor: "" } },
      [CREATE]: {
        status: 409,
        body: { error: { code: "canned_shortcut_taken", message: "another canned response has this shortcut", fields: { shortcut: "is taken by another canned response" } } },
      },
    });
    renderInWorkspace(<CannedResponses />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Add canned response" }));
    const dialog = screen.getByRole("dialog", { name: "Add a canned response" });
    await userEvent.type(within(dialog).getByLabelText("Shortcut"), "hours");
    await userEvent.type(within(dialog).getByLabelText("Title"), "Hours again");
    await userEvent.type(within(dialog).getByLabelText("Text"), "We open at 9.");
    await userEvent.click(within(dialog).getByRole("button", { name: "Add" }));
    const shortcut = within(dialog).getByLabelText("Shortcut");
    await waitFor(() => expect(shortcut.getAttribute("aria-invalid")).toBe("true"));
    const said = shortcut.getAttribute("aria-describedby")!.split(" ").map((id) => document.getElementById(id)?.textContent);
    expect(said).toContain("is taken by another canned response");
    expect(within(dialog).getByLabelText("Title").getAttribute("aria-invalid")).toBeNull();
    expect(within(dialog).getByRole("alert").textContent).toBe("another canned response has this shortcut");
    expect((within(dialog).getByLabelText("Text") as HTMLTextAreaElement).value).toBe("We open at 9.");
  });

  it("sends only the fields an edit changed", async () => {
    const { calls } = mockApi({
      [LIST]: { body: { items: [one("cr1", "hours", "Opening hours", "Info")], next_cursor: "" } },
      "PATCH /api/v1/workspaces/demo/canned-responses/cr1": (c) => ({ body: { ...one("cr1", "hours", "Opening hours", "Info"), ...(c.body as object) } }),
    });
    renderInWorkspace(<CannedResponses />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Edit /hours" }));
    const dialog = screen.getByRole("dialog", { name: "Edit /hours" });
    expect((within(dialog).getByLabelText("Title") as HTMLInputElement).value).toBe("Opening hours");
    await userEvent.clear(within(dialog).getByLabelText("Category"));
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ category: "" });
  });

  it("deletes one after asking, and not when kept", async () => {
    let items = [one("cr1", "hours", "Opening hours"), one("cr2", "thanks", "Thank you")];
    const { calls } = mockApi({
      [LIST]: () => ({ body: { items, next_cursor: "" } }),
      "DELETE /api/v1/workspaces/demo/canned-responses/cr1": () => {
        items = items.filter((x) => x.id !== "cr1");
        return { status: 204 };
      },
    });
    renderInWorkspace(<CannedResponses />, manager());
    await userEvent.click(await screen.findByRole("button", { name: "Delete /hours" }));
    await userEvent.click(within(screen.getByRole("dialog", { name: "Delete /hours?" })).getByRole("button", { name: "Keep" }));
    expect(calls.some((c) => c.method === "DELETE")).toBe(false);
    expect(screen.getByText("/hours")).toBeTruthy();

    await userEvent.click(screen.getByRole("button", { name: "Delete /hours" }));
    const ask = screen.getByRole("dialog", { name: "Delete /hours?" });
    expect(ask.textContent).toContain("“Opening hours” goes for the whole team");
    await userEvent.click(within(ask).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(screen.queryByText("/hours")).toBeNull());
    expect(calls.filter((c) => c.method === "DELETE").map((c) => c.url)).toEqual(["/api/v1/workspaces/demo/canned-responses/cr1"]);
    expect(rows()).toEqual([["/thanks", "Thank you", "—"]]);
  });

  it("is a list to read for an agent, with nothing to add, edit or delete", async () => {
    mockApi({ [LIST]: { body: { items: [one("cr1", "hours", "Opening hours")], next_cursor: "" } } });
    renderInWorkspace(<CannedResponses />, fakeWorkspace({ permissions: AGENT, role: "agent" }));
    await screen.findByText("/hours");
    expect(screen.queryByRole("button")).toBeNull();
    expect(screen.getAllByRole("columnheader").map((th) => th.textContent)).toEqual(["Shortcut", "Title", "Category"]);
  });
});
