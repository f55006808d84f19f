// Shared by the operations tests: the app's HTTP API as the browser uses it (Better Auth's
// cookie, the frontend's /api routes), the Compose project scripts/test-operations.sh started,
// and the repository's operations scripts, run the way users run them.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const repoRoot = path.resolve(import.meta.dirname, "../..");
export const baseUrl = process.env.OPS_BASE_URL;
const envFile = process.env.OPS_ENV_FILE;
assert.ok(baseUrl && envFile, "OPS_BASE_URL and OPS_ENV_FILE must be set: run scripts/test-operations.sh");
assert.ok(["127.0.0.1", "localhost"].includes(new URL(baseUrl).hostname), `OPS_BASE_URL must be loopback, got ${baseUrl}`);

/** The Compose project's variables (what `.env` holds for a user). */
export function composeEnv() {
  return Object.fromEntries(readFileSync(envFile, "utf8").trim().split("\n").map((line) => {
    const at = line.indexOf("=");
    return [line.slice(0, at), line.slice(at + 1)];
  }));
}

export function setComposeEnv(values) {
  writeFileSync(envFile, Object.entries(values).map(([k, v]) => `${k}=${v}`).join("\n") + "\n");
}

/** Runs a command with the Compose project's variables in its environment; never throws. */
export function sh(command, args, { env = {}, input, timeout = 10 * 60_000 } = {}) {
  return new Promise((resolve) => {
    const child = execFile(command, args, {
      cwd: repoRoot, env: { ...process.env, ...composeEnv(), ...env }, timeout, maxBuffer: 64 << 20,
    }, (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stdout, stderr }));
    if (input !== undefined) child.stdin.end(input);
  });
}

/** Runs a command; fails the test with its output unless it exits 0. */
export async function ok(command, args, options) {
  const result = await sh(command, args, options);
  assert.equal(result.code, 0, `${command} ${args.join(" ")} exited ${result.code}:\n${result.stdout}\n${result.stderr}`);
  return result;
}

export const script = (name) => path.join(repoRoot, "scripts", name);
export const compose = (...args) => ok("docker-compose", args);

/** SQL in the Compose database, as its own superuser; unaligned rows. */
export async function psql(sql) {
  const { stdout } = await ok("docker-compose", ["exec", "-T", "db", "sh", "-c", 'psql -X -At -U "$POSTGRES_USER" -d "$POSTGRES_DB" -c "$1"', "psql", sql]);
  return stdout.trim();
}

/** Waits until every listed service's container is healthy. */
export async function waitHealthy(services, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  for (const service of services) {
    for (;;) {
      // Tolerant: a container being replaced may vanish between the two commands.
      const id = (await sh("docker-compose", ["ps", "-q", service])).stdout.trim();
      const inspected = id ? await sh("docker", ["inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}", id]) : undefined;
      const state = inspected?.code === 0 ? inspected.stdout.trim() : "missing";
      if (state === "healthy") break;
      assert.ok(Date.now() < deadline && state !== "unhealthy", `${service} is ${state}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** A browser-like client of the app: a cookie jar and the Origin header Better Auth checks. */
export class AppClient {
  constructor() {
    this.cookies = new Map();
  }

  get cookie() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  async request(method, urlPath, body) {
    const response = await fetch(`${baseUrl}${urlPath}`, {
      method,
      headers: { origin: baseUrl, cookie: this.cookie, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const text = await response.text();
    let json;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }

  async expect(status, method, urlPath, body) {
    const response = await this.request(method, urlPath, body);
    assert.equal(response.status, status, `${method} ${urlPath}: ${response.status} ${response.text.slice(0, 500)}`);
    return response.json;
  }

  signUp(user) {
    return this.expect(200, "POST", "/api/auth/sign-up/email", user);
  }

  signIn({ email, password }) {
    return this.request("POST", "/api/auth/sign-in/email", { email, password });
  }

  /** Everything the user sees: tasks, conversations and each conversation's messages. */
  async everything() {
    const tasks = await this.expect(200, "GET", "/api/tasks?status=all&limit=100");
    const conversations = await this.expect(200, "GET", "/api/conversations");
    const messages = {};
    for (const c of conversations.items) messages[c.id] = await this.expect(200, "GET", `/api/conversations/${c.id}/messages`);
    return { tasks, conversations, messages };
  }
}

export function newUser(label) {
  return { name: `Ops ${label}`, email: `ops-${label}-${randomUUID()}@example.test`, password: `pw-${randomUUID()}` };
}
