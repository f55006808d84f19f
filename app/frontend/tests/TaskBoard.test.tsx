// @vitest-environment jsdom
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { TASK_PAGE_SIZE, TaskBoard } from "@/components/TaskBoard";

import { createFakeApi, type FakeApi } from "./support/fake-api";

let api: FakeApi;

beforeEach(() => {
  api = createFakeApi();
  vi.stubGlobal("fetch", api.fetch);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

function taskList() {
  return screen.getByRole("list", { name: "Task list" });
}

/** The titles in the list once it has loaded, in display order. */
async function findTaskTitles(): Promise<string[]> {
  await waitFor(() => expect(taskList().getAttribute("aria-busy")).toBe("false"));
  return within(taskList())
    .queryAllByRole("checkbox")
    .map((box) => (box as HTMLInputElement).labels?.[0]?.textContent ?? "");
}

describe("TaskBoard", () => {
  it("says when there are no tasks", async () => {
    render(<TaskBoard />);
    expect(await screen.findByText("No tasks yet. Add one above, or ask the assistant.")).toBeTruthy();
  });

  it("shows the user's tasks in the order the backend gives them", async () => {
    api.addTask("Older");
    api.addTask("Newer");
    render(<TaskBoard />);
    expect(await findTaskTitles()).toEqual(["Newer", "Older"]);
    expect(screen.getByText("Showing 2 of 2")).toBeTruthy();
    // Shown so that the assistant's commands ("complete task 2") can name a task.
    expect(screen.getByText("#2")).toBeTruthy();
    expect(api.calls).toEqual(["GET /api/tasks?status=all&limit=50&offset=0"]);
  });

  it("adds a task from the form and clears it", async () => {
    const user = userEvent.setup();
    render(<TaskBoard />);
    await user.type(screen.getByLabelText("New task"), "Buy milk");
    await user.type(screen.getByLabelText("Description (optional)"), "2 litres");
    await user.click(screen.getByRole("button", { name: "Add task" }));

    expect(await findTaskTitles()).toEqual(["Buy milk"]);
    expect(api.tasks[0]).toMatchObject({ title: "Buy milk", description: "2 litres" });
    expect(screen.getByLabelText("New task")).toHaveProperty("value", "");
  });

  it("shows the backend's validation message next to the field", async () => {
    const user = userEvent.setup();
    render(<TaskBoard />);
    // Whitespace passes the browser's `required` check; the backend refuses it.
    await user.type(screen.getByLabelText("New task"), "   ");
    await user.click(screen.getByRole("button", { name: "Add task" }));

    const title = screen.getByLabelText("New task");
    await waitFor(() => expect(title.getAttribute("aria-invalid")).toBe("true"));
    expect(document.getElementById(title.getAttribute("aria-describedby")!)?.textContent).toBe(
      "String should have at least 1 character",
    );
  });

  it("completes, edits and deletes a task", async () => {
    api.addTask("Write report");
    const user = userEvent.setup();
    render(<TaskBoard />);

    await user.click(await screen.findByRole("checkbox", { name: "Write report" }));
    await waitFor(() => expect(api.tasks[0]?.completed).toBe(true));
    expect(screen.getByRole("checkbox", { name: "Write report" })).toHaveProperty("checked", true);

    await user.click(screen.getByRole("button", { name: "Edit Write report" }));
    const titleInput = screen.getByLabelText("Title");
    expect(document.activeElement).toBe(titleInput);
    await user.clear(titleInput);
    await user.type(titleInput, "Write final report");
    await user.click(screen.getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("checkbox", { name: "Write final report" })).toBeTruthy();
    expect(api.tasks[0]?.title).toBe("Write final report");
    expect(document.activeElement).toBe(screen.getByRole("button", { name: "Edit Write final report" }));

    await user.click(screen.getByRole("button", { name: "Delete Write final report" }));
    await waitFor(() => expect(screen.queryByRole("checkbox", { name: "Write final report" })).toBeNull());
    expect(api.tasks).toHaveLength(0);
  });

  it("cancels an edit with Escape without saving", async () => {
    api.addTask("Keep me");
    const user = userEvent.setup();
    render(<TaskBoard />);
    await user.click(await screen.findByRole("button", { name: "Edit Keep me" }));
    await user.type(screen.getByLabelText("Title"), " changed{Escape}");
    expect(await screen.findByRole("checkbox", { name: "Keep me" })).toBeTruthy();
    expect(api.calls.some((call) => call.startsWith("PATCH"))).toBe(false);
  });

  it("filters by pending and completed", async () => {
    api.addTask("Done already", true);
    api.addTask("Still to do", false);
    const user = userEvent.setup();
    render(<TaskBoard />);
    expect(await findTaskTitles()).toEqual(["Still to do", "Done already"]);

    await user.click(screen.getByRole("button", { name: "Pending" }));
    expect(screen.getByRole("button", { name: "Pending" }).getAttribute("aria-pressed")).toBe("true");
    await waitFor(async () => expect(await findTaskTitles()).toEqual(["Still to do"]));

    await user.click(screen.getByRole("button", { name: "Completed" }));
    await waitFor(async () => expect(await findTaskTitles()).toEqual(["Done already"]));
    expect(api.calls).toContain("GET /api/tasks?status=completed&limit=50&offset=0");
  });

  it("says when the task service is down and recovers on retry", async () => {
    api.addTask("Survives outages");
    api.failWith(() => ({ status: 503, body: { error: "backend_unavailable", message: "The task service is unreachable." } }));
    const user = userEvent.setup();
    render(<TaskBoard />);
    expect((await screen.findByRole("alert")).textContent).toContain("The task service is unreachable.");

    api.failWith(undefined);
    await user.click(screen.getByRole("button", { name: "Retry" }));
    expect(await screen.findByRole("checkbox", { name: "Survives outages" })).toBeTruthy();
    expect(screen.queryByRole("alert")).toBeNull();
  });

  it("offers to sign in again when the session has expired", async () => {
    api.failWith(() => ({ status: 401, body: { error: "unauthorized", message: "expired" } }));
    render(<TaskBoard />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Your session has expired. Sign in again.");
    expect(within(alert).getByRole("link", { name: "Sign in" }).getAttribute("href")).toBe("/sign-in");
  });

  it("reloads when the refresh key changes", async () => {
    const { rerender } = render(<TaskBoard refreshKey={0} />);
    await screen.findByText("No tasks yet. Add one above, or ask the assistant.");
    api.addTask("Added by the assistant");
    rerender(<TaskBoard refreshKey={1} />);
    expect(await screen.findByRole("checkbox", { name: "Added by the assistant" })).toBeTruthy();
  });

  it("loads the next page on request", async () => {
    for (let index = 1; index <= TASK_PAGE_SIZE + 1; index++) api.addTask(`Task ${index}`);
    const user = userEvent.setup();
    render(<TaskBoard />);
    expect(await findTaskTitles()).toHaveLength(TASK_PAGE_SIZE);
    expect(screen.getByText(`Showing ${TASK_PAGE_SIZE} of ${TASK_PAGE_SIZE + 1}`)).toBeTruthy();

    await user.click(screen.getByRole("button", { name: "Load more tasks" }));
    await waitFor(() => expect(screen.queryByRole("button", { name: "Load more tasks" })).toBeNull());
    const titles = await findTaskTitles();
    expect(titles).toHaveLength(TASK_PAGE_SIZE + 1);
    expect(titles.at(-1)).toBe("Task 1");
    expect(api.calls.at(-1)).toBe(`GET /api/tasks?status=all&limit=${TASK_PAGE_SIZE}&offset=${TASK_PAGE_SIZE}`);
  });
});
