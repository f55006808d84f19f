import { jwtVerify } from "jose";
import { Pool } from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import * as conversationMessages from "@/app/api/conversations/[id]/messages/route";
import * as conversations from "@/app/api/conversations/route";
import * as task from "@/app/api/tasks/[id]/route";
import * as tasks from "@/app/api/tasks/route";
import { migrateAuthSchema } from "@/lib/server/auth-migrations";
import { MAX_REQUEST_BODY_BYTES, proxyToBackend } from "@/lib/server/backend-proxy";
import { getPool } from "@/lib/server/db";
import { REQUEST_ID_HEADER } from "@/lib/server/observe-route";

import { callAuth, cookieHeader, signUpUser, type TestUser } from "./support/auth";
import { TEST_APP_URL, TEST_SECRET, useServerEnv } from "./support/env";
import { closedLoopbackUrl, startFakeBackend, type FakeBackend } from "./support/fake-backend";
import { logRecords } from "./support/logs";

let backend: FakeBackend;
let user: TestUser;

function browserRequest(
  path: string,
  init: { method?: string; body?: string; cookie?: string | null; requestId?: string } = {},
) {
  const headers = new Headers();
  const cookie = init.cookie === undefined ? user.cookie : init.cookie;
  if (cookie) headers.set("cookie", cookie);
  if (init.requestId !== undefined) headers.set(REQUEST_ID_HEADER, init.requestId);
  if (init.body !== undefined) headers.set("content-type", "application/json");
  return new Request(`${TEST_APP_URL}${path}`, { method: init.method ?? "GET", headers, body: init.body });
}

function params(id: string) {
  return { params: Promise.resolve({ id }) };
}

async function bearerClaims(authorization: string | string[] | undefined) {
  expect(authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
  const token = String(authorization).slice("Bearer ".length);
  const { payload } = await jwtVerify(token, new TextEncoder().encode(TEST_SECRET), {
    algorithms: ["HS256"],
    issuer: "todo-chatbot-frontend",
    audience: "todo-chatbot-backend",
  });
  return payload;
}

beforeAll(async () => {
  backend = await startFakeBackend();
  useServerEnv(backend.url);
  await migrateAuthSchema(getPool());
  user = await signUpUser();
});

afterAll(async () => {
  await backend.close();
  await getPool().end();
});

beforeEach(() => {
  backend.reset();
  process.env.BACKEND_URL = backend.url;
});

describe("signed-out requests", () => {
  it("get 401 and never reach the backend", async () => {
    const responses = await Promise.all([
      tasks.GET(browserRequest("/api/tasks", { cookie: null })),
      tasks.POST(browserRequest("/api/tasks", { method: "POST", body: '{"title":"x"}', cookie: null })),
      task.DELETE(browserRequest("/api/tasks/1", { method: "DELETE", cookie: null }), params("1")),
      conversations.GET(browserRequest("/api/conversations", { cookie: "better-auth.session_token=forged" })),
    ]);
    for (const response of responses) {
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        error: "unauthorized",
        message: "You are not signed in, or your session has expired.",
      });
    }
    expect(backend.requests).toHaveLength(0);
  });
});

describe("signed-in requests", () => {
  it("list tasks with a fresh JWT for the session user and only the allowed query parameters", async () => {
    const page = { items: [{ id: 1, title: "Buy milk" }], total: 1, limit: 5, offset: 0 };
    backend.respondWith(() => ({ status: 200, body: page }));

    const response = await tasks.GET(browserRequest("/api/tasks?status=pending&limit=5&offset=0&user_id=someone-else"));

    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(page);
    expect(backend.requests).toHaveLength(1);
    const [received] = backend.requests;
    expect(received?.method).toBe("GET");
    expect(received?.url).toBe("/api/tasks?status=pending&limit=5&offset=0");
    expect(received?.headers.cookie).toBeUndefined();
    const claims = await bearerClaims(received?.headers.authorization);
    expect(claims.sub).toBe(user.id);
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(300);
  });

  it("create a task by forwarding the JSON body and the backend's 201", async () => {
    backend.respondWith(() => ({ status: 201, body: { id: 7, title: "Call mom", completed: false } }));

    const body = JSON.stringify({ title: "Call mom", description: "Sunday" });
    const response = await tasks.POST(browserRequest("/api/tasks", { method: "POST", body }));

    expect(response.status).toBe(201);
    expect(await response.json()).toEqual({ id: 7, title: "Call mom", completed: false });
    const [received] = backend.requests;
    expect(received).toMatchObject({ method: "POST", url: "/api/tasks", body });
    expect(received?.headers["content-type"]).toBe("application/json");
  });

  it("reach one task by id for GET, PATCH and DELETE", async () => {
    backend.respondWith((request) =>
      request.method === "DELETE" ? { status: 204 } : { status: 200, body: { id: 42, completed: true } },
    );

    const patched = await task.PATCH(browserRequest("/api/tasks/42", { method: "PATCH", body: '{"completed":true}' }), params("42"));
    const fetched = await task.GET(browserRequest("/api/tasks/42"), params("42"));
    const deleted = await task.DELETE(browserRequest("/api/tasks/42", { method: "DELETE" }), params("42"));

    expect(patched.status).toBe(200);
    expect(await patched.json()).toEqual({ id: 42, completed: true });
    expect(fetched.status).toBe(200);
    expect(deleted.status).toBe(204);
    expect(await deleted.text()).toBe("");
    expect(backend.requests.map((request) => `${request.method} ${request.url} ${request.body}`)).toEqual([
      'PATCH /api/tasks/42 {"completed":true}',
      "GET /api/tasks/42 ",
      "DELETE /api/tasks/42 ",
    ]);
  });

  it("refuse ids that would change the backend path", async () => {
    for (const id of ["..", "1/../../admin", "1?x=1", ""]) {
      const response = await task.GET(browserRequest("/api/tasks/x"), params(id));
      expect(response.status).toBe(404);
    }
    expect(backend.requests).toHaveLength(0);
  });

  it("create conversations and send chat messages to the conversation's path", async () => {
    backend.respondWith((request) =>
      request.url === "/api/conversations"
        ? { status: 201, body: { id: 3, title: "Chat" } }
        : { status: 200, body: { reply: { content: "Added." }, tasks_changed: true, mode: "offline" } },
    );

    const created = await conversations.POST(browserRequest("/api/conversations", { method: "POST", body: "{}" }));
    const sent = await conversationMessages.POST(
      browserRequest("/api/conversations/3/messages", { method: "POST", body: '{"content":"add milk"}' }),
      params("3"),
    );

    expect(created.status).toBe(201);
    expect(await sent.json()).toEqual({ reply: { content: "Added." }, tasks_changed: true, mode: "offline" });
    expect(backend.requests.map((request) => `${request.method} ${request.url} ${request.body}`)).toEqual([
      "POST /api/conversations {}",
      'POST /api/conversations/3/messages {"content":"add milk"}',
    ]);
  });

  it("refuse request bodies over the size limit without calling the backend", async () => {
    const body = JSON.stringify({ title: "x".repeat(MAX_REQUEST_BODY_BYTES) });
    const response = await tasks.POST(browserRequest("/api/tasks", { method: "POST", body }));
    expect(response.status).toBe(413);
    expect(backend.requests).toHaveLength(0);
  });
});

describe("request ids", () => {
  it("forward a valid incoming x-request-id to the backend and return it to the browser", async () => {
    const response = await task.GET(browserRequest("/api/tasks/5", { requestId: "browser-trace.42:a_b" }), params("5"));

    expect(response.status).toBe(200);
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("browser-trace.42:a_b");
    expect(backend.requests[0]?.headers[REQUEST_ID_HEADER]).toBe("browser-trace.42:a_b");
    const access = logRecords().filter((record) => record.message === "request");
    expect(access).toEqual([
      {
        time: expect.any(String),
        level: "INFO",
        logger: "frontend.access",
        message: "request",
        request_id: "browser-trace.42:a_b",
        route: "/api/tasks/[id]",
        method: "GET",
        status: 200,
        duration_ms: expect.any(Number),
      },
    ]);
  });

  it("replace an invalid or missing incoming id with a fresh one, the same for the backend and the browser", async () => {
    const ids: string[] = [];
    for (const requestId of ["has spaces", "x".repeat(129), "semi;colon", undefined]) {
      backend.reset();
      const response = await tasks.POST(browserRequest("/api/tasks", { method: "POST", body: '{"title":"x"}', requestId }));
      const sent = response.headers.get(REQUEST_ID_HEADER);
      expect(sent).toMatch(/^[0-9a-f]{32}$/);
      expect(backend.requests[0]?.headers[REQUEST_ID_HEADER]).toBe(sent);
      ids.push(sent!);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("come back on answers the frontend makes itself, without calling the backend", async () => {
    const response = await tasks.GET(browserRequest("/api/tasks", { cookie: null, requestId: "signed-out-1" }));
    expect(response.status).toBe(401);
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("signed-out-1");
    expect(logRecords().find((record) => record.message === "request")).toMatchObject({
      request_id: "signed-out-1",
      route: "/api/tasks",
      status: 401,
    });
  });
});

describe("backend errors", () => {
  it("pass validation errors through unchanged", async () => {
    const detail = [{ type: "string_too_short", loc: ["body", "title"], msg: "String should have at least 1 character" }];
    backend.respondWith(() => ({ status: 422, body: { detail } }));

    const response = await tasks.POST(browserRequest("/api/tasks", { method: "POST", body: '{"title":""}' }));

    expect(response.status).toBe(422);
    expect(await response.json()).toEqual({ detail });
  });

  it("pass not-found through unchanged", async () => {
    backend.respondWith(() => ({ status: 404, body: { detail: "Task not found" } }));
    const response = await task.GET(browserRequest("/api/tasks/9"), params("9"));
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ detail: "Task not found" });
  });

  it("turn a backend failure into 502 without leaking its body", async () => {
    backend.respondWith(() => ({ status: 500, body: { detail: "Traceback: secret internals" } }));
    const response = await tasks.GET(browserRequest("/api/tasks"));
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      error: "backend_error",
      message: "The task service failed to handle the request. Try again in a moment.",
    });
    // Both log lines of this request carry its id: the error and the access line.
    const requestId = response.headers.get(REQUEST_ID_HEADER);
    expect(logRecords()).toEqual([
      expect.objectContaining({
        level: "ERROR",
        logger: "frontend.proxy",
        message: "backend answered with an error",
        request_id: requestId,
        route: "/api/tasks",
        method: "GET",
        backend_method: "GET",
        backend_path: "/api/tasks",
        backend_status: 500,
      }),
      expect.objectContaining({ level: "INFO", logger: "frontend.access", message: "request", request_id: requestId, status: 502 }),
    ]);
    expect(backend.requests[0]?.headers[REQUEST_ID_HEADER]).toBe(requestId);
  });

  it("turn a backend redirect into 502 instead of sending the browser to an internal address", async () => {
    backend.respondWith(() => ({ status: 307 }));
    const response = await tasks.GET(browserRequest("/api/tasks"));
    expect(response.status).toBe(502);
  });

  it("answer 503 when the backend is unreachable", async () => {
    process.env.BACKEND_URL = await closedLoopbackUrl();
    const response = await tasks.GET(browserRequest("/api/tasks"));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: "backend_unavailable",
      message: "The task service is unreachable. Try again in a moment.",
    });
    expect(logRecords()[0]).toMatchObject({
      level: "ERROR",
      logger: "frontend.proxy",
      message: "backend request failed",
      request_id: response.headers.get(REQUEST_ID_HEADER),
      backend_path: "/api/tasks",
      error: "fetch failed",
    });
  });

  it("answer 503 when the backend does not answer in time", async () => {
    backend.respondWith(() => ({ status: 200, body: {}, delayMs: 1_000 }));
    const response = await proxyToBackend(browserRequest("/api/tasks"), "/api/tasks", { timeoutMs: 100 });
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      error: "backend_unavailable",
      message: "The task service did not answer in time. Try again in a moment.",
    });
  });
});

describe("sessions", () => {
  it("sign in with the right password only", async () => {
    const wrong = await callAuth("/sign-in/email", { email: user.email, password: "not the password" });
    expect(wrong.status).toBe(401);
    // Better Auth's own message is a JSON line of the same request too.
    expect(logRecords().find((record) => record.logger === "frontend.auth")).toMatchObject({
      level: "WARNING",
      message: "Invalid password",
      request_id: wrong.headers.get(REQUEST_ID_HEADER),
      route: "/api/auth/[...all]",
      method: "POST",
    });

    const right = await callAuth("/sign-in/email", { email: user.email, password: user.password });
    expect(right.status).toBe(200);
    const response = await tasks.GET(browserRequest("/api/tasks", { cookie: cookieHeader(right) }));
    expect(response.status).toBe(200);
    expect((await bearerClaims(backend.requests[0]?.headers.authorization)).sub).toBe(user.id);
  });

  it("end at sign-out", async () => {
    const signedIn = await signUpUser();
    expect((await tasks.GET(browserRequest("/api/tasks", { cookie: signedIn.cookie }))).status).toBe(200);

    const signOut = await callAuth("/sign-out", {}, signedIn.cookie);
    expect(signOut.status).toBe(200);

    expect((await tasks.GET(browserRequest("/api/tasks", { cookie: signedIn.cookie }))).status).toBe(401);
    expect(backend.requests).toHaveLength(1);
  });

  it("end when they expire", async () => {
    const expiring = await signUpUser();
    const pool = new Pool({ connectionString: process.env.DATABASE_URL });
    try {
      const { rowCount } = await pool.query(
        `UPDATE "session" SET "expiresAt" = now() - interval '1 second' WHERE "userId" = $1`,
        [expiring.id],
      );
      expect(rowCount).toBe(1);
    } finally {
      await pool.end();
    }
    const response = await tasks.GET(browserRequest("/api/tasks", { cookie: expiring.cookie }));
    expect(response.status).toBe(401);
    expect(backend.requests).toHaveLength(0);
  });
});
