import { proxyToBackend } from "@/lib/server/backend-proxy";

export function GET(request: Request) {
  return proxyToBackend(request, "/api/tasks", { forwardQuery: ["status", "limit", "offset"] });
}

export function POST(request: Request) {
  return proxyToBackend(request, "/api/tasks");
}
