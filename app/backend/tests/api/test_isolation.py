"""A user reads and changes only their own tasks and conversations: another user's id is 404, never data."""

from fastapi.testclient import TestClient

from tests.helpers import auth


def test_tasks_of_another_user_are_invisible_and_untouchable(client: TestClient) -> None:
    task = client.post("/api/tasks", json={"title": "alice's secret"}, headers=auth("alice")).json()
    path = f"/api/tasks/{task['id']}"

    assert client.get("/api/tasks", headers=auth("bob")).json() == {"items": [], "total": 0, "limit": 50, "offset": 0}
    for method, body in [("GET", None), ("PATCH", {"title": "hacked", "completed": True}), ("DELETE", None)]:
        response = client.request(method, path, json=body, headers=auth("bob"))
        assert response.status_code == 404, method
        assert "alice's secret" not in response.text

    assert client.get(path, headers=auth("alice")).json() == task


def test_conversations_of_another_user_are_invisible_and_untouchable(client: TestClient) -> None:
    conversation = client.post("/api/conversations", json={"title": "private"}, headers=auth("alice")).json()
    client.post(
        f"/api/conversations/{conversation['id']}/messages", json={"content": "add pay rent"}, headers=auth("alice")
    )
    messages = f"/api/conversations/{conversation['id']}/messages"

    assert client.get("/api/conversations", headers=auth("bob")).json()["total"] == 0
    assert client.get(messages, headers=auth("bob")).status_code == 404
    assert client.post(messages, json={"content": "list my tasks"}, headers=auth("bob")).status_code == 404
    assert client.get(messages, headers=auth("alice")).json()["total"] == 2


def test_chat_commands_cannot_reach_another_users_tasks(client: TestClient) -> None:
    task = client.post("/api/tasks", json={"title": "alice's task"}, headers=auth("alice")).json()
    conversation = client.post("/api/conversations", headers=auth("bob")).json()
    messages = f"/api/conversations/{conversation['id']}/messages"

    for command in (f"complete task {task['id']}", f"rename task {task['id']} to mine", f"delete task {task['id']}"):
        reply = client.post(messages, json={"content": command}, headers=auth("bob")).json()
        assert reply["tasks_changed"] is False
        assert f"task {task['id']} not found" in reply["reply"]["content"]
    listing = client.post(messages, json={"content": "list my tasks"}, headers=auth("bob")).json()
    assert "alice's task" not in listing["reply"]["content"]

    assert client.get(f"/api/tasks/{task['id']}", headers=auth("alice")).json() == task
