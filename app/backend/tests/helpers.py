"""Shared helpers of the test suite: tokens, databases and a server process."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx2 as httpx
import jwt
import psycopg
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql
from sqlalchemy.engine import make_url

BACKEND_DIR = Path(__file__).resolve().parent.parent
SECRET = "test-secret-" + "x" * 40
ISSUER = "todo-chatbot-frontend"
AUDIENCE = "todo-chatbot-backend"


def make_token(user_id: str = "alice", *, secret: str = SECRET, lifetime: int = 300, **overrides: Any) -> str:
    """A token as the frontend mints it; `overrides` replace or (with None) drop claims."""
    now = int(time.time())
    claims: dict[str, Any] = {"sub": user_id, "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + lifetime}
    claims.update(overrides)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, algorithm="HS256")


def auth(user_id: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token(user_id)}"}


def connect(database_url: str) -> psycopg.Connection[Any]:
    """A plain autocommit psycopg connection to the database of `database_url`."""
    url = make_url(database_url)
    return psycopg.connect(
        host=url.host, port=url.port, user=url.username, password=url.password, dbname=url.database, autocommit=True
    )


def create_database(server_url: str, prefix: str) -> str:
    """A new empty database on the server of `server_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with connect(server_url) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def drop_database(server_url: str, database_url: str) -> None:
    name = make_url(database_url).database or ""
    with connect(server_url) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def backend_env(database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a backend process: the test's settings and nothing inherited that could interfere."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPENROUTER_", "DB_", "PRESTART_"))
        and key not in ("ALLOWED_ORIGINS", "PORT", "SECRETS_DIR")
    }
    env.update(DATABASE_URL=database_url, BETTER_AUTH_SECRET=SECRET, LOG_LEVEL="INFO", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@contextmanager
def running_server(env: dict[str, str], log_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """`python -m app` as a real process on a free loopback port; yields the process and its base URL."""
    port = free_port()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=BACKEND_DIR, env={**env, "PORT": str(port)}, stdout=log, stderr=log
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited with {process.returncode}:\n{log_path.read_text()}")
            try:
                if httpx.get(f"{base_url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.1)
        yield process, base_url
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def metric_value(metrics: str, sample: str, **labels: str) -> float | None:
    """The value of one sample (full name, exact label set) in a /metrics text, or None when absent."""
    for family in text_string_to_metric_families(metrics):
        for found in family.samples:
            if found.name == sample and found.labels == labels:
                return float(found.value)
    return None
