// Environment shared by the tests that run the server-side code for real.
export const TEST_SECRET = "test-secret-that-is-at-least-32-characters-long";
export const TEST_APP_URL = "http://localhost:3000";

/** The PostgreSQL the suite runs against (scripts/with-postgres.sh exports it). */
export function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set: run the tests through scripts/with-postgres.sh (see README.md).");
  }
  return url;
}

export function useServerEnv(backendUrl: string) {
  process.env.DATABASE_URL = requireDatabaseUrl();
  process.env.BETTER_AUTH_SECRET = TEST_SECRET;
  process.env.BETTER_AUTH_URL = TEST_APP_URL;
  process.env.BACKEND_URL = backendUrl;
}
