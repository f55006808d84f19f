import { Pool } from "pg";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { migrateAuthSchema } from "@/lib/server/auth-migrations";

import { createScratchDatabase } from "./support/database";
import { TEST_APP_URL, TEST_SECRET, requireDatabaseUrl } from "./support/env";

const AUTH_TABLES = ["account", "session", "user", "verification"];

describe("migrateAuthSchema", () => {
  let database: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeEach(async () => {
    process.env.DATABASE_URL = requireDatabaseUrl();
    process.env.BETTER_AUTH_SECRET = TEST_SECRET;
    process.env.BETTER_AUTH_URL = TEST_APP_URL;
    process.env.BACKEND_URL = "http://127.0.0.1:9";
    database = await createScratchDatabase();
  });

  afterEach(async () => {
    await database.drop();
  });

  it("creates Better Auth's tables in an empty database", async () => {
    const result = await migrateAuthSchema(database.pool);
    expect([...result.createdTables].sort()).toEqual(AUTH_TABLES);
    expect(await database.tableNames()).toEqual(AUTH_TABLES);
  });

  it("does nothing the second time", async () => {
    await migrateAuthSchema(database.pool);
    expect(await migrateAuthSchema(database.pool)).toEqual({ createdTables: [], alteredTables: [] });
    expect(await database.tableNames()).toEqual(AUTH_TABLES);
  });

  it("lets two replicas start at once: one migrates, the other finds nothing to do", async () => {
    // Two pools stand for two server processes, each with its own connections.
    const secondReplica = new Pool({ connectionString: database.url, max: 10 });
    try {
      const results = await Promise.all([migrateAuthSchema(database.pool), migrateAuthSchema(secondReplica)]);
      const created = results.map((result) => result.createdTables.length).sort();
      expect(created).toEqual([0, AUTH_TABLES.length]);
      expect(await database.tableNames()).toEqual(AUTH_TABLES);
    } finally {
      await secondReplica.end();
    }
  });
});
