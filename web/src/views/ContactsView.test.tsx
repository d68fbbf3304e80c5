import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Contact } from "../api/types";
import { mockApi } from "../test/fakes";
import { fakeWorkspace, renderInWorkspace } from "../test/workspace";
import { ContactsView } from "./ContactsView";

afterEach(() => vi.unstubAllGlobals());

const base = "/api/v1/workspaces/demo";
const T0 = "2030-01-03T10:00:00Z";

function contact(p: Partial<Contact> = {}): Contact {
  return { id: "ct1", name: "Maya Patel", phone: "+15550100101", email: "", messenger_id: "", attributes: {}, opted_out: false, whatsapp_consent: false, created_at: T0, updated_at: T0, ...p };
}

describe("Contacts", () => {
  it("lists the groups with their counts, edits a contact and puts them in a group", async () => {
    const maya = contact();
    const { calls } = mockApi({
      [`GET ${base}/contact-groups`]: { body: { items: [{ id: "g1", name: "VIP", members: 3, created_at: T0, updated_at: T0 }], next_cursor: "" } },
      [`GET ${base}/contacts`]: { body: { items: [maya, contact({ id: "ct2", name: "Tom Becker", phone: "+15550100102", opted_out: true })], next_cursor: "" } },
      [`GET ${base}/contacts/ct1`]: { body: maya },
      [`PATCH ${base}/contacts/ct1`]: (c) => ({ body: { ...maya, ...(c.body as object) } }),
      [`POST ${base}/contact-groups/g1/members`]: { body: { id: "g1", name: "VIP", members: 4, created_at: T0, updated_at: T0 } },
    });
    renderInWorkspace(<ContactsView contact="ct1" />, fakeWorkspace());
    const rail = screen.getByRole("navigation", { name: "Contact groups" });
    expect((await within(rail).findByText("VIP")).closest("a")?.textContent).toBe("VIP3");
    const list = await screen.findByRole("list", { name: "Contact list" });
    expect(within(list).getByText(/opted out/).closest("li")?.textContent).toContain("Tom Becker");

    const card = await screen.findByRole("region", { name: "Contact Maya Patel" });
    const email = within(card).getByLabelText("Email");
    await userEvent.type(email, "maya@example.com");
    await userEvent.type(within(card).getByLabelText("Custom attributes"), "tier=gold");
    await userEvent.click(within(card).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(calls.find((c) => c.method === "PATCH")?.body).toEqual({
      name: "Maya Patel",
      email: "maya@example.com",
      attributes: { tier: "gold" },
      opted_out: false,
      whatsapp_consent: false,
    });

    await userEvent.selectOptions(within(card).getByLabelText("Add to group"), "g1");
    await userEvent.click(within(card).getByRole("button", { name: "Add" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ contact_ids: ["ct1"] }));
  });

  it("lets viewers read without editing", async () => {
    mockApi({
      [`GET ${base}/contact-groups`]: { body: { items: [], next_cursor: "" } },
      [`GET ${base}/contacts`]: { body: { items: [contact()], next_cursor: "" } },
      [`GET ${base}/contacts/ct1`]: { body: contact() },
    });
    renderInWorkspace(<ContactsView contact="ct1" />, fakeWorkspace({ role: "viewer", permissions: ["contacts:read", "conversations:read"] }));
    const card = await screen.findByRole("region", { name: "Contact Maya Patel" });
    expect(within(card).queryByRole("button", { name: "Save" })).toBeNull();
    expect(within(card).getByLabelText("Name").matches(":disabled")).toBe(true);
    expect(screen.queryByRole("button", { name: /New group/ })).toBeNull();
  });
});
