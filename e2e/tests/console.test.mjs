// The console in a real browser: login, dashboard, alert triage, events, rules, tenant switching
// and the audit log (e2e/lib/harness.mjs starts the server and the browser).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { PASSWORD, launchBrowser, login, startServer } from "../lib/harness.mjs";

let srv, browser, page, shot, consoleErrors, base, apiSession;

before(async () => {
  srv = await startServer();
  ({ base, apiSession } = srv);
  browser = await launchBrowser();
  ({ page, shot, errors: consoleErrors } = browser);
});

after(async () => {
  if (browser) await browser.context.close();
  if (srv) await srv.stop();
});

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
  await login(page, base, "sam");
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
