// The browser app end to end, in headless Chromium, against a real switchboard with
// the demo workspace and its simulated WhatsApp customer. Screenshots of every view
// are left in E2E_ARTIFACTS (.tmp/e2e).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import { apiSession, customerWrites, OPERATOR, shot, signIn, start, watchStatuses } from "./harness.mjs";

const T = 20_000;
let env;

before(async () => {
  env = await start();
});

after(async () => {
  await env?.stop();
});

/** A PNG of one colour, width × height. */
function solidPNG(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "ascii");
    data.copy(out, 8);
    out.writeUInt32BE(crc32(Buffer.concat([Buffer.from(type, "ascii"), data])), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
  return Buffer.concat([Buffer.from("\x89PNG\r\n\x1a\n", "latin1"), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

/** Fails with the page's URL and a screenshot when fn does. */
async function onPage(name, fn) {
  const ctx = await env.context();
  const page = await ctx.newPage();
  page.setDefaultTimeout(T);
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await fn(page);
    assert.deepEqual(errors, [], "the page threw");
  } catch (err) {
    await shot(page, `FAILED-${name}`).catch(() => undefined);
    err.message += ` (at ${page.url()})`;
    throw err;
  } finally {
    await ctx.close();
  }
}

describe("sign-in", () => {
  it("shows the server's error message as the server words it", async () => {
    const r = await fetch(`${env.base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: "viewer@demo.local", password: "not the password" }),
    });
    const want = (await r.json()).error.message;
    await onPage("signin-error", async (page) => {
      await page.goto(`${env.base}/`);
      await page.waitForURL(/\/signin/);
      await shot(page, "01-sign-in");
      await page.getByLabel("Email").fill("viewer@demo.local");
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.waitFor();
      assert.equal((await alert.textContent()).trim(), want);
    });
  });
});

describe("admin on the demo WhatsApp", () => {
  it("sends, sees ✓ then ✓✓ then blue ✓✓, and the customer's reply arrives without a reload", async () => {
    await onPage("admin-send", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("list", { name: "Conversations" }).getByText("Maya Patel").click();
      const thread = page.getByRole("list", { name: "Messages" });
      await thread.waitFor();
      const inbound = await page.locator(".msg-in").count();
      await page.evaluate(() => (window.__sameDocument = true));

      const text = `Your parcel left the warehouse, shall I send the tracking link? (${Date.now()})`;
      const statuses = await watchStatuses(page, text);
      const box = page.getByLabel("Message", { exact: true });
      await box.fill(text);
      await box.press("Enter");
      const bubble = page.locator(".msg-out", { hasText: text });
      await bubble.waitFor();
      assert.equal(await box.inputValue(), "", "the composer is cleared after Enter");

      await bubble.locator('[data-status="sent"]').waitFor();
      await bubble.locator('[data-status="delivered"]').waitFor();
      await bubble.locator('[data-status="read"]').waitFor();
      await shot(page, "02-chat-read-ticks");
      const seen = (await statuses.seen()).filter((s) => ["sent", "delivered", "read"].includes(s));
      assert.deepEqual(seen, ["sent", "delivered", "read"], "ticks in order");
      assert.equal(await bubble.getByRole("img", { name: "Read" }).count(), 1);

      await page.waitForFunction((n) => document.querySelectorAll(".msg-in").length > n, inbound, { timeout: T });
      assert.equal(await page.evaluate(() => window.__sameDocument), true, "no reload happened");
      await shot(page, "03-chat-reply");

      // The rail's counts are live: this conversation is now "Sent".
      const sent = page.locator('.rail-item[data-view="sent"] .count');
      await page.waitForFunction((el) => Number(el.textContent) >= 1, await sent.elementHandle());
    });
  });

  it("attaches a picture: uploaded, previewed, sent by file id, fetched by the simulated Cloud API through its signed link, and shown in the thread", async () => {
    await onPage("admin-attach", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("list", { name: "Conversations" }).getByText("Maya Patel").click();
      await page.getByRole("list", { name: "Messages" }).waitFor();
      // A real picture: the server checks the content is what the name says.
      const png = solidPNG(240, 160, [46, 125, 50]);
      await page.locator('.composer input[type="file"]').setInputFiles({ name: "shelf.png", mimeType: "image/png", buffer: png });
      const chip = page.getByRole("group", { name: "Attachment" });
      await chip.getByText("shelf.png").waitFor();
      await page.waitForFunction(() => !document.querySelector(".attachment-uploading"));
      const caption = `The shelf you asked about (${Date.now()})`;
      await page.getByLabel("Message", { exact: true }).fill(caption);
      await shot(page, "02b-chat-attachment");
      await page.getByRole("button", { name: "Send", exact: true }).click();
      await chip.waitFor({ state: "detached" });

      const bubble = page.locator(".msg-out", { hasText: caption });
      const picture = bubble.getByRole("img", { name: caption });
      await picture.waitFor();
      assert.match(await picture.getAttribute("src"), /\/messages\/[^/]+\/media$/, "shown from the server, not a provider link");
      await page.waitForFunction((img) => img.complete && img.naturalWidth === 240, await picture.elementHandle());
      // Delivered: the simulated Cloud API fetched the picture through the link the send gave it.
      await bubble.locator('[data-status="delivered"], [data-status="read"]').first().waitFor();
      await shot(page, "02c-chat-picture-sent");
    });
  });

  it("reacts to, pins and deletes a message, and all of it is still so after a reload", async () => {
    await onPage("admin-message-actions", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("list", { name: "Conversations" }).getByText("Maya Patel").click();
      const text = `Pin me (${Date.now()})`;
      const box = page.getByLabel("Message", { exact: true });
      await box.fill(text);
      await box.press("Enter");
      const bubble = page.locator(".msg-out", { hasText: text });
      await bubble.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').first().waitFor();

      const menu = async () => {
        await bubble.hover();
        await bubble.getByRole("button", { name: "Message actions" }).click();
      };
      await menu();
      await page.getByRole("menuitemradio", { name: "React 👍" }).click();
      await bubble.getByRole("img", { name: "Reaction 👍" }).waitFor();
      await menu();
      await page.getByRole("menuitem", { name: "Pin" }).click();
      await page.getByRole("region", { name: "Pinned messages" }).getByText(text).waitFor();
      await shot(page, "03b-message-actions");

      await page.reload();
      const again = page.locator(".msg-out", { hasText: text });
      await again.getByRole("img", { name: "Reaction 👍" }).waitFor();
      await again.getByRole("img", { name: "Pinned" }).waitFor();

      const id = await again.getAttribute("data-message-id");
      await again.hover();
      await again.getByRole("button", { name: "Message actions" }).click();
      await page.getByRole("menuitem", { name: "Delete…" }).click();
      await page.getByRole("dialog", { name: "Delete message?" }).getByRole("button", { name: "Delete" }).click();
      const deleted = page.locator(`[data-message-id="${id}"]`);
      await deleted.getByText("This message was deleted").waitFor();
      await page.reload();
      await page.locator(`[data-message-id="${id}"]`).getByText("This message was deleted").waitFor();
      assert.equal(await page.getByText(text).count(), 0, "the deleted text is gone from the page");
      assert.equal(await page.getByRole("region", { name: "Pinned messages" }).getByText(text).count(), 0, "a deleted message is unpinned");
    });
  });

  it("writes bold and an emoji, shares a location, and schedules a message from the composer", async () => {
    await onPage("admin-composer-tools", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("list", { name: "Conversations" }).getByText("Maya Patel").click();
      await page.getByRole("list", { name: "Messages" }).waitFor();
      const box = page.getByLabel("Message", { exact: true });

      const stamp = Date.now();
      await box.fill(`Your order ${stamp} is `);
      await box.press("ControlOrMeta+b");
      await box.pressSequentially("ready");
      await box.press("End");
      await page.getByRole("button", { name: "Insert emoji" }).click();
      await page.getByRole("dialog", { name: "Emoji" }).getByRole("button", { name: "Party popper" }).click();
      assert.equal(await box.inputValue(), `Your order ${stamp} is *ready*🎉`);
      await box.press("Enter");
      // The bubble shows WhatsApp's bold as bold, the asterisks gone.
      const bold = page.locator(".msg-out", { hasText: `Your order ${stamp} is ready🎉` });
      await bold.waitFor();
      assert.equal(await bold.locator("strong").textContent(), "ready");

      const place = `Head office ${stamp}`;
      await page.getByRole("button", { name: "More ways to send" }).click();
      await page.getByRole("menuitem", { name: "Share a location…" }).click();
      const where = page.getByRole("dialog", { name: "Share a location" });
      await where.getByLabel("Latitude").fill("95");
      await where.getByLabel("Longitude").fill("-0.1278");
      await where.getByRole("button", { name: "Send location" }).click();
      await where.getByText("must be between -90 and 90").waitFor();
      await where.getByLabel("Latitude").fill("51.5074");
      await where.getByLabel("Name").fill(place);
      await where.getByRole("button", { name: "Send location" }).click();
      await where.waitFor({ state: "detached" });
      const pin = page.locator(".msg-out", { hasText: place });
      await pin.getByText(`📍 ${place} (51.50740, -0.12780)`).waitFor();
      await pin.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').first().waitFor();

      const later = `Your table is booked for tonight (${stamp})`;
      await box.fill(later);
      await page.getByRole("button", { name: "More ways to send" }).click();
      await page.getByRole("menuitem", { name: "Schedule…" }).click();
      const when = page.getByRole("dialog", { name: "Schedule message" });
      // Ten minutes ahead, as the browser's own clock and zone write it.
      const at = await page.evaluate(() => {
        const d = new Date(Date.now() + 10 * 60 * 1000);
        return new Date(d.getTime() - d.getTimezoneOffset() * 60 * 1000).toISOString().slice(0, 16);
      });
      await when.getByLabel("Send at").fill(at);
      await shot(page, "03c-composer-schedule");
      await when.getByRole("button", { name: "Schedule" }).click();
      await when.waitFor({ state: "detached" });
      const held = page.locator(".msg-out", { hasText: later });
      await held.locator('[data-status="scheduled"]').waitFor();
      assert.equal(await box.inputValue(), "");
      // Not left to go out while the other tests run.
      await held.getByRole("button", { name: "Cancel" }).click();
      await held.locator('[data-status="cancelled"]').waitFor();
    });
  });

  it("shows the Team Inbox and the settings", async () => {
    await onPage("admin-views", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.getByRole("link", { name: "Team Inbox" }).click();
      await page.getByRole("heading", { name: "Team Inbox" }).waitFor();
      await shot(page, "04-team-inbox");
      await page.getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { name: "Members" }).waitFor();
      await page.getByRole("cell", { name: "agent@demo.local" }).waitFor();
      await shot(page, "05-settings-members");
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Connections" }).click();
      await page.getByRole("heading", { name: /Demo WhatsApp/ }).waitFor();
      await shot(page, "06-settings-connections");
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Wallet" }).click();
      await page.getByTestId("balance").waitFor();
      await page.getByRole("cell", { name: "Welcome credits of the demo workspace" }).waitFor();
      await shot(page, "07-settings-wallet");
      // Without Stripe the server says so; the page shows its words.
      await page.getByRole("link", { name: "Chat" }).click();
      await page.getByRole("button", { name: "New conversation" }).click();
      await page.getByRole("dialog", { name: "New conversation" }).waitFor();
      await shot(page, "08-compose-dialog");
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "detached" });
      // Dark theme.
      await page.getByRole("button", { name: /Switch to the (dark|light) theme/ }).click();
      await shot(page, "09-chat-other-theme");
    });
  });
});

describe("contacts", () => {
  it("adds a contact by hand, makes a group, puts the contact in it, and the group is offered when composing", async () => {
    await onPage("admin-contacts", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Contacts" }).click();
      await page.waitForURL(/\/w\/demo\/contacts/);
      const stamp = String(Date.now()).slice(-6);

      await page.getByRole("button", { name: "New contact" }).click();
      const add = page.getByRole("dialog", { name: "New contact" });
      await add.getByLabel("Name").fill(`Ivy ${stamp}`);
      await add.getByLabel("Phone").fill(`+1555020${stamp.slice(0, 4)}`);
      await add.getByRole("button", { name: "Add contact" }).click();
      const card = page.getByRole("region", { name: `Contact Ivy ${stamp}` });
      await card.waitFor();

      await page.getByRole("button", { name: "New group" }).click();
      const g = page.getByRole("dialog", { name: "New group" });
      await g.getByLabel("Name").fill(`Group ${stamp}`);
      await g.getByRole("button", { name: "Create group" }).click();
      await page.getByRole("heading", { name: `Group ${stamp}` }).waitFor();

      // Back to the contact: into the group it goes, and the rail counts it.
      await page.getByRole("link", { name: "All contacts" }).click();
      await page.getByRole("list", { name: "Contact list" }).getByText(`Ivy ${stamp}`).click();
      await card.getByLabel("Add to group").selectOption({ label: `Group ${stamp}` });
      await card.getByRole("button", { name: "Add" }).click();
      const rail = page.getByRole("navigation", { name: "Contact groups" });
      await rail.getByRole("link", { name: new RegExp(`Group ${stamp}\\s*1 members`) }).waitFor();
      await shot(page, "09-contacts");

      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Chat" }).click();
      await page.getByRole("button", { name: "New conversation" }).click();
      const compose = page.getByRole("dialog", { name: "New conversation" });
      const option = compose.getByLabel("Or a group").locator("option", { hasText: `Group ${stamp} (1)` });
      // The dialog loads the groups when it opens: wait for them rather than count at once.
      await option.waitFor({ state: "attached", timeout: 10000 }).catch(() => {});
      assert.equal(await option.count(), 1, "the group is offered with its member count");
    });
  });
});

describe("templates on the demo WhatsApp", () => {
  it("sends an approved template from the compose dialog, its parameters filled into the preview", async () => {
    await onPage("admin-template-compose", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("button", { name: "New conversation" }).click();
      const compose = page.getByRole("dialog", { name: "New conversation" });
      // A demo customer (consent recorded): the template goes out through the simulated Cloud API.
      await compose.getByLabel("To", { exact: true }).fill("+15550100103");
      await compose.getByLabel(/Send an approved template/).check();

      // The simulated Cloud API's approved templates, through the plugin.
      const select = compose.getByLabel("Template", { exact: true });
      await select.waitFor();
      assert.deepEqual((await select.locator("option").allTextContents()).sort(), [
        "delivery_slot (en_US) · utility",
        "login_code (en_US) · authentication",
        "order_update (en_US) · utility",
        "spring_sale (en_US) · marketing",
      ]);
      await select.selectOption("order_update|en_US");
      await compose.getByLabel("{{1}}").fill("Lina");
      await compose.getByLabel("{{2}}").fill("#5150");
      const preview = compose.getByRole("region", { name: "Preview" });
      assert.equal((await preview.textContent()).trim(), "Hi Lina, your order #5150 is on its way.");
      await shot(page, "08b-compose-template");
      await compose.getByRole("button", { name: "Send" }).click();

      const bubble = page.locator(".msg-out", { hasText: "order_update" });
      await bubble.waitFor();
      assert.match(await bubble.textContent(), /order_update \(en_US\) · Lina, #5150/);
      // The simulator checked the template's name, language and parameters, and delivered it.
      await bubble.locator('[data-status="delivered"], [data-status="read"]').first().waitFor();
    });
  });

  it("sends one template to two numbers as one conversation, a copy each through the simulated Cloud API", async () => {
    await onPage("admin-compose-several", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("button", { name: "New conversation" }).click();
      const compose = page.getByRole("dialog", { name: "New conversation" });
      const stamp = String(Date.now()).slice(-6);
      await compose.getByLabel("To", { exact: true }).fill(`+1555018${stamp.slice(0, 4)}, +1555019${stamp.slice(0, 4)}`);
      await compose.getByLabel("Conversation name", { exact: true }).fill(`Two of them ${stamp}`);
      await compose.getByLabel(/agreed to receive WhatsApp messages/).check();
      await compose.getByLabel(/Send an approved template/).check();
      const select = compose.getByLabel("Template", { exact: true });
      await select.waitFor();
      await select.selectOption("order_update|en_US");
      await compose.getByLabel("{{1}}").fill("friend");
      await compose.getByLabel("{{2}}").fill(`#${stamp}`);
      await compose.getByRole("button", { name: "Send" }).click();

      await page.getByRole("heading", { name: `Two of them ${stamp}` }).waitFor();
      const bubble = page.locator(".msg-out", { hasText: `#${stamp}` });
      await bubble.waitFor();
      assert.equal(await bubble.count(), 1, "one bubble for the send, not one per copy");
      // Both copies reach the simulated customer: the summary says so once they are delivered.
      await page.waitForFunction(
        () => /To 2 recipients · 2 (Delivered|Read)$/.test(document.querySelector(".msg-out .msg-copies")?.textContent ?? ""),
        null,
        { timeout: T },
      );
      await shot(page, "08c-compose-several");
    });
  });

  it("offers only templates in a conversation whose window is closed, and sends the one chosen", async () => {
    await onPage("admin-template-picker", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      await page.getByRole("button", { name: "New conversation" }).click();
      const compose = page.getByRole("dialog", { name: "New conversation" });
      await compose.getByLabel("To", { exact: true }).fill("+15550170042");
      await compose.getByLabel("Contact name").fill("Tara Template");
      await compose.getByRole("button", { name: "Open conversation" }).click();
      await page.getByRole("heading", { name: "Tara Template" }).waitFor();

      // The customer never wrote: the composer offers the approved templates only.
      const picker = page.getByRole("form", { name: "Send a template" });
      await picker.getByRole("note").waitFor();
      assert.equal(await page.getByLabel("Message", { exact: true }).count(), 0, "no free text while the window is closed");
      await picker.getByLabel("Template", { exact: true }).selectOption("login_code|en_US");
      // An authentication template's code starts as {{code}}: a fresh one each send,
      // the same in the body and the copy-code button.
      assert.equal(await picker.getByLabel("{{1}}").inputValue(), "{{code}}");
      await picker.getByLabel("Code to copy").fill("");
      assert.equal(await picker.getByRole("button", { name: "Send template" }).isDisabled(), true, "the copy code is still missing");
      await picker.getByLabel("Code to copy").fill("{{code}}");
      assert.equal((await picker.getByRole("region", { name: "Preview" }).locator(".template-body").textContent()).trim(), "{{code}} is your verification code.");
      await shot(page, "08c-template-picker");
      await picker.getByRole("button", { name: "Send template" }).click();

      const bubble = page.locator(".msg-out", { hasText: "login_code" });
      await bubble.waitFor();
      assert.match(await bubble.textContent(), /login_code \(en_US\) · \d{6}/, "sent with a code of its own");
      assert.equal(await picker.getByLabel("{{1}}").inputValue(), "{{code}}", "the picker starts again from the template's defaults");
      // A new number has no WhatsApp consent on record, so the platform does not send it; the reason is shown.
      await bubble.locator('[data-status="failed"]').waitFor();
      assert.equal(await bubble.getByRole("button", { name: /^Failed:/ }).getAttribute("aria-label"), "Failed: No WhatsApp consent is recorded for this contact");

      // With the customer's opt-in recorded at compose, the same template goes out and is delivered.
      await page.getByRole("button", { name: "New conversation" }).click();
      const again = page.getByRole("dialog", { name: "New conversation" });
      await again.getByLabel("To", { exact: true }).fill("+15550170043");
      await again.getByLabel("Contact name").fill("Omar Optin");
      await again.getByLabel(/agreed to receive WhatsApp messages/).check();
      await again.getByLabel(/Send an approved template/).check();
      await again.getByLabel("Template", { exact: true }).selectOption("login_code|en_US");
      await again.getByLabel("{{1}}").fill("271828");
      await again.getByLabel("Code to copy").fill("271828");
      await again.getByRole("button", { name: "Send" }).click();
      await page.getByRole("heading", { name: "Omar Optin" }).waitFor();
      const delivered = page.locator(".msg-out", { hasText: "271828" });
      await delivered.locator('[data-status="delivered"], [data-status="read"]').first().waitFor();
    });
  });
});

describe("business hours", () => {
  it("holds a reply written outside them, its clock saying until when, unless it is sent as urgent", async () => {
    const { time_zone: zone, enabled, days } = await env.admin.get("/api/v1/workspaces/demo/business-hours");
    assert.equal(enabled, false, "the demo workspace starts without business hours");
    // Open only on the day after tomorrow, in the workspace's zone: closed now, whatever the hour.
    const week = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    const today = new Intl.DateTimeFormat("en-US", { weekday: "long", timeZone: zone }).format(new Date());
    const openDay = week[(week.indexOf(today) + 2) % 7];
    await onPage("business-hours", async (page) => {
      await signIn(page, env.base, "admin@demo.local");
      await page.waitForURL(/\/w\/demo\/chat/);
      try {
        await page.getByRole("link", { name: "Settings" }).click();
        await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Business hours" }).click();
        await page.getByText("Off: messages go out at any hour.").waitFor();
        await page.getByText(`Times are in ${zone}.`, { exact: false }).waitFor();
        await page.getByRole("switch", { name: "Hold messages outside business hours" }).check();
        if (Object.keys(days ?? {}).length === 0) {
          // Turned on from nothing: Monday to Friday, 09:00 to 17:00.
          assert.equal(await page.getByRole("group", { name: "Monday, hours 1" }).getByLabel("Opens").inputValue(), "09:00");
        }
        for (const day of week) {
          await page.getByRole("group", { name: day, exact: true }).getByLabel("Closed").setChecked(day !== openDay);
        }
        await page.getByRole("group", { name: `${openDay}, hours 1` }).getByLabel("Closes").fill("10:00");
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByText("Saved.", { exact: true }).waitFor();
        await page.getByText(/^Closed now: messages wait until/).waitFor();
        const stored = await env.admin.get("/api/v1/workspaces/demo/business-hours");
        assert.deepEqual(stored.days, { [openDay.slice(0, 3).toLowerCase()]: [{ open: "09:00", close: "10:00" }] });
        assert.equal(stored.open_now, false);
        await shot(page, "16-settings-business-hours");

        await page.getByRole("link", { name: "Chat" }).click();
        await page.getByRole("list", { name: "Conversations" }).getByText("Maya Patel").click();
        await page.getByRole("list", { name: "Messages" }).waitFor();
        await page.getByText(/^Outside business hours: messages wait until/).waitFor();
        const box = page.getByLabel("Message", { exact: true });

        const later = `We will confirm the booking in the morning (${Date.now()})`;
        await box.fill(later);
        await box.press("Enter");
        const held = page.locator(".msg-out", { hasText: later });
        await held.locator('[data-status="scheduled"]').waitFor();
        const clock = held.getByRole("button", { name: /^Scheduled: Outside business hours: goes / });
        await clock.hover();
        const tip = held.getByRole("tooltip");
        await tip.waitFor({ state: "visible" });
        assert.match((await tip.textContent()).trim(), /^Outside business hours: goes /);
        await shot(page, "17-held-outside-business-hours");

        const urgent = page.getByLabel("Urgent — send now");
        await urgent.check();
        const now = `The water is off in your building tonight (${Date.now()})`;
        await box.fill(now);
        await box.press("Enter");
        const gone = page.locator(".msg-out", { hasText: now });
        await gone.locator('[data-status="sent"], [data-status="delivered"], [data-status="read"]').first().waitFor();
        assert.equal(await urgent.isChecked(), false, "urgent is for one message");

        // A held message is cancelled like any scheduled one.
        await held.getByRole("button", { name: "Cancel" }).click();
        await held.locator('[data-status="cancelled"]').waitFor();
      } finally {
        // The other tests write in this workspace at any hour.
        await page.evaluate(async () => {
          const csrf = decodeURIComponent(document.cookie.split("; ").find((c) => c.startsWith("sb_csrf="))?.slice(8) ?? "");
          await fetch("/api/v1/workspaces/demo/business-hours", {
            method: "PUT",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
            body: JSON.stringify({ enabled: false, days: {} }),
          });
        });
      }
    });
    assert.equal((await env.admin.get("/api/v1/workspaces/demo/business-hours")).enabled, false);
  });
});

describe("agent and viewer", () => {
  let support;
  const secret = "e2e-loopback-secret";
  const customer = "+15550177001";

  before(async () => {
    support = await env.admin.post("/api/v1/workspaces/demo/connections", {
      plugin: "loopback",
      engine: "loopback",
      display_name: "Support line",
      address: "+15550009999",
      config: { webhook_secret: secret },
    });
  });

  it("an agent cannot open Chat, accepts a new ticket and replies", async () => {
    await onPage("agent", async (page) => {
      await signIn(page, env.base, "agent@demo.local");
      await page.waitForURL(/\/w\/demo\/inbox/);
      const nav = page.getByRole("navigation", { name: "Main" });
      assert.equal(await nav.getByRole("link", { name: "Chat" }).count(), 0, "no Chat in the agent's navigation");
      // Settings holds only what agents use: the canned responses, to read.
      assert.equal(await nav.getByRole("link", { name: "Settings" }).count(), 1, "Settings for the agent's canned responses");
      await page.goto(`${env.base}/w/demo/chat`);
      await page.waitForURL(/\/w\/demo\/inbox/);
      await page.getByRole("heading", { name: "Team Inbox" }).waitFor();
      await page.locator(".rt-live").waitFor();

      // A new customer writes in: the ticket shows up without a reload.
      await customerWrites(env.base, support, secret, customer, "Hello, my parcel never arrived");
      const card = page.getByRole("list", { name: "Tickets" }).getByRole("link", { name: new RegExp(customer.replace("+", "\\+")) });
      await card.waitFor();
      await shot(page, "10-agent-inbox-new-ticket");
      await card.click();
      await page.getByRole("button", { name: "Accept" }).click();
      await page.locator(".thread-head", { hasText: "Alex Agent" }).waitFor();

      const box = page.getByLabel("Message", { exact: true });
      // A canned response of the demo workspace, by its shortcut: filled with the
      // agent's name (the customer gave none, so their first name stays a token).
      await box.pressSequentially("/hel");
      await page.getByRole("option", { name: /\/hello/ }).waitFor();
      await box.press("Enter");
      assert.match(await box.inputValue(), /thanks for writing to us! I'm Alex Agent; how can I help\?/);
      await box.fill("Sorry to hear that!");
      await box.press("Shift+Enter");
      await box.pressSequentially("I am looking into it now.");
      assert.equal(await box.inputValue(), "Sorry to hear that!\nI am looking into it now.", "Shift+Enter starts a new line");
      await box.press("Enter");
      // The loopback provider reports "sent" (its later statuses reach only tests that collect them).
      const bubble = page.locator(".msg-out", { hasText: "I am looking into it now." });
      await bubble.locator('[data-status="sent"]').waitFor();
      await page.getByRole("button", { name: "Contact" }).waitFor();
      await shot(page, "11-agent-replied");
    });
  });

  it("a viewer reads the ticket but cannot send", async () => {
    await onPage("viewer", async (page) => {
      await signIn(page, env.base, "viewer@demo.local");
      await page.waitForURL(/\/w\/demo\/inbox/);
      await page.getByRole("list", { name: "Tickets" }).getByRole("link", { name: new RegExp(customer.replace("+", "\\+")) }).click();
      await page.locator(".msg-out", { hasText: "I am looking into it now." }).waitFor();
      await page.getByText("your role (viewer) cannot reply").waitFor();
      assert.equal(await page.getByLabel("Message", { exact: true }).count(), 0, "no composer for viewers");
      assert.equal(await page.getByRole("button", { name: "Send", exact: true }).count(), 0);
      assert.equal(await page.getByRole("button", { name: /^(Accept|Resolve|Assign to me)$/ }).count(), 0);
      await shot(page, "12-viewer-read-only");
      await page.goto(`${env.base}/w/demo/chat`);
      await page.waitForURL(/\/w\/demo\/inbox/);
    });
  });

  it("a team gets its connection's new ticket with an SLA clock, the inbox filters by it, and the admin sees the agent typing", async () => {
    const teamName = "Returns";
    const newcomer = "+15550177002";
    const byNumber = (n) => new RegExp(n.replace("+", "\\+"));
    await onPage("team-admin", async (admin) => {
      await signIn(admin, env.base, "admin@demo.local");
      await admin.waitForURL(/\/w\/demo\/chat/);
      try {
        // Settings → Teams: the agent works it, and the support line's new tickets go to it.
        await admin.getByRole("link", { name: "Settings" }).click();
        await admin.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Teams" }).click();
        await admin.getByRole("heading", { name: "Teams" }).waitFor();
        await admin.getByRole("button", { name: "Add team" }).click();
        const form = admin.getByRole("dialog", { name: "Add a team" });
        await form.getByLabel("Name", { exact: true }).fill(teamName);
        await form.getByRole("group", { name: "Members" }).getByLabel("Alex Agent · agent").check();
        await form.getByRole("group", { name: "Connections" }).getByLabel(`Support line · ${support.address}`).check();
        await form.getByRole("button", { name: "Add", exact: true }).click();
        await form.waitFor({ state: "detached" });
        const row = admin.getByRole("row", { name: new RegExp(`^${teamName}\\b`) });
        await row.getByRole("cell", { name: "Alex Agent", exact: true }).waitFor();
        await row.getByRole("cell", { name: "Support line", exact: true }).waitFor();
        await shot(admin, "18-settings-teams");

        // A new customer on the support line: their ticket is in the team's queue, its first response due in 15 minutes.
        await admin.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Team Inbox" }).click();
        await admin.getByRole("heading", { name: "Team Inbox" }).waitFor();
        await admin.locator(".rt-live").waitFor();
        const tickets = admin.getByRole("list", { name: "Tickets" });
        // The earlier ticket on the line, from before the team: in the general queue.
        const earlier = tickets.getByRole("link", { name: byNumber(customer) });
        await earlier.waitFor();
        assert.equal(await earlier.locator(".team-badge").count(), 0, "a ticket from before the team stays in the general queue");
        await customerWrites(env.base, support, secret, newcomer, "Hi, I would like to return a pair of shoes");
        const card = tickets.getByRole("link", { name: byNumber(newcomer) });
        await card.waitFor();
        await card.locator(".team-badge", { hasText: teamName }).waitFor();
        const chip = card.locator(".sla-chip");
        await chip.waitFor();
        assert.match((await chip.textContent()).trim(), /^First response in 1[45] min$/);
        await shot(admin, "19-team-inbox-team-and-sla");

        // Filtered by the team: its ticket stays, the general queue's goes.
        await admin.getByRole("combobox", { name: "Team", exact: true }).selectOption({ label: teamName });
        await admin.waitForURL(/[?&]team=/);
        await earlier.waitFor({ state: "detached" });
        await card.waitFor();
        await shot(admin, "20-team-inbox-filtered-by-team");

        // Both on the ticket: what the agent writes shows on the admin's page as it is typed.
        await card.click();
        const head = admin.locator(".thread-head");
        await head.locator(".team-badge", { hasText: teamName }).waitFor();
        await head.locator(".sla-chip", { hasText: /^First response in/ }).waitFor();
        const indicator = admin.locator(".typing-indicator");
        const reply = `Of course, I will send you a return label (${Date.now()})`;
        await onPage("team-agent", async (agent) => {
          await signIn(agent, env.base, "agent@demo.local");
          await agent.waitForURL(/\/w\/demo\/inbox/);
          await agent.locator(".rt-live").waitFor();
          const mine = agent.getByRole("list", { name: "Tickets" }).getByRole("link", { name: byNumber(newcomer) });
          await mine.locator(".team-badge", { hasText: teamName }).waitFor();
          await mine.click();
          const box = agent.getByLabel("Message", { exact: true });
          await box.waitFor();
          assert.equal((await indicator.textContent()).trim(), "", "nobody is typing yet");
          await box.pressSequentially("Of course");
          await indicator.getByText("Alex Agent is typing…", { exact: true }).waitFor();
          await shot(admin, "21-admin-sees-agent-typing");
          // Their message arriving ends it.
          await box.fill(reply);
          await box.press("Enter");
          await agent.locator(".msg-out", { hasText: reply }).locator('[data-status="sent"]').waitFor();
        });
        await admin.locator(".msg-out", { hasText: reply }).waitFor();
        await admin.waitForFunction(() => document.querySelector(".typing-indicator")?.textContent.trim() === "");

        // The team goes again: the line's new tickets wait in the general queue, as the other tests expect.
        await admin.getByRole("link", { name: "Settings" }).click();
        await admin.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Teams" }).click();
        await admin.getByRole("button", { name: `Delete ${teamName}` }).click();
        await admin.getByRole("dialog", { name: `Delete ${teamName}?` }).getByRole("button", { name: "Delete team" }).click();
        await admin.getByText("No teams yet").waitFor();
      } finally {
        // However the test went, no team is left behind.
        const left = (await env.admin.get("/api/v1/workspaces/demo/teams")).items.filter((t) => t.name === teamName);
        for (const t of left) {
          await admin.evaluate(async (id) => {
            const csrf = decodeURIComponent(document.cookie.split("; ").find((c) => c.startsWith("sb_csrf="))?.slice(8) ?? "");
            await fetch(`/api/v1/workspaces/demo/teams/${id}`, { method: "DELETE", headers: { "X-CSRF-Token": csrf } });
          }, t.id);
        }
      }
    });
    assert.equal((await env.admin.get("/api/v1/workspaces/demo/teams")).items.length, 0, "no team is left for the tests after");
  });
});

describe("operator", () => {
  it("sees the plugins; a new workspace with no credits gets its send failed with the reason", async () => {
    await onPage("operator", async (page) => {
      await signIn(page, env.base, OPERATOR.email, OPERATOR.password);
      await page.waitForURL(/\/operator\/plugins/);
      await page.getByRole("cell", { name: /whatsapp/ }).first().waitFor();
      await page.getByRole("cell", { name: /loopback/ }).first().waitFor();
      await shot(page, "13-operator-plugins");

      await page.getByLabel("Workspace").selectOption("__new");
      const dialog = page.getByRole("dialog", { name: "New workspace" });
      await dialog.getByLabel("Business name").fill("Empty Wallet Co");
      await dialog.getByRole("button", { name: "Create workspace" }).click();
      await page.waitForURL(/\/w\/[^/]+\/chat/);
      await page.getByText("No conversations yet").waitFor();

      // A connection, through the form generated from the plugin's config schema.
      await page.getByRole("link", { name: "Settings" }).click();
      await page.getByRole("navigation", { name: "Settings" }).getByRole("link", { name: "Connections" }).click();
      await page.getByRole("button", { name: "Add connection" }).click();
      const form = page.getByRole("dialog", { name: "Add a connection" });
      await form.getByLabel("Channel plugin").selectOption("loopback");
      await form.getByLabel("Name", { exact: true }).fill("Test line");
      await form.getByLabel("Address", { exact: true }).fill("+15550008888");
      await form.getByLabel("Webhook secret (required)").fill("another-secret");
      await form.getByLabel("Status sequence").waitFor();
      await shot(page, "14-connection-schema-form");
      await form.getByRole("button", { name: "Connect" }).click();
      await page.getByRole("heading", { name: /Test line/ }).waitFor();

      await page.getByRole("link", { name: "Chat" }).click();
      await page.getByRole("button", { name: "New conversation" }).click();
      const compose = page.getByRole("dialog", { name: "New conversation" });
      await compose.getByLabel("To").fill("+15550170001");
      await compose.getByLabel("Contact name").fill("Nora Nocredit");
      await compose.getByLabel("First message").fill("Hello from a wallet with nothing in it");
      await compose.getByRole("button", { name: "Send" }).click();
      const bubble = page.locator(".msg-out", { hasText: "Hello from a wallet with nothing in it" });
      await bubble.locator('[data-status="failed"]').waitFor();
      const triangle = bubble.getByRole("button", { name: /^Failed:/ });
      assert.equal(await triangle.getAttribute("aria-label"), "Failed: Out of message credits");
      await triangle.hover();
      const tip = bubble.getByRole("tooltip");
      await tip.waitFor({ state: "visible" });
      assert.equal((await tip.textContent()).trim(), "Out of message credits");
      await shot(page, "15-out-of-credits");
      await page.locator('.rail-item[data-view="failed"] .count', { hasText: "1" }).waitFor();
    });
  });
});

describe("accounts", () => {
  it("signs up: an account and its workspace", async () => {
    await onPage("signup", async (page) => {
      await page.goto(`${env.base}/signup`);
      await page.getByLabel("Your name").fill("Sam Signup");
      await page.getByLabel("Email").fill(`sam.${Date.now()}@example.com`);
      await page.getByLabel("Password").fill("a-long-enough-password");
      await page.getByLabel("Business name").fill("Sam's Shop");
      await shot(page, "16-sign-up");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.waitForURL(/\/w\/[^/]+\/chat/);
      await page.getByText("No conversations yet").waitFor();
    });
  });

  it("accepts an invitation into the demo workspace", async () => {
    const email = `invited.${Date.now()}@example.com`;
    const inv = await env.admin.post("/api/v1/workspaces/demo/invitations", { email, role: "agent" });
    const link = new URL(inv.accept_url);
    await onPage("invitation", async (page) => {
      await page.goto(`${env.base}${link.pathname}${link.search}`);
      await page.getByRole("heading", { name: "Join Demo Company" }).waitFor();
      await page.getByLabel("Your name").fill("Ivy Invited");
      await page.getByLabel("Choose a password").fill("another-long-password");
      await shot(page, "17-accept-invitation");
      await page.getByRole("button", { name: "Accept and create account" }).click();
      await page.waitForURL(/\/w\/demo\/inbox/);
      const me = await apiSession(env.base, email, "another-long-password");
      assert.equal(me.user.name, "Ivy Invited");
    });
  });
});
