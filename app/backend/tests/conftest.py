"""Fixtures: a migrated test database on a real PostgreSQL, emptied after every test, and API clients."""

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text

from app.core.config import Settings
from app.main import create_app
from app.prestart import migrate
from tests.fake_openai import FakeOpenAI
from tests.helpers import SECRET, create_database, drop_database

ClientFactory = Callable[..., TestClient]


@pytest.fixture(scope="session")
def server_url() -> str:
    """The PostgreSQL server the tests use; they create their own databases on it."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        pytest.exit("DATABASE_URL is not set: run the tests with scripts/test-backend.sh", returncode=2)
    return url


@pytest.fixture(scope="session")
def database_url(server_url: str) -> Iterator[str]:
    """A fresh database migrated to head, dropped after the run."""
    url = create_database(server_url, "todo_test")
    migrate(make_settings(url))
    yield url
    drop_database(server_url, url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "better_auth_secret": SECRET,
        "openrouter_api_key": "",
        "db_pool_size": 5,
        "db_max_overflow": 5,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture(scope="session")
def test_engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(make_settings(database_url).sqlalchemy_url, pool_pre_ping=True)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _empty_tables(request: pytest.FixtureRequest) -> Iterator[None]:
    """Each test that uses the database leaves empty tables (identities reset) to the next."""
    engine: Engine | None = request.getfixturevalue("test_engine") if "database_url" in request.fixturenames else None
    yield
    if engine is not None:
        with engine.begin() as connection:
            connection.execute(text("TRUNCATE task, message, conversation RESTART IDENTITY CASCADE"))


@pytest.fixture
def make_client(database_url: str) -> Iterator[ClientFactory]:
    """Builds a client of an app with the test settings plus `overrides`; lifespans end with the test."""
    clients: list[TestClient] = []

    def build(**overrides: Any) -> TestClient:
        url = overrides.pop("database_url", database_url)
        client = TestClient(create_app(make_settings(url, **overrides)))
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    """A client of the app in offline mode."""
    return make_client()


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    server = FakeOpenAI()
    yield server
    server.close()


@pytest.fixture
def online_client(make_client: ClientFactory, fake_openai: FakeOpenAI) -> TestClient:
    """A client of the app in online mode, its model provider the local fake (no retries, 3 s per reply)."""
    return make_client(
        openrouter_api_key="test-provider-key",
        openrouter_base_url=fake_openai.base_url,
        openrouter_model="test/model",
        openrouter_timeout_seconds=3.0,
        openrouter_max_retries=0,
    )
