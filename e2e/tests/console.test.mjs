// The console in a real browser: Debian's chromium driven by playwright-core against a real
// `wardwatch serve` on a temporary data directory, fed by `wardwatch demo --server`.
//
// WARDWATCH_BIN names the binary (e2e/run.sh builds it); CHROMIUM overrides /usr/bin/chromium.
// Screenshots land in e2e/screenshots/.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const shots = path.join(here, "..", "screenshots");
const bin = process.env.WARDWATCH_BIN || path.join(here, "..", "..", "target", "debug", "wardwatch");
const browserPath = process.env.CHROMIUM || "/usr/bin/chromium";
const PASSWORD = "correct horse battery staple";

let dir, cfgPath, server, base, context, page;
const consoleErrors = [];

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

function run(args, input) {
  const r = spawnSync(bin, args, { input, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) {
    throw new Error(`wardwatch ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  }
  return r.stdout;
}

const admin = (args, input) => run(["admin", "--config", cfgPath, ...args], input);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, fn, timeoutMs = 60_000) {
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

before(async () => {
  assert.ok(fs.existsSync(bin), `no wardwatch binary at ${bin} (run e2e/run.sh)`);
  assert.ok(fs.existsSync(browserPath), `no browser at ${browserPath} (apt-get install chromium)`);
  fs.mkdirSync(shots, { recursive: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "wardwatch-e2e-"));
  const [http, syslog] = [await freePort(), await freePort()];
  base = `http://127.0.0.1:${http}`;
  cfgPath = path.join(dir, "wardwatch.toml");
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
  server = spawn(bin, ["serve", "--config", cfgPath], { stdio: ["ignore", "ignore", log] });
  await waitFor("the server to be healthy", async () => (await fetch(`${base}/api/v1/health`)).ok);

  admin(["user", "create", "analyst", "--password-stdin", "--tenant", "wardshire", "--role", "analyst"], PASSWORD);
  admin(["user", "create", "sam", "--password-stdin", "--service-role", "service_admin"], PASSWORD);
  const token = admin(["token", "create", "--tenant", "wardshire", "--purpose", "ingest", "--name", "e2e", "--source", "winlogbeat"])
    .split("\n")
    .find((l) => l.startsWith("ww_"))
    .trim();
  run(["demo", "--server", base, "--syslog", `127.0.0.1:${syslog}`, "--token", token, "--events", "6000", "--rate", "0"]);
  const get = await apiSession("analyst");
  await waitFor("the demo's alerts", async () => (await get("/api/v1/alerts?state=new")).items.length > 0);

  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "wardwatch-e2e-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
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
  });
  page = context.pages()[0] || (await context.newPage());
  // A CSP violation or a script error shows up here; the console must have none. Pages may
  // answer 4xx on purpose (a failed login is 401), so failed loads are judged by the response
  // listener below, which ignores documents but not scripts, styles, images or htmx requests.
  page.on("console", (m) => {
    if (m.type() === "error" && !m.text().startsWith("Failed to load resource")) consoleErrors.push(m.text());
  });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));
  page.on("response", (r) => {
    if (r.status() >= 400 && r.request().resourceType() !== "document") {
      consoleErrors.push(`${r.status()} for ${r.request().resourceType()} ${r.url()}`);
    }
  });
});

after(async () => {
  if (context) await context.close();
  if (server) {
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
  }
  if (dir && !process.env.KEEP_E2E_DIR) fs.rmSync(dir, { recursive: true, force: true });
});

// caret: "initial" keeps Playwright from injecting a <style> (which the CSP would rightly block).
const shot = (name, fullPage = true) =>
  page.screenshot({ path: path.join(shots, `${name}.png`), fullPage, caret: "initial" });

test("an analyst logs in, triages the demo's alerts and browses the console", async () => {
  // Not logged in: the dashboard sends us to the login page.
  await page.goto(`${base}/`);
  assert.match(page.url(), /\/console\/login\?next=/);
  await assert.doesNotReject(page.getByRole("heading", { name: "Sign in" }).waitFor());
  await shot("login");

  // A wrong password is refused with a message.
  await page.getByLabel("Username").fill("analyst");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByText("The username or password is not right.").waitFor();

  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
  assert.match(await page.locator(".who-name").innerText(), /analyst/);
  const serious = Number(await page.locator("#win-today").locator("xpath=..").locator(".stat dd").first().innerText());
  assert.ok(Number.isInteger(serious), "the dashboard counts serious alerts");
  await shot("dashboard");

  // The alert queue, most urgent first, with a demo alert in it.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor();
  const rows = page.locator("table.queue tbody tr[id^='alert-']");
  await rows.first().waitFor();
  assert.ok((await rows.count()) > 0, "the demo raised alerts");
  const scores = (await page.locator("table.queue tbody tr .score").allInnerTexts()).map(Number);
  assert.deepEqual(scores, [...scores].sort((a, b) => b - a), "serious first");
  await shot("alerts", false);

  // Acknowledge the first new alert in place (htmx swaps the row).
  const row = page.locator("table.queue tbody tr", { has: page.locator(".state-new") }).first();
  const rowId = await row.getAttribute("id");
  const alertId = rowId.replace("alert-", "");
  await row.getByRole("button", { name: /^Acknowledge/ }).click();
  await page.locator(`#${rowId} .state-acknowledged`).waitFor();
  assert.match(await page.locator(`#${rowId} .state`).innerText(), /acknowledged/i);
  const get = await apiSession("analyst");
  const detail = await get(`/api/v1/alerts/${alertId}`);
  assert.equal(detail.alert.state, "acknowledged", "the store has the change");
  assert.equal(detail.alert.state_by, "user:analyst");

  // The alert's own page: facts, samples, history.
  await page.locator(`#${rowId} a[href="/console/alerts/${alertId}"]`).first().click();
  await page.getByRole("heading", { name: "What happened" }).waitFor();
  await page.getByRole("heading", { name: "History" }).waitFor();
  assert.match(await page.locator("#history").locator("xpath=..").innerText(), /new → acknowledged/);
  await shot("alert-detail");

  // Events, with a full-text search.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Events" }).click();
  await page.getByRole("heading", { name: "Events", level: 1 }).waitFor();
  assert.ok((await page.locator("table tbody tr").count()) > 1, "events are listed");
  await shot("events", false);
  await page.getByLabel("Text").fill("sshd");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForURL(/q=sshd/);

  // Rules.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Rules" }).click();
  await page.getByRole("heading", { name: "Rules", level: 1 }).waitFor();
  assert.ok((await page.locator("table tbody tr").count()) > 1, "rules are listed");
  await shot("rules", false);

  // Keyboard users: the skip link is the first stop and leads to the main content.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to main content");

  // Sign out.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor();
  await page.goto(`${base}/console/alerts`);
  assert.match(page.url(), /\/console\/login/);

  assert.deepEqual(consoleErrors, [], "no script errors or CSP violations");
});

test("a service admin switches councils and reads the audit log", async () => {
  await page.goto(`${base}/console/login`);
  await page.getByLabel("Username").fill("sam");
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Dashboard", level: 1 }).waitFor();
  await page.getByLabel("Council").selectOption("eastmoor");
  await page.getByRole("button", { name: "Switch" }).click();
  await page.getByText("Eastmoor Borough Council: alerts seen today").waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await page.getByText("No alerts match these filters.").waitFor();
  await page.getByLabel("Council").selectOption("");
  await page.getByRole("button", { name: "Switch" }).click();
  await page.locator("table.queue tbody tr[id^='alert-']").first().waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
  await page.getByRole("heading", { name: "Audit log", level: 1 }).waitFor();
  await page.getByText("alert.state").first().waitFor();
  await shot("audit");
  assert.deepEqual(consoleErrors, [], "no script errors or CSP violations");
});
