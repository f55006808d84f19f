// @vitest-environment jsdom
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { ChatPanel, HISTORY_LIMIT } from "@/components/ChatPanel";

import { createFakeApi, type FakeApi } from "./support/fake-api";

let api: FakeApi;

beforeEach(() => {
  api = createFakeApi();
  vi.stubGlobal("fetch", api.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function conversationText(): string {
  return screen.getByRole("log", { name: "Conversation" }).textContent ?? "";
}

async function renderLoaded(onTasksChanged = vi.fn()) {
  render(<ChatPanel onTasksChanged={onTasksChanged} />);
  await waitFor(() => expect(screen.getByRole("log", { name: "Conversation" }).getAttribute("aria-busy")).toBe("false"));
  return onTasksChanged;
}

describe("ChatPanel", () => {
  it("resumes the latest conversation", async () => {
    api.message("user", "hello");
    api.message("assistant", "Hi! What needs doing?");
    await renderLoaded();
    expect(conversationText()).toBe("You: helloAssistant: Hi! What needs doing?");
  });

  it("shows the latest messages of a long conversation", async () => {
    for (let index = 1; index <= HISTORY_LIMIT + 20; index++) api.message("user", `message ${index}`);
    await renderLoaded();
    const shown = screen.getByRole("log", { name: "Conversation" }).querySelectorAll(".message");
    expect(shown).toHaveLength(HISTORY_LIMIT);
    expect(shown[0]?.textContent).toBe("You: message 21");
    expect(shown[HISTORY_LIMIT - 1]?.textContent).toBe(`You: message ${HISTORY_LIMIT + 20}`);
    expect(api.calls.at(-1)).toBe(`GET /api/conversations/1/messages?limit=${HISTORY_LIMIT}&offset=20`);
  });

  it("starts a conversation, shows the reply and clears the box", async () => {
    const user = userEvent.setup();
    const onTasksChanged = await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "how are you?");
    await user.click(screen.getByRole("button", { name: "Send" }));

    await waitFor(() => expect(conversationText()).toBe("You: how are you?Assistant: You said: how are you?"));
    expect(screen.getByLabelText("Message the assistant")).toHaveProperty("value", "");
    expect(api.calls).toEqual([
      "GET /api/conversations?limit=1",
      "POST /api/conversations",
      "POST /api/conversations/1/messages",
    ]);
    expect(onTasksChanged).not.toHaveBeenCalled();
  });

  it("sends with Enter and asks for a task-list refresh when the assistant changed tasks", async () => {
    api.replyWith(() => ({ text: "Added “buy milk”.", tasks_changed: true, mode: "online" }));
    const user = userEvent.setup();
    const onTasksChanged = await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "add buy milk{Enter}");

    await waitFor(() => expect(onTasksChanged).toHaveBeenCalledTimes(1));
    expect(conversationText()).toContain("Added “buy milk”.");
  });

  it("keeps Shift+Enter as a new line", async () => {
    const user = userEvent.setup();
    await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "line one{Shift>}{Enter}{/Shift}line two");
    expect(screen.getByLabelText("Message the assistant")).toHaveProperty("value", "line one\nline two");
    expect(api.calls.some((call) => call.startsWith("POST"))).toBe(false);
  });

  it("tells the user when the assistant runs offline", async () => {
    api.replyWith(() => ({ text: "Offline: try 'add <title>'.", tasks_changed: false, mode: "offline" }));
    const user = userEvent.setup();
    await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "hi{Enter}");
    const notice = await screen.findByText(/The assistant is in offline mode/);
    expect(notice.getAttribute("role")).toBe("status");
  });

  it("keeps the draft and shows the error when the backend is down", async () => {
    api.failWith((method) =>
      method === "POST" ? { status: 503, body: { error: "backend_unavailable", message: "The task service is unreachable." } } : undefined,
    );
    const user = userEvent.setup();
    await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "add call mom{Enter}");

    expect((await screen.findByRole("alert")).textContent).toContain("The task service is unreachable.");
    expect(screen.getByLabelText("Message the assistant")).toHaveProperty("value", "add call mom");
    expect(within(screen.getByRole("log", { name: "Conversation" })).queryByText("add call mom")).toBeNull();
  });

  it("shows the backend's validation message for the message text", async () => {
    api.failWith((method, path) =>
      method === "POST" && path.endsWith("/messages")
        ? { status: 422, body: { detail: [{ loc: ["body", "content"], msg: "String should have at most 4000 characters" }] } }
        : undefined,
    );
    const user = userEvent.setup();
    await renderLoaded();
    await user.type(screen.getByLabelText("Message the assistant"), "too long{Enter}");
    expect((await screen.findByRole("alert")).textContent?.trim()).toBe("String should have at most 4000 characters");
  });

  it("says when the server cannot be reached at all", async () => {
    api.failWith(() => "network");
    render(<ChatPanel onTasksChanged={vi.fn()} />);
    expect((await screen.findByRole("alert")).textContent).toContain("Cannot reach the server.");
  });
});
