"""The assistant and database pool metrics on GET /metrics: names, labels, and by how much each event moves them."""

import subprocess
import sys
from contextlib import ExitStack
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import generate_latest
from sqlalchemy import Engine
from sqlmodel import Session

from app.chat.assistant import MeteredAssistant
from app.chat.model import ModelAssistant
from app.chat.tools import TOOLS
from app.core.metrics import UNKNOWN_TOOL
from app.models import Message, MessageRole
from tests.conftest import ClientFactory, make_settings
from tests.fake_openai import FakeOpenAI, ScriptedReply, completion, tool_call
from tests.helpers import BACKEND_DIR, auth, metric_value

TURNS = "todo_assistant_requests_total"
TURN_SECONDS = "todo_assistant_request_duration_seconds_count"
TOOL_CALLS = "todo_assistant_tool_calls_total"
MODEL_CALLS = "todo_assistant_model_requests_total"
POOL_GAUGES = (
    "todo_db_pool_size",
    "todo_db_pool_checked_out_connections",
    "todo_db_pool_idle_connections",
    "todo_db_pool_overflow_connections",
)


def value(metrics: str, sample: str, **labels: str) -> float:
    found = metric_value(metrics, sample, **labels)
    assert found is not None, f"{sample}{labels} is not exposed"
    return found


def every_assistant_series(metrics: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Each assistant sample that the tests below check, by name and labels."""
    keys: list[tuple[str, dict[str, str]]] = []
    for mode in ("offline", "online"):
        keys.append((TURN_SECONDS, {"mode": mode}))
        keys.extend((TURNS, {"mode": mode, "outcome": outcome}) for outcome in ("success", "error"))
    for outcome in ("success", "error"):
        keys.append((MODEL_CALLS, {"outcome": outcome}))
        keys.extend((TOOL_CALLS, {"tool": tool, "outcome": outcome}) for tool in [*TOOLS, UNKNOWN_TOOL])
    return {(name, tuple(sorted(labels.items()))): value(metrics, name, **labels) for name, labels in keys}


def changes(before: str, after: str) -> dict[str, float]:
    """The assistant series that moved between two scrapes, as 'name{label=value,...}': delta."""
    old, new = every_assistant_series(before), every_assistant_series(after)
    return {
        f"{name}{{{','.join(f'{k}={v}' for k, v in labels)}}}": new[key] - old[key]
        for key in new
        if new[key] != old[key]
        for name, labels in [key]
    }


def chat(client: TestClient, *contents: str) -> list[dict[str, Any]]:
    conversation_id = client.post("/api/conversations", headers=auth()).json()["id"]
    replies = []
    for content in contents:
        response = client.post(
            f"/api/conversations/{conversation_id}/messages", json={"content": content}, headers=auth()
        )
        assert response.status_code == 201, response.text
        replies.append(response.json())
    return replies


def test_known_series_exist_at_zero_before_any_event() -> None:
    # A fresh interpreter: nothing has happened yet, and alerts still need every series to exist.
    script = "import app.main, prometheus_client; print(prometheus_client.generate_latest().decode())"
    metrics = subprocess.run(
        [sys.executable, "-c", script], cwd=BACKEND_DIR, capture_output=True, text=True, timeout=60, check=True
    ).stdout
    series = every_assistant_series(metrics)
    assert len(series) == 2 + 4 + 2 + 2 * (len(TOOLS) + 1)
    assert set(series.values()) == {0.0}
    # With no app serving, there is no pool to read: the gauges are declared but have no sample yet.
    for gauge in POOL_GAUGES:
        assert f"# TYPE {gauge} gauge" in metrics
        assert metric_value(metrics, gauge) is None


def test_offline_turns_count_turns_and_tool_calls(client: TestClient) -> None:
    before = client.get("/metrics").text
    replies = chat(client, "add buy milk", "complete task 99", "hello there")
    after = client.get("/metrics").text

    assert [reply["mode"] for reply in replies] == ["offline"] * 3
    assert changes(before, after) == {
        f"{TURNS}{{mode=offline,outcome=success}}": 3,
        f"{TURN_SECONDS}{{mode=offline}}": 3,
        f"{TOOL_CALLS}{{outcome=success,tool=add_task}}": 1,
        f"{TOOL_CALLS}{{outcome=error,tool=complete_task}}": 1,  # no task 99: the tool did nothing
    }
    bucket = "todo_assistant_request_duration_seconds_bucket"
    assert value(after, bucket, mode="offline", le="60.0") - value(before, bucket, mode="offline", le="60.0") == 3


def test_online_turn_counts_model_calls_and_tool_calls(online_client: TestClient, fake_openai: FakeOpenAI) -> None:
    fake_openai.script(
        ScriptedReply(
            completion(
                tool_calls=[
                    tool_call("call_1", "add_task", {"title": "buy milk"}),
                    tool_call("call_2", "drop_database", {}),
                ]
            )
        ),
        ScriptedReply(completion("I added 'buy milk'.")),
    )
    before = online_client.get("/metrics").text
    (reply,) = chat(online_client, "remember the milk")
    after = online_client.get("/metrics").text

    assert reply["mode"] == "online"
    assert changes(before, after) == {
        f"{TURNS}{{mode=online,outcome=success}}": 1,
        f"{TURN_SECONDS}{{mode=online}}": 1,
        f"{MODEL_CALLS}{{outcome=success}}": 2,
        f"{TOOL_CALLS}{{outcome=success,tool=add_task}}": 1,
        f"{TOOL_CALLS}{{outcome=error,tool={UNKNOWN_TOOL}}}": 1,  # an invented name is no new label value
    }
    assert "drop_database" not in after


@pytest.mark.parametrize(
    "scripted",
    [
        ScriptedReply({"error": {"message": "upstream exploded"}}, status=500),
        ScriptedReply({"id": "x", "object": "chat.completion", "choices": []}),
    ],
    ids=["server-error", "no-choices"],
)
def test_failing_model_provider_counts_as_errors(
    online_client: TestClient, fake_openai: FakeOpenAI, scripted: ScriptedReply
) -> None:
    fake_openai.script(ScriptedReply(completion(tool_calls=[tool_call("call_1", "list_tasks", {})])), scripted)
    before = online_client.get("/metrics").text
    (reply,) = chat(online_client, "list my tasks")
    after = online_client.get("/metrics").text

    assert reply["mode"] == "unavailable"
    assert changes(before, after) == {
        f"{TURNS}{{mode=online,outcome=error}}": 1,
        f"{TURN_SECONDS}{{mode=online}}": 1,
        f"{MODEL_CALLS}{{outcome=success}}": 1,
        f"{MODEL_CALLS}{{outcome=error}}": 1,
        f"{TOOL_CALLS}{{outcome=success,tool=list_tasks}}": 1,
    }


class _RaisingCompletions:
    def create(self, **_: Any) -> None:
        raise RuntimeError("the client broke")


class _RaisingClient:
    """Stands in for openai.OpenAI: every completion call raises something the assistant does not handle."""

    def __init__(self) -> None:
        self.chat = self
        self.completions = _RaisingCompletions()

    def with_options(self, **_: Any) -> "_RaisingClient":
        return self

    def close(self) -> None:
        pass


def test_a_model_call_that_raises_counts_as_errors_and_propagates(database_url: str, test_engine: Engine) -> None:
    model = ModelAssistant(make_settings(database_url, openrouter_api_key="test-provider-key"))
    model._client = _RaisingClient()  # type: ignore[assignment]
    assistant = MeteredAssistant(model, "online")
    history = [Message(conversation_id=1, role=MessageRole.USER, content="hello")]
    before = generate_latest().decode()
    with Session(test_engine) as session, pytest.raises(RuntimeError, match="the client broke"):
        assistant.respond(session, "alice", history)
    after = generate_latest().decode()

    assert changes(before, after) == {
        f"{TURNS}{{mode=online,outcome=error}}": 1,
        f"{TURN_SECONDS}{{mode=online}}": 1,
        f"{MODEL_CALLS}{{outcome=error}}": 1,
    }


def pool(client: TestClient) -> dict[str, float | None]:
    metrics = client.get("/metrics").text
    return {gauge.removeprefix("todo_db_pool_"): metric_value(metrics, gauge) for gauge in POOL_GAUGES}


def test_pool_gauges_follow_the_connections_in_use(make_client: ClientFactory) -> None:
    client = make_client(db_pool_size=2, db_max_overflow=3)
    engine: Engine = client.app.state.engine  # type: ignore[attr-defined]
    gauges = ("size", "checked_out_connections", "idle_connections", "overflow_connections")

    assert pool(client) == dict(zip(gauges, (2, 0, 0, 0), strict=True))  # nothing connected yet
    with ExitStack() as held:
        held.enter_context(engine.connect())
        assert pool(client) == dict(zip(gauges, (2, 1, 0, 0), strict=True))
        held.enter_context(engine.connect())
        held.enter_context(engine.connect())  # one beyond pool_size: an overflow connection
        assert pool(client) == dict(zip(gauges, (2, 3, 0, 1), strict=True))
    # Back in the pool: pool_size connections stay open and idle, the overflow one is closed.
    assert pool(client) == dict(zip(gauges, (2, 0, 2, 0), strict=True))
    assert client.get("/api/tasks", headers=auth()).status_code == 200
    assert pool(client) == dict(zip(gauges, (2, 0, 2, 0), strict=True))


def test_pool_gauges_stop_when_the_app_stops(make_client: ClientFactory) -> None:
    client = make_client()
    assert pool(client)["size"] == 5
    client.__exit__(None, None, None)  # the lifespan ends: the engine is disposed and no longer read
    metrics = generate_latest().decode()
    assert all(metric_value(metrics, gauge) is None for gauge in POOL_GAUGES)
