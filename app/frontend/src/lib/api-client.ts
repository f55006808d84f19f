// The browser's side of this frontend's /api routes: JSON in, JSON out, errors as ApiError.

export class ApiError extends Error {
  override name = "ApiError";

  constructor(
    /** HTTP status; 0 when the request never got an answer. */
    readonly status: number,
    message: string,
    /** Validation messages by field name (from the backend's 422 `detail`). */
    readonly fieldErrors: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Any error caught around apiRequest, as an ApiError. */
export function asApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError(0, (error as Error).message);
}

interface ValidationIssue {
  loc?: unknown[];
  msg?: string;
}

/** Turns any error body this app can receive (proxy errors, FastAPI `detail`) into an ApiError. */
export function toApiError(status: number, body: unknown): ApiError {
  const payload = (typeof body === "object" && body !== null ? body : {}) as {
    message?: unknown;
    detail?: unknown;
  };
  if (status === 401) return new ApiError(status, "Your session has expired. Sign in again.");
  if (typeof payload.message === "string") return new ApiError(status, payload.message);
  if (typeof payload.detail === "string") return new ApiError(status, payload.detail);
  if (Array.isArray(payload.detail)) {
    const fieldErrors: Record<string, string> = {};
    const general: string[] = [];
    for (const issue of payload.detail as ValidationIssue[]) {
      const field = issue.loc?.at(-1);
      const text = issue.msg ?? "is invalid";
      if (typeof field === "string" && issue.loc?.[0] === "body") fieldErrors[field] ??= text;
      else general.push(text);
    }
    const message = general.length > 0 ? general.join("; ") : "Some fields need attention.";
    return new ApiError(status, message, fieldErrors);
  }
  return new ApiError(status, `The request failed (HTTP ${status}).`);
}

export async function apiRequest<Result>(
  path: string,
  { method = "GET", body }: { method?: string; body?: unknown } = {},
): Promise<Result> {
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }
  if (response.status === 204) return undefined as Result;
  const payload: unknown = await response.json().catch(() => null);
  if (!response.ok) throw toApiError(response.status, payload);
  return payload as Result;
}
