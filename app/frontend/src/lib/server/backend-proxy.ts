import { getSessionUser, type SessionUser } from "./auth";
import { readServerConfig } from "./config";
import { mintBackendToken } from "./backend-token";
import { errorMessage, log } from "./log";
import { outgoingRequestId, REQUEST_ID_HEADER } from "./observe-route";

/** Error bodies the frontend's API routes produce themselves (backend 4xx bodies pass through). */
export interface ProxyErrorBody {
  error: "unauthorized" | "not_found" | "payload_too_large" | "backend_unavailable" | "backend_error" | "auth_unavailable";
  message: string;
}

export const DEFAULT_BACKEND_TIMEOUT_MS = 10_000;
export const MAX_REQUEST_BODY_BYTES = 64 * 1024;
// Resource ids travel in the backend URL's path: allow nothing that could change the path.
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

export function jsonError(status: number, error: ProxyErrorBody["error"], message: string): Response {
  return Response.json({ error, message } satisfies ProxyErrorBody, { status });
}

/** `/api/tasks` + `42` → `/api/tasks/42`, or null when the id is not a plain identifier. */
export function resourcePath(collection: string, id: string, suffix = ""): string | null {
  return SAFE_ID.test(id) ? `${collection}/${id}${suffix}` : null;
}

export interface ProxyOptions {
  /** Query parameters forwarded to the backend; all others are dropped. */
  forwardQuery?: readonly string[];
  timeoutMs?: number;
}

/**
 * Forwards a browser request to the backend as the signed-in user:
 * 401 without a session (the backend is not called), a fresh JWT otherwise,
 * backend 2xx/4xx passed through, backend 3xx/5xx → 502, backend unreachable or too slow → 503.
 */
export async function proxyToBackend(
  request: Request,
  backendPath: string | null,
  { forwardQuery = [], timeoutMs = DEFAULT_BACKEND_TIMEOUT_MS }: ProxyOptions = {},
): Promise<Response> {
  let user: SessionUser | null;
  try {
    user = await getSessionUser(request.headers);
  } catch (error) {
    log("ERROR", "frontend.proxy", "session lookup failed", { error: errorMessage(error) });
    return jsonError(503, "auth_unavailable", "Sign-in service is unavailable. Try again in a moment.");
  }
  if (!user) return jsonError(401, "unauthorized", "You are not signed in, or your session has expired.");
  if (backendPath === null) return jsonError(404, "not_found", "No such resource.");

  const hasBody = request.method !== "GET" && request.method !== "HEAD" && request.method !== "DELETE";
  const body = hasBody ? await request.text() : "";
  if (new TextEncoder().encode(body).byteLength > MAX_REQUEST_BODY_BYTES) {
    return jsonError(413, "payload_too_large", `Request body exceeds ${MAX_REQUEST_BODY_BYTES} bytes.`);
  }

  const config = readServerConfig();
  const target = new URL(`${config.backendUrl}${backendPath}`);
  const incomingQuery = new URL(request.url).searchParams;
  for (const name of forwardQuery) {
    const value = incomingQuery.get(name);
    if (value !== null) target.searchParams.set(name, value);
  }

  const headers = new Headers({
    accept: "application/json",
    authorization: `Bearer ${await mintBackendToken(user.id, config.betterAuthSecret)}`,
    // The same id in the backend's log lines as in ours: one request's path across both.
    [REQUEST_ID_HEADER]: outgoingRequestId(request),
  });
  if (body) headers.set("content-type", "application/json");

  let upstream: Response;
  try {
    upstream = await fetch(target, {
      method: request.method,
      headers,
      body: body || undefined,
      cache: "no-store",
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason = error instanceof DOMException && error.name === "TimeoutError" ? "did not answer in time" : "is unreachable";
    log("ERROR", "frontend.proxy", "backend request failed", {
      backend_method: request.method,
      backend_path: backendPath,
      error: errorMessage(error),
    });
    return jsonError(503, "backend_unavailable", `The task service ${reason}. Try again in a moment.`);
  }

  // A redirect would send the browser to the backend's internal address: treat it as a fault too.
  if (upstream.status >= 500 || (upstream.status >= 300 && upstream.status < 400)) {
    log("ERROR", "frontend.proxy", "backend answered with an error", {
      backend_method: request.method,
      backend_path: backendPath,
      backend_status: upstream.status,
    });
    await upstream.body?.cancel();
    return jsonError(502, "backend_error", "The task service failed to handle the request. Try again in a moment.");
  }
  if (upstream.status === 204) {
    return new Response(null, { status: upstream.status });
  }
  return new Response(await upstream.text(), {
    status: upstream.status,
    headers: { "content-type": upstream.headers.get("content-type") ?? "application/json", "cache-control": "no-store" },
  });
}
