// Issue 13, backups: a real round trip on PostgreSQL through Docker Compose. A user's tasks and
// conversation are backed up with scripts/db-backup.sh, the database volume is lost and the app
// redeployed on an empty one, scripts/db-restore.sh brings the backup back, and the same user
// signs in and sees exactly what they had. The refusals (non-empty database, a file that is no
// dump, a truncated dump) leave the data as it was. The scripts run here exactly as in a
// Kubernetes stack; only the transport differs (`--compose`: docker compose exec instead of
// kubectl exec), so tests/deploy/backup.test.mjs repeats the essentials on the CI cluster.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { AppClient, compose, newUser, psql, script, sh, waitHealthy } from "./support.mjs";

const backup = (...args) => sh("bash", [script("db-backup.sh"), "--compose", ...args]);
const restore = (...args) => sh("bash", [script("db-restore.sh"), "--compose", ...args]);

test("a backup taken with db-backup.sh and restored with db-restore.sh after the database is lost gives the user back everything", async (t) => {
  await waitHealthy(["db", "backend", "frontend"]);
  const dir = mkdtempSync(path.join(tmpdir(), "ops-backup-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const dump = path.join(dir, "todo.dump");
  const user = newUser("backup");
  const browser = new AppClient();
  let before;

  await t.test("a user signs up, adds tasks, completes one, and asks the assistant to add another", async () => {
    await browser.signUp(user);
    const first = await browser.expect(201, "POST", "/api/tasks", { title: "Renew the passport", description: "before June" });
    await browser.expect(201, "POST", "/api/tasks", { title: "Call the plumber" });
    await browser.expect(200, "PATCH", `/api/tasks/${first.id}`, { completed: true });
    const conversation = await browser.expect(201, "POST", "/api/conversations", {});
    const reply = await browser.expect(201, "POST", `/api/conversations/${conversation.id}/messages`, { content: "add buy oat milk" });
    assert.equal(reply.tasks_changed, true, JSON.stringify(reply));
    before = await browser.everything();
    assert.equal(before.tasks.total, 3);
    assert.equal(before.conversations.items.length, 1);
    assert.equal(before.messages[conversation.id].items.length, 2, "the user's message and the assistant's reply");
  });

  await t.test("db-backup.sh writes a custom-format dump with progress and says what it wrote", async () => {
    const result = await backup(dump);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^backup written: .*todo\.dump \([\d.]+ [KM]?B, 8 tables of database todo, PostgreSQL 15\.\d+, taken \d{4}-\d\d-\d\d /m);
    for (const table of ["task", "conversation", "message", "user", "session", "account"]) {
      assert.match(result.stderr, new RegExp(`^  dumping table public\\.${table}$`, "m"), "progress names each table");
    }
    assert.equal(readFileSync(dump).subarray(0, 5).toString(), "PGDMP", "custom format");
    assert.ok(statSync(dump).size > 1000);
  });

  await t.test("db-backup.sh never overwrites an existing file", async () => {
    const result = await backup(dump);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /todo\.dump already exists: name another file, or remove it first/);
  });

  await t.test("db-restore.sh refuses a database that holds data unless told --force, and changes nothing", async () => {
    const result = await restore(dump);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error: the database in Compose service db \(container [0-9a-f]+\) is not empty \(.*task 3.*user 1.*\)/);
    assert.match(result.stderr, /pass --force to replace it/);
    assert.deepEqual(await browser.everything(), before);
  });

  await t.test("db-restore.sh refuses a file that is not a dump before contacting anything", async () => {
    const text = path.join(dir, "notes.txt");
    writeFileSync(text, "not a dump\n");
    const result = await restore(text);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /notes\.txt is not a PostgreSQL custom-format dump/);
    const missing = await restore(path.join(dir, "missing.dump"));
    assert.match(missing.stderr, /missing\.dump does not exist/);
  });

  await t.test("db-restore.sh refuses a damaged dump (pg_restore --list) and a truncated one, leaving the data as it was", async () => {
    const bytes = readFileSync(dump);
    const damaged = path.join(dir, "damaged.dump");
    writeFileSync(damaged, Buffer.concat([bytes.subarray(0, 5), Buffer.from("garbage garbage garbage")]));
    const unreadable = await restore("--force", damaged);
    assert.equal(unreadable.code, 1);
    assert.match(unreadable.stderr, /damaged\.dump is not a readable dump: pg_restore --list says: pg_restore: error: /);

    // Its table of contents is whole, so --list accepts it; the data ends early.
    const truncated = path.join(dir, "truncated.dump");
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 300));
    const failed = await restore("--force", truncated);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /the restore failed and was rolled back; the database is as it was/);
    assert.deepEqual(await browser.everything(), before);
  });

  await t.test("the database volume is lost: the app redeployed on a new, empty database knows nobody", async () => {
    await compose("down", "--volumes");
    await compose("up", "-d", "--no-build");
    await waitHealthy(["db", "backend", "frontend"]);
    assert.equal(await psql("SELECT count(*) FROM task"), "0");
    const stranger = new AppClient();
    assert.equal((await stranger.signIn(user)).status, 401, "the user no longer exists");
  });

  let restored;
  await t.test("db-restore.sh restores the backup into the freshly migrated (empty) database without --force", async () => {
    restored = await restore(dump);
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /^restored .*todo\.dump into Compose service db/m);
    assert.match(restored.stdout, /^ {2}before: .*task 0.*user 0/m);
    assert.match(restored.stdout, /^ {2}after: {2}.*message 2.*task 3.*user 1/m);
  });

  await t.test("the same user signs in and sees the same tasks, conversation and messages", async () => {
    const again = new AppClient();
    const signIn = await again.signIn(user);
    assert.equal(signIn.status, 200, signIn.text);
    assert.deepEqual(await again.everything(), before);
    // Sessions are data too: the browser session from before the backup is valid again.
    assert.deepEqual(await browser.everything(), before);
  });

  await t.test("with --force, a restore replaces a database that holds data, leaving nothing of it", async () => {
    await browser.expect(201, "POST", "/api/tasks", { title: "Written after the backup" });
    const result = await restore("--force", dump);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /before: .*task 4/);
    assert.match(result.stdout, /after: .*task 3/);
    assert.deepEqual(await browser.everything(), before);
    // Identities continue after the restored rows, as they did before.
    const next = await browser.expect(201, "POST", "/api/tasks", { title: "Written after the restore" });
    assert.ok(next.id > Math.max(...before.tasks.items.map((task) => task.id)));
  });

  await t.test("both scripts fail clearly when the Compose project is not up", async () => {
    const env = { COMPOSE_PROJECT_NAME: "todo-chatbot-ops-not-running" };
    const down = await sh("bash", [script("db-backup.sh"), "--compose", path.join(dir, "never.dump")], { env });
    assert.equal(down.code, 1);
    assert.match(down.stderr, /error: the Compose project has no database container: start it \(docker compose up -d\)/);
    const restoreDown = await sh("bash", [script("db-restore.sh"), "--compose", dump], { env });
    assert.equal(restoreDown.code, 1);
    assert.match(restoreDown.stderr, /has no database container/);
  });
});
