import { createAuthClient } from "better-auth/react";

// No baseURL: the browser talks to the origin that served the page (/api/auth/*),
// so nothing environment-specific is baked into the client bundle.
export const authClient = createAuthClient();
