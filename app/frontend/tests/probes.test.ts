import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import * as health from "@/app/api/health/route";
import * as ready from "@/app/api/ready/route";
import { REQUEST_ID_HEADER } from "@/lib/server/observe-route";

import { TEST_APP_URL, TEST_SECRET } from "./support/env";
import { closedLoopbackUrl, startFakeBackend, type FakeBackend } from "./support/fake-backend";

let backend: FakeBackend;

function probe(path: string, requestId?: string) {
  return new Request(`http://10.0.0.5:3000${path}`, { headers: requestId ? { [REQUEST_ID_HEADER]: requestId } : {} });
}

beforeAll(async () => {
  backend = await startFakeBackend();
});

afterAll(async () => {
  await backend.close();
});

beforeEach(() => {
  backend.reset();
  // Readiness needs only BACKEND_URL; a database that does not exist proves it is never used.
  process.env.DATABASE_URL = "postgresql://nobody:nothing@127.0.0.1:9/none";
  process.env.BETTER_AUTH_SECRET = TEST_SECRET;
  process.env.BETTER_AUTH_URL = TEST_APP_URL;
  process.env.BACKEND_URL = backend.url;
});

describe("GET /api/health", () => {
  it("answers ok without configuration, backend or database", async () => {
    for (const key of ["DATABASE_URL", "BETTER_AUTH_SECRET", "BETTER_AUTH_URL", "BACKEND_URL"]) delete process.env[key];
    const response = await health.GET(probe("/api/health"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
    expect(backend.requests).toHaveLength(0);
  });
});

describe("GET /api/ready", () => {
  it("is ready when the backend's /health answers 200", async () => {
    backend.respondWith(() => ({ status: 200, body: { status: "ok" } }));
    const response = await ready.GET(probe("/api/ready", "probe-1"));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", backend: "ok" });
    expect(backend.requests.map((request) => `${request.method} ${request.url}`)).toEqual(["GET /health"]);
    expect(backend.requests[0]?.headers.authorization).toBeUndefined();
    expect(backend.requests[0]?.headers[REQUEST_ID_HEADER]).toBe("probe-1");
    expect(response.headers.get(REQUEST_ID_HEADER)).toBe("probe-1");
  });

  it("is not ready when the backend's /health fails", async () => {
    backend.respondWith(() => ({ status: 500, body: { status: "broken" } }));
    const response = await ready.GET(probe("/api/ready"));
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: "not_ready", backend: "unavailable (500)" });
  });

  it("is not ready when the backend is unreachable", async () => {
    process.env.BACKEND_URL = await closedLoopbackUrl();
    const response = await ready.GET(probe("/api/ready"));
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: "not_ready" });
  });
});
