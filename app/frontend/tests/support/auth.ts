import { randomBytes } from "node:crypto";

import * as authRoute from "@/app/api/auth/[...all]/route";

import { TEST_APP_URL } from "./env";

/** Calls a Better Auth endpoint through the app's own /api/auth route handler, as a browser would. */
export function callAuth(path: string, body: unknown, cookie?: string): Promise<Response> {
  const headers = new Headers({ "content-type": "application/json", origin: TEST_APP_URL });
  if (cookie) headers.set("cookie", cookie);
  return authRoute.POST(
    new Request(`${TEST_APP_URL}/api/auth${path}`, { method: "POST", headers, body: JSON.stringify(body) }),
  );
}

/** The `name=value` pairs of a response's Set-Cookie headers, ready to send back as a Cookie header. */
export function cookieHeader(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(";", 1)[0])
    .join("; ");
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  cookie: string;
}

/** Signs a brand-new user up and returns the session cookie the browser would keep. */
export async function signUpUser(): Promise<TestUser> {
  const email = `user-${randomBytes(4).toString("hex")}@example.com`;
  const password = "correct horse battery";
  const response = await callAuth("/sign-up/email", { name: "Test User", email, password });
  if (response.status !== 200) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const { user } = (await response.json()) as { user: { id: string } };
  return { id: user.id, email, password, cookie: cookieHeader(response) };
}
