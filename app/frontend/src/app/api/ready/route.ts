import { readServerConfig } from "@/lib/server/config";

// Readiness: this frontend is only useful when the backend answers its liveness probe.
const READY_CHECK_TIMEOUT_MS = 2_000;

export async function GET() {
  const { backendUrl } = readServerConfig();
  let backendStatus: number | string;
  try {
    const response = await fetch(`${backendUrl}/health`, {
      cache: "no-store",
      signal: AbortSignal.timeout(READY_CHECK_TIMEOUT_MS),
    });
    await response.body?.cancel();
    if (response.ok) {
      return Response.json({ status: "ready", backend: "ok" }, { headers: { "cache-control": "no-store" } });
    }
    backendStatus = response.status;
  } catch (error) {
    backendStatus = (error as Error).message;
  }
  return Response.json(
    { status: "not_ready", backend: `unavailable (${backendStatus})` },
    { status: 503, headers: { "cache-control": "no-store" } },
  );
}
