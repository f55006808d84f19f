import { readdirSync } from "node:fs";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { dirname, join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import { log, requestContextStorage } from "@/lib/server/log";
import { DEFAULT_METRICS_PORT, getMetrics, metricsPortFrom, startMetricsServer } from "@/lib/server/metrics";
import { observeRoute, REQUEST_ID_HEADER, requestIdFrom, ROUTE_TEMPLATE } from "@/lib/server/observe-route";

import { logRecords } from "./support/logs";

const GENERATED_ID = /^[0-9a-f]{32}$/;

function request(method = "GET", headers: Record<string, string> = {}) {
  return new Request("http://localhost:3000/api/things/7", { method, headers });
}

async function requestCount(labels: { route: string; method: string; status: string }): Promise<number> {
  const { values } = await getMetrics().requests.get();
  const matches = (value: (typeof values)[number]) =>
    value.labels.route === labels.route && value.labels.method === labels.method && value.labels.status === labels.status;
  return values.find(matches)?.value ?? 0;
}

async function durationSample(route: string, method: string, suffix: "_count" | "_sum"): Promise<number> {
  const { values } = await getMetrics().duration.get();
  const name = `todo_frontend_api_request_duration_seconds${suffix}`;
  return values.find((value) => value.metricName === name && value.labels.route === route && value.labels.method === method)
    ?.value ?? 0;
}

beforeEach(() => {
  getMetrics().registry.resetMetrics();
});

describe("observeRoute", () => {
  it("counts requests by route template, method and status, and times them", async () => {
    const handler = observeRoute("/api/things/[id]", async (incoming: Request) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return Response.json({ ok: true }, { status: incoming.method === "POST" ? 201 : 200 });
    });

    expect((await handler(request("POST"))).status).toBe(201);
    expect((await handler(request("POST"))).status).toBe(201);
    expect((await handler(request("GET"))).status).toBe(200);

    expect(await requestCount({ route: "/api/things/[id]", method: "POST", status: "201" })).toBe(2);
    expect(await requestCount({ route: "/api/things/[id]", method: "GET", status: "200" })).toBe(1);
    expect(await durationSample("/api/things/[id]", "POST", "_count")).toBe(2);
    expect(await durationSample("/api/things/[id]", "POST", "_sum")).toBeGreaterThanOrEqual(0.055);
    expect(await durationSample("/api/things/[id]", "POST", "_sum")).toBeLessThan(5);
  });

  it("answers a thrown error with a JSON 500, counts it as 500 and logs it with the request id", async () => {
    const handler = observeRoute("/api/things/[id]", () => {
      throw new Error("database on fire");
    });

    const response = await handler(request("DELETE", { [REQUEST_ID_HEADER]: "req-500" }));

    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: "internal_error",
      message: "Something went wrong on our side. Try again in a moment.",
    });
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("req-500");
    expect(await requestCount({ route: "/api/things/[id]", method: "DELETE", status: "500" })).toBe(1);
    expect(await durationSample("/api/things/[id]", "DELETE", "_count")).toBe(1);
    const [failure, access] = logRecords();
    expect(failure).toMatchObject({
      level: "ERROR",
      logger: "frontend.route",
      message: "route handler failed",
      request_id: "req-500",
      route: "/api/things/[id]",
      method: "DELETE",
      error: "database on fire",
    });
    expect(failure?.stack).toContain("database on fire");
    expect(access).toMatchObject({ level: "INFO", logger: "frontend.access", message: "request", request_id: "req-500", status: 500 });
  });

  it("writes one JSON access line per request with the request id, route, method, status and duration", async () => {
    const handler = observeRoute("/api/things/[id]", () => new Response(null, { status: 204 }));

    const response = await handler(request("PATCH", { [REQUEST_ID_HEADER]: "abc-123" }));

    const records = logRecords();
    expect(records).toHaveLength(1);
    const [access] = records;
    expect(Object.keys(access!)).toEqual([
      "time",
      "level",
      "logger",
      "message",
      "request_id",
      "route",
      "method",
      "status",
      "duration_ms",
    ]);
    expect(access).toMatchObject({
      level: "INFO",
      logger: "frontend.access",
      message: "request",
      request_id: "abc-123",
      route: "/api/things/[id]",
      method: "PATCH",
      status: 204,
    });
    expect(access?.duration_ms).toBeTypeOf("number");
    expect(new Date(access!.time).toISOString()).toBe(access!.time);
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("abc-123");
  });

  it("keeps each request's id in the log lines written while serving it, even when requests overlap", async () => {
    const handler = observeRoute("/api/things/[id]", async (incoming: Request) => {
      const delay = incoming.headers.get(REQUEST_ID_HEADER) === "slow" ? 40 : 5;
      await new Promise((resolve) => setTimeout(resolve, delay));
      log("WARNING", "frontend.proxy", "halfway", { marker: incoming.headers.get(REQUEST_ID_HEADER) });
      return new Response("ok");
    });

    await Promise.all([
      handler(request("GET", { [REQUEST_ID_HEADER]: "slow" })),
      handler(request("GET", { [REQUEST_ID_HEADER]: "fast" })),
    ]);

    const halfway = logRecords().filter((record) => record.message === "halfway");
    expect(halfway.map((record) => [record.marker, record.request_id])).toEqual([
      ["fast", "fast"],
      ["slow", "slow"],
    ]);
  });

  it("sets the request id header even on a response whose headers are immutable", async () => {
    const handler = observeRoute("/api/things/[id]", () => Response.redirect("http://localhost:3000/elsewhere", 307));
    const response = await handler(request("GET", { [REQUEST_ID_HEADER]: "redirected" }));
    expect(response.status).toBe(307);
    expect(response.headers.get("location")).toBe("http://localhost:3000/elsewhere");
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("redirected");
  });
});

describe("requestIdFrom", () => {
  it("reuses a short, plain incoming id", () => {
    for (const id of ["abc-123", "A.b_c:d-e", "x".repeat(128), "0f5c2a9e8b7d4c3a9e8b7d4c3a9e8b7d"]) {
      expect(requestIdFrom(new Headers({ [REQUEST_ID_HEADER]: id }))).toBe(id);
    }
  });

  it("replaces a missing, empty, long or unusual id with a fresh 32-hex-digit one", () => {
    const ids = [undefined, "", "x".repeat(129), "has space", 'quote"d', "semi;colon", "ünïcode"].map((id) =>
      requestIdFrom(new Headers(id === undefined ? {} : { [REQUEST_ID_HEADER]: id })),
    );
    for (const id of ids) expect(id).toMatch(GENERATED_ID);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe("log", () => {
  // The backend's lines (app/backend/app/core/logging.py) start with the same fields, in the same
  // order and spelling, so one log query reads both services.
  const CORE_FIELDS = ["time", "level", "logger", "message", "request_id"];

  afterEach(() => {
    vi.useRealTimers();
  });

  it("starts every line with the fields the backend's lines share: time, level, logger, message, request_id", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(Date.UTC(2026, 11, 1, 4, 5, 6, 789)));
    log("DEBUG", "frontend.startup", "outside a request");
    log("INFO", "frontend.metrics", "still outside", { port: 9464 });
    await requestContextStorage().run({ requestId: "req-7", route: "/api/tasks", method: "POST" }, async () => {
      log("WARNING", "frontend.proxy", "inside a request", { attempt: 2 });
      await Promise.resolve();
      log("ERROR", "frontend.access", "after an await");
    });

    const records = logRecords();
    expect(records.map((record) => Object.keys(record))).toEqual([
      CORE_FIELDS,
      [...CORE_FIELDS, "port"],
      [...CORE_FIELDS, "route", "method", "attempt"],
      [...CORE_FIELDS, "route", "method"],
    ]);
    expect(records).toEqual([
      { time: "2026-12-01T04:05:06.789Z", level: "DEBUG", logger: "frontend.startup", message: "outside a request", request_id: null },
      { time: "2026-12-01T04:05:06.789Z", level: "INFO", logger: "frontend.metrics", message: "still outside", request_id: null, port: 9464 },
      {
        time: "2026-12-01T04:05:06.789Z",
        level: "WARNING",
        logger: "frontend.proxy",
        message: "inside a request",
        request_id: "req-7",
        route: "/api/tasks",
        method: "POST",
        attempt: 2,
      },
      {
        time: "2026-12-01T04:05:06.789Z",
        level: "ERROR",
        logger: "frontend.access",
        message: "after an await",
        request_id: "req-7",
        route: "/api/tasks",
        method: "POST",
      },
    ]);
  });

  it("writes the current time as ISO 8601 UTC with milliseconds and Z", () => {
    const before = Date.now();
    log("INFO", "frontend.startup", "now");
    const [record] = logRecords();
    expect(record?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(Date.parse(record!.time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(record!.time)).toBeLessThanOrEqual(Date.now());
  });

  it("keeps the shared fields when a line's own fields use their names", async () => {
    await requestContextStorage().run({ requestId: "req-8", route: "/api/tasks", method: "GET" }, async () => {
      log("INFO", "frontend.auth", "the real message", {
        time: "yesterday",
        level: "info",
        logger: "better-auth",
        message: "forged",
        request_id: "forged-id",
        detail: "kept",
      });
    });
    expect(logRecords()).toEqual([
      expect.objectContaining({
        level: "INFO",
        logger: "frontend.auth",
        message: "the real message",
        request_id: "req-8",
        detail: "kept",
      }),
    ]);
    expect(logRecords()[0]?.time).not.toBe("yesterday");
  });

  it("writes one JSON object per line, even for a message with line breaks", () => {
    log("ERROR", "frontend.db", "first line\nsecond line", { error: "a\r\nb" });
    const output = logRecords();
    expect(output).toHaveLength(1);
    expect(output[0]).toMatchObject({ level: "ERROR", message: "first line\nsecond line", error: "a\r\nb", request_id: null });
    expect(output[0]).not.toHaveProperty("route");
  });

  it("still writes the line when a field cannot be serialized", () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    log("WARNING", "frontend.db", "odd field", { cycle });
    expect(logRecords()).toEqual([
      {
        time: expect.any(String),
        level: "WARNING",
        logger: "frontend.db",
        message: "odd field",
        request_id: null,
        log_error: expect.stringMatching(/circular/i),
      },
    ]);
  });
});

describe("every API route handler", () => {
  const apiDir = join(dirname(fileURLToPath(import.meta.url)), "../src/app/api");
  const routeFiles = readdirSync(apiDir, { recursive: true, encoding: "utf8" }).filter(
    (file) => file.endsWith(`${sep}route.ts`) || file === "route.ts",
  );
  const templateOf = (file: string) => `/api/${dirname(file).split(sep).join("/")}`;
  const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

  it("is found", () => {
    expect(routeFiles.map(templateOf).sort()).toEqual([
      "/api/auth/[...all]",
      "/api/conversations",
      "/api/conversations/[id]/messages",
      "/api/health",
      "/api/ready",
      "/api/tasks",
      "/api/tasks/[id]",
    ]);
  });

  it("is wrapped by observeRoute with its own folder's route template", async () => {
    for (const file of routeFiles) {
      const template = templateOf(file);
      const routeModule = (await import(join(apiDir, file))) as Record<string, unknown>;
      const handlers = Object.entries(routeModule).filter(([name]) => METHODS.includes(name));
      expect(handlers.length, relative(apiDir, file)).toBeGreaterThan(0);
      for (const [name, handler] of handlers) {
        expect((handler as { [ROUTE_TEMPLATE]?: string })[ROUTE_TEMPLATE], `${name} ${template}`).toBe(template);
      }
    }
  });
});

describe("metricsPortFrom", () => {
  it("defaults to 9464, turns the server off with 0 and accepts a port number", () => {
    expect(DEFAULT_METRICS_PORT).toBe(9464);
    expect(metricsPortFrom({})).toBe(9464);
    expect(metricsPortFrom({ METRICS_PORT: " " })).toBe(9464);
    expect(metricsPortFrom({ METRICS_PORT: "0" })).toBeNull();
    expect(metricsPortFrom({ METRICS_PORT: "9100" })).toBe(9100);
    expect(metricsPortFrom({ METRICS_PORT: "65535" })).toBe(65535);
  });

  it("refuses anything else", () => {
    for (const value of ["abc", "-1", "1.5", "65536", "123456", "9464x"]) {
      expect(() => metricsPortFrom({ METRICS_PORT: value }), value).toThrow(/^METRICS_PORT must be a port number/);
    }
  });
});

describe("the metrics registry", () => {
  it("is one per process, even when its module is loaded again (Next.js bundles per entry)", async () => {
    const first = getMetrics();
    vi.resetModules();
    const again = await import("@/lib/server/metrics");
    expect(again.getMetrics).not.toBe(getMetrics);
    expect(again.getMetrics()).toBe(first);
  });
});

describe("the metrics server", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = await startMetricsServer(0, "127.0.0.1");
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.close();
    await once(server, "close");
  });

  it("serves the API metrics and the process and Node.js defaults on GET /metrics", async () => {
    await observeRoute("/api/tasks/[id]", () => new Response(null, { status: 404 }))(request("GET"));

    const response = await fetch(`${base}/metrics`);

    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const body = await response.text();
    expect(body).toContain("# TYPE todo_frontend_api_requests_total counter");
    expect(body).toContain('todo_frontend_api_requests_total{route="/api/tasks/[id]",method="GET",status="404"} 1');
    expect(body).toContain("# TYPE todo_frontend_api_request_duration_seconds histogram");
    expect(body).toContain('todo_frontend_api_request_duration_seconds_count{route="/api/tasks/[id]",method="GET"} 1');
    expect(body).toMatch(/^process_cpu_seconds_total \d/m);
    expect(body).toMatch(/^process_start_time_seconds \d/m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes \d/m);
    expect(body).toContain("# TYPE nodejs_eventloop_lag_seconds gauge");
  });

  it("ignores a query string and answers HEAD without a body", async () => {
    expect((await fetch(`${base}/metrics?format=text`)).status).toBe(200);
    const head = await fetch(`${base}/metrics`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe("");
  });

  it("answers 404 for every other path and method", async () => {
    for (const [method, path] of [
      ["GET", "/"],
      ["GET", "/metrics/"],
      ["GET", "/metricsx"],
      ["GET", "/api/health"],
      ["POST", "/metrics"],
      ["DELETE", "/metrics"],
    ] as const) {
      const response = await fetch(`${base}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(await response.text()).not.toContain("todo_frontend");
    }
  });
});
