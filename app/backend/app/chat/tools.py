"""The task actions the assistant can take, shared by the model's tool calls and offline mode.

Each tool validates its arguments with a pydantic model (the same one that
describes it to the model) and acts only on the calling user's tasks.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, Field, ValidationError
from sqlmodel import Session

from app import crud
from app.core.metrics import ASSISTANT_TOOL_CALLS, ERROR, SUCCESS, UNKNOWN_TOOL, initialise_tool_labels
from app.models import Description, Task, TaskCreate, TaskStatus, TaskUpdate, Title

logger = logging.getLogger(__name__)

LIST_LIMIT = 50
TaskRef = Annotated[int, Field(ge=1, le=2**31 - 1, description="the task's id, as shown by list_tasks")]


class AddTaskArgs(BaseModel):
    title: Title
    description: Description | None = None


class ListTasksArgs(BaseModel):
    status: TaskStatus = TaskStatus.ALL


class TaskIdArgs(BaseModel):
    task_id: TaskRef


class UpdateTaskArgs(BaseModel):
    task_id: TaskRef
    title: Title | None = None
    description: Description | None = None
    completed: bool | None = None


@dataclass(frozen=True)
class ToolOutcome:
    """What the tool did, as JSON-ready data for the model; `error` set when it did nothing."""

    result: dict[str, Any]
    tasks_changed: bool = False

    @property
    def error(self) -> str | None:
        error = self.result.get("error")
        return str(error) if error is not None else None


def task_summary(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "title": task.title,
        "description": task.description,
        "completed": task.completed,
    }


def _not_found(task_id: int) -> ToolOutcome:
    return ToolOutcome({"error": f"task {task_id} not found"})


def _add_task(session: Session, user_id: str, args: AddTaskArgs) -> ToolOutcome:
    task = crud.create_task(session, user_id, TaskCreate(title=args.title, description=args.description))
    return ToolOutcome({"added": task_summary(task)}, tasks_changed=True)


def _list_tasks(session: Session, user_id: str, args: ListTasksArgs) -> ToolOutcome:
    tasks, total = crud.list_tasks(session, user_id, args.status, LIST_LIMIT, 0)
    return ToolOutcome(
        {
            "tasks": [task_summary(task) for task in tasks],
            "total": total,
            "status": args.status,
        }
    )


def _complete_task(session: Session, user_id: str, args: TaskIdArgs) -> ToolOutcome:
    task = crud.get_task(session, user_id, args.task_id)
    if task is None:
        return _not_found(args.task_id)
    task = crud.update_task(session, task, TaskUpdate(completed=True))
    return ToolOutcome({"completed": task_summary(task)}, tasks_changed=True)


def _update_task(session: Session, user_id: str, args: UpdateTaskArgs) -> ToolOutcome:
    task = crud.get_task(session, user_id, args.task_id)
    if task is None:
        return _not_found(args.task_id)
    changes = TaskUpdate.model_validate(args.model_dump(exclude={"task_id"}, exclude_none=True))
    if not changes.model_fields_set:
        return ToolOutcome({"error": "nothing to change: give a title, description or completed"})
    task = crud.update_task(session, task, changes)
    return ToolOutcome({"updated": task_summary(task)}, tasks_changed=True)


def _delete_task(session: Session, user_id: str, args: TaskIdArgs) -> ToolOutcome:
    task = crud.get_task(session, user_id, args.task_id)
    if task is None:
        return _not_found(args.task_id)
    summary = task_summary(task)
    crud.delete_task(session, task)
    return ToolOutcome({"deleted": summary}, tasks_changed=True)


@dataclass(frozen=True)
class _Tool:
    description: str
    arguments: type[BaseModel]
    run: Callable[[Session, str, Any], ToolOutcome]


TOOLS: dict[str, _Tool] = {
    "add_task": _Tool("Add a task to the user's list.", AddTaskArgs, _add_task),
    "list_tasks": _Tool("List the user's tasks, newest first.", ListTasksArgs, _list_tasks),
    "complete_task": _Tool("Mark one of the user's tasks as done.", TaskIdArgs, _complete_task),
    "update_task": _Tool(
        "Change a task's title, description or completed state.",
        UpdateTaskArgs,
        _update_task,
    ),
    "delete_task": _Tool("Delete one of the user's tasks for good.", TaskIdArgs, _delete_task),
}
initialise_tool_labels(TOOLS)


def run_tool(session: Session, user_id: str, name: str, arguments: str | dict[str, Any]) -> ToolOutcome:
    """Run one tool for `user_id`. Bad names or arguments become an error for the model, never an exception.

    Each call is counted by tool and outcome and logged (the tool's name, never its arguments).
    """
    label = name if name in TOOLS else UNKNOWN_TOOL
    outcome: ToolOutcome | None = None
    try:
        outcome = _run_tool(session, user_id, name, arguments)
        return outcome
    finally:
        result = SUCCESS if outcome is not None and outcome.error is None else ERROR
        ASSISTANT_TOOL_CALLS.labels(label, result).inc()
        logger.info("assistant tool call", extra={"tool": label, "outcome": result})


def _run_tool(session: Session, user_id: str, name: str, arguments: str | dict[str, Any]) -> ToolOutcome:
    tool = TOOLS.get(name)
    if tool is None:
        return ToolOutcome({"error": f"unknown tool {name!r}; use one of {', '.join(TOOLS)}"})
    try:
        raw = json.loads(arguments or "{}") if isinstance(arguments, str) else arguments
        args = tool.arguments.model_validate(raw)
    except json.JSONDecodeError:
        return ToolOutcome({"error": "arguments are not valid JSON"})
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'arguments'}: {e['msg']}" for e in error.errors())
        return ToolOutcome({"error": f"invalid arguments: {problems}"})
    return tool.run(session, user_id, args)
