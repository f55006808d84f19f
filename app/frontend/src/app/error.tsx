"use client";

// Shown when a page fails on the server, e.g. the session store (PostgreSQL) is unreachable.
export default function PageError({ retry }: { error: Error & { digest?: string }; retry: () => void }) {
  return (
    <main className="auth-page">
      <h1>Something went wrong</h1>
      <p role="alert">The page could not be loaded. The service may be restarting; try again in a moment.</p>
      <button type="button" className="primary" onClick={retry}>
        Try again
      </button>
    </main>
  );
}
