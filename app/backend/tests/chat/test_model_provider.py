"""The online assistant against a local fake OpenAI-compatible server: tool calls, history, and failures."""

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.chat.model import MAX_TOOL_ROUNDS
from tests.conftest import ClientFactory
from tests.fake_openai import FakeOpenAI, ScriptedReply, completion, tool_call
from tests.helpers import auth, free_port, metric_value


def chat(client: TestClient, content: str, conversation_id: int | None = None) -> dict[str, Any]:
    if conversation_id is None:
        conversation_id = client.post("/api/conversations", headers=auth()).json()["id"]
    response = client.post(f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers=auth())
    assert response.status_code == 201, response.text
    reply: dict[str, Any] = response.json()
    return reply


def tasks(client: TestClient) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = client.get("/api/tasks", headers=auth()).json()["items"]
    return items


def test_model_adds_a_task_through_a_tool_call(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "add_task", {"title": "buy milk"})])),
        ScriptedReply(completion("I added 'buy milk' to your list.")),
    )
    reply = chat(online_client, "please remember to buy milk")

    assert reply["mode"] == "online"
    assert reply["tasks_changed"] is True
    assert reply["reply"]["content"] == "I added 'buy milk' to your list."
    assert [task["title"] for task in tasks(online_client)] == ["buy milk"]

    first, second = fake_openai.received
    assert first.path == "/v1/chat/completions"
    assert first.headers["authorization"] == "Bearer test-provider-key"
    assert first.body["model"] == "test/model"
    assert {tool["function"]["name"] for tool in first.body["tools"]} == {
        "add_task",
        "list_tasks",
        "complete_task",
        "update_task",
        "delete_task",
    }
    assert first.body["messages"][0]["role"] == "system"
    assert first.body["messages"][-1] == {"role": "user", "content": "please remember to buy milk"}
    tool_result = second.body["messages"][-1]
    assert tool_result["role"] == "tool"
    assert tool_result["tool_call_id"] == "call_1"
    assert json.loads(tool_result["content"])["added"]["title"] == "buy milk"


def test_model_lists_then_completes_the_users_task(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    task = online_client.post("/api/tasks", json={"title": "pay rent"}, headers=auth()).json()
    online_client.post("/api/tasks", json={"title": "bob's task"}, headers=auth("bob"))
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "list_tasks", {"status": "pending"})])),
        ScriptedReply(completion(tool_calls=[tool_call("call_2", "complete_task", {"task_id": task["id"]})])),
        ScriptedReply(completion("Done: 'pay rent' is complete.")),
    )
    reply = chat(online_client, "I paid the rent")

    assert reply["tasks_changed"] is True
    assert tasks(online_client)[0]["completed"] is True
    listed = json.loads(fake_openai.received[1].body["messages"][-1]["content"])
    assert [t["title"] for t in listed["tasks"]] == ["pay rent"]  # never another user's tasks


def test_model_sees_the_conversation_history(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(ScriptedReply(completion("Hello!")), ScriptedReply(completion("You said hi.")))
    first = chat(online_client, "hi")
    chat(online_client, "what did I say?", first["user_message"]["conversation_id"])

    history = [(m["role"], m["content"]) for m in fake_openai.received[1].body["messages"][1:]]
    assert history == [("user", "hi"), ("assistant", "Hello!"), ("user", "what did I say?")]


def test_bad_tool_arguments_go_back_to_the_model_as_an_error(
    online_client: TestClient, fake_openai: FakeOpenAI
) -> None:
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "add_task", "{not json")])),
        ScriptedReply(completion(tool_calls=[tool_call("call_2", "add_task", {"title": ""})])),
        ScriptedReply(completion(tool_calls=[tool_call("call_3", "drop_database", {})])),
        ScriptedReply(completion("Sorry, I could not add that.")),
    )
    reply = chat(online_client, "add something")

    assert reply["tasks_changed"] is False
    assert tasks(online_client) == []
    errors = [json.loads(request.body["messages"][-1]["content"])["error"] for request in fake_openai.received[1:]]
    assert errors[0] == "arguments are not valid JSON"
    assert errors[1].startswith("invalid arguments: title: String should have at least 1 character")
    assert errors[2].startswith("unknown tool 'drop_database'")


@pytest.mark.parametrize(
    ("scripted", "message"),
    [
        (ScriptedReply({"error": {"message": "upstream exploded"}}, status=500), "answered with an error (HTTP 500)"),
        (ScriptedReply({"error": {"message": "bad key"}}, status=401), "refused this service's credentials"),
        (ScriptedReply({"error": {"message": "slow down"}}, status=429), "is busy right now"),
        (ScriptedReply(completion("too late"), delay_seconds=4.5), "did not answer in time"),
        (ScriptedReply({"id": "x", "object": "chat.completion", "choices": []}), "could not understand"),
    ],
    ids=["server-error", "bad-credentials", "rate-limited", "timeout", "no-choices"],
)
def test_provider_failures_give_a_clear_reply_not_a_server_error(
    online_client: TestClient, fake_openai: FakeOpenAI, scripted: ScriptedReply, message: str
) -> None:
    fake_openai.script(scripted)
    before = online_client.get("/metrics").text
    reply = chat(online_client, "list my tasks")
    after = online_client.get("/metrics").text

    assert reply["mode"] == "unavailable"
    # Counted for the "model provider failing" alert, timeouts included.
    for sample, labels in [
        ("todo_assistant_model_requests_total", {"outcome": "error"}),
        ("todo_assistant_requests_total", {"mode": "online", "outcome": "error"}),
    ]:
        assert (metric_value(after, sample, **labels) or 0) - (metric_value(before, sample, **labels) or 0) == 1
    assert metric_value(after, "todo_assistant_model_requests_total", outcome="success") == metric_value(
        before, "todo_assistant_model_requests_total", outcome="success"
    )
    assert reply["tasks_changed"] is False
    assert message in reply["reply"]["content"]
    assert "test-provider-key" not in reply["reply"]["content"]
    # Both sides of the exchange are kept, so the conversation reads the same after a reload.
    conversation_id = reply["user_message"]["conversation_id"]
    stored = online_client.get(f"/api/conversations/{conversation_id}/messages", headers=auth()).json()["items"]
    assert [m["content"] for m in stored] == ["list my tasks", reply["reply"]["content"]]


def test_failure_after_a_change_still_reports_the_change(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "add_task", {"title": "buy milk"})])),
        ScriptedReply({"error": {"message": "down"}}, status=503),
    )
    reply = chat(online_client, "add buy milk")

    assert reply["mode"] == "unavailable"
    assert reply["tasks_changed"] is True
    assert "already changed" in reply["reply"]["content"]
    assert [task["title"] for task in tasks(online_client)] == ["buy milk"]


def test_unreachable_provider_gives_a_clear_reply(make_client: ClientFactory) -> None:
    client = make_client(
        openrouter_api_key="test-provider-key",
        openrouter_base_url=f"http://127.0.0.1:{free_port()}/v1",
        openrouter_max_retries=0,
    )
    reply = chat(client, "list my tasks")
    assert reply["mode"] == "unavailable"
    assert "could not reach the AI model provider" in reply["reply"]["content"]


def test_one_time_budget_covers_every_round_of_a_reply(make_client: ClientFactory, fake_openai: FakeOpenAI) -> None:
    client = make_client(
        openrouter_api_key="test-provider-key",
        openrouter_base_url=fake_openai.base_url,
        openrouter_timeout_seconds=3.0,
        openrouter_max_retries=0,
    )
    # Each answer alone fits the 3 s budget with room to spare; together they do not.
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "add_task", {"title": "a"})]), delay_seconds=1.8),
        ScriptedReply(completion("too late"), delay_seconds=1.8),
    )
    reply = chat(client, "add a")

    assert reply["mode"] == "unavailable"
    assert "did not answer in time" in reply["reply"]["content"]
    assert reply["tasks_changed"] is True


def test_failed_calls_are_retried(make_client: ClientFactory, fake_openai: FakeOpenAI) -> None:
    client = make_client(
        openrouter_api_key="test-provider-key",
        openrouter_base_url=fake_openai.base_url,
        openrouter_timeout_seconds=10.0,
        openrouter_max_retries=1,
    )
    fake_openai.script(ScriptedReply({"error": {"message": "flaky"}}, status=502), ScriptedReply(completion("Hi!")))
    reply = chat(client, "hello")

    assert (reply["mode"], reply["reply"]["content"]) == ("online", "Hi!")
    assert len(fake_openai.received) == 2


def test_a_model_that_never_stops_calling_tools_is_cut_off(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        *(ScriptedReply(completion(tool_calls=[tool_call(f"call_{n}", "list_tasks", {})])) for n in range(10))
    )
    reply = chat(online_client, "list my tasks forever")

    assert reply["mode"] == "online"
    assert reply["reply"]["content"].startswith("I stopped because the request needed too many steps.")
    assert len(fake_openai.received) == MAX_TOOL_ROUNDS
