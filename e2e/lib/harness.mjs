// Shared by the browser tests: a real `wardwatch serve` on a temporary data directory, fed by
// `wardwatch demo --server`, and Debian's chromium driven by playwright-core.
//
// WARDWATCH_BIN names the binary (e2e/run.sh builds it); CHROMIUM overrides /usr/bin/chromium.
// Screenshots land in e2e/screenshots/.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
export const shotsDir = path.join(here, "..", "screenshots");
const bin = process.env.WARDWATCH_BIN || path.join(here, "..", "..", "target", "debug", "wardwatch");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
export const PASSWORD = "correct horse battery staple";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export function run(args, input) {
  const r = spawnSync(bin, args, { input, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) {
    throw new Error(`wardwatch ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

export async function waitFor(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}`);
}

/// Starts a server with two councils, an analyst of the first and a service admin, and replays
/// `events` demo events into it. Returns { base, dir, admin, apiSession, stop }.
export async function startServer({ events = 6000 } = {}) {
  assert.ok(fs.existsSync(bin), `no wardwatch binary at ${bin} (run e2e/run.sh)`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "wardwatch-e2e-"));
  const [http, syslog] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${http}`;
  const cfgPath = path.join(dir, "wardwatch.toml");
  fs.writeFileSync(
    cfgPath,
    `version = 1
data_dir = "${path.join(dir, "data")}"

[http]
listen = "127.0.0.1:${http}"

[[tenants]]
slug = "wardshire"
name = "Wardshire District Council"

[[tenants]]
slug = "eastmoor"
name = "Eastmoor Borough Council"

[[sources]]
name = "demo-syslog"
tenant = "wardshire"
type = "syslog_tcp"
listen = "127.0.0.1:${syslog}"
`,
  );
  const log = fs.openSync(path.join(dir, "server.log"), "a");
  const server = spawn(bin, ["serve", "--config", cfgPath], { stdio: ["ignore", "ignore", log] });
  await waitFor("the server to be healthy", async () => (await fetch(`${base}/api/v1/health`)).ok);

  const admin = (args, input) => run(["admin", "--config", cfgPath, ...args], input);
  admin(["user", "create", "analyst", "--password-stdin", "--tenant", "wardshire", "--role", "analyst"], PASSWORD);
  admin(["user", "create", "sam", "--password-stdin", "--service-role", "service_admin"], PASSWORD);
  const token = admin(["token", "create", "--tenant", "wardshire", "--purpose", "ingest", "--name", "e2e", "--source", "winlogbeat"])
    .split("\n")
    .find((l) => l.startsWith("ww_"))
    .trim();
  run(["demo", "--server", base, "--syslog", `127.0.0.1:${syslog}`, "--token", token, "--events", String(events), "--rate", "0"]);

  async function apiSession(user) {
    const r = await fetch(`${base}/api/v1/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-requested-with": "wardwatch" },
      body: JSON.stringify({ username: user, password: PASSWORD }),
    });
    assert.equal(r.status, 200, `API login of ${user}`);
    const cookie = r.headers.get("set-cookie").split(";")[0];
    return (p) => fetch(`${base}${p}`, { headers: { cookie } }).then((x) => x.json());
  }
  const get = await apiSession("analyst");
  await waitFor("the demo's alerts", async () => (await get("/api/v1/alerts?state=new")).items.length > 0);

  async function stop() {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
    if (!process.env.KEEP_E2E_DIR) fs.rmSync(dir, { recursive: true, force: true });
  }
  return { base, dir, admin, apiSession, stop };
}

/// Launches chromium with the flags DESIGN.md §4 gives and a fresh profile. `errors` collects
/// script errors, CSP violations and failed subresource loads: the console must have none.
export async function launchBrowser() {
  assert.ok(fs.existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  fs.mkdirSync(shotsDir, { recursive: true });
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "wardwatch-e2e-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: browserPath,
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
    viewport: { width: 1366, height: 900 },
    locale: "en-GB",
    acceptDownloads: true,
  });
  const page = context.pages()[0] || (await context.newPage());
  const errors = [];
  // Pages may answer 4xx on purpose (a failed login is 401), so failed loads are judged by the
  // response listener, which ignores documents but not scripts, styles, images or htmx requests.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== "document") {
      errors.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
    }
  });
  // caret: "initial" keeps Playwright from injecting a <style> (which the CSP would rightly block).
  const shot = (name, fullPage = true) =>
    page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage, caret: "initial" });
  return { context, page, errors, shot };
}

export async function login(page, base, user) {
  await page.goto(`${base}/console/login`);
  await page.getByLabel("Username").fill(user);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
}
