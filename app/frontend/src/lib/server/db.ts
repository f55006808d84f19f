import { Pool } from "pg";

import { readServerConfig } from "./config";
import { log } from "./log";

// One pool per server process; kept on globalThis so `next dev` reloads do not leak pools.
const globalForPool = globalThis as typeof globalThis & { todoChatbotPool?: Pool };

/** The process-wide PostgreSQL pool for Better Auth, created on first use from DATABASE_URL. */
export function getPool(): Pool {
  if (!globalForPool.todoChatbotPool) {
    const pool = new Pool({ connectionString: readServerConfig().databaseUrl, max: 10 });
    // An idle client losing its connection (database restart) must not crash the server;
    // the pool replaces it on the next checkout.
    pool.on("error", (error) => log("ERROR", "frontend.db", "PostgreSQL idle client error", { error: error.message }));
    globalForPool.todoChatbotPool = pool;
  }
  return globalForPool.todoChatbotPool;
}
