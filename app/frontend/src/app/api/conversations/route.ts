import { proxyToBackend } from "@/lib/server/backend-proxy";
import { observeRoute } from "@/lib/server/observe-route";

export const GET = observeRoute("/api/conversations", (request) =>
  proxyToBackend(request, "/api/conversations", { forwardQuery: ["limit", "offset"] }),
);

export const POST = observeRoute("/api/conversations", (request) => proxyToBackend(request, "/api/conversations"));
