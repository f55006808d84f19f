// Liveness: answers as long as the process serves HTTP; touches neither the backend nor the database.
export function GET() {
  return Response.json({ status: "ok" }, { headers: { "cache-control": "no-store" } });
}
