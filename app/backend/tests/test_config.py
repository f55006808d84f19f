"""Settings: required values, placeholders, derived values and secret files; a bad setting stops the process clearly."""

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from app.core.config import Settings, describe_errors, get_settings, secrets_dir
from tests.helpers import BACKEND_DIR, SECRET, backend_env, create_database, drop_database

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
    result = run_module(module, env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "configuration error: DATABASE_URL is required but not set",
        "configuration error: BETTER_AUTH_SECRET is still a placeholder; set a real value",
    ]
    assert "Traceback" not in result.stderr + result.stdout


# Secrets from files (SECRETS_DIR): how the Helm chart delivers them, a read-only Secret volume.


def mount_secret(directory: Path, files: dict[str, str]) -> Path:
    """`files` laid out as the kubelet mounts a Secret: each key a symlink into a timestamped `..data` directory."""
    payload = directory / "..2026_01_01_00_00_00.000000000"
    payload.mkdir(parents=True)
    for key, value in files.items():
        (payload / key).write_text(value)
    (directory / "..data").symlink_to(payload.name)
    for key in files:
        (directory / key).symlink_to(f"..data/{key}")
    return directory


@pytest.fixture
def no_secret_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    for variable in ("DATABASE_URL", "BETTER_AUTH_SECRET", "OPENROUTER_API_KEY", "SECRETS_DIR"):
        monkeypatch.delenv(variable, raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_settings_load_from_the_files_of_secrets_dir(no_secret_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # `kubectl create secret --from-file` keeps a file's final newline: it is not part of the value.
    files = {
        "DATABASE_URL": VALID["database_url"] + "\n",
        "BETTER_AUTH_SECRET": SECRET,
        "OPENROUTER_API_KEY": "sk-or-test\n",
    }
    no_secret_env.setenv("SECRETS_DIR", str(mount_secret(tmp_path / "secrets", files)))
    settings = get_settings()
    assert settings.database_url.get_secret_value() == VALID["database_url"]
    assert settings.better_auth_secret.get_secret_value() == SECRET
    assert settings.openrouter_api_key.get_secret_value() == "sk-or-test"
    assert settings.offline_mode is False


def test_an_environment_variable_wins_over_a_file(no_secret_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    directory = mount_secret(
        tmp_path / "secrets", {"DATABASE_URL": "postgresql://file:pw@db.example/todo", "BETTER_AUTH_SECRET": SECRET}
    )
    no_secret_env.setenv("SECRETS_DIR", str(directory))
    no_secret_env.setenv("DATABASE_URL", VALID["database_url"])
    assert get_settings().database_url.get_secret_value() == VALID["database_url"]


def test_an_absent_or_empty_api_key_file_means_offline_mode(no_secret_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # The chart projects OPENROUTER_API_KEY as optional: an existing Secret may lack it.
    required = {"DATABASE_URL": VALID["database_url"], "BETTER_AUTH_SECRET": SECRET}
    for name, files in (("absent", required), ("empty", {**required, "OPENROUTER_API_KEY": ""})):
        no_secret_env.setenv("SECRETS_DIR", str(mount_secret(tmp_path / name, files)))
        get_settings.cache_clear()
        assert get_settings().offline_mode is True, name


def test_secrets_dir_must_be_a_directory(tmp_path: Path) -> None:
    assert secrets_dir({}) is None
    assert secrets_dir({"SECRETS_DIR": str(tmp_path)}) == tmp_path
    with pytest.raises(ValueError, match=f"SECRETS_DIR {tmp_path / 'missing'} is not a directory"):
        secrets_dir({"SECRETS_DIR": str(tmp_path / "missing")})


def run_module(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("module", ["app", "app.prestart"])
def test_process_names_a_missing_secrets_dir_and_missing_secret_files(module: str, tmp_path: Path) -> None:
    env = backend_env("postgresql://todo:todo@127.0.0.1:1/todo")
    del env["DATABASE_URL"], env["BETTER_AUTH_SECRET"]
    missing = run_module(module, {**env, "SECRETS_DIR": str(tmp_path / "missing")})
    assert missing.returncode == 2
    expected = f"configuration error: SECRETS_DIR {tmp_path / 'missing'} is not a directory"
    assert missing.stderr.splitlines() == [expected]
    directory = mount_secret(tmp_path / "secrets", {"BETTER_AUTH_SECRET": SECRET})
    incomplete = run_module(module, {**env, "SECRETS_DIR": str(directory)})
    assert incomplete.returncode == 2
    assert incomplete.stderr.splitlines() == ["configuration error: DATABASE_URL is required but not set"]


def test_prestart_migrates_with_the_database_url_from_a_file(server_url: str, tmp_path: Path) -> None:
    """The chart's init container: `python -m app.prestart` with its secrets in SECRETS_DIR only."""
    url = create_database(server_url, "todo_secrets_dir")
    try:
        env = backend_env(url)
        del env["DATABASE_URL"], env["BETTER_AUTH_SECRET"]
        directory = mount_secret(
            tmp_path / "secrets", {"DATABASE_URL": url + "\n", "BETTER_AUTH_SECRET": SECRET + "\n"}
        )
        result = run_module("app.prestart", {**env, "SECRETS_DIR": str(directory)})
        assert result.returncode == 0, result.stdout + result.stderr
        assert "database schema is up to date" in result.stdout + result.stderr
    finally:
        drop_database(server_url, url)
