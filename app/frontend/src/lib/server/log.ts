import { AsyncLocalStorage } from "node:async_hooks";

/**
 * JSON logs on stdout, one object per line. Every line starts with the fields the backend's lines
 * share (app/backend/app/core/logging.py), with the same names, spellings and order, so one log
 * query reads both services: `time` (ISO 8601, UTC, milliseconds, `Z`), `level` (Python's
 * names), `logger`, `message` and `request_id` (null outside an API request). A line written while
 * serving an API request also carries its route and method; then come the line's own fields:
 *
 *   {"time":"2026-12-01T04:05:06.789Z","level":"INFO","logger":"frontend.access","message":"request",
 *    "request_id":"…","route":"/api/tasks/[id]","method":"GET","status":200,"duration_ms":12.34}
 */
export type LogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR";
export type LogFields = Record<string, unknown>;

/** Who writes a line: the `logger` field, named like the backend's (`app.access`, `app.chat.tools`). */
export type LoggerName =
  /** The access line of every API request (observeRoute). */
  | "frontend.access"
  /** An API route handler that threw (observeRoute). */
  | "frontend.route"
  /** The backend proxy: session lookup, backend unreachable or failing. */
  | "frontend.proxy"
  /** Better Auth's own messages. */
  | "frontend.auth"
  /** Start-up: configuration, Better Auth's schema, waiting for the database. */
  | "frontend.startup"
  /** The PostgreSQL pool. */
  | "frontend.db"
  /** The metrics server. */
  | "frontend.metrics";

/** What every log line written while serving one API request carries. */
export interface RequestContext {
  requestId: string;
  /** The App Router route template, e.g. `/api/tasks/[id]`. */
  route: string;
  method: string;
}

// Next.js bundles server code per entry (instrumentation, each route): a module-level instance
// could exist several times in one process. globalThis holds the one instance.
const CONTEXT_KEY = Symbol.for("todo-chatbot-frontend.request-context");
const globalForContext = globalThis as typeof globalThis & { [CONTEXT_KEY]?: AsyncLocalStorage<RequestContext> };

export function requestContextStorage(): AsyncLocalStorage<RequestContext> {
  return (globalForContext[CONTEXT_KEY] ??= new AsyncLocalStorage<RequestContext>());
}

/** The context of the API request being served, if any. */
export function currentRequest(): RequestContext | undefined {
  return requestContextStorage().getStore();
}

export function log(level: LogLevel, logger: LoggerName, message: string, fields: LogFields = {}): void {
  const context = currentRequest();
  // The shared fields come first and win over a field of the same name: a query on them is reliable.
  const core = { time: new Date().toISOString(), level, logger, message, request_id: context?.requestId ?? null };
  const base = { ...core, ...(context && { route: context.route, method: context.method }) };
  let line: string;
  try {
    // JSON.stringify escapes newlines, so a message can never start a second line.
    line = JSON.stringify({ ...base, ...fields, ...core });
  } catch (error) {
    // A field that cannot be serialized (a cycle, a BigInt) must not cost the log line.
    line = JSON.stringify({ ...base, log_error: errorMessage(error) });
  }
  process.stdout.write(`${line}\n`);
}

/** An error's message for the `error` field of a log line. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
