// @vitest-environment jsdom
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";

import * as authRoute from "@/app/api/auth/[...all]/route";
import { getAuth } from "@/lib/server/auth";
import { migrateAuthSchema } from "@/lib/server/auth-migrations";
import { getPool } from "@/lib/server/db";

import { startAppServer } from "./support/app-server";
import { useServerEnv } from "./support/env";

// The form talks to the real Better Auth route handler (and PostgreSQL) over loopback HTTP;
// only Next.js' router is replaced, to observe where the form navigates.
const router = vi.hoisted(() => ({ replace: vi.fn(), refresh: vi.fn() }));
vi.mock("next/navigation", () => ({ useRouter: () => router }));

// Vitest's jsdom environment exposes the JSDOM instance as a global.
declare const jsdom: { reconfigure(options: { url: string }): void };

const existing = { email: "existing@example.com", password: "existing-password" };
let app: Awaited<ReturnType<typeof startAppServer>>;
let AuthForm: typeof import("@/components/AuthForm").AuthForm;

beforeAll(async () => {
  app = await startAppServer({ "/api/auth/": (request) => authRoute[request.method as "GET" | "POST"](request) });
  useServerEnv("http://127.0.0.1:9");
  process.env.BETTER_AUTH_URL = app.url;
  await migrateAuthSchema(getPool());
  await getAuth().api.signUpEmail({ body: { name: "Existing", email: existing.email, password: existing.password } });
  // The auth client takes the page's origin when it is created: load it once the page is "on" the server.
  jsdom.reconfigure({ url: `${app.url}/sign-up` });
  ({ AuthForm } = await import("@/components/AuthForm"));
});

afterAll(async () => {
  await app.close();
  await getPool().end();
});

beforeEach(() => {
  router.replace.mockReset();
  router.refresh.mockReset();
});

async function userCount(email: string): Promise<number> {
  const { rows } = await getPool().query<{ count: string }>('SELECT count(*) FROM "user" WHERE email = $1', [email]);
  return Number(rows[0]?.count);
}

describe("AuthForm", () => {
  it("signs up with name, email and password, then opens the task list", async () => {
    const user = userEvent.setup();
    render(<AuthForm mode="sign-up" />);
    await user.type(screen.getByLabelText("Name"), "Ann");
    await user.type(screen.getByLabelText("Email"), "ann@example.com");
    await user.type(screen.getByLabelText("Password"), "password123");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    await waitFor(() => expect(router.replace).toHaveBeenCalledWith("/tasks"));
    expect(await userCount("ann@example.com")).toBe(1);
  });

  it("shows why sign-up was refused", async () => {
    const user = userEvent.setup();
    render(<AuthForm mode="sign-up" />);
    await user.type(screen.getByLabelText("Name"), "Someone else");
    await user.type(screen.getByLabelText("Email"), existing.email);
    await user.type(screen.getByLabelText("Password"), "password123");
    await user.click(screen.getByRole("button", { name: "Create account" }));

    expect((await screen.findByRole("alert")).textContent).toMatch(/already exists/i);
    expect(router.replace).not.toHaveBeenCalled();
    expect(await userCount(existing.email)).toBe(1);
  });

  it("signs in with the right password", async () => {
    const user = userEvent.setup();
    render(<AuthForm mode="sign-in" />);
    await user.type(screen.getByLabelText("Email"), existing.email);
    await user.type(screen.getByLabelText("Password"), existing.password);
    await user.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.replace).toHaveBeenCalledWith("/tasks"));
  });

  it("refuses a wrong password with a clear message and stays on the page", async () => {
    const user = userEvent.setup();
    render(<AuthForm mode="sign-in" />);
    await user.type(screen.getByLabelText("Email"), existing.email);
    await user.type(screen.getByLabelText("Password"), "wrong-password");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect((await screen.findByRole("alert")).textContent).toBe("Invalid email or password");
    expect(router.replace).not.toHaveBeenCalled();
    expect(screen.getByRole("button", { name: "Sign in" })).toHaveProperty("disabled", false);
  });

  it("asks for an 8-character password on sign-up", () => {
    render(<AuthForm mode="sign-up" />);
    expect(screen.getByLabelText("Password").getAttribute("minlength")).toBe("8");
    expect(screen.getByText("At least 8 characters.")).toBeTruthy();
  });
});
