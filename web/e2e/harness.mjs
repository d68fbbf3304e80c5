// The end-to-end harness: a real `switchboard serve --demo` on a free loopback port
// with its own data directory, and Debian's Chromium driven headless through
// playwright-core (no browser download).
//
// Environment:
//   SWITCHBOARD_BIN       the binary (default ../bin/switchboard, built by `make e2e`)
//   SWITCHBOARD_PLUGINS   the plugins directory (default ../bin/plugins)
//   CHROMIUM              the browser (default /usr/bin/chromium)
//   E2E_ARTIFACTS         where screenshots and the server log go (default ../.tmp/e2e)
import { spawn, execFileSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const web = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(web, "..");
export const BIN = process.env.SWITCHBOARD_BIN ?? join(repo, "bin/switchboard");
const PLUGINS = process.env.SWITCHBOARD_PLUGINS ?? join(repo, "bin/plugins");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(repo, ".tmp/e2e");

export const PASSWORD = "e2e-demo-password";
export const OPERATOR = { email: "operator@e2e.local", name: "Olive Operator", password: "e2e-operator-password" };

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.unref();
    s.on("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts the server and the browser; stop() ends both and removes the data. */
export async function start() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const data = mkdtempSync(join(tmpdir(), "switchboard-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    SWITCHBOARD_DEMO_PASSWORD: PASSWORD,
    SWITCHBOARD_AUTH__DEMO_PASSWORD: PASSWORD,
    // Sign-ins are many here; the hashing cost is not what is tested.
    SWITCHBOARD_AUTH__HASHING__MEMORY_KIB: "8192",
    SWITCHBOARD_AUTH__HASHING__ITERATIONS: "1",
    SWITCHBOARD_LOG__LEVEL: "info",
  };
  const common = ["--data-dir", data, "--addr", `127.0.0.1:${port}`, "--plugins-dir", PLUGINS];
  execFileSync(BIN, ["admin", "create-operator", "--email", OPERATOR.email, "--name", OPERATOR.name, "--password", OPERATOR.password, ...common], {
    env,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const log = createWriteStream(join(ARTIFACTS, "server.log"));
  const server = spawn(BIN, ["serve", "--demo", ...common], { env, stdio: ["ignore", "pipe", "pipe"] });
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  let exited = null;
  server.on("exit", (code) => (exited = code));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited !== null) throw new Error(`switchboard exited with ${exited}; see ${join(ARTIFACTS, "server.log")}`);
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error("switchboard did not become ready in 30 s");
    await sleep(150);
  }
  // The demo's WhatsApp simulator is connected once the demo workspace has its connection.
  const admin = await apiSession(base, "admin@demo.local", PASSWORD);
  for (;;) {
    const r = await admin.get("/api/v1/workspaces/demo/connections");
    if (r.items?.some((c) => c.plugin === "whatsapp" && c.status === "active")) break;
    if (Date.now() > deadline) throw new Error("the demo WhatsApp connection did not come up");
    await sleep(150);
  }

  // launch() gives the browser a fresh temporary profile of its own each run.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });

  return {
    base,
    admin,
    /** A fresh, signed-out browser context: its own cookies and storage. */
    context: () => browser.newContext({ viewport: { width: 1366, height: 768 } }),
    async stop() {
      await browser.close().catch(() => undefined);
      if (exited === null) {
        server.kill("SIGTERM");
        const t0 = Date.now();
        while (exited === null && Date.now() - t0 < 10_000) await sleep(100);
        if (exited === null) server.kill("SIGKILL");
      }
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** A signed-in API client for setting things up (cookie session with its CSRF token). */
export async function apiSession(base, email, password) {
  const r = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  if (!r.ok) throw new Error(`sign-in of ${email}: ${r.status} ${await r.text()}`);
  const cookies = r.headers.getSetCookie().map((c) => c.split(";")[0]);
  const body = await r.json();
  const headers = { Cookie: cookies.join("; "), "X-CSRF-Token": body.csrf_token };
  const req = async (method, path, json) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: json === undefined ? headers : { ...headers, "Content-Type": "application/json" },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  return { user: body.user, get: (p) => req("GET", p), post: (p, j) => req("POST", p, j), patch: (p, j) => req("PATCH", p, j) };
}

/** A customer message arriving on a loopback connection, signed as its provider would. */
export async function customerWrites(base, connection, secret, from, text) {
  const body = JSON.stringify({
    events: [{ type: "message", id: `e2e-in-${randomBytes(6).toString("hex")}`, from, to: connection.address, text, timestamp: new Date().toISOString() }],
  });
  const sig = "sha256=" + createHmac("sha256", secret).update(body).digest("hex");
  const r = await fetch(`${base}/hooks/${connection.public_id}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", "X-Loopback-Signature": sig },
    body,
  });
  if (!r.ok) throw new Error(`webhook: ${r.status} ${await r.text()}`);
}

export async function signIn(page, base, email, password = PASSWORD) {
  await page.goto(`${base}/signin`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((u) => !u.pathname.startsWith("/signin"));
}

export async function shot(page, name) {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

/**
 * Records every data-status a message bubble takes, from now on, so that quick moves
 * (sent, then delivered a second later) are all seen in order.
 */
export async function watchStatuses(page, text) {
  await page.evaluate((text) => {
    const seen = [];
    window.__statuses = seen;
    const check = () => {
      for (const el of document.querySelectorAll(".msg-out")) {
        if (!el.textContent.includes(text)) continue;
        const s = el.getAttribute("data-status");
        if (seen[seen.length - 1] !== s) seen.push(s);
      }
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-status"] });
    check();
  }, text);
  return {
    seen: () => page.evaluate(() => window.__statuses.slice()),
  };
}
