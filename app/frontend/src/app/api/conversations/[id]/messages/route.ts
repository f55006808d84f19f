import { proxyToBackend, resourcePath } from "@/lib/server/backend-proxy";

interface Context {
  params: Promise<{ id: string }>;
}

// The assistant may call a language model before it answers: allow it more time than plain CRUD.
const CHAT_TIMEOUT_MS = 60_000;

export async function GET(request: Request, { params }: Context) {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/conversations", id, "/messages"), {
    forwardQuery: ["limit", "offset"],
  });
}

export async function POST(request: Request, { params }: Context) {
  const { id } = await params;
  return proxyToBackend(request, resourcePath("/api/conversations", id, "/messages"), { timeoutMs: CHAT_TIMEOUT_MS });
}
