import { AsyncLocalStorage } from "node:async_hooks";

/**
 * JSON logs on stdout, one object per line (like the backend's), each carrying the request
 * id, route and method of the API request being served:
 *
 *   {"time":"2025-01-01T12:00:00.000Z","level":"info","msg":"request","request_id":"…",
 *    "route":"/api/tasks/[id]","method":"GET","status":200,"duration_ms":12.34}
 */
export type LogLevel = "info" | "warn" | "error";
export type LogFields = Record<string, unknown>;

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

export function log(level: LogLevel, msg: string, fields: LogFields = {}): void {
  const context = currentRequest();
  const base = {
    time: new Date().toISOString(),
    level,
    msg,
    ...(context && { request_id: context.requestId, route: context.route, method: context.method }),
  };
  let line: string;
  try {
    // JSON.stringify escapes newlines, so a message can never start a second line.
    line = JSON.stringify({ ...base, ...fields });
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
