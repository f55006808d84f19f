"""Conversations and messages: create, list, persist across restarts, and the offline assistant via the API."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.chat.offline import OFFLINE_NOTE
from tests.conftest import ClientFactory
from tests.helpers import auth


def new_conversation(client: TestClient, user: str = "alice") -> int:
    response = client.post("/api/conversations", headers=auth(user))
    assert response.status_code == 201
    conversation_id: int = response.json()["id"]
    return conversation_id


def say(client: TestClient, conversation_id: int, content: str, user: str = "alice") -> dict[str, Any]:
    response = client.post(
        f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers=auth(user)
    )
    assert response.status_code == 201, response.text
    reply: dict[str, Any] = response.json()
    return reply


def task_titles(client: TestClient, user: str = "alice") -> dict[int, tuple[str, bool]]:
    items = client.get("/api/tasks", headers=auth(user)).json()["items"]
    return {task["id"]: (task["title"], task["completed"]) for task in items}


def test_create_and_list_conversations_most_recent_first(client: TestClient) -> None:
    titled = client.post("/api/conversations", json={"title": "Groceries"}, headers=auth()).json()
    untitled = client.post("/api/conversations", headers=auth()).json()
    assert (titled["title"], untitled["title"]) == ("Groceries", "New conversation")
    say(client, titled["id"], "list my tasks")

    page = client.get("/api/conversations", headers=auth()).json()
    assert [c["id"] for c in page["items"]] == [titled["id"], untitled["id"]]
    assert page["total"] == 2


def test_first_message_names_an_untitled_conversation(client: TestClient) -> None:
    conversation_id = new_conversation(client)
    say(client, conversation_id, "add plan the trip to Lisbon with the whole family and book the hotels early")
    title = client.get("/api/conversations", headers=auth()).json()["items"][0]["title"]
    assert title == "add plan the trip to Lisbon with the whole family and book…"


def test_chat_commands_manage_tasks_offline(client: TestClient) -> None:
    conversation_id = new_conversation(client)

    added = say(client, conversation_id, "add buy milk")
    assert added["mode"] == "offline"
    assert added["tasks_changed"] is True
    assert added["reply"]["content"] == f"Added task #1: buy milk.\n\n{OFFLINE_NOTE}"
    say(client, conversation_id, "add call the bank")
    assert task_titles(client) == {1: ("buy milk", False), 2: ("call the bank", False)}

    completed = say(client, conversation_id, "complete task 1")
    assert completed["tasks_changed"] is True
    assert task_titles(client)[1] == ("buy milk", True)

    listing = say(client, conversation_id, "list my tasks")
    assert listing["tasks_changed"] is False
    assert listing["reply"]["content"].startswith("Your tasks:\n#2 [ ] call the bank\n#1 [x] buy milk")
    pending = say(client, conversation_id, "list pending tasks")
    assert "buy milk" not in pending["reply"]["content"]

    say(client, conversation_id, "rename task 2 to Call the bank about the loan")
    assert task_titles(client)[2] == ("Call the bank about the loan", False)

    deleted = say(client, conversation_id, "delete task 2")
    assert deleted["tasks_changed"] is True
    assert task_titles(client) == {1: ("buy milk", True)}


@pytest.mark.parametrize("content", ["hello there", "what can you do?", "delete everything"])
def test_unknown_input_gets_usage_and_changes_nothing(client: TestClient, content: str) -> None:
    reply = say(client, new_conversation(client), content)
    assert reply["tasks_changed"] is False
    assert "add buy milk" in reply["reply"]["content"]
    assert "Offline mode" in reply["reply"]["content"]
    assert task_titles(client) == {}


def test_command_on_a_missing_task_explains_and_changes_nothing(client: TestClient) -> None:
    reply = say(client, new_conversation(client), "complete task 42")
    assert reply["tasks_changed"] is False
    assert reply["reply"]["content"].startswith("Sorry, I could not do that: task 42 not found.")


def test_messages_are_listed_oldest_first_and_survive_a_restart(client: TestClient, make_client: ClientFactory) -> None:
    conversation_id = new_conversation(client)
    first = say(client, conversation_id, "add water the plants")
    second = say(client, conversation_id, "list my tasks")

    restarted = make_client()  # a new app: new engine, nothing cached in memory
    page = restarted.get(f"/api/conversations/{conversation_id}/messages", headers=auth()).json()
    expected = [first["user_message"], first["reply"], second["user_message"], second["reply"]]
    assert page["items"] == expected
    assert [m["role"] for m in page["items"]] == ["user", "assistant", "user", "assistant"]
    assert page["total"] == 4

    later = restarted.get(f"/api/conversations/{conversation_id}/messages?limit=2&offset=2", headers=auth()).json()
    assert later["items"] == expected[2:]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "String should have at least 1 character"), ("x" * 4001, "String should have at most 4000 characters")],
)
def test_message_content_is_validated(client: TestClient, content: str, message: str) -> None:
    conversation_id = new_conversation(client)
    response = client.post(f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers=auth())
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"] == message
    assert client.get(f"/api/conversations/{conversation_id}/messages", headers=auth()).json()["total"] == 0


def test_unknown_conversation_is_404(client: TestClient) -> None:
    assert client.get("/api/conversations/7/messages", headers=auth()).status_code == 404
    response = client.post("/api/conversations/7/messages", json={"content": "add x"}, headers=auth())
    assert response.status_code == 404
    assert response.json() == {"detail": "conversation not found"}
    assert task_titles(client) == {}
