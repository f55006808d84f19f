import { proxyToBackend, resourcePath } from "@/lib/server/backend-proxy";
import { observeRoute } from "@/lib/server/observe-route";

interface Context {
  params: Promise<{ id: string }>;
}

// The assistant may call a language model before it answers: allow it more time than plain CRUD.
const CHAT_TIMEOUT_MS = 60_000;

export const GET = observeRoute("/api/conversations/[id]/messages", async (request, { params }: Context) => {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/conversations", id, "/messages"), {
    forwardQuery: ["limit", "offset"],
  });
});

export const POST = observeRoute("/api/conversations/[id]/messages", async (request, { params }: Context) => {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/conversations", id, "/messages"), { timeoutMs: CHAT_TIMEOUT_MS });
});
