import { fireEvent, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { message } from "../test/fakes";
import { renderInWorkspace } from "../test/workspace";
import { groupCopies, Thread } from "./Thread";

const now = new Date(2030, 0, 3, 12, 0);
const local = (d: number, h: number) => new Date(2030, 0, d, h, 0).toISOString();

describe("Thread", () => {
  it("shows a customer's picture and voice note through the API, and ours as the link we sent", () => {
    const media = (id: string, direction: "in" | "out", mime_type: string, url: string) =>
      message({ id, conversation_id: "c1", direction, type: "media", body: "", content: { media: { url, mime_type } } });
    renderInWorkspace(
      <Thread
        now={now}
        messages={[
          media("in1", "in", "image/jpeg", "https://graph.facebook.com/v21.0/MEDIA1"),
          media("in2", "in", "audio/ogg", "https://graph.facebook.com/v21.0/MEDIA2"),
          media("in3", "in", "image/svg+xml", "https://graph.facebook.com/v21.0/MEDIA3"),
          media("out1", "out", "image/png", "https://cdn.example.com/menu.png"),
        ]}
      />,
    );
    const proxy = (id: string) => `/api/v1/workspaces/demo/conversations/c1/messages/${id}/media`;
    expect(screen.getByRole("img", { name: "Picture from the customer" }).getAttribute("src")).toBe(proxy("in1"));
    expect(screen.getByLabelText("Voice message from the customer").getAttribute("src")).toBe(proxy("in2"));
    // Not a picture a browser may render from a customer: a download.
    expect(screen.getByRole("link", { name: "image/svg+xml" }).getAttribute("href")).toBe(proxy("in3"));
    expect(screen.getByRole("link", { name: "image/png" }).getAttribute("href")).toBe("https://cdn.example.com/menu.png");
    expect(document.body.innerHTML).not.toContain("graph.facebook.com");
    // A voice note that cannot be played (a format this browser lacks, or gone) says
    // so and offers the file instead of a dead player.
    fireEvent.error(screen.getByLabelText("Voice message from the customer"));
    expect(screen.getByText(/This media cannot be shown here/)).toBeTruthy();
    expect(screen.getByRole("link", { name: "Download audio/ogg" }).getAttribute("href")).toBe(proxy("in2"));
  });

  it("shows a file an agent uploaded through the API, as it does a customer's", () => {
    const uploaded = (id: string, mime_type: string, filename: string, caption?: string) =>
      message({
        id,
        conversation_id: "c1",
        direction: "out",
        type: "media",
        body: caption ?? "",
        content: { media_file: `file-${id}`, media: { url: "", mime_type, filename, caption } },
      });
    renderInWorkspace(
      <Thread
        now={now}
        messages={[
          uploaded("out1", "image/png", "menu.png", "Today's menu"),
          uploaded("out2", "application/pdf", "price-list.pdf"),
          uploaded("out3", "video/mp4", "tour.mp4"),
          message({ id: "out4", direction: "out", type: "media", body: "", content: { media: { url: "https://cdn.example.com/menu.png", mime_type: "image/png" } } }),
        ]}
      />,
    );
    const route = (id: string) => `/api/v1/workspaces/demo/conversations/c1/messages/${id}/media`;
    expect(screen.getByRole("img", { name: "Today's menu" }).getAttribute("src")).toBe(route("out1"));
    const doc = screen.getByRole("link", { name: "price-list.pdf" });
    expect(doc.getAttribute("href")).toBe(route("out2"));
    expect(doc.getAttribute("download")).toBe("price-list.pdf");
    expect(screen.getByLabelText("tour.mp4").getAttribute("src")).toBe(route("out3"));
    // Sent as a link, without an upload: still the link.
    expect(screen.getByRole("link", { name: "image/png" }).getAttribute("href")).toBe("https://cdn.example.com/menu.png");
  });

  it("puts a day separator before each day's first message", () => {
    const msgs = [
      message({ id: "a", direction: "in", body: "older", created_at: local(2, 9) }),
      message({ id: "b", direction: "out", body: "same day", created_at: local(2, 10) }),
      message({ id: "c", direction: "in", body: "today", created_at: local(3, 8) }),
    ];
    render(<Thread messages={msgs} now={now} />);
    const items = within(screen.getByRole("list", { name: "Messages" }))
      .getAllByRole("listitem")
      .map((li) => li.textContent);
    expect(items[0]).toBe("Yesterday");
    expect(items[1]).toContain("older");
    expect(items[2]).toContain("same day");
    expect(items[3]).toBe("Today");
    expect(items[4]).toContain("today");
  });

  it("shows customers' messages on the left, ours on the right with ticks, notes apart", () => {
    const { container } = render(
      <Thread
        now={now}
        messages={[
          message({ id: "a", direction: "in", body: "question", created_at: local(3, 8) }),
          message({ id: "b", direction: "out", body: "answer", status: "delivered", created_at: local(3, 9), author_id: "u1" }),
          message({ id: "c", direction: "note", type: "note", body: "call back later", created_at: local(3, 10), author_id: "u1" }),
        ]}
        authorName={(id) => (id === "u1" ? "Ada Admin" : undefined)}
      />,
    );
    expect(container.querySelector(".thread-in .msg-in")?.textContent).toContain("question");
    const out = container.querySelector(".thread-out .msg-out")!;
    expect(out.textContent).toContain("Ada Admin");
    expect(within(out as HTMLElement).getByRole("img", { name: "Delivered" })).toBeTruthy();
    expect(container.querySelector(".msg-in [data-status]")).toBeNull();
    expect(container.querySelector(".msg-note")?.textContent).toContain("Internal note · Ada Admin");
  });

  it("signs a note without an author as Switchboard's own, and names no one else it does not know", () => {
    const { container } = render(
      <Thread
        now={now}
        messages={[
          message({ id: "a", direction: "note", type: "note", body: "Resolved automatically after 1 hour without a message.", created_at: local(3, 8) }),
          message({ id: "b", direction: "note", type: "note", body: "checked the order", created_at: local(3, 9), author_id: "u1" }),
          // A member who left: their name is not known, and it is not Switchboard's.
          message({ id: "c", direction: "note", type: "note", body: "old note", created_at: local(3, 10), author_id: "u9" }),
          message({ id: "d", direction: "out", body: "sent by an integration", created_at: local(3, 11) }),
        ]}
        authorName={(id) => (id === "u1" ? "Ada Admin" : undefined)}
      />,
    );
    const author = (id: string) => container.querySelector(`[data-message-id="${id}"] .msg-author`)?.textContent;
    expect(author("a")).toBe("Internal note · Switchboard");
    expect(author("b")).toBe("Internal note · Ada Admin");
    expect(author("c")).toBe("Internal note");
    expect(author("d")).toBeUndefined();
  });

  it("offers Retry on a failed message and Send now / Cancel on a scheduled one", async () => {
    const retry = vi.fn();
    const cancel = vi.fn();
    const failed = message({ id: "f", status: "failed", reason: "Out of message credits", created_at: local(3, 8) });
    const later = message({ id: "s", status: "scheduled", scheduled_at: local(4, 8), created_at: local(3, 9) });
    render(<Thread now={now} messages={[failed, later]} actions={{ retry, cancel, sendNow: vi.fn() }} />);
    await userEvent.click(screen.getByRole("button", { name: "Retry" }));
    expect(retry).toHaveBeenCalledWith(failed);
    expect(screen.getByRole("button", { name: "Send now" })).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(cancel).toHaveBeenCalledWith(later);
  });

  it("says why a message waits and when it goes: held outside business hours", () => {
    const why = "Outside business hours: goes Mon 7 Dec 09:00 CET";
    const held = message({ id: "h", status: "scheduled", scheduled_at: local(4, 9), created_at: local(3, 22), reason: why, body: "See you tomorrow" });
    const chosen = message({ id: "s", status: "scheduled", scheduled_at: local(5, 8), created_at: local(3, 23), body: "Reminder" });
    const { container } = render(<Thread now={now} messages={[held, chosen]} actions={{ sendNow: vi.fn(), cancel: vi.fn() }} />);
    const bubble = container.querySelector<HTMLElement>('[data-message-id="h"]')!;
    const clock = within(bubble).getByRole("button", { name: `Scheduled: ${why}` });
    expect(clock.getAttribute("title")).toBe(why);
    const tip = within(bubble).getByRole("tooltip");
    expect(tip.textContent).toBe(why);
    expect(clock.getAttribute("aria-describedby")).toBe(tip.id);
    // It can still go at once, or not at all.
    expect(within(bubble).getByRole("button", { name: "Send now" })).toBeTruthy();
    expect(within(bubble).getByRole("button", { name: "Cancel" })).toBeTruthy();
    // A message scheduled for a chosen time has no reason to give: just its clock.
    const other = container.querySelector<HTMLElement>('[data-message-id="s"]')!;
    expect(within(other).getByRole("img", { name: "Scheduled" })).toBeTruthy();
    expect(within(other).queryByRole("tooltip")).toBeNull();
  });

  it("shows a template message's name and the values it was sent with, positional, named or the header's", () => {
    const { container } = render(
      <Thread
        now={now}
        messages={[
          message({ id: "a", type: "template", body: "", content: { template: { name: "order_update", language: "en_US", body: ["Maya", "#1042"] } }, created_at: local(3, 8) }),
          message({ id: "b", type: "template", body: "", content: { template: { name: "welcome_offer", language: "de", named: { first_name: "Lena" } } }, created_at: local(3, 9) }),
          message({
            id: "c",
            type: "template",
            body: "",
            content: { template: { name: "delivery_slot", language: "en_US", body: ["Maya"], header_text: "#2077" } },
            created_at: local(3, 10),
          }),
        ]}
      />,
    );
    const shown = Array.from(container.querySelectorAll(".msg-template")).map((p) => p.textContent);
    expect(shown).toEqual([
      "Template order_update (en_US) · Maya, #1042",
      "Template welcome_offer (de) · first_name: Lena",
      "Template delivery_slot (en_US) · header: #2077, Maya",
    ]);
  });
});

describe("a send to several recipients", () => {
  it("is one bubble saying how its copies fared", () => {
    const copy = (id: string, contact: string, status: string) =>
      message({ id, send_id: "s1", contact_id: contact, body: "Doors open at 9", status, created_at: local(3, 9) });
    const { container } = render(
      <Thread now={now} messages={[copy("s1", "a", "read"), copy("s2", "b", "sent"), copy("s3", "c", "failed"), message({ id: "z", body: "later", created_at: local(3, 10) })]} />,
    );
    const bubbles = container.querySelectorAll(".msg");
    expect(bubbles).toHaveLength(2);
    expect(bubbles[0].textContent).toContain("Doors open at 9");
    expect(bubbles[0].querySelector(".msg-copies")?.textContent).toBe("To 3 recipients · 1 Read · 1 Sent · 1 Failed");
    expect(bubbles[0].querySelector("[data-status]")).toBeNull();
  });

  it("says why copies failed or wait, each reason once with its count", () => {
    const copy = (id: string, status: string, reason: string) =>
      message({ id, send_id: "s1", contact_id: id, body: "Sale starts", status, reason, created_at: local(3, 9) });
    const { container } = render(
      <Thread
        now={now}
        messages={[
          copy("s1", "sent", ""),
          copy("s2", "failed", "The customer opted out"),
          copy("s3", "failed", "The customer opted out"),
          copy("s4", "failed", "Out of message credits"),
        ]}
      />,
    );
    const reasons = Array.from(container.querySelectorAll(".msg-copies-reasons li")).map((li) => li.textContent);
    expect(reasons).toEqual(["2 Failed: The customer opted out", "1 Failed: Out of message credits"]);
  });

  it("offers Reply on a customer's message, named after them", async () => {
    const reply = vi.fn();
    const theirs = message({ id: "i", direction: "in", contact_id: "ben", body: "parking?", status: "received", created_at: local(3, 9) });
    render(<Thread now={now} messages={[theirs]} senderName={(id) => (id === "ben" ? "Ben" : undefined)} actions={{ reply }} />);
    expect(screen.getByText("Ben")).toBeTruthy();
    await userEvent.click(screen.getByRole("button", { name: "Reply" }));
    expect(reply).toHaveBeenCalledWith(theirs);
  });
});

describe("a message's text", () => {
  it("shows WhatsApp's formatting as the customer sees it, line breaks kept", () => {
    const theirs = message({ id: "i", direction: "in", body: "Is it *ready*?\n_Thanks_ ~Ben~", status: "received", created_at: local(3, 9) });
    const ours = message({ id: "o", body: "Use `WELCOME10`, or type ```STOP```", created_at: local(3, 10) });
    render(<Thread now={now} messages={[theirs, ours]} />);
    const [inText, outText] = Array.from(document.querySelectorAll(".msg-text"));
    expect(inText.querySelector("strong")?.textContent).toBe("ready");
    expect(inText.querySelector("em")?.textContent).toBe("Thanks");
    expect(inText.querySelector("s")?.textContent).toBe("Ben");
    // The markers that took effect are gone; the line break is still there.
    expect(inText.textContent).toBe("Is it ready?\nThanks Ben");
    expect(Array.from(outText.querySelectorAll("code")).map((c) => c.textContent)).toEqual(["WELCOME10", "STOP"]);
  });

  it("keeps markers that format nothing as typed, and never reads the text as markup", () => {
    const body = "2*3*4 = 24, *not closed, <b>not bold</b> & `*as typed*`";
    render(<Thread now={now} messages={[message({ body })]} />);
    const text = document.querySelector(".msg-text")!;
    expect(text.querySelector("b")).toBeNull();
    expect(text.querySelector("strong")).toBeNull();
    expect(text.querySelector("code")?.textContent).toBe("*as typed*");
    expect(text.textContent).toBe("2*3*4 = 24, *not closed, <b>not bold</b> & *as typed*");
  });
});

describe("groupCopies", () => {
  it("keeps every message once, a send's copies under its first", () => {
    const items = groupCopies([
      message({ id: "a" }),
      message({ id: "s2", send_id: "s1" }),
      message({ id: "s1", send_id: "s1" }),
      message({ id: "b" }),
    ]);
    expect(items.map((i) => [i.m.id, i.copies?.length ?? 0])).toEqual([
      ["a", 0],
      ["s1", 2],
      ["b", 0],
    ]);
  });
});
