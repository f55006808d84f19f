import { proxyToBackend, resourcePath } from "@/lib/server/backend-proxy";

interface Context {
  params: Promise<{ id: string }>;
}

async function forward(request: Request, { params }: Context) {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/tasks", id));
}

export { forward as GET, forward as PATCH, forward as DELETE };
