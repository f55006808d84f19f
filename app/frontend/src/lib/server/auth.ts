import { betterAuth, type BetterAuthOptions } from "better-auth";
import type { Pool } from "pg";

import { MIN_PASSWORD_LENGTH } from "../auth-rules";

import { readServerConfig, type ServerConfig } from "./config";
import { getPool } from "./db";
import { log, type LogLevel } from "./log";

/** A session lasts 7 days from sign-in; it is not extended by use, so its end is predictable. */
export const SESSION_EXPIRES_IN_SECONDS = 60 * 60 * 24 * 7;

// Better Auth's levels as the log lines spell them (Python's names, like the backend's).
const BETTER_AUTH_LEVELS: Record<"debug" | "info" | "warn" | "error", LogLevel> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
};

/** Better Auth's options; the migration step reads the same options to derive the schema. */
export function authOptions(config: ServerConfig, pool: Pool) {
  return {
    appName: "Todo Chatbot",
    database: pool,
    secret: config.betterAuthSecret,
    baseURL: config.betterAuthUrl,
    basePath: "/api/auth",
    emailAndPassword: { enabled: true, minPasswordLength: MIN_PASSWORD_LENGTH, autoSignIn: true },
    session: { expiresIn: SESSION_EXPIRES_IN_SECONDS, disableSessionRefresh: true },
    telemetry: { enabled: false },
    // Better Auth's own messages as JSON log lines too (with the request id when in a request).
    logger: {
      log: (level, message, ...details: unknown[]) =>
        log(BETTER_AUTH_LEVELS[level], "frontend.auth", message, {
          ...(details.length > 0 && { details: details.map((detail) => (detail instanceof Error ? detail.message : detail)) }),
        }),
    },
  } satisfies BetterAuthOptions;
}

function createAuth() {
  return betterAuth(authOptions(readServerConfig(), getPool()));
}

export type Auth = ReturnType<typeof createAuth>;

const globalForAuth = globalThis as typeof globalThis & { todoChatbotAuth?: Auth };

/** The process-wide Better Auth instance, built on first use from the run-time configuration. */
export function getAuth(): Auth {
  globalForAuth.todoChatbotAuth ??= createAuth();
  return globalForAuth.todoChatbotAuth;
}

export interface SessionUser {
  id: string;
  name: string;
  email: string;
}

/** The signed-in user for these request headers (the session cookie), or null. */
export async function getSessionUser(headers: Headers): Promise<SessionUser | null> {
  const session = await getAuth().api.getSession({ headers });
  if (!session) return null;
  const { id, name, email } = session.user;
  return { id, name, email };
}
