import { decodeProtectedHeader, errors, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";

import {
  BACKEND_TOKEN_AUDIENCE,
  BACKEND_TOKEN_ISSUER,
  BACKEND_TOKEN_TTL_SECONDS,
  mintBackendToken,
} from "@/lib/server/backend-token";

const secret = "s".repeat(40);
const key = new TextEncoder().encode(secret);

describe("mintBackendToken", () => {
  it("carries the claims the backend checks", async () => {
    const now = new Date("2026-01-02T03:04:05Z");
    const token = await mintBackendToken("user-123", secret, now);
    const { payload } = await jwtVerify(token, key, { currentDate: now });
    const issuedAt = Math.floor(now.getTime() / 1000);
    expect(payload).toEqual({
      iss: "todo-chatbot-frontend",
      aud: "todo-chatbot-backend",
      sub: "user-123",
      iat: issuedAt,
      exp: issuedAt + BACKEND_TOKEN_TTL_SECONDS,
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "JWT" });
  });

  it("lives at most five minutes", () => {
    expect(BACKEND_TOKEN_TTL_SECONDS).toBeGreaterThan(0);
    expect(BACKEND_TOKEN_TTL_SECONDS).toBeLessThanOrEqual(300);
  });

  it("verifies with the shared secret, issuer and audience", async () => {
    const token = await mintBackendToken("user-123", secret);
    const { payload } = await jwtVerify(token, key, {
      algorithms: ["HS256"],
      issuer: BACKEND_TOKEN_ISSUER,
      audience: BACKEND_TOKEN_AUDIENCE,
    });
    expect(payload.sub).toBe("user-123");
  });

  it("is rejected with another secret", async () => {
    const token = await mintBackendToken("user-123", secret);
    await expect(jwtVerify(token, new TextEncoder().encode("o".repeat(40)))).rejects.toBeInstanceOf(
      errors.JWSSignatureVerificationFailed,
    );
  });

  it("is rejected once expired", async () => {
    const issued = new Date("2026-01-02T03:04:05Z");
    const token = await mintBackendToken("user-123", secret, issued);
    const later = new Date(issued.getTime() + (BACKEND_TOKEN_TTL_SECONDS + 1) * 1000);
    await expect(jwtVerify(token, key, { currentDate: later })).rejects.toBeInstanceOf(errors.JWTExpired);
  });

  it("refuses to mint a token without a user", async () => {
    await expect(mintBackendToken("", secret)).rejects.toThrow("userId must not be empty");
  });
});
