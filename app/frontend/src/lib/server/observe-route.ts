import { randomUUID } from "node:crypto";

import { currentRequest, errorMessage, log, requestContextStorage } from "./log";
import { getMetrics } from "./metrics";

export const REQUEST_ID_HEADER = "x-request-id";
// The backend's rule: a caller's id is reused only when it is short and plain, so it cannot
// forge log lines or headers; anything else gets a fresh id.
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's valid `x-request-id`, or a fresh one (32 hex digits, like the backend's). */
export function requestIdFrom(headers: Headers): string {
  const incoming = headers.get(REQUEST_ID_HEADER);
  return incoming !== null && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID().replaceAll("-", "");
}

/**
 * The id to send the backend in `x-request-id`: the id of the API request being served, else
 * (called outside observeRoute) the request's valid id or a fresh one.
 */
export function outgoingRequestId(request?: Request): string {
  return currentRequest()?.requestId ?? requestIdFrom(request?.headers ?? new Headers());
}

/** The route template an observed handler was declared with (tests check it against its file). */
export const ROUTE_TEMPLATE = Symbol.for("todo-chatbot-frontend.route-template");

type Handler<Context> = (request: Request, context: Context) => Response | Promise<Response>;
// Next.js always passes the context; it is optional here so tests can call context-free handlers.
export type ObservedHandler<Context> = ((request: Request, context?: Context) => Promise<Response>) & {
  [ROUTE_TEMPLATE]: string;
};

/**
 * Wraps an API route handler: gives the request an id (a valid incoming `x-request-id`, else a
 * new one) that log lines and the backend call carry and the response returns, counts the
 * request by status and times it in the metrics, and writes one access log line. A thrown error
 * is logged and answered with a JSON 500 (and counted as 500).
 *
 * `route` is the App Router template of the file's folder (`/api/tasks/[id]`), never the raw
 * path, so the metrics' label values stay bounded.
 */
export function observeRoute<Context = unknown>(route: string, handler: Handler<Context>): ObservedHandler<Context> {
  const observed = (request: Request, context?: Context): Promise<Response> => {
    const started = performance.now();
    const { method } = request;
    const requestId = requestIdFrom(request.headers);
    return requestContextStorage().run({ requestId, route, method }, async () => {
      let response: Response;
      try {
        response = await handler(request, context as Context);
      } catch (error) {
        log("ERROR", "frontend.route", "route handler failed", {
          error: errorMessage(error),
          stack: error instanceof Error ? error.stack : undefined,
        });
        response = Response.json(
          { error: "internal_error", message: "Something went wrong on our side. Try again in a moment." },
          { status: 500 },
        );
      }
      response = withHeader(response, REQUEST_ID_HEADER, requestId);
      const seconds = (performance.now() - started) / 1000;
      const { requests, duration } = getMetrics();
      requests.inc({ route, method, status: String(response.status) });
      duration.observe({ route, method }, seconds);
      log("INFO", "frontend.access", "request", { status: response.status, duration_ms: Math.round(seconds * 100_000) / 100 });
      return response;
    });
  };
  return Object.assign(observed, { [ROUTE_TEMPLATE]: route });
}

/** Sets a header, copying the response first when its headers are immutable (Response.redirect). */
function withHeader(response: Response, name: string, value: string): Response {
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const copy = new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: new Headers(response.headers),
    });
    copy.headers.set(name, value);
    return copy;
  }
}
