// Issue 13 on the CI cluster (scripts/ci-cluster.sh): backups and restores of a real deployment.
// The `local` stack's settings plus this cluster's (as in cluster.test.mjs) and scheduled backups
// kept on destroy. A user's data is backed up twice — by scripts/db-backup.sh through kubectl exec,
// and by the CronJob run on demand (`kubectl create job --from=cronjob/...`) — the database is
// wiped and restored from each, and the user signs in to the same tasks and conversation. The
// backup pods reach PostgreSQL and DNS only; retention keeps the newest dumps; `pulumi destroy`
// keeps the backup volume, a fresh `pulumi up` adopts it, and its newest dump restores the data.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import commands from "../engine/commands.json" with { type: "json" };
import { repoRoot } from "../engine/support.mjs";
import { APP_URL, NAMESPACE, STACK, ciProject, clusterEnv, kubectl, kubectlJson, probeFrom } from "./support.mjs";

const run = promisify(execFile);
const BACKUP_NAMESPACE = "todo-chatbot-backups";
const CRONJOB = "postgresql-backup";
// The local stack's settings on this cluster (support.mjs), plus scheduled backups kept on destroy.
const BACKUP_SETTINGS = { backups: "true", backupRetention: "2", backupKeepOnDestroy: "true" };

/** Runs one of the repository's scripts as a user would, in the project copy's Pulumi environment; never throws. */
function script(project, name, args) {
  return new Promise((resolve) => {
    execFile("bash", [path.join(repoRoot, "scripts", name), "--cwd", project.dir, "--stack", STACK, ...args], {
      env: { ...project.env, PATH: `${path.dirname(clusterEnv.CI_CLUSTER_KUBECTL)}:${project.env.PATH}` },
      maxBuffer: 64 << 20, timeout: 10 * 60_000,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
  });
}
async function scriptOk(project, name, args) {
  const result = await script(project, name, args);
  assert.equal(result.code, 0, `${name} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

/** A browser-like client: Better Auth's session cookie and the Origin header it checks. */
function appClient() {
  let cookie = "";
  const request = async (method, urlPath, body) => {
    const response = await fetch(`${APP_URL}${urlPath}`, {
      method,
      headers: { origin: APP_URL, cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    const set = response.headers.getSetCookie().map((c) => c.split(";")[0]);
    if (set.length > 0) cookie = set.join("; ");
    const text = await response.text();
    return { status: response.status, text, json: text ? JSON.parse(text) : undefined };
  };
  const expect = async (status, method, urlPath, body) => {
    const response = await request(method, urlPath, body);
    assert.equal(response.status, status, `${method} ${urlPath}: ${response.text.slice(0, 400)}`);
    return response.json;
  };
  const everything = async () => {
    const tasks = await expect(200, "GET", "/api/tasks?status=all&limit=100");
    const conversations = await expect(200, "GET", "/api/conversations");
    const messages = {};
    for (const c of conversations.items) messages[c.id] = await expect(200, "GET", `/api/conversations/${c.id}/messages`);
    return { tasks, conversations, messages };
  };
  return { request, expect, everything };
}

/** Runs the CronJob now and returns its log. */
async function scheduledBackupNow(name) {
  await kubectl("create", "job", "-n", BACKUP_NAMESPACE, `--from=cronjob/${CRONJOB}`, name);
  await kubectl("wait", "-n", BACKUP_NAMESPACE, `job/${name}`, "--for=condition=Complete", "--timeout=300s");
  return kubectl("logs", "-n", BACKUP_NAMESPACE, `job/${name}`);
}

/** The app's schema dropped: everything the users had is gone. */
async function wipeDatabase() {
  await kubectl("exec", "-n", NAMESPACE, "postgresql-0", "-c", "postgresql", "--", "sh", "-c",
    'psql -v ON_ERROR_STOP=1 -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "DROP SCHEMA public CASCADE; CREATE SCHEMA public"');
}

test("backups of the deployed stack: db-backup.sh and the CronJob, restored after the data is lost, and kept across pulumi destroy", async (t) => {
  // The backup volume is kept on destroy by design; this test removes it itself, after the
  // destroy that ciProject registers (after-hooks run in registration order).
  const project = await ciProject(t, BACKUP_SETTINGS);
  t.after(() => kubectl("delete", "namespace", BACKUP_NAMESPACE, "--ignore-not-found", "--wait=true").catch(() => {}));
  const files = mkdtempSync(path.join(tmpdir(), "deploy-backups-"));
  t.after(() => rmSync(files, { recursive: true, force: true }));

  await project.pulumi(["up", "--stack", STACK, ...commands.up]);
  const outputs = JSON.parse((await project.pulumi(["stack", "output", "--json", "--stack", STACK])).stdout);

  await t.test("the stack exports where its database and its backups are", () => {
    assert.equal(outputs.kubeContext, "ci-cluster");
    assert.equal(outputs.kubeconfig, clusterEnv.KUBECONFIG);
    assert.equal(outputs.backupNamespace, BACKUP_NAMESPACE);
    assert.equal(outputs.backupCronJob, CRONJOB);
    assert.equal(outputs.backupVolume, "postgresql-backups");
  });

  await t.test("the backups' namespace enforces Pod Security restricted and holds the CronJob", async () => {
    const ns = await kubectlJson("get", "namespace", BACKUP_NAMESPACE);
    assert.equal(ns.metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
    const cronJob = await kubectlJson("get", "cronjob", "-n", BACKUP_NAMESPACE, CRONJOB);
    assert.equal(cronJob.spec.schedule, "0 3 * * *");
  });

  const user = { name: "Backup User", email: `backup-${randomUUID()}@example.test`, password: `pw-${randomUUID()}` };
  const browser = appClient();
  let before;
  await t.test("a user signs up, adds tasks and talks to the assistant", async () => {
    await browser.expect(200, "POST", "/api/auth/sign-up/email", user);
    await browser.expect(201, "POST", "/api/tasks", { title: "Back me up", description: "twice" });
    const conversation = await browser.expect(201, "POST", "/api/conversations", {});
    await browser.expect(201, "POST", `/api/conversations/${conversation.id}/messages`, { content: "add water the plants" });
    before = await browser.everything();
    assert.equal(before.tasks.total, 2);
  });

  const manual = path.join(files, "manual.dump");
  await t.test("db-backup.sh finds the stack's database from its outputs and writes a dump through kubectl exec", async () => {
    const result = await scriptOk(project, "db-backup.sh", [manual]);
    assert.match(result.stderr, /backing up database from pod todo-chatbot\/postgresql-0 \(context ci-cluster\)/);
    assert.match(result.stderr, /dumping table public\.task/);
    assert.match(result.stdout, /^backup written: .*manual\.dump \(.*8 tables of database todo/m);
    assert.equal(readFileSync(manual).subarray(0, 5).toString(), "PGDMP");
  });

  await t.test("the CronJob, run on demand, is admitted under restricted and writes a dump onto its volume", async () => {
    const log = await scheduledBackupNow("backup-now-1");
    assert.match(log, /written: \/backups\/todo-chatbot-\d{8}T\d{6}Z\.dump \(\d+ bytes\)/);
    const listed = await scriptOk(project, "db-backup.sh", ["--list-volume"]);
    assert.match(listed.stdout, /^todo-chatbot-\d{8}T\d{6}Z\.dump {2}[\d.]+ [KM]?B$/m);
  });

  await t.test("the backup pods reach PostgreSQL and nothing else of the app; other pods there reach nothing", async () => {
    const targets = [`postgresql.${NAMESPACE}:5432`, `todo-chatbot-backend.${NAMESPACE}:8000`, `todo-chatbot-frontend.${NAMESPACE}:3000`];
    const cronJob = await kubectlJson("get", "cronjob", "-n", BACKUP_NAMESPACE, CRONJOB);
    const asBackup = await probeFrom(BACKUP_NAMESPACE, cronJob.spec.jobTemplate.spec.template.metadata.labels, outputs.backendImage, targets);
    assert.deepEqual(asBackup, { [targets[0]]: "ok", [targets[1]]: "blocked", [targets[2]]: "blocked" });
    const outsider = await probeFrom(BACKUP_NAMESPACE, {}, outputs.backendImage, targets);
    assert.deepEqual(outsider, { [targets[0]]: "blocked", [targets[1]]: "blocked", [targets[2]]: "blocked" });
  });

  const scheduled = path.join(files, "scheduled.dump");
  await t.test("the data is lost; the CronJob's dump, copied off the volume, restores it and the user sees everything again", async () => {
    const copied = await scriptOk(project, "db-backup.sh", ["--from-volume", "latest", scheduled]);
    assert.match(copied.stdout, /^backup copied: .*scheduled\.dump/m);
    await wipeDatabase();
    assert.equal((await appClient().request("POST", "/api/auth/sign-in/email", user)).status >= 400, true, "the user is gone");
    const restored = await scriptOk(project, "db-restore.sh", [scheduled]);
    assert.match(restored.stdout, /^restored .*scheduled\.dump into pod todo-chatbot\/postgresql-0 \(context ci-cluster\)/m);
    const again = appClient();
    assert.equal((await again.request("POST", "/api/auth/sign-in/email", user)).status, 200);
    assert.deepEqual(await again.everything(), before);
  });

  await t.test("db-restore.sh refuses the database that now holds data, and with --force restores db-backup.sh's dump", async () => {
    const refused = await script(project, "db-restore.sh", [manual]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not empty \(.*task 2.*\)/);
    await browser.expect(201, "POST", "/api/tasks", { title: "Written after the backups" });
    await scriptOk(project, "db-restore.sh", ["--force", manual]);
    assert.deepEqual(await browser.everything(), before);
  });

  await t.test("the volume keeps the newest backupRetention (2) dumps", async () => {
    for (const name of ["backup-now-2", "backup-now-3"]) {
      await new Promise((r) => setTimeout(r, 1100)); // dump names have one-second resolution
      await scheduledBackupNow(name);
    }
    const listed = await scriptOk(project, "db-backup.sh", ["--list-volume"]);
    assert.equal(listed.stdout.trim().split("\n").length, 2, listed.stdout);
  });

  await t.test("pulumi destroy keeps the backup volume (backupKeepOnDestroy) and removes everything else", async () => {
    await project.pulumi(["destroy", "--stack", STACK, "--yes"]);
    assert.equal(await kubectl("get", "namespace", NAMESPACE, "--ignore-not-found"), "");
    const pvc = await kubectlJson("get", "pvc", "-n", BACKUP_NAMESPACE, "postgresql-backups");
    assert.equal(pvc.status.phase, "Bound");
    assert.equal(await kubectl("get", "cronjobs,secrets,networkpolicies", "-n", BACKUP_NAMESPACE, "--ignore-not-found", "-o", "name"), "");
  });

  await t.test("a fresh pulumi up adopts the kept volume, and its newest dump brings the user's data back", async () => {
    await project.pulumi(["up", "--stack", STACK, ...commands.up]);
    const listed = await scriptOk(project, "db-backup.sh", ["--list-volume"]);
    assert.equal(listed.stdout.trim().split("\n").length, 2, "the dumps from before the destroy");
    const latest = path.join(files, "after-destroy.dump");
    await scriptOk(project, "db-backup.sh", ["--from-volume", "latest", latest]);
    const restored = await scriptOk(project, "db-restore.sh", [latest]);
    assert.match(restored.stdout, /after: .*task 2/);
    const again = appClient();
    assert.equal((await again.request("POST", "/api/auth/sign-in/email", user)).status, 200);
    assert.deepEqual(await again.everything(), before);
  });
});
