import { proxyToBackend } from "@/lib/server/backend-proxy";
import { observeRoute } from "@/lib/server/observe-route";

export const GET = observeRoute("/api/tasks", (request) =>
  proxyToBackend(request, "/api/tasks", { forwardQuery: ["status", "limit", "offset"] }),
);

export const POST = observeRoute("/api/tasks", (request) => proxyToBackend(request, "/api/tasks"));
