"""The inline scripts of the `helm test` pod, run for real against a loopback HTTP server.

Each container's script is taken from the rendered Pod and run with the runtime its image
provides (the backend image's Python, the frontend image's Node), its Service URL pointed at
127.0.0.1 with the same path, and short retry settings.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, urlunsplit

import pytest

from rendering import FULLNAME, Rendered

ATTEMPTS = 3


class ScriptedServer(ThreadingHTTPServer):
    """Answers each request with the next status of a script (the last one repeats)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), StatusHandler)
        self.statuses: list[int] = [200]
        self.requests: list[str] = []


class StatusHandler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self.server.requests.append(self.path)
        status = self.server.statuses.pop(0) if len(self.server.statuses) > 1 else self.server.statuses[0]
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # keep pytest's output clean
        pass


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    http_server = ScriptedServer()
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    yield http_server
    http_server.shutdown()
    http_server.server_close()


def runtime(container_name: str) -> str:
    if container_name == "backend-ready":
        return sys.executable  # CPython 3.11, like the backend image
    node = shutil.which("node")
    if node is None:
        pytest.fail("node not found on PATH: the frontend image's runtime (Node 20) is needed to run its test script")
    return node


def run_test_container(rendered: Rendered, container_name: str, port: int) -> tuple[subprocess.CompletedProcess[str], str]:
    pod = rendered.get("Pod", f"{FULLNAME}-test-connection")
    (container,) = [c for c in pod["spec"]["containers"] if c["name"] == container_name]
    env = {e["name"]: e["value"] for e in container["env"]}
    url = urlsplit(env["URL"])
    env |= {"URL": urlunsplit(url._replace(netloc=f"127.0.0.1:{port}")), "ATTEMPTS": str(ATTEMPTS), "RETRY_DELAY_SECONDS": "0.05"}
    result = subprocess.run(
        [runtime(container_name), *container["args"]],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return result, url.path


CONTAINERS = ["backend-ready", "frontend-ready"]


def test_the_pod_runs_a_check_per_app(renders):
    pod = renders["default"].get("Pod", f"{FULLNAME}-test-connection")
    assert [c["name"] for c in pod["spec"]["containers"]] == CONTAINERS


@pytest.mark.parametrize("container_name", CONTAINERS)
def test_passes_when_the_service_is_ready(renders, server, container_name):
    result, path = run_test_container(renders["default"], container_name, server.server_address[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests == [path]


@pytest.mark.parametrize("container_name", CONTAINERS)
def test_retries_until_the_service_becomes_ready(renders, server, container_name):
    server.statuses = [503, 200]
    result, path = run_test_container(renders["default"], container_name, server.server_address[1])
    assert result.returncode == 0, result.stdout + result.stderr
    assert server.requests == [path, path]


@pytest.mark.parametrize("container_name", CONTAINERS)
def test_fails_after_its_attempts_when_the_service_stays_unready(renders, server, container_name):
    server.statuses = [503]
    result, path = run_test_container(renders["default"], container_name, server.server_address[1])
    assert result.returncode == 1
    assert server.requests == [path] * ATTEMPTS
    assert f"attempt {ATTEMPTS}/{ATTEMPTS}" in result.stdout


@pytest.mark.parametrize("container_name", CONTAINERS)
def test_fails_when_nothing_listens(renders, container_name):
    with socket.socket() as probe:  # a loopback port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    result, _ = run_test_container(renders["default"], container_name, free_port)
    assert result.returncode == 1
    assert f"attempt {ATTEMPTS}/{ATTEMPTS}" in result.stdout
