"""The real server process (`python -m app`): graceful shutdown, JSON logs, and recovery after a database restart."""

import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from tests.fake_openai import FakeOpenAI, ScriptedReply, completion, tool_call
from tests.helpers import SECRET, auth, backend_env, make_token, running_server


def online_backend_env(database_url: str, fake_openai: FakeOpenAI, **extra: str) -> dict[str, str]:
    """A backend process in online mode against the fake model provider, without retries."""
    return backend_env(
        database_url,
        OPENROUTER_API_KEY="test-provider-key",
        OPENROUTER_BASE_URL=fake_openai.base_url,
        OPENROUTER_MAX_RETRIES="0",
        OPENROUTER_TIMEOUT_SECONDS="10",
        **extra,
    )


def test_sigterm_lets_an_in_flight_request_finish(database_url: str, fake_openai: FakeOpenAI, tmp_path: Path) -> None:
    fake_openai.script(ScriptedReply(completion("Here is a slow answer."), delay_seconds=2.0))
    env = online_backend_env(database_url, fake_openai, SHUTDOWN_TIMEOUT_SECONDS="10")
    with running_server(env, tmp_path / "server.log") as (process, base_url):
        conversation = httpx.post(f"{base_url}/api/conversations", headers=auth()).json()
        outcome: dict[str, Any] = {}

        def send_slow_message() -> None:
            try:
                outcome["response"] = httpx.post(
                    f"{base_url}/api/conversations/{conversation['id']}/messages",
                    json={"content": "take your time"},
                    headers=auth(),
                    timeout=30,
                )
            except httpx.HTTPError as error:
                outcome["error"] = error

        sender = threading.Thread(target=send_slow_message)
        sender.start()
        deadline = time.monotonic() + 10
        while not fake_openai.received:  # the request is now in flight, waiting on the model
            assert time.monotonic() < deadline, "the chat request never reached the model provider"
            time.sleep(0.02)

        process.send_signal(signal.SIGTERM)
        sender.join(timeout=30)
        # uvicorn re-raises the signal once shutdown is complete, so the exit status is "terminated by SIGTERM".
        assert process.wait(timeout=15) == -signal.SIGTERM

    assert "error" not in outcome, outcome
    response = outcome["response"]
    assert response.status_code == 201
    assert response.json()["reply"]["content"] == "Here is a slow answer."
    messages = [json.loads(line)["message"] for line in (tmp_path / "server.log").read_text().splitlines()]
    assert messages.index("Shutting down") < messages.index("Application shutdown complete.")


def test_logs_are_json_lines_with_request_ids_and_no_secrets(database_url: str, tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    token = make_token("alice")
    with running_server(backend_env(database_url), log_path) as (process, base_url):
        created = httpx.post(
            f"{base_url}/api/tasks", json={"title": "logged"}, headers={"Authorization": f"Bearer {token}"}
        )
        failed = httpx.get(f"{base_url}/api/tasks", headers={"Authorization": "Bearer not-a-token"})
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

    text = log_path.read_text()
    records = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    access = {r["request_id"]: r for r in records if r["logger"] == "app.access"}
    line = access[created.headers["x-request-id"]]
    # The core fields the frontend's lines share, first and in the same order; then the access fields.
    assert list(line)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", line["time"])
    assert line | {"duration_ms": 0, "time": ""} == {
        "level": "INFO",
        "logger": "app.access",
        "message": "request",
        "request_id": created.headers["x-request-id"],
        "method": "POST",
        "route": "/api/tasks",
        "status": 201,
        "duration_ms": 0,
        "time": "",
    }
    assert access[failed.headers["x-request-id"]]["status"] == 401
    assert any(r["message"] == "backend started" and r["assistant_mode"] == "offline" for r in records)
    for secret in (token, SECRET, "not-a-token"):
        assert secret not in text


def test_assistant_and_tool_log_lines_carry_the_request_id(
    database_url: str, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    # The frontend forwards its request id; every line the backend logs while serving the turn carries it.
    fake_openai.script(
        ScriptedReply(completion(tool_calls=[tool_call("call_1", "add_task", {"title": "secret groceries"})])),
        ScriptedReply({"error": {"message": "upstream exploded"}}, status=500),
    )
    env = online_backend_env(database_url, fake_openai)
    log_path = tmp_path / "server.log"
    with running_server(env, log_path) as (process, base_url):
        conversation = httpx.post(f"{base_url}/api/conversations", headers=auth()).json()
        response = httpx.post(
            f"{base_url}/api/conversations/{conversation['id']}/messages",
            json={"content": "remember the groceries"},
            headers={**auth(), "X-Request-ID": "frontend-turn-42"},
            timeout=30,
        )
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=15)

    assert response.status_code == 201
    assert response.headers["x-request-id"] == "frontend-turn-42"
    records = [json.loads(line) for line in log_path.read_text().splitlines()]
    turn = [r for r in records if r["request_id"] == "frontend-turn-42"]
    ours = [r for r in turn if r["logger"].startswith("app.")]  # the HTTP client's own lines aside
    assert [(r["logger"], r["message"]) for r in ours] == [
        ("app.chat.tools", "assistant tool call"),
        ("app.chat.model", "model provider failed"),
        ("app.chat.assistant", "assistant answered"),
        ("app.access", "request"),
    ]
    assert (ours[0]["tool"], ours[0]["outcome"]) == ("add_task", "success")
    assert (ours[2]["assistant_mode"], ours[2]["outcome"]) == ("online", "error")
    # Lines from inside the turn exist nowhere without the request id.
    assert not [r for r in records if r["logger"].startswith("app.chat") and r["request_id"] != "frontend-turn-42"]
    assert "secret groceries" not in log_path.read_text()  # tool arguments are never logged


@pytest.fixture
def postgres_control() -> tuple[list[str], str]:
    """The pg_ctl command and data directory of the throwaway server started by scripts/with-postgres.sh."""
    if not (os.environ.get("TODO_PG_CTL") and os.environ.get("TODO_PG_DATA")):
        pytest.skip("needs the throwaway PostgreSQL of scripts/with-postgres.sh (TODO_PG_CTL, TODO_PG_DATA)")
    return shlex.split(os.environ["TODO_PG_CTL"]), os.environ["TODO_PG_DATA"]


def test_pool_recovers_by_itself_after_the_database_restarts(
    postgres_control: tuple[list[str], str], database_url: str, tmp_path: Path
) -> None:
    pg_ctl, data_dir = postgres_control
    # Restart with the options the server was started with (port, socket directory...).
    server_command = shlex.split(Path(data_dir, "postmaster.opts").read_text())
    log = str(Path(data_dir).parent / "server.log")
    start = [*pg_ctl, "-D", data_dir, "-l", log, "-w", "-t", "30", "-o", shlex.join(server_command[1:]), "start"]
    stop = [*pg_ctl, "-D", data_dir, "-m", "fast", "-w", "stop"]

    with running_server(backend_env(database_url), tmp_path / "server.log") as (_, base_url):
        task = httpx.post(f"{base_url}/api/tasks", json={"title": "survives"}, headers=auth()).json()

        # A restart nobody noticed: the pooled connections are dead, the next request must not fail.
        subprocess.run(stop, check=True, capture_output=True)
        subprocess.run(start, check=True, capture_output=True)
        assert httpx.get(f"{base_url}/api/tasks/{task['id']}", headers=auth()).status_code == 200

        # An outage with traffic: probes and API say 503 (liveness stays up), then recover without a restart.
        subprocess.run(stop, check=True, capture_output=True)
        try:
            assert httpx.get(f"{base_url}/health").status_code == 200
            assert httpx.get(f"{base_url}/ready").status_code == 503
            down = httpx.get(f"{base_url}/api/tasks", headers=auth())
            assert down.status_code == 503
            assert down.headers["retry-after"] == "5"
        finally:
            subprocess.run(start, check=True, capture_output=True)
        assert httpx.get(f"{base_url}/ready").status_code == 200
        listed = httpx.get(f"{base_url}/api/tasks", headers=auth())
        assert listed.status_code == 200
        assert [t["id"] for t in listed.json()["items"]] == [task["id"]]
