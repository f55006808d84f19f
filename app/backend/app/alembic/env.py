"""Alembic environment: migrates the database of the app's settings, or the connection it is handed."""

from alembic import context
from sqlalchemy import Connection, create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app import models  # noqa: F401  # registers the tables on SQLModel.metadata
from app.core.config import Settings, get_settings

config = context.config
target_metadata = SQLModel.metadata


def _settings() -> Settings:
    settings: Settings | None = config.attributes.get("settings")
    return settings or get_settings()


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_server_default=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    context.configure(
        url=_settings().sqlalchemy_url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection: Connection | None = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(_settings().sqlalchemy_url, poolclass=NullPool)
    with engine.connect() as new_connection:
        _run(new_connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
