// Browser end-to-end test of the running app (issue 6): one user's whole journey, in
// order, in headless Chromium. Each step saves a screenshot to $E2E_ARTIFACTS_DIR; once a
// step fails, the later ones are reported as skipped (they depend on it).
//
//   E2E_BASE_URL       the app, default http://127.0.0.1:3000 (loopback only)
//   E2E_ARTIFACTS_DIR  screenshots, default ./artifacts/e2e
//   CHROMIUM_PATH      the browser, default /usr/bin/chromium (Debian's chromium)
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { after, before, describe, it } from "node:test";

import { chromium } from "playwright-core";

// eventually(ASSERTION): retry until it holds, as the page updates after each action.
async function eventually(assertion, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await assertion();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
const count = (locator, expected) => eventually(async () => assert.equal(await locator.count(), expected));
const visible = (locator) => locator.first().waitFor({ state: "visible" });

const baseUrl = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";
const artifactsDir = path.resolve(process.env.E2E_ARTIFACTS_DIR ?? "artifacts/e2e");
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const { hostname } = new URL(baseUrl);
assert.ok(["127.0.0.1", "localhost", "[::1]"].includes(hostname), `E2E_BASE_URL must be a loopback URL, got ${baseUrl}`);

const user = {
  name: "E2E Tester",
  email: `e2e-${randomUUID()}@example.test`,
  password: `pw-${randomUUID()}`,
};
const firstTitle = "Write the release notes";
const editedTitle = "Write and publish the release notes";
const doomedTitle = "Throwaway task";
const assistantTitle = `buy oat milk ${Date.now()}`;

describe("Todo Chatbot in a browser", () => {
  let browser;
  let context;
  let page;
  let stepNumber = 0;
  let brokenBy = null;

  before(async () => {
    await mkdir(artifactsDir, { recursive: true });
    browser = await chromium.launch({
      executablePath: chromiumPath,
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
  });

  after(async () => {
    await browser?.close();
  });

  async function newPage() {
    await context?.close();
    context = await browser.newContext({ baseURL: baseUrl, viewport: { width: 1280, height: 900 } });
    context.setDefaultTimeout(15_000);
    page = await context.newPage();
  }

  // step NAME FN: one test; a screenshot after it, whether it passed or not.
  function step(name, fn) {
    it(name, async (t) => {
      if (brokenBy) {
        t.skip(`depends on the failed step "${brokenBy}"`);
        return;
      }
      stepNumber += 1;
      const shot = path.join(artifactsDir, `${String(stepNumber).padStart(2, "0")}-${name.replace(/\W+/g, "-").replace(/-+$/, "")}.png`);
      try {
        await fn();
      } catch (error) {
        brokenBy = name;
        throw error;
      } finally {
        await page?.screenshot({ path: shot, fullPage: true }).catch(() => {});
      }
    });
  }

  const taskList = () => page.getByRole("list", { name: "Task list" });
  const taskItem = (title) => taskList().getByRole("listitem").filter({ hasText: title });

  step("sign up", async () => {
    await newPage();
    await page.goto("/sign-up");
    await page.getByLabel("Name").fill(user.name);
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.waitForURL("**/tasks");
    await visible(page.getByText(`Signed in as ${user.name}`));
  });

  step("sign in (fresh browser session)", async () => {
    await newPage();
    await page.goto("/tasks");
    await page.waitForURL("**/sign-in");
    await page.getByLabel("Email").fill(user.email);
    await page.getByLabel("Password").fill(user.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL("**/tasks");
    await visible(page.getByRole("heading", { name: "Tasks" }));
    await count(page.getByRole("status").filter({ hasText: "Loading tasks" }), 0);
  });

  step("add a task", async () => {
    for (const title of [firstTitle, doomedTitle]) {
      await page.getByLabel("New task").fill(title);
      await page.getByRole("button", { name: "Add task" }).click();
      await visible(taskItem(title));
    }
    await count(taskList().getByRole("listitem"), 2);
  });

  step("edit the task", async () => {
    await page.getByRole("button", { name: `Edit ${firstTitle}` }).click();
    const form = page.getByRole("form", { name: `Edit task ${firstTitle}` });
    await form.getByLabel("Title").fill(editedTitle);
    await form.getByRole("button", { name: "Save" }).click();
    await visible(taskItem(editedTitle));
    await count(taskList().getByText(firstTitle, { exact: true }), 0);
  });

  step("complete the task", async () => {
    // The checkbox shows the server's state: it turns checked once the update is saved.
    const checkbox = page.getByRole("checkbox", { name: editedTitle });
    await checkbox.click();
    await eventually(async () => assert.ok(await checkbox.isChecked()));
  });

  step("delete a task", async () => {
    await page.getByRole("button", { name: `Delete ${doomedTitle}` }).click();
    await count(taskItem(doomedTitle), 0);
    await count(taskList().getByRole("listitem"), 1);
  });

  step("ask the assistant (offline mode) to add a task", async () => {
    await page.getByLabel("Message the assistant").fill(`add ${assistantTitle}`);
    await page.getByRole("button", { name: "Send" }).click();
    const conversation = page.getByRole("log", { name: "Conversation" });
    await count(conversation.locator(".message.assistant"), 1);
    await eventually(async () => assert.ok((await conversation.innerText()).includes(assistantTitle)));
    await visible(taskItem(assistantTitle));
  });

  step("reload: the data is kept", async () => {
    await page.reload();
    await visible(taskItem(assistantTitle));
    await eventually(async () => assert.ok(await page.getByRole("checkbox", { name: editedTitle }).isChecked()));
    await count(taskItem(doomedTitle), 0);
    await count(taskList().getByRole("listitem"), 2);
  });

  step("sign out: the tasks page is refused", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL("**/sign-in");
    await page.goto("/tasks");
    await page.waitForURL("**/sign-in");
    await visible(page.getByRole("heading", { name: "Sign in to Todo Chatbot" }));
    await count(page.getByRole("list", { name: "Task list" }), 0);
  });
});
