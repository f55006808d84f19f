import { getMigrations } from "better-auth/db/migration";
import type { Pool } from "pg";

import { authOptions } from "./auth";
import { readServerConfig } from "./config";

// Arbitrary constant shared by every replica: whoever holds it migrates, the others wait,
// then find nothing left to do. Distinct from the backend's Alembic lock.
export const AUTH_MIGRATION_LOCK_KEY = 7_316_402_118;

export interface AuthMigrationResult {
  createdTables: string[];
  alteredTables: string[];
}

/** Creates or updates Better Auth's tables. Idempotent; safe to run from several replicas at once. */
export async function migrateAuthSchema(pool: Pool): Promise<AuthMigrationResult> {
  const options = authOptions(readServerConfig(), pool);
  // The lock lives on its own connection; the migration itself runs on other pool clients.
  const lockClient = await pool.connect();
  try {
    await lockClient.query("SELECT pg_advisory_lock($1)", [AUTH_MIGRATION_LOCK_KEY]);
    try {
      const { toBeCreated, toBeAdded, runMigrations } = await getMigrations(options);
      await runMigrations();
      return {
        createdTables: toBeCreated.map((change) => change.table),
        alteredTables: toBeAdded.map((change) => change.table),
      };
    } finally {
      await lockClient.query("SELECT pg_advisory_unlock($1)", [AUTH_MIGRATION_LOCK_KEY]);
    }
  } finally {
    lockClient.release();
  }
}
