// Next.js awaits register() once per server process before it serves the first request.
export async function register() {
  // The Edge runtime has no PostgreSQL driver; the Node.js server does the migration.
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  // Prometheus metrics on their own port (METRICS_PORT, default 9464), not the app's.
  const { startMetricsServerFromEnv } = await import("./lib/server/metrics");
  await startMetricsServerFromEnv();
  const { prepareServerOrExit } = await import("./lib/server/startup");
  await prepareServerOrExit();
}
