import { headers } from "next/headers";

import { getSessionUser, type SessionUser } from "./auth";

/** The signed-in user of the request being rendered (server components only). */
export async function currentUser(): Promise<SessionUser | null> {
  return getSessionUser(await headers());
}
