"""Task endpoints: create, list (filter, pagination, order), get, update, delete, validation."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.helpers import auth


def create(client: TestClient, title: str, user: str = "alice", **fields: Any) -> dict[str, Any]:
    response = client.post("/api/tasks", json={"title": title, **fields}, headers=auth(user))
    assert response.status_code == 201, response.text
    task: dict[str, Any] = response.json()
    return task


def test_create_returns_the_stored_task(client: TestClient) -> None:
    task = create(client, "  buy milk  ", description="2 litres")
    assert task["title"] == "buy milk"
    assert task["description"] == "2 litres"
    assert task["completed"] is False
    assert client.get(f"/api/tasks/{task['id']}", headers=auth()).json() == task


def test_list_is_newest_first_and_paginates_without_overlap(client: TestClient) -> None:
    ids = [create(client, f"task {n}")["id"] for n in range(7)]
    first = client.get("/api/tasks?limit=3", headers=auth()).json()
    second = client.get("/api/tasks?limit=3&offset=3", headers=auth()).json()
    third = client.get("/api/tasks?limit=3&offset=6", headers=auth()).json()
    pages = [first, second, third]
    assert [page["total"] for page in pages] == [7, 7, 7]
    assert [task["id"] for page in pages for task in page["items"]] == list(reversed(ids))
    assert (first["limit"], second["offset"]) == (3, 3)
    beyond = client.get("/api/tasks?limit=3&offset=50", headers=auth()).json()
    assert (beyond["items"], beyond["total"]) == ([], 7)


def test_list_filters_by_status(client: TestClient) -> None:
    done = create(client, "done")
    pending = create(client, "pending")
    client.patch(f"/api/tasks/{done['id']}", json={"completed": True}, headers=auth())

    def titles(status: str) -> list[str]:
        body = client.get(f"/api/tasks?status={status}", headers=auth()).json()
        return [task["title"] for task in body["items"]]

    assert titles("completed") == ["done"]
    assert titles("pending") == [pending["title"]]
    assert titles("all") == ["pending", "done"]


def test_update_changes_only_the_given_fields(client: TestClient) -> None:
    task = create(client, "draft", description="notes")
    response = client.patch(f"/api/tasks/{task['id']}", json={"completed": True}, headers=auth())
    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["description"], updated["completed"]) == ("draft", "notes", True)
    assert updated["updated_at"] > task["updated_at"]

    renamed = client.patch(f"/api/tasks/{task['id']}", json={"title": "final", "description": None}, headers=auth())
    assert (renamed.json()["title"], renamed.json()["description"], renamed.json()["completed"]) == (
        "final",
        None,
        True,
    )


def test_delete_removes_the_task(client: TestClient) -> None:
    task = create(client, "temporary")
    assert client.delete(f"/api/tasks/{task['id']}", headers=auth()).status_code == 204
    assert client.get(f"/api/tasks/{task['id']}", headers=auth()).status_code == 404
    assert client.delete(f"/api/tasks/{task['id']}", headers=auth()).status_code == 404


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_unknown_task_is_404(client: TestClient, method: str) -> None:
    response = client.request(method, "/api/tasks/999", json={"completed": True}, headers=auth())
    assert response.status_code == 404
    assert response.json() == {"detail": "task not found"}


def _errors(response: Any) -> list[tuple[list[str | int], str]]:
    assert response.status_code == 422, response.text
    return [(error["loc"], error["msg"]) for error in response.json()["detail"]]


@pytest.mark.parametrize(
    ("body", "location", "message"),
    [
        ({"title": ""}, ["body", "title"], "String should have at least 1 character"),
        ({"title": "   "}, ["body", "title"], "String should have at least 1 character"),
        ({"title": "x" * 201}, ["body", "title"], "String should have at most 200 characters"),
        (
            {"title": "ok", "description": "x" * 2001},
            ["body", "description"],
            "String should have at most 2000 characters",
        ),
        ({"title": "a\x00b"}, ["body", "title"], "Value error, must not contain NUL characters"),
        ({}, ["body", "title"], "Field required"),
    ],
    ids=["empty", "blank", "too-long", "description-too-long", "nul", "missing"],
)
def test_create_refuses_invalid_input_with_a_clear_message(
    client: TestClient, body: dict[str, Any], location: list[str], message: str
) -> None:
    assert (location, message) in _errors(client.post("/api/tasks", json=body, headers=auth()))
    assert client.get("/api/tasks", headers=auth()).json()["total"] == 0


def test_invalid_input_is_not_echoed_back(client: TestClient) -> None:
    # A lone UTF-16 surrogate cannot be encoded as UTF-8: echoing it back used to crash the error response.
    response = client.post(
        "/api/tasks", content=b'{"title": "a\\ud800b"}', headers={**auth(), "Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json() == {
        "detail": [
            {
                "type": "string_unicode",
                "loc": ["body", "title"],
                "msg": "Input should be a valid string, unable to parse raw data as a unicode string",
            }
        ]
    }


@pytest.mark.parametrize("field", ["title", "completed"])
def test_update_refuses_null_for_required_fields(client: TestClient, field: str) -> None:
    task = create(client, "keep me")
    errors = _errors(client.patch(f"/api/tasks/{task['id']}", json={field: None}, headers=auth()))
    assert (["body", field], "Value error, cannot be null; leave the field out to keep it unchanged") in errors
    assert client.get(f"/api/tasks/{task['id']}", headers=auth()).json() == task


def test_update_refuses_an_oversized_title(client: TestClient) -> None:
    task = create(client, "short")
    errors = _errors(client.patch(f"/api/tasks/{task['id']}", json={"title": "x" * 201}, headers=auth()))
    assert (["body", "title"], "String should have at most 200 characters") in errors


@pytest.mark.parametrize(
    "query",
    ["status=done", "limit=0", "limit=101", "offset=-1"],
    ids=["bad-status", "limit-0", "limit-101", "negative-offset"],
)
def test_list_refuses_bad_query_parameters(client: TestClient, query: str) -> None:
    assert client.get(f"/api/tasks?{query}", headers=auth()).status_code == 422


def test_ids_beyond_the_database_range_are_refused_not_crashed(client: TestClient) -> None:
    assert client.get(f"/api/tasks/{2**31}", headers=auth()).status_code == 422
