import { proxyToBackend, resourcePath } from "@/lib/server/backend-proxy";
import { observeRoute } from "@/lib/server/observe-route";

interface Context {
  params: Promise<{ id: string }>;
}

async function forward(request: Request, { params }: Context) {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/tasks", id));
}

export const GET = observeRoute("/api/tasks/[id]", forward);
export const PATCH = observeRoute("/api/tasks/[id]", forward);
export const DELETE = observeRoute("/api/tasks/[id]", forward);
