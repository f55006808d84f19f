"""Offline mode: a deterministic reading of simple commands, used when no model API key is configured."""

import re
from typing import Any

from sqlmodel import Session

from app.chat.tools import ToolOutcome, run_tool

OFFLINE_NOTE = "(Offline mode: no AI model is configured, so I understand simple commands only.)"
USAGE = """I can manage your tasks with commands like:
- add buy milk
- list my tasks (or: list pending tasks, list completed tasks)
- complete task 3
- reopen task 3
- rename task 2 to call the bank
- delete task 2"""

_ID = r"(?:task\s+)?#?(?P<task_id>\d+)"
# (pattern, tool name, fixed arguments); named groups become arguments too.
# Patterns match the whole message, with runs of whitespace collapsed.
_COMMANDS: list[tuple[re.Pattern[str], str, dict[str, Any]]] = [
    (
        re.compile(
            r"(?:add|create|new)(?:\s+(?:a\s+)?task)?\s*:?\s+(?P<title>(?!task$).+)",
            re.IGNORECASE,
        ),
        "add_task",
        {},
    ),
    (
        re.compile(
            r"(?:list|show)(?:\s+me)?(?:\s+(?:all\s+)?(?:my\s+)?(?:(?P<status>pending|completed)\s+)?tasks)?",
            re.IGNORECASE,
        ),
        "list_tasks",
        {},
    ),
    (
        re.compile(rf"(?:complete|finish|done|check)\s+{_ID}(?:\s+as\s+done)?", re.IGNORECASE),
        "complete_task",
        {},
    ),
    (
        re.compile(rf"(?:reopen|uncheck|uncomplete)\s+{_ID}", re.IGNORECASE),
        "update_task",
        {"completed": False},
    ),
    (
        re.compile(
            rf"(?:rename|retitle|update)\s+{_ID}(?:\s+to\s+|\s*:\s*)(?P<title>.+)",
            re.IGNORECASE,
        ),
        "update_task",
        {},
    ),
    (re.compile(rf"(?:delete|remove)\s+{_ID}", re.IGNORECASE), "delete_task", {}),
]


def parse_command(text: str) -> tuple[str, dict[str, Any]] | None:
    """The tool and arguments `text` asks for, or None when it is not a known command."""
    command = " ".join(text.split()).rstrip(".!?")
    for pattern, tool, fixed in _COMMANDS:
        if match := pattern.fullmatch(command):
            arguments = {name: value for name, value in match.groupdict().items() if value is not None}
            if "status" in arguments:
                arguments["status"] = arguments["status"].lower()
            return tool, {**arguments, **fixed}
    return None


def describe(tool: str, outcome: ToolOutcome) -> str:
    """A short human sentence for what a tool did."""
    if outcome.error:
        return f"Sorry, I could not do that: {outcome.error}."
    result = outcome.result
    if tool == "list_tasks":
        if not result["tasks"]:
            return "You have no tasks." if result["status"] == "all" else f"You have no {result['status']} tasks."
        lines = [f"#{t['id']} [{'x' if t['completed'] else ' '}] {t['title']}" for t in result["tasks"]]
        shown = "" if result["total"] == len(lines) else f" (showing {len(lines)} of {result['total']})"
        return "Your tasks" + shown + ":\n" + "\n".join(lines)
    verb, task = next(iter(result.items()))
    if verb == "updated":
        state = "done" if task["completed"] else "not done"
        return f"Updated task #{task['id']}: {task['title']} ({state})."
    return f"{verb.capitalize()} task #{task['id']}: {task['title']}."


def respond_offline(session: Session, user_id: str, text: str) -> tuple[str, bool]:
    """The reply to `text` and whether tasks changed."""
    command = parse_command(text)
    if command is None:
        return f"{USAGE}\n\n{OFFLINE_NOTE}", False
    tool, arguments = command
    outcome = run_tool(session, user_id, tool, arguments)
    return f"{describe(tool, outcome)}\n\n{OFFLINE_NOTE}", outcome.tasks_changed
