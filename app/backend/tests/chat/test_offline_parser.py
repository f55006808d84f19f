"""The offline command reader: the same actions as the model's tools, from plain sentences."""

from typing import Any

import pytest

from app.chat.offline import parse_command


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("add buy milk", ("add_task", {"title": "buy milk"})),
        ("Add task: Buy Milk", ("add_task", {"title": "Buy Milk"})),
        ("create a task   water   plants.", ("add_task", {"title": "water plants"})),
        ("list my tasks", ("list_tasks", {})),
        ("List", ("list_tasks", {})),
        ("show me all my tasks", ("list_tasks", {})),
        ("show Pending tasks", ("list_tasks", {"status": "pending"})),
        ("list completed tasks", ("list_tasks", {"status": "completed"})),
        ("complete task 3", ("complete_task", {"task_id": "3"})),
        ("Complete #3!", ("complete_task", {"task_id": "3"})),
        ("finish task 3 as done", ("complete_task", {"task_id": "3"})),
        ("reopen task 5", ("update_task", {"task_id": "5", "completed": False})),
        ("rename task 2 to Call the bank", ("update_task", {"task_id": "2", "title": "Call the bank"})),
        ("update task 2: new title", ("update_task", {"task_id": "2", "title": "new title"})),
        ("delete task 2", ("delete_task", {"task_id": "2"})),
        ("remove #2", ("delete_task", {"task_id": "2"})),
    ],
)
def test_commands_are_understood(text: str, expected: tuple[str, dict[str, Any]]) -> None:
    assert parse_command(text) == expected


@pytest.mark.parametrize(
    "text", ["hello", "add task", "delete task", "complete the milk task", "list tasks of bob", "rename task 2"]
)
def test_anything_else_is_not_a_command(text: str) -> None:
    assert parse_command(text) is None
