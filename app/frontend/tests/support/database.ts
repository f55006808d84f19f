import { randomBytes } from "node:crypto";

import { Client, Pool } from "pg";

import { requireDatabaseUrl } from "./env";

/** Creates an empty database next to the suite's one, for tests that need a blank schema. */
export async function createScratchDatabase() {
  const adminUrl = requireDatabaseUrl();
  const name = `scratch_${randomBytes(6).toString("hex")}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();

  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const pool = new Pool({ connectionString: url.toString(), max: 10 });
  return {
    url: url.toString(),
    pool,
    async tableNames(): Promise<string[]> {
      const { rows } = await pool.query<{ table_name: string }>(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
      );
      return rows.map((row) => row.table_name);
    },
    async drop() {
      await pool.end();
      const client = new Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}
