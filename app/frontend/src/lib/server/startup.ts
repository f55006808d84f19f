import { migrateAuthSchema } from "./auth-migrations";
import { ConfigError, readServerConfig } from "./config";
import { getPool } from "./db";
import { errorMessage, log } from "./log";

export interface StartupOptions {
  /** How long to keep retrying while the database is unreachable (it may start after us). */
  databaseWaitMs?: number;
  retryDelayMs?: number;
}

/**
 * Validates the configuration and migrates Better Auth's tables before the first request.
 * A bad configuration fails at once; an unreachable database is retried until the deadline.
 */
export async function prepareServer({ databaseWaitMs = 60_000, retryDelayMs = 2_000 }: StartupOptions = {}) {
  readServerConfig();
  const deadline = Date.now() + databaseWaitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      const { createdTables, alteredTables } = await migrateAuthSchema(getPool());
      const changed = [...createdTables, ...alteredTables];
      log("INFO", "frontend.startup", changed.length ? "Better Auth schema migrated" : "Better Auth schema is up to date", { tables: changed });
      return;
    } catch (error) {
      if (error instanceof ConfigError || Date.now() + retryDelayMs > deadline) throw error;
      log("WARNING", "frontend.startup", "database not ready", { attempt, error: errorMessage(error), retry_in_ms: retryDelayMs });
      await new Promise((resolve) => setTimeout(resolve, retryDelayMs));
    }
  }
}

/** Runs prepareServer and stops the process if it fails, so the orchestrator restarts it. */
export async function prepareServerOrExit() {
  try {
    await prepareServer();
  } catch (error) {
    log("ERROR", "frontend.startup", "frontend startup failed", { error: errorMessage(error) });
    process.exit(1);
  }
}
