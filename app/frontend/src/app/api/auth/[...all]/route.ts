import { getAuth } from "@/lib/server/auth";
import { observeRoute } from "@/lib/server/observe-route";

// Better Auth's endpoints (sign-up, sign-in, sign-out, session) under /api/auth/*.
// The instance is built per process on first request, from the run-time environment.
function handle(request: Request) {
  return getAuth().handler(request);
}

export const GET = observeRoute("/api/auth/[...all]", handle);
export const POST = observeRoute("/api/auth/[...all]", handle);
