import { SignJWT } from "jose";

// The token format the backend verifies (docs/ARCHITECTURE.md, "Frontend → backend authentication").
export const BACKEND_TOKEN_ISSUER = "todo-chatbot-frontend";
export const BACKEND_TOKEN_AUDIENCE = "todo-chatbot-backend";
/** One token is minted per proxied request, so it only has to outlive that request. */
export const BACKEND_TOKEN_TTL_SECONDS = 60;

/** Mints the HS256 bearer token that identifies `userId` (the Better Auth user id) to the backend. */
export async function mintBackendToken(userId: string, secret: string, now: Date = new Date()): Promise<string> {
  if (!userId) throw new Error("mintBackendToken: userId must not be empty");
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT()
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(BACKEND_TOKEN_ISSUER)
    .setAudience(BACKEND_TOKEN_AUDIENCE)
    .setSubject(userId)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + BACKEND_TOKEN_TTL_SECONDS)
    .sign(new TextEncoder().encode(secret));
}
