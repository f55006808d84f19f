import type { ApiError } from "@/lib/api-client";

/** An API error, announced to screen readers; an expired session gets a way back to sign-in. */
export function ErrorMessage({ error, text = error.message }: { error: ApiError; text?: string }) {
  return (
    <p role="alert" className="error">
      {text} {error.isUnauthorized && <a href="/sign-in">Sign in</a>}
    </p>
  );
}
