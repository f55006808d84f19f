import { getAuth } from "@/lib/server/auth";

// Better Auth's endpoints (sign-up, sign-in, sign-out, session) under /api/auth/*.
// The instance is built per process on first request, from the run-time environment.
export function GET(request: Request) {
  return getAuth().handler(request);
}

export function POST(request: Request) {
  return getAuth().handler(request);
}
