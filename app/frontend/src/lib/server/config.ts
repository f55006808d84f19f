import { type Environment, withSecretFiles } from "./secret-files";

/**
 * The server's run-time configuration, read from the environment on every call (never
 * at build time: the same image runs in every environment). The secrets may instead be files
 * in SECRETS_DIR (secret-files.ts). See docs/ARCHITECTURE.md.
 */
export interface ServerConfig {
  /** postgresql://USER:PASSWORD@HOST:5432/DB, where Better Auth keeps users and sessions. */
  databaseUrl: string;
  /** Signs Better Auth sessions and the JWTs sent to the backend. */
  betterAuthSecret: string;
  /** The public URL of this frontend, e.g. http://localhost:3000. */
  betterAuthUrl: string;
  /** The backend's base URL on the cluster network, without a trailing slash. */
  backendUrl: string;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

export const MIN_SECRET_LENGTH = 32;

/** The secrets the frontend reads (docs/ARCHITECTURE.md "Environment"). */
export const SECRET_KEYS = ["DATABASE_URL", "BETTER_AUTH_SECRET"] as const;

function readUrl(env: Environment, key: string, protocols: readonly string[], problems: string[]): string {
  const value = env[key]?.trim();
  if (!value) {
    problems.push(`${key} is not set`);
    return "";
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${key} is not a valid URL`);
    return "";
  }
  if (!protocols.includes(url.protocol)) {
    problems.push(`${key} must start with ${protocols.map((p) => `${p}//`).join(" or ")}`);
    return "";
  }
  return value.replace(/\/+$/, "");
}

/** Reads and validates the configuration; throws one ConfigError that lists every problem. */
export function readServerConfig(environment: Environment = process.env): ServerConfig {
  const problems: string[] = [];
  const env = withSecretFiles(environment, SECRET_KEYS, problems);
  const databaseUrl = readUrl(env, "DATABASE_URL", ["postgresql:", "postgres:"], problems);
  const betterAuthUrl = readUrl(env, "BETTER_AUTH_URL", ["http:", "https:"], problems);
  const backendUrl = readUrl(env, "BACKEND_URL", ["http:", "https:"], problems);
  const betterAuthSecret = env.BETTER_AUTH_SECRET ?? "";
  if (!betterAuthSecret) {
    problems.push("BETTER_AUTH_SECRET is not set");
  } else if (betterAuthSecret.length < MIN_SECRET_LENGTH) {
    problems.push(`BETTER_AUTH_SECRET must be at least ${MIN_SECRET_LENGTH} characters long`);
  }
  if (problems.length > 0) {
    throw new ConfigError(`Invalid frontend configuration: ${problems.join("; ")}.`);
  }
  return { databaseUrl, betterAuthSecret, betterAuthUrl, backendUrl };
}
