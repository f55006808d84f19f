import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { REQUEST_ID_HEADER } from "@/lib/server/observe-route";

import { cookieHeader } from "./support/auth";
import { requireDatabaseUrl, TEST_SECRET } from "./support/env";
import { closedLoopbackUrl, startFakeBackend, type FakeBackend } from "./support/fake-backend";
import { parseLogLines } from "./support/logs";

// What the image runs: `next build`, then the standalone server.js, with the metrics server that
// instrumentation.ts starts in the same process. Proves that the route handlers (one bundle each)
// and the metrics server (the instrumentation bundle) share one registry, and that the request id
// reaches the backend and the logs of the built app.
const appDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const BUILD_TIMEOUT_MS = 300_000;

let backend: FakeBackend;
let server: ChildProcess;
let appUrl: string;
let metricsUrl: string;
let stdout = "";
let stderr = "";

async function run(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, args, { cwd: appDir, env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${args.join(" ")} failed (${code}):\n${output}`);
}

async function freePort(): Promise<string> {
  return new URL(await closedLoopbackUrl()).port;
}

async function waitForHealth(deadline: number) {
  for (;;) {
    if (server.exitCode !== null) throw new Error(`server.js exited (${server.exitCode}):\n${stdout}${stderr}`);
    try {
      const response = await fetch(`${appUrl}/api/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`server.js did not become healthy:\n${stdout}${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

beforeAll(async () => {
  const buildEnv = { ...process.env, NODE_ENV: "production" as const, NEXT_TELEMETRY_DISABLED: "1" };
  await run([join(appDir, "node_modules/next/dist/bin/next"), "build"], buildEnv);

  backend = await startFakeBackend();
  const [appPort, metricsPort] = [await freePort(), await freePort()];
  appUrl = `http://127.0.0.1:${appPort}`;
  metricsUrl = `http://127.0.0.1:${metricsPort}`;
  server = spawn(process.execPath, [join(appDir, ".next/standalone/server.js")], {
    cwd: join(appDir, ".next/standalone"),
    env: {
      PATH: process.env.PATH,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      HOSTNAME: "127.0.0.1",
      PORT: appPort,
      METRICS_PORT: metricsPort,
      DATABASE_URL: requireDatabaseUrl(),
      BETTER_AUTH_SECRET: TEST_SECRET,
      BETTER_AUTH_URL: appUrl,
      BACKEND_URL: backend.url,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  server.stdout!.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  server.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForHealth(Date.now() + 60_000);
}, BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await once(server, "exit");
  }
  await backend?.close();
});

describe("the standalone build (server.js)", () => {
  it("gives each API request an id that reaches the backend and comes back, and logs it as JSON", async () => {
    const signUp = await fetch(`${appUrl}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: appUrl, [REQUEST_ID_HEADER]: "standalone-signup" },
      body: JSON.stringify({ name: "Standalone", email: `standalone-${Date.now()}@example.com`, password: "correct horse battery" }),
    });
    expect(signUp.status).toBe(200);
    expect(signUp.headers.get(REQUEST_ID_HEADER)).toBe("standalone-signup");

    backend.respondWith(() => ({ status: 200, body: { items: [], total: 0, limit: 50, offset: 0 } }));
    const listed = await fetch(`${appUrl}/api/tasks?limit=50`, {
      headers: { cookie: cookieHeader(signUp), [REQUEST_ID_HEADER]: "standalone-trace-1" },
    });
    expect(listed.status).toBe(200);
    expect(listed.headers.get(REQUEST_ID_HEADER)).toBe("standalone-trace-1");
    expect(backend.requests.map((request) => [request.url, request.headers[REQUEST_ID_HEADER]])).toEqual([
      ["/api/tasks?limit=50", "standalone-trace-1"],
    ]);

    const unsafe = await fetch(`${appUrl}/api/health`, { headers: { [REQUEST_ID_HEADER]: "not a safe id" } });
    expect(unsafe.headers.get(REQUEST_ID_HEADER)).toMatch(/^[0-9a-f]{32}$/);

    // Next.js prints its own banner ("▲ Next.js …", "- Local: …", "✓ Ready …"); every other line is ours.
    const ours = stdout
      .split("\n")
      .filter((line) => line !== "" && !/^\s*[▲✓-] /u.test(line))
      .join("\n");
    const records = parseLogLines(ours);
    expect(records).toContainEqual(
      expect.objectContaining({
        level: "INFO",
        logger: "frontend.access",
        message: "request",
        request_id: "standalone-trace-1",
        route: "/api/tasks",
        method: "GET",
        status: 200,
        duration_ms: expect.any(Number),
      }),
    );
    expect(records).toContainEqual(expect.objectContaining({ logger: "frontend.metrics", message: "metrics server listening", port: Number(new URL(metricsUrl).port) }));
  });

  it("serves the metrics of its API routes on METRICS_PORT, and not on the app's port", async () => {
    await fetch(`${appUrl}/api/tasks/7`); // signed out: 401

    const response = await fetch(`${metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toContain('todo_frontend_api_requests_total{route="/api/auth/[...all]",method="POST",status="200"} 1');
    expect(body).toContain('todo_frontend_api_requests_total{route="/api/tasks",method="GET",status="200"} 1');
    expect(body).toContain('todo_frontend_api_requests_total{route="/api/tasks/[id]",method="GET",status="401"} 1');
    expect(body).toMatch(/^todo_frontend_api_requests_total\{route="\/api\/health",method="GET",status="200"\} \d+$/m);
    expect(body).toContain('todo_frontend_api_request_duration_seconds_count{route="/api/tasks",method="GET"} 1');
    expect(body).toMatch(/^process_resident_memory_bytes \d+/m);
    expect(body).toMatch(/^nodejs_eventloop_lag_seconds \d/m);

    expect((await fetch(`${metricsUrl}/`)).status).toBe(404);
    const onAppPort = await fetch(`${appUrl}/metrics`);
    expect(onAppPort.status).toBe(404);
    expect(await onAppPort.text()).not.toContain("todo_frontend_api_requests_total");
  });
});
