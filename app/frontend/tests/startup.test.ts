import { afterAll, beforeEach, describe, expect, it } from "vitest";

import { ConfigError } from "@/lib/server/config";
import { getPool } from "@/lib/server/db";
import { prepareServer } from "@/lib/server/startup";

import { TEST_APP_URL, TEST_SECRET } from "./support/env";
import { closedLoopbackUrl } from "./support/fake-backend";
import { logRecords } from "./support/logs";

// This file runs in its own module graph, so the process-wide pool here points at a closed port.
beforeEach(() => {
  process.env.BETTER_AUTH_SECRET = TEST_SECRET;
  process.env.BETTER_AUTH_URL = TEST_APP_URL;
  process.env.BACKEND_URL = "http://127.0.0.1:9";
});

afterAll(async () => {
  await getPool().end();
});

describe("prepareServer", () => {
  it("fails at once, naming the problem, when the configuration is incomplete", async () => {
    delete process.env.DATABASE_URL;
    await expect(prepareServer({ databaseWaitMs: 60_000 })).rejects.toThrow(ConfigError);
    await expect(prepareServer({ databaseWaitMs: 60_000 })).rejects.toThrow("DATABASE_URL is not set");
    expect(logRecords()).toEqual([]);
  });

  it("retries while the database is unreachable, then gives up with the database error", async () => {
    const unreachable = new URL(await closedLoopbackUrl());
    process.env.DATABASE_URL = `postgresql://todo:todo@127.0.0.1:${unreachable.port}/todo`;
    await expect(prepareServer({ databaseWaitMs: 250, retryDelayMs: 50 })).rejects.toThrow(/ECONNREFUSED/);
    const retries = logRecords().filter((record) => record.message === "database not ready");
    expect(retries.length).toBeGreaterThanOrEqual(2);
    expect(retries[0]).toMatchObject({ level: "WARNING", logger: "frontend.startup", attempt: 1, retry_in_ms: 50 });
    expect(retries[0]?.error).toMatch(/ECONNREFUSED/);
  });
});
