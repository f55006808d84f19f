// Issue 13, secret rotation on Docker Compose (the procedures of docs/OPERATIONS.md, minus
// Pulumi): a new BETTER_AUTH_SECRET signs every user out and nothing else; a new database
// password needs ALTER ROLE as well as the new configuration, because PostgreSQL keeps the
// password of its data directory (scripts/db-rotate-password.sh), and then the app carries on.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { AppClient, compose, composeEnv, newUser, ok, script, setComposeEnv, sh, waitHealthy } from "./support.mjs";

const containerId = async (service) => (await ok("docker-compose", ["ps", "-q", service])).stdout.trim();

/** Whether PostgreSQL accepts this password for the app's user over the network (not the trusted socket). */
async function passwordAccepted(password) {
  const result = await sh("docker-compose", ["exec", "-T", "-e", `PGPASSWORD=${password}`, "db", "sh", "-c",
    'psql -X -At -h db -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "SELECT 1"']);
  if (result.code !== 0) assert.match(result.stderr, /password authentication failed for user "todo"/);
  return result.code === 0;
}

test("rotating BETTER_AUTH_SECRET signs every user out, and keeps their data", async (t) => {
  await waitHealthy(["db", "backend", "frontend"]);
  const user = newUser("rotate-auth");
  const browser = new AppClient();
  await browser.signUp(user);
  await browser.expect(201, "POST", "/api/tasks", { title: "Survives the rotation" });
  const sessionCookie = browser.cookie;
  const oldFrontend = await containerId("frontend");

  await t.test("docker compose up -d with the new secret recreates the containers that read it", async () => {
    setComposeEnv({ ...composeEnv(), BETTER_AUTH_SECRET: randomBytes(32).toString("hex") });
    await compose("up", "-d", "--no-build");
    await waitHealthy(["db", "backend", "frontend"]);
    assert.notEqual(await containerId("frontend"), oldFrontend);
  });

  await t.test("the session cookie signed with the old secret is rejected", async () => {
    const replay = new AppClient();
    const [name, value] = sessionCookie.split("=");
    replay.cookies.set(name, value);
    const session = await replay.request("GET", "/api/auth/get-session");
    assert.equal(session.status, 200);
    assert.equal(session.json, null, `no session for the old cookie: ${session.text}`);
    const tasks = await replay.request("GET", "/api/tasks");
    assert.equal(tasks.status, 401, tasks.text);
  });

  await t.test("signing in again works, and the data is all there", async () => {
    const again = new AppClient();
    assert.equal((await again.signIn(user)).status, 200);
    const tasks = await again.expect(200, "GET", "/api/tasks");
    assert.deepEqual(tasks.items.map((task) => task.title), ["Survives the rotation"]);
  });
});

test("rotating the database password: ALTER ROLE, then the new configuration; the app carries on", async (t) => {
  await waitHealthy(["db", "backend", "frontend"]);
  const user = newUser("rotate-db");
  const browser = new AppClient();
  await browser.signUp(user);
  await browser.expect(201, "POST", "/api/tasks", { title: "Before the new password" });
  const oldPassword = composeEnv().POSTGRES_PASSWORD;
  const newPassword = randomBytes(24).toString("hex");

  await t.test("PostgreSQL ignores a new POSTGRES_PASSWORD: its data directory keeps the first one", async () => {
    // What a user would try first: the container's environment has the new value, the server not.
    assert.equal(await passwordAccepted(oldPassword), true);
    assert.equal(await passwordAccepted(newPassword), false);
  });

  await t.test("db-rotate-password.sh --compose refuses to invent a password it cannot write into .env", async () => {
    const result = await sh("bash", [script("db-rotate-password.sh"), "--compose"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /with --compose, choose the password yourself .*--password-stdin/);
    const weak = await sh("bash", [script("db-rotate-password.sh"), "--compose", "--password-stdin"], { input: "short\n" });
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /at least 16 letters, digits or - \. _ ~/);
  });

  await t.test("db-rotate-password.sh --compose changes the role's password; open connections carry on", async () => {
    const result = await sh("bash", [script("db-rotate-password.sh"), "--compose", "--password-stdin"], { input: `${newPassword}\n` });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /the password of role todo in Compose service db .* is changed/);
    assert.ok(!`${result.stdout}${result.stderr}`.includes(newPassword), "the password is never printed");
    assert.equal(await passwordAccepted(newPassword), true);
    assert.equal(await passwordAccepted(oldPassword), false);
    await browser.expect(200, "GET", "/api/tasks");
  });

  await t.test("with POSTGRES_PASSWORD changed in .env, docker compose up -d brings the app back on the new password", async () => {
    setComposeEnv({ ...composeEnv(), POSTGRES_PASSWORD: newPassword });
    // PostgreSQL first, then the rest: docker-compose 1.29 (CI's) once failed the dependants of a
    // PostgreSQL container it was replacing as "unhealthy" when both were recreated in one go.
    await compose("up", "-d", "--no-build", "db");
    await waitHealthy(["db"]);
    await compose("up", "-d", "--no-build");
    await waitHealthy(["db", "backend", "frontend"]);
    const migrate = await containerId("migrate");
    assert.equal((await ok("docker", ["inspect", "-f", "{{.State.ExitCode}}", migrate])).stdout.trim(), "0", "migrations connect with it");
    const again = new AppClient();
    assert.equal((await again.signIn(user)).status, 200);
    await again.expect(201, "POST", "/api/tasks", { title: "After the new password" });
    const tasks = await again.expect(200, "GET", "/api/tasks");
    assert.deepEqual(tasks.items.map((task) => task.title).sort(), ["After the new password", "Before the new password"]);
  });
});
