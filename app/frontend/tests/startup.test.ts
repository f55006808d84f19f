import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ConfigError } from "@/lib/server/config";
import { getPool } from "@/lib/server/db";
import { prepareServer } from "@/lib/server/startup";

import { TEST_APP_URL, TEST_SECRET } from "./support/env";
import { closedLoopbackUrl } from "./support/fake-backend";

// This file runs in its own module graph, so the process-wide pool here points at a closed port.
beforeEach(() => {
  vi.spyOn(console, "warn").mockImplementation(() => undefined);
  process.env.BETTER_AUTH_SECRET = TEST_SECRET;
  process.env.BETTER_AUTH_URL = TEST_APP_URL;
  process.env.BACKEND_URL = "http://127.0.0.1:9";
});

afterEach(() => {
  vi.restoreAllMocks();
});

afterAll(async () => {
  await getPool().end();
});

describe("prepareServer", () => {
  it("fails at once, naming the problem, when the configuration is incomplete", async () => {
    delete process.env.DATABASE_URL;
    await expect(prepareServer({ databaseWaitMs: 60_000 })).rejects.toThrow(ConfigError);
    await expect(prepareServer({ databaseWaitMs: 60_000 })).rejects.toThrow("DATABASE_URL is not set");
    expect(console.warn).not.toHaveBeenCalled();
  });

  it("retries while the database is unreachable, then gives up with the database error", async () => {
    const unreachable = new URL(await closedLoopbackUrl());
    process.env.DATABASE_URL = `postgresql://todo:todo@127.0.0.1:${unreachable.port}/todo`;
    await expect(prepareServer({ databaseWaitMs: 250, retryDelayMs: 50 })).rejects.toThrow(/ECONNREFUSED/);
    expect(vi.mocked(console.warn).mock.calls.length).toBeGreaterThanOrEqual(2);
    expect(String(vi.mocked(console.warn).mock.calls[0]?.[0])).toMatch(/^Database not ready \(attempt 1\)/);
  });
});
