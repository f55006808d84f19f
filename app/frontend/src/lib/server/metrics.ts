import { createServer, type Server } from "node:http";

import { collectDefaultMetrics, Counter, Histogram, Registry } from "prom-client";

import { errorMessage, log } from "./log";
import type { Environment } from "./secret-files";

/**
 * Prometheus metrics of this server process: its API routes' requests and latency, and
 * prom-client's default process and Node.js metrics. Served on their own port (METRICS_PORT,
 * default 9464), never on the public app port.
 */
export interface FrontendMetrics {
  registry: Registry;
  /** API requests answered, by route template, method and status (a thrown error counts as 500). */
  requests: Counter<"route" | "method" | "status">;
  /** Time until a route handler returned its response, by route template and method. */
  duration: Histogram<"route" | "method">;
}

export const DEFAULT_METRICS_PORT = 9464;
export const METRICS_PATH = "/metrics";
// Chat messages may take up to 60 s (the backend calls a language model).
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// instrumentation.ts and every route handler are separate Next.js bundles, each possibly with
// its own copy of this module and of prom-client: one registry per process lives on globalThis.
const METRICS_KEY = Symbol.for("todo-chatbot-frontend.metrics");
const SERVER_KEY = Symbol.for("todo-chatbot-frontend.metrics-server");
const globalForMetrics = globalThis as typeof globalThis & {
  [METRICS_KEY]?: FrontendMetrics;
  [SERVER_KEY]?: Server;
};

export function getMetrics(): FrontendMetrics {
  return (globalForMetrics[METRICS_KEY] ??= createMetrics());
}

function createMetrics(): FrontendMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requests: new Counter({
      name: "todo_frontend_api_requests_total",
      help: "API requests answered by the frontend's route handlers, by route template, method and status.",
      labelNames: ["route", "method", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "todo_frontend_api_request_duration_seconds",
      help: "Time the frontend's API route handlers took to produce a response, by route template and method.",
      labelNames: ["route", "method"],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
  };
}

/** METRICS_PORT: unset or empty → 9464; `0` → no metrics server; anything else must be a port. */
export function metricsPortFrom(env: Environment = process.env): number | null {
  const raw = env.METRICS_PORT?.trim();
  if (!raw) return DEFAULT_METRICS_PORT;
  const port = /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 0 && port <= 65535)) {
    throw new Error(`METRICS_PORT must be a port number (0 turns the metrics server off), not "${raw}".`);
  }
  return port === 0 ? null : port;
}

/** Serves GET/HEAD /metrics on `port` (0: any free port); every other path or method is 404. */
export async function startMetricsServer(port: number, host?: string): Promise<Server> {
  const { registry } = getMetrics();
  const server = createServer(async (request, response) => {
    const path = (request.url ?? "").split("?", 1)[0];
    if (path !== METRICS_PATH || (request.method !== "GET" && request.method !== "HEAD")) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    try {
      const body = await registry.metrics();
      response.writeHead(200, { "content-type": registry.contentType, "cache-control": "no-store" });
      response.end(request.method === "HEAD" ? undefined : body);
    } catch (error) {
      log("ERROR", "frontend.metrics", "metrics collection failed", { error: errorMessage(error) });
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("Metrics collection failed\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => log("ERROR", "frontend.metrics", "metrics server failed", { error: errorMessage(error) }));
  // The app server keeps the process alive; this one must never keep it from exiting.
  server.unref();
  return server;
}

/**
 * Starts the metrics server from METRICS_PORT, once per process (instrumentation.ts).
 * An invalid METRICS_PORT stops the process, like any other invalid configuration; a port that
 * cannot be bound is logged and the app keeps serving without metrics.
 */
export async function startMetricsServerFromEnv(): Promise<void> {
  if (globalForMetrics[SERVER_KEY]) return;
  let port: number | null;
  try {
    port = metricsPortFrom();
  } catch (error) {
    log("ERROR", "frontend.startup", "frontend startup failed", { error: errorMessage(error) });
    process.exit(1);
  }
  if (port === null) {
    log("INFO", "frontend.metrics", "metrics server disabled (METRICS_PORT=0)");
    return;
  }
  try {
    globalForMetrics[SERVER_KEY] = await startMetricsServer(port);
    log("INFO", "frontend.metrics", "metrics server listening", { port, path: METRICS_PATH });
  } catch (error) {
    log("ERROR", "frontend.metrics", "metrics server could not start", { port, error: errorMessage(error) });
  }
}
