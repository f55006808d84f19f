import { observeRoute } from "@/lib/server/observe-route";

// Liveness: answers as long as the process serves HTTP; touches neither the backend nor the database.
export const GET = observeRoute("/api/health", () =>
  Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } }),
);
