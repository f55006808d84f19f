"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";

import { authClient } from "@/lib/auth-client";

export function SignOutButton() {
  const router = useRouter();
  const [pending, setPending] = useState(false);
  const [failed, setFailed] = useState(false);

  async function signOut() {
    setPending(true);
    setFailed(false);
    const { error } = await authClient.signOut().catch(() => ({ error: true }));
    setPending(false);
    if (error) {
      setFailed(true);
      return;
    }
    router.replace("/sign-in");
    router.refresh();
  }

  return (
    <>
      <button type="button" onClick={signOut} disabled={pending}>
        {pending ? "Signing out…" : "Sign out"}
      </button>
      {failed && (
        <span role="alert" className="error">
          Sign-out failed. Try again.
        </span>
      )}
    </>
  );
}
