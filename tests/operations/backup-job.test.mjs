// Issue 13: the scheduled backup's own script (components/backups.ts, BACKUP_SCRIPT), run the way
// its CronJob runs it — the PostgreSQL image, a non-root user, a read-only root filesystem, no
// capabilities, the password as a read-only file, the dumps on a mounted volume — against the
// Compose project's real PostgreSQL, over the network the project created. It keeps the newest
// RETENTION dumps, each one whole and restorable with scripts/db-restore.sh, and a failed run
// leaves the volume as it was.
import { test } from "node:test";
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "yaml";
import { composeEnv, ok, psql, repoRoot, script, sh, waitHealthy } from "./support.mjs";

const postgresImage = parse(readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8")).config.postgresImage.default;

test("the CronJob's backup script keeps the newest dumps, each restorable, and a failed run changes nothing", async (t) => {
  await waitHealthy(["db", "backend", "frontend"]);
  const root = mkdtempSync(path.join(tmpdir(), "ops-backup-job-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const volume = path.join(root, "volume");
  const secrets = path.join(root, "secrets");
  mkdirSync(volume);
  mkdirSync(secrets);
  chmodSync(volume, 0o777); // the Job's user, 999, writes here as it does on the claim (fsGroup)

  // The script exactly as the program puts it into the CronJob.
  const { stdout: backupScript } = await ok("node", ["-r", "ts-node/register/transpile-only", "-e",
    'process.stdout.write(require("./components/backups").BACKUP_SCRIPT)']);
  assert.match(backupScript, /pg_dump --format=custom/);
  const dbId = (await ok("docker-compose", ["ps", "-q", "db"])).stdout.trim();
  const network = (await ok("docker", ["inspect", "-f", "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}", dbId])).stdout.trim();

  const runJob = async (password, retention = 2) => {
    writeFileSync(path.join(secrets, "password"), password);
    chmodSync(path.join(secrets, "password"), 0o444);
    return sh("docker", ["run", "--rm", "--network", network,
      "--user", "999:999", "--read-only", "--tmpfs", "/tmp:size=32m", "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
      "-v", `${volume}:/backups`, "-v", `${secrets}:/var/run/secrets/postgresql:ro`,
      "-e", "PGHOST=db", "-e", "PGPORT=5432", "-e", "PGUSER=todo", "-e", "PGDATABASE=todo", "-e", "PGCONNECT_TIMEOUT=10",
      "-e", `RETENTION=${retention}`,
      "--entrypoint", "sh", postgresImage, "-c", backupScript]);
  };
  const dumps = () => readdirSync(volume).sort();

  const runs = [];
  await t.test("each run writes one dump named by its UTC time, logs each table, and keeps the newest two", async () => {
    for (let i = 1; i <= 3; i++) {
      const result = await runJob(composeEnv().POSTGRES_PASSWORD);
      assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
      const log = result.stdout + result.stderr;
      assert.match(log, /backing up todo on db to \/backups\/todo-chatbot-\d{8}T\d{6}Z\.dump/);
      assert.match(log, /pg_dump: dumping contents of table "public\.task"/);
      assert.match(log, /written: \/backups\/todo-chatbot-\d{8}T\d{6}Z\.dump \(\d+ bytes\)/);
      runs.push(log.match(/written: \/backups\/(\S+)/)[1]);
      assert.deepEqual(dumps(), runs.slice(-2), `after run ${i}`);
      if (i === 3) assert.match(log, new RegExp(`removed \\(retention 2\\): /backups/${runs[0]}`));
      await new Promise((r) => setTimeout(r, 1100)); // names have one-second resolution
    }
  });

  await t.test("the dumps belong to the Job's user and nobody else may read them", () => {
    for (const name of dumps()) {
      const stat = statSync(path.join(volume, name));
      assert.equal(stat.uid, 999);
      assert.equal(stat.mode & 0o777, 0o600, name);
    }
  });

  await t.test("a run that cannot log in fails, leaves no partial file and removes no dump", async () => {
    const before = dumps();
    const result = await runJob("not-the-password");
    assert.notEqual(result.code, 0);
    assert.match(result.stdout + result.stderr, /password authentication failed for user "todo"/);
    assert.deepEqual(dumps(), before);
  });

  await t.test("the newest dump restores with db-restore.sh and holds what the database held", async () => {
    const counts = await psql("SELECT (SELECT count(*) FROM task) || ' ' || (SELECT count(*) FROM \"user\")");
    const copy = path.join(root, "from-volume.dump");
    writeFileSync(copy, readFileSync(path.join(volume, dumps().at(-1))));
    const result = await sh("bash", [script("db-restore.sh"), "--compose", "--force", copy]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(await psql("SELECT (SELECT count(*) FROM task) || ' ' || (SELECT count(*) FROM \"user\")"), counts);
  });
});
