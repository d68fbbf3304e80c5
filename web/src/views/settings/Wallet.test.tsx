import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { mockApi } from "../../test/fakes";
import { fakeWorkspace, renderInWorkspace } from "../../test/workspace";
import { Wallet } from "./Wallet";

const WALLET = "GET /api/v1/workspaces/demo/wallet";
const PATCH = "PATCH /api/v1/workspaces/demo/wallet";
const PACKS = "GET /api/v1/workspaces/demo/wallet/packs";
const pack = (code: string, name: string, credits: number) => ({ id: code, code, name, credits, price_cents: credits * 2, currency: "usd", active: true });
const wallet = (auto: { pack: string; card: string; paused: string }) => ({
  balance: 40, low_balance_threshold: 50, low: true, low_balance_alerted_at: "2030-01-01T00:00:00Z", auto_recharge: auto,
});

afterEach(() => vi.unstubAllGlobals());

describe("Settings → Wallet", () => {
  it("says the balance is low and why auto-recharge paused, and resumes it with the chosen pack", async () => {
    let current = wallet({ pack: "small", card: "visa •••• 4242", paused: "the card was not charged: Your card was declined" });
    const { calls } = mockApi({
      [WALLET]: () => ({ body: current }),
      [PACKS]: { body: { items: [pack("small", "Small", 500), pack("large", "Large", 5000)], next_cursor: "" } },
      [PATCH]: (c) => {
        current = wallet({ pack: (c.body as { auto_recharge_pack: string }).auto_recharge_pack, card: "visa •••• 4242", paused: "" });
        return { body: current };
      },
      "GET /api/v1/workspaces/demo/wallet/ledger": { body: { items: [], next_cursor: "" } },
    });
    renderInWorkspace(<Wallet />, fakeWorkspace());
    expect((await screen.findByText(/at or below the low-balance alert level/)).textContent).toContain("50 credits");
    const section = screen.getByRole("region", { name: "Auto-recharge" });
    expect(within(section).getByText(/Auto-recharge is paused: the card was not charged: Your card was declined/)).toBeTruthy();
    await waitFor(() => expect(within(section).getByText(/Buys Small with visa •••• 4242 when the balance falls to 50 credits/)).toBeTruthy());
    await userEvent.selectOptions(within(section).getByLabelText("Pack to buy"), "large");
    await userEvent.click(within(section).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(calls.some((c) => c.method === "PATCH")).toBe(true));
    expect(calls.find((c) => c.method === "PATCH")!.body).toEqual({ auto_recharge_pack: "large" });
    await waitFor(() => expect(within(section).queryByText(/paused/)).toBeNull());
  });

  it("asks for a saved card before auto-recharge can be turned on, and top-ups can save one", async () => {
    const { calls } = mockApi({
      [WALLET]: { body: wallet({ pack: "", card: "", paused: "" }) },
      [PACKS]: { body: { items: [pack("small", "Small", 500)], next_cursor: "" } },
      "POST /api/v1/workspaces/demo/wallet/top-ups": { status: 201, body: { checkout_url: "https://checkout.test/x", session_id: "cs" } },
      "GET /api/v1/workspaces/demo/wallet/ledger": { body: { items: [], next_cursor: "" } },
    });
    const assign = vi.fn();
    vi.stubGlobal("location", { ...window.location, assign });
    renderInWorkspace(<Wallet />, fakeWorkspace());
    const section = await screen.findByRole("region", { name: "Auto-recharge" });
    expect(within(section).getByText(/Buy a pack with “Save the card for auto-recharge” ticked/)).toBeTruthy();
    expect(within(section).queryByLabelText("Pack to buy")).toBeNull();
    await userEvent.click(await screen.findByLabelText("Save the card for auto-recharge"));
    await userEvent.click(screen.getByRole("button", { name: "Buy" }));
    await waitFor(() => expect(assign).toHaveBeenCalledWith("https://checkout.test/x"));
    expect(calls.find((c) => c.method === "POST")!.body).toEqual({ pack: "small", save_card: true });
  });
});
