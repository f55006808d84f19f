"""Settings: required values, placeholders and derived values; a bad setting stops the process clearly."""

import subprocess
import sys
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import Settings, describe_errors
from tests.helpers import BACKEND_DIR, SECRET, backend_env

VALID: dict[str, Any] = {"database_url": "postgresql://todo:pw@db.example:5432/todo", "better_auth_secret": SECRET}


def errors_for(**values: Any) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, **values)
    return describe_errors(caught.value)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({**VALID, "better_auth_secret": "changeme"}, "BETTER_AUTH_SECRET is still a placeholder; set a real value"),
        (
            {**VALID, "better_auth_secret": "<generate with openssl rand -base64 32>"},
            "BETTER_AUTH_SECRET is still a placeholder; set a real value",
        ),
        ({**VALID, "better_auth_secret": "short"}, "BETTER_AUTH_SECRET must be at least 32 characters long"),
        (
            {**VALID, "database_url": "postgresql://USER:<password>@HOST:5432/DB"},
            "DATABASE_URL is still a placeholder; set a real value",
        ),
        ({**VALID, "database_url": "mysql://u:p@h/db"}, "DATABASE_URL must be a postgresql:// URL"),
        ({**VALID, "openrouter_api_key": "change-me"}, "OPENROUTER_API_KEY is still a placeholder; set a real value"),
        (
            {**VALID, "log_level": "loud"},
            "LOG_LEVEL: Input should be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'",
        ),
    ],
)
def test_bad_values_are_named_clearly(values: dict[str, Any], expected: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert errors_for(**values) == [expected]


def test_missing_required_values_are_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BETTER_AUTH_SECRET", raising=False)
    assert errors_for() == ["DATABASE_URL is required but not set", "BETTER_AUTH_SECRET is required but not set"]


def test_derived_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALLOWED_ORIGINS", "http://localhost:3000/, https://todo.example ,")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    settings = Settings(_env_file=None, **{**VALID, "database_url": "postgres://todo:pw@db.example/todo"})
    assert settings.sqlalchemy_url.drivername == "postgresql+psycopg"
    assert settings.sqlalchemy_url.password == "pw"
    assert settings.allowed_origins == ["http://localhost:3000", "https://todo.example"]
    assert settings.log_level == "DEBUG"
    assert settings.offline_mode is True
    assert "pw" not in repr(settings)
    assert SECRET not in repr(settings)


@pytest.mark.parametrize("module", ["app", "app.prestart"])
def test_process_refuses_to_start_with_one_clear_line(module: str) -> None:
    env = backend_env("postgresql://todo:todo@127.0.0.1:1/todo", BETTER_AUTH_SECRET="changeme")
    del env["DATABASE_URL"]
    result = subprocess.run(
        [sys.executable, "-m", module],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: DATABASE_URL is required but not set",
        "configuration error: BETTER_AUTH_SECRET is still a placeholder; set a real value",
    ]
    assert "Traceback" not in result.stderr + result.stdout
