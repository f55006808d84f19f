"use client";

import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";

import { type ApiError, apiRequest, asApiError } from "@/lib/api-client";
import type { Page, Task, TaskFilter } from "@/lib/api-types";

import { ErrorMessage } from "./ErrorMessage";

export const TASK_PAGE_SIZE = 50;
// The backend's limits (app/backend/app/models.py), so the browser stops typing where it would refuse.
const TITLE_MAX_LENGTH = 200;
const DESCRIPTION_MAX_LENGTH = 2000;
const FILTERS: { value: TaskFilter; label: string }[] = [
  { value: "all", label: "All" },
  { value: "pending", label: "Pending" },
  { value: "completed", label: "Completed" },
];

function tasksUrl(status: TaskFilter, offset: number): string {
  return `/api/tasks?status=${status}&limit=${TASK_PAGE_SIZE}&offset=${offset}`;
}

const EMPTY_TEXT: Record<TaskFilter, string> = {
  all: "No tasks yet. Add one above, or ask the assistant.",
  pending: "Nothing pending.",
  completed: "No completed tasks yet.",
};

function FieldError({ id, message }: { id: string; message: string | undefined }) {
  return message ? (
    <p id={id} className="field-error">
      {message}
    </p>
  ) : null;
}

interface TaskItemProps {
  task: Task;
  onChanged: (task: Task) => void;
  onDeleted: (id: number) => void;
}

function TaskItem({ task, onChanged, onDeleted }: TaskItemProps) {
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const titleInput = useRef<HTMLInputElement>(null);
  const wasEditing = useRef(false);

  // Keep keyboard focus where the user is: in the form when it opens, on "Edit" when it closes.
  useEffect(() => {
    if (editing) titleInput.current?.focus();
    else if (wasEditing.current) editButton.current?.focus();
    wasEditing.current = editing;
  }, [editing]);

  async function update(changes: Partial<Pick<Task, "title" | "description" | "completed">>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      onChanged(await apiRequest<Task>(`/api/tasks/${task.id}`, { method: "PATCH", body: changes }));
      return true;
    } catch (caught) {
      setError(asApiError(caught));
      return false;
    } finally {
      setBusy(false);
    }
  }

  async function remove() {
    setBusy(true);
    setError(null);
    try {
      await apiRequest<void>(`/api/tasks/${task.id}`, { method: "DELETE" });
      onDeleted(task.id);
    } catch (caught) {
      setError(asApiError(caught));
      setBusy(false);
    }
  }

  async function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const description = String(form.get("description") ?? "").trim();
    const saved = await update({ title: String(form.get("title") ?? ""), description: description || null });
    if (saved) setEditing(false);
  }

  function cancelEdit() {
    setEditing(false);
    setError(null);
  }

  function cancelOnEscape(event: KeyboardEvent) {
    if (event.key === "Escape") cancelEdit();
  }

  const fieldErrors = error?.fieldErrors ?? {};
  return (
    <li className={`task${task.completed ? " done" : ""}`} aria-busy={busy}>
      {editing ? (
        <form className="stack" onSubmit={save} onKeyDown={cancelOnEscape} aria-label={`Edit task ${task.title}`}>
          <div className="field">
            <label htmlFor={`task-${task.id}-title`}>Title</label>
            <input
              ref={titleInput}
              id={`task-${task.id}-title`}
              name="title"
              defaultValue={task.title}
              required
              maxLength={TITLE_MAX_LENGTH}
              aria-invalid={Boolean(fieldErrors.title)}
              aria-describedby={fieldErrors.title ? `task-${task.id}-title-error` : undefined}
            />
            <FieldError id={`task-${task.id}-title-error`} message={fieldErrors.title} />
          </div>
          <div className="field">
            <label htmlFor={`task-${task.id}-description`}>Description</label>
            <textarea
              id={`task-${task.id}-description`}
              name="description"
              defaultValue={task.description ?? ""}
              rows={2}
              maxLength={DESCRIPTION_MAX_LENGTH}
              aria-invalid={Boolean(fieldErrors.description)}
              aria-describedby={fieldErrors.description ? `task-${task.id}-description-error` : undefined}
            />
            <FieldError id={`task-${task.id}-description-error`} message={fieldErrors.description} />
          </div>
          <div className="row">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? "Saving…" : "Save"}
            </button>
            <button type="button" onClick={cancelEdit} disabled={busy}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <div className="task-view">
          <input
            type="checkbox"
            id={`task-${task.id}-completed`}
            checked={task.completed}
            disabled={busy}
            onChange={(event) => update({ completed: event.target.checked })}
          />
          <div className="task-text">
            <label htmlFor={`task-${task.id}-completed`} className="task-title">
              {task.title}
            </label>{" "}
            {/* The number the assistant's commands use ("complete task 3"). */}
            <span className="task-id">#{task.id}</span>
            {task.description && <p className="task-description">{task.description}</p>}
          </div>
          <div className="row">
            <button ref={editButton} type="button" onClick={() => setEditing(true)} disabled={busy} aria-label={`Edit ${task.title}`}>
              Edit
            </button>
            <button type="button" className="danger" onClick={remove} disabled={busy} aria-label={`Delete ${task.title}`}>
              Delete
            </button>
          </div>
        </div>
      )}
      {error && Object.keys(fieldErrors).length === 0 && <ErrorMessage error={error} />}
    </li>
  );
}

interface TaskBoardProps {
  /** Changes whenever something outside the board (the assistant) may have changed tasks. */
  refreshKey?: number;
}

export function TaskBoard({ refreshKey = 0 }: TaskBoardProps) {
  const [filter, setFilter] = useState<TaskFilter>("all");
  const [tasks, setTasks] = useState<Task[]>([]);
  const [total, setTotal] = useState(0);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [reloadCount, setReloadCount] = useState(0);
  const [adding, setAdding] = useState(false);
  const [addError, setAddError] = useState<ApiError | null>(null);

  useEffect(() => {
    // Only the answer for the current filter may fill the list (filters change faster than answers arrive).
    let current = true;
    apiRequest<Page<Task>>(tasksUrl(filter, 0)).then(
      (page) => {
        if (!current) return;
        setTasks(page.items);
        setTotal(page.total);
        setLoadError(null);
        setLoading(false);
      },
      (caught: unknown) => {
        if (!current) return;
        setLoadError(asApiError(caught));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [filter, refreshKey, reloadCount]);

  function showFilter(value: TaskFilter) {
    setFilter(value);
    setLoading(true);
  }

  function reload() {
    setReloadCount((count) => count + 1);
    setLoading(true);
  }

  async function loadMore() {
    setLoadingMore(true);
    try {
      const page = await apiRequest<Page<Task>>(tasksUrl(filter, tasks.length));
      setTasks((current) => [...current, ...page.items]);
      setTotal(page.total);
    } catch (caught) {
      setLoadError(asApiError(caught));
    } finally {
      setLoadingMore(false);
    }
  }

  async function addTask(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const description = String(form.get("description") ?? "").trim();
    setAdding(true);
    setAddError(null);
    try {
      await apiRequest<Task>("/api/tasks", {
        method: "POST",
        body: { title: String(form.get("title") ?? ""), ...(description && { description }) },
      });
      formElement.reset();
      reload();
    } catch (caught) {
      setAddError(asApiError(caught));
    } finally {
      setAdding(false);
    }
  }

  function replaceTask(changed: Task) {
    const stillMatches = filter === "all" || (filter === "completed") === changed.completed;
    setTasks((current) =>
      stillMatches ? current.map((task) => (task.id === changed.id ? changed : task)) : current.filter((task) => task.id !== changed.id),
    );
    if (!stillMatches) setTotal((count) => count - 1);
  }

  function removeTask(id: number) {
    setTasks((current) => current.filter((task) => task.id !== id));
    setTotal((count) => count - 1);
  }

  const addFieldErrors = addError?.fieldErrors ?? {};
  return (
    <section className="card stack" aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Tasks</h2>

      <form className="stack" onSubmit={addTask} aria-label="Add a task">
        <div className="field">
          <label htmlFor="new-task-title">New task</label>
          <input
            id="new-task-title"
            name="title"
            required
            maxLength={TITLE_MAX_LENGTH}
            placeholder="e.g. Buy milk"
            aria-invalid={Boolean(addFieldErrors.title)}
            aria-describedby={addFieldErrors.title ? "new-task-title-error" : undefined}
          />
          <FieldError id="new-task-title-error" message={addFieldErrors.title} />
        </div>
        <div className="field">
          <label htmlFor="new-task-description">Description (optional)</label>
          <textarea
            id="new-task-description"
            name="description"
            rows={2}
            maxLength={DESCRIPTION_MAX_LENGTH}
            aria-invalid={Boolean(addFieldErrors.description)}
            aria-describedby={addFieldErrors.description ? "new-task-description-error" : undefined}
          />
          <FieldError id="new-task-description-error" message={addFieldErrors.description} />
        </div>
        {addError && Object.keys(addFieldErrors).length === 0 && <ErrorMessage error={addError} />}
        <button type="submit" className="primary" disabled={adding}>
          {adding ? "Adding…" : "Add task"}
        </button>
      </form>

      <div className="row" role="group" aria-label="Filter tasks">
        {FILTERS.map(({ value, label }) => (
          <button key={value} type="button" aria-pressed={filter === value} onClick={() => showFilter(value)}>
            {label}
          </button>
        ))}
      </div>

      {loadError && (
        <div className="row">
          <ErrorMessage error={loadError} />
          <button type="button" onClick={reload} disabled={loading}>
            Retry
          </button>
        </div>
      )}
      <p role="status" className="hint">
        {loading ? "Loading tasks…" : loadError ? "" : tasks.length === 0 ? EMPTY_TEXT[filter] : `Showing ${tasks.length} of ${total}`}
      </p>
      <ul className="task-list" aria-label="Task list" aria-busy={loading}>
        {tasks.map((task) => (
          <TaskItem key={task.id} task={task} onChanged={replaceTask} onDeleted={removeTask} />
        ))}
      </ul>
      {!loading && tasks.length < total && (
        <button type="button" onClick={loadMore} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "Load more tasks"}
        </button>
      )}
    </section>
  );
}
