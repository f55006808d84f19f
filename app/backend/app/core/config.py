"""Settings from the environment (keys as in docs/ARCHITECTURE.md).

Secrets may also come from files: with SECRETS_DIR set, a setting missing from the
environment is read from the file of the same name in that directory (e.g.
`$SECRETS_DIR/DATABASE_URL`, the layout of a mounted Kubernetes Secret). An environment
variable wins over a file.

The service refuses to start when a required setting is missing or still a
placeholder copied from an example file: a clear message at start-up beats a
confusing failure on the first request.
"""

import os
import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal, NoReturn

from pydantic import Field, HttpUrl, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url

MIN_SECRET_LENGTH = 32

# Values people leave in place from example files; matched case-insensitively.
_PLACEHOLDER = re.compile(r"change[-_ ]?me|replace[-_ ]?me|<[^>]*>|your[-_](secret|key|password)")


def _reject_placeholder(value: str) -> str:
    if _PLACEHOLDER.search(value.lower()):
        raise ValueError("is still a placeholder; set a real value")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore")

    database_url: SecretStr = Field(description="postgresql://USER:PASSWORD@HOST:PORT/DB")
    better_auth_secret: SecretStr = Field(description="HS256 key of the JWTs the frontend mints")
    openrouter_api_key: SecretStr = Field(
        default=SecretStr(""), description="empty: the assistant runs in offline mode"
    )
    openrouter_base_url: HttpUrl = HttpUrl("https://openrouter.ai/api/v1")
    openrouter_model: str = Field(default="openai/gpt-4o-mini", min_length=1)
    # The whole assistant reply (all model calls and retries) must fit in this budget; it stays
    # below the frontend's 60 s wait for a chat answer.
    openrouter_timeout_seconds: float = Field(default=45.0, gt=0)
    openrouter_max_retries: int = Field(default=2, ge=0, le=10)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"

    port: int = Field(default=8000, ge=1, le=65535)
    # Seconds uvicorn waits for in-flight requests after SIGTERM; keep it below
    # the pod's terminationGracePeriodSeconds (30 s by default).
    shutdown_timeout_seconds: int = Field(default=20, ge=0)
    # Bounded pool: pool_size + max_overflow connections at most per process.
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout_seconds: float = Field(default=10.0, gt=0)
    db_connect_timeout_seconds: int = Field(default=5, ge=1)
    # How long `python -m app.prestart` waits for the database to accept connections.
    prestart_wait_seconds: float = Field(default=60.0, gt=0)

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: SecretStr) -> SecretStr:
        raw = _reject_placeholder(value.get_secret_value())
        try:
            url = make_url(raw)
        except Exception as exc:
            raise ValueError("is not a valid URL") from exc
        if url.get_backend_name() not in ("postgresql", "postgres"):
            raise ValueError("must be a postgresql:// URL")
        if not url.host or not url.database:
            raise ValueError("must name a host and a database")
        return value

    @field_validator("better_auth_secret")
    @classmethod
    def _check_auth_secret(cls, value: SecretStr) -> SecretStr:
        if len(_reject_placeholder(value.get_secret_value())) < MIN_SECRET_LENGTH:
            raise ValueError(f"must be at least {MIN_SECRET_LENGTH} characters long")
        return value

    @field_validator("openrouter_api_key")
    @classmethod
    def _check_api_key(cls, value: SecretStr) -> SecretStr:
        _reject_placeholder(value.get_secret_value())
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @property
    def sqlalchemy_url(self) -> URL:
        """DATABASE_URL with the psycopg 3 driver, whatever scheme it was given with."""
        return make_url(self.database_url.get_secret_value()).set(drivername="postgresql+psycopg")

    @property
    def offline_mode(self) -> bool:
        return not self.openrouter_api_key.get_secret_value()


def describe_errors(error: ValidationError) -> list[str]:
    """One line per bad setting, naming the environment variable, never its value."""
    lines = []
    for item in error.errors():
        variable = str(item["loc"][0]).upper() if item["loc"] else "settings"
        if item["type"] == "missing":
            lines.append(f"{variable} is required but not set")
        else:
            message = item["msg"].removeprefix("Value error, ")
            lines.append(f"{variable} {message}" if item["type"] == "value_error" else f"{variable}: {message}")
    return lines


SECRETS_DIR_VARIABLE = "SECRETS_DIR"


def secrets_dir(environ: Mapping[str, str] = os.environ) -> Path | None:
    """The directory named by SECRETS_DIR, or None when unset; ValueError when it is not a directory."""
    value = environ.get(SECRETS_DIR_VARIABLE, "").strip()
    if not value:
        return None
    path = Path(value)
    if not path.is_dir():
        raise ValueError(f"{SECRETS_DIR_VARIABLE} {value} is not a directory")
    return path


def _exit_with(lines: list[str]) -> NoReturn:
    for line in lines:
        print(f"configuration error: {line}", file=sys.stderr)
    raise SystemExit(2) from None


@lru_cache
def get_settings() -> Settings:
    """The process settings; exits with one clear line per bad variable instead of a traceback."""
    try:
        directory = secrets_dir()
    except ValueError as error:
        _exit_with([str(error)])
    try:
        # Environment first, then the files of SECRETS_DIR (pydantic-settings' own order).
        return Settings(_secrets_dir=directory)
    except ValidationError as error:
        _exit_with(describe_errors(error))
