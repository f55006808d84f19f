import type { ChatMessage, ChatReply, Page, Task } from "@/lib/api-types";

type Reply = { status: number; body?: unknown };

/**
 * An in-memory stand-in for this frontend's own /api routes, installed as the browser's
 * fetch in component tests (jsdom has no server to answer relative URLs).
 */
export function createFakeApi() {
  let nextId = 1;
  const tasks: Task[] = [];
  const messages: ChatMessage[] = [];
  const calls: string[] = [];
  let failure: ((method: string, path: string) => Reply | "network" | undefined) | undefined;
  let chatReply: (content: string) => Pick<ChatReply, "tasks_changed" | "mode"> & { text: string } = (content) => ({
    text: `You said: ${content}`,
    tasks_changed: false,
    mode: "online",
  });

  function addTask(title: string, completed = false, description: string | null = null): Task {
    const now = new Date().toISOString();
    const task = { id: nextId++, title, description, completed, created_at: now, updated_at: now };
    tasks.unshift(task);
    return task;
  }

  function message(role: ChatMessage["role"], content: string): ChatMessage {
    const created = { id: nextId++, conversation_id: 1, role, content, created_at: new Date().toISOString() };
    messages.push(created);
    return created;
  }

  function route(method: string, url: URL, body: Record<string, unknown>): Reply {
    const path = url.pathname;
    if (path === "/api/tasks" && method === "GET") {
      const status = url.searchParams.get("status") ?? "all";
      const limit = Number(url.searchParams.get("limit") ?? 100);
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const matching = tasks.filter((task) => status === "all" || task.completed === (status === "completed"));
      const page: Page<Task> = { items: matching.slice(offset, offset + limit), total: matching.length, limit, offset };
      return { status: 200, body: page };
    }
    if (path === "/api/tasks" && method === "POST") {
      const title = String(body.title ?? "").trim();
      if (!title) {
        return { status: 422, body: { detail: [{ loc: ["body", "title"], msg: "String should have at least 1 character" }] } };
      }
      return { status: 201, body: addTask(title, false, (body.description as string | undefined) ?? null) };
    }
    const taskMatch = path.match(/^\/api\/tasks\/(\d+)$/);
    if (taskMatch) {
      const index = tasks.findIndex((task) => task.id === Number(taskMatch[1]));
      if (index < 0) return { status: 404, body: { detail: "Task not found" } };
      if (method === "DELETE") {
        tasks.splice(index, 1);
        return { status: 204 };
      }
      const updated = { ...tasks[index]!, ...body, updated_at: new Date().toISOString() } as Task;
      tasks[index] = updated;
      return { status: 200, body: updated };
    }
    if (path === "/api/conversations" && method === "GET") {
      const items = messages.length ? [{ id: 1, title: "Chat", created_at: "", updated_at: "" }] : [];
      return { status: 200, body: { items, total: items.length, limit: 1, offset: 0 } };
    }
    if (path === "/api/conversations" && method === "POST") {
      return { status: 201, body: { id: 1, title: "Chat", created_at: "", updated_at: "" } };
    }
    if (path === "/api/conversations/1/messages" && method === "GET") {
      const limit = Number(url.searchParams.get("limit") ?? 100);
      const offset = Number(url.searchParams.get("offset") ?? 0);
      const page: Page<ChatMessage> = { items: messages.slice(offset, offset + limit), total: messages.length, limit, offset };
      return { status: 200, body: page };
    }
    if (path === "/api/conversations/1/messages" && method === "POST") {
      const content = String(body.content);
      const { text, ...rest } = chatReply(content);
      const reply: ChatReply = { user_message: message("user", content), reply: message("assistant", text), ...rest };
      return { status: 200, body: reply };
    }
    return { status: 404, body: { detail: "Not Found" } };
  }

  async function fetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
    const method = init.method ?? "GET";
    const url = new URL(String(input), "http://localhost:3000");
    calls.push(`${method} ${url.pathname}${url.search}`);
    const injected = failure?.(method, url.pathname);
    if (injected === "network") throw new TypeError("Failed to fetch");
    const { status, body } = injected ?? route(method, url, init.body ? JSON.parse(String(init.body)) : {});
    return new Response(body === undefined ? null : JSON.stringify(body), {
      status,
      headers: body === undefined ? {} : { "content-type": "application/json" },
    });
  }

  return {
    fetch,
    tasks,
    messages,
    calls,
    addTask,
    message,
    /** Makes matching requests fail; return undefined to let a request through. */
    failWith(next: typeof failure) {
      failure = next;
    },
    replyWith(next: typeof chatReply) {
      chatReply = next;
    },
  };
}

export type FakeApi = ReturnType<typeof createFakeApi>;
