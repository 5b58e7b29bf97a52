// The incident-response journey in a real browser: a demo alert escalated to an incident, a task
// and evidence added, a personal-data breach marked with the ICO clock running, the ICO report
// generated, and a council service marked down on the public status page, then restored.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import { launchBrowser, login, startServer } from "../lib/harness.mjs";

let srv, browser, page, shot, errors, base;

before(async () => {
  srv = await startServer();
  base = srv.base;
  browser = await launchBrowser();
  ({ page, shot, errors } = browser);
});

after(async () => {
  if (browser) await browser.context.close();
  if (srv) await srv.stop();
});

/// `t` as a `datetime-local` value in UK time (what a person in the council would type).
function ukLocal(t) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: "Europe/London",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(t)
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}`;
}

test("an analyst runs an incident from a demo alert to the ICO report and the public status page", async () => {
  await login(page, base, "analyst");

  // Escalate the most urgent alert to a new incident.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Alerts" }).click();
  await page.getByRole("heading", { name: "Alerts", level: 1 }).waitFor();
  await page.getByRole("button", { name: /^Escalate to new incident/ }).first().click();
  const h1 = page.getByRole("heading", { level: 1, name: /^INC-\d+: / });
  await h1.waitFor();
  const id = page.url().match(/\/console\/incidents\/(\d+)/)[1];
  const title = (await h1.innerText()).replace(/^INC-\d+: /, "");
  assert.ok(title.length > 0, "the incident is titled from the alert");

  // A task with an assignee and due date.
  const task = "Reset passwords of all staff who opened the link";
  await page.getByLabel("Task", { exact: true }).fill(task);
  await page.getByLabel("Due (UK time, optional)").fill(ukLocal(new Date(Date.now() + 4 * 3600_000)));
  await page.getByRole("button", { name: "Add task" }).click();
  await page.locator("#tasks").locator("xpath=..").getByText(task).first().waitFor();

  // Evidence, stored with its SHA-256.
  const bytes = Buffer.from("Received: from mail.phish.example\r\nSubject: Your mailbox is full\r\n\r\nClick here.\r\n");
  await page.getByLabel("File (at most 25 MiB)").setInputFiles({ name: "reported-phish.eml", mimeType: "message/rfc822", buffer: bytes });
  await page.getByLabel("Description (optional)").fill("The email staff reported");
  await page.getByRole("button", { name: "Upload" }).click();
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  await page.getByText(sha).first().waitFor();
  await shot("incident");

  // A possible personal-data breach: the council became aware 50 hours ago, so the 72-hour
  // ICO clock is in its last day.
  await page.goto(`${base}/console/incidents/${id}/breach`);
  await page.getByRole("button", { name: "Mark as possible personal-data breach" }).click();
  await page.getByLabel("When the council became aware").fill(ukLocal(new Date(Date.now() - 50 * 3600_000)));
  await page.getByLabel("Who decided the council was aware").fill("Data protection officer");
  await page.getByLabel(/^Why: what made the council reasonably certain/).fill("Staff credentials used to read resident records");
  await page.getByRole("button", { name: "Save timing" }).click();
  // The page before saving has a "Not started" clock: wait for the one that counts down.
  const clock = page.locator(".ico-clock").filter({ hasText: /left/ }).first();
  await clock.waitFor();
  assert.match(await clock.innerText(), /left/, "the clock shows the time left");
  assert.match(await clock.innerText(), /Warning|less than 24 hours/i, "with a warning inside the last 24 hours");
  await shot("breach");

  // The dashboard shows the running clock too.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dashboard" }).click();
  await page.getByRole("heading", { name: "Running ICO clocks" }).waitFor();
  assert.ok((await page.locator(".ico-clock").count()) > 0, "the running clock is on the dashboard");

  // The ICO report, pre-filled from the records, as text to paste.
  await page.goto(`${base}/console/incidents/${id}/breach`);
  await page.getByRole("link", { name: "ICO initial report" }).click();
  const text = await page.locator("textarea#report-text").inputValue();
  assert.match(text, /Wardshire District Council/);
  assert.match(text, /Data protection officer/);
  assert.match(text, /\[not yet answered\]/, "unanswered fields are marked");
  await shot("ico-report");

  // A service goes down: residents see it on the public status page, without the incident.
  await page.goto(`${base}/console/incidents/${id}/services`);
  await page.getByLabel("Service", { exact: true }).fill("Council tax payments");
  await page.getByLabel("Unavailable").check();
  await page.getByRole("button", { name: "Save status" }).click();
  await page.getByRole("button", { name: /^Mark restored/ }).first().waitFor();
  const resident = await browser.context.newPage();
  await resident.goto(`${base}/status/wardshire`);
  const affected = resident.locator("section", { has: resident.getByRole("heading", { name: "Affected now" }) });
  await affected.getByText("Council tax payments").waitFor();
  assert.match(await affected.innerText(), /Unavailable/);
  assert.ok(!(await resident.content()).includes(title), "the public page does not show the incident");
  await resident.screenshot({ path: `${(await import("../lib/harness.mjs")).shotsDir}/status-down.png`, fullPage: true, caret: "initial" });

  // Restored: the page says when it came back.
  // Wait for the saved page (its button gone), not the word "Restored" the form already shows.
  await page.getByRole("button", { name: /^Mark restored/ }).first().click();
  await page.getByRole("button", { name: /^Mark restored/ }).first().waitFor({ state: "detached" });
  await resident.reload();
  const back = resident.locator("section", { has: resident.getByRole("heading", { name: /Back to normal/ }) });
  await back.getByText("Council tax payments").waitFor();
  assert.match(await back.innerText(), /Restored/);
  await resident.screenshot({ path: `${(await import("../lib/harness.mjs")).shotsDir}/status-restored.png`, fullPage: true, caret: "initial" });
  await resident.close();

  assert.deepEqual(errors, [], "no script errors or CSP violations");
});
