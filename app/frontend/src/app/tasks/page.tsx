import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { SignOutButton } from "@/components/SignOutButton";
import { Workspace } from "@/components/Workspace";
import { currentUser } from "@/lib/server/session";

export const metadata: Metadata = { title: "Tasks · Todo Chatbot" };

export default async function TasksPage() {
  const user = await currentUser();
  if (!user) redirect("/sign-in");
  return (
    <>
      <header className="topbar">
        <h1>Todo Chatbot</h1>
        <div className="row">
          <span className="hint">Signed in as {user.name || user.email}</span>
          <SignOutButton />
        </div>
      </header>
      <main>
        <Workspace />
      </main>
    </>
  );
}
