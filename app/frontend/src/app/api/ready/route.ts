import { readServerConfig } from "@/lib/server/config";
import { observeRoute, outgoingRequestId, REQUEST_ID_HEADER } from "@/lib/server/observe-route";

// Readiness: this frontend is only useful when the backend answers its liveness probe.
const READY_CHECK_TIMEOUT_MS = 2_000;

export const GET = observeRoute("/api/ready", async () => {
  const { backendUrl } = readServerConfig();
  let backendStatus: number | string;
  try {
    const response = await fetch(`${backendUrl}/health`, {
      cache: "no-store",
      headers: { [REQUEST_ID_HEADER]: outgoingRequestId() },
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
});
