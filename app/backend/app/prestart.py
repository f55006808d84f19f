"""`python -m app.prestart`: wait for the database, then migrate it to the latest schema.

Run once before the service starts (an init container). Safe when several
replicas start at once: the migration runs under a PostgreSQL advisory lock,
so one replica migrates while the others wait and then find nothing to do.
"""

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from app.core.config import Settings, get_settings
from app.core.logging import configure_logging

logger = logging.getLogger("app.prestart")

# Any fixed 64-bit number works, as long as nothing else in the database uses it.
MIGRATION_LOCK_KEY = 0x70D0_C4A7_0001
RETRY_INTERVAL_SECONDS = 1.0
MIGRATIONS_DIR = Path(__file__).resolve().parent / "alembic"


def alembic_config(settings: Settings) -> Config:
    """Alembic configuration built in code, so the service needs no alembic.ini at run time."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["settings"] = settings
    return config


def wait_for_database(engine: Engine, timeout_seconds: float) -> Connection:
    deadline = time.monotonic() + timeout_seconds
    attempt = 0
    while True:
        attempt += 1
        try:
            return engine.connect()
        except OperationalError as error:
            if time.monotonic() + RETRY_INTERVAL_SECONDS > deadline:
                raise
            reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
            logger.info("waiting for the database", extra={"attempt": attempt, "reason": reason})
            time.sleep(RETRY_INTERVAL_SECONDS)


def migrate(settings: Settings) -> None:
    engine = create_engine(
        settings.sqlalchemy_url,
        poolclass=NullPool,
        connect_args={"connect_timeout": settings.db_connect_timeout_seconds},
    )
    try:
        with wait_for_database(engine, settings.prestart_wait_seconds) as connection:
            logger.info("database reachable; taking the migration lock")
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
            # The session-level lock outlives this transaction; alembic runs its own.
            connection.commit()
            try:
                config = alembic_config(settings)
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            finally:
                connection.rollback()
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK_KEY})
                connection.commit()
    finally:
        engine.dispose()
    logger.info("database schema is up to date")


def main() -> None:
    settings = get_settings()
    configure_logging(settings.log_level)
    try:
        migrate(settings)
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        logger.error("database unreachable, giving up", extra={"reason": reason})
        raise SystemExit(1) from None
    except CommandError as error:
        # Migrations only move forward: an older release meets a schema a newer one migrated.
        logger.error(
            "the database schema is newer than this release; nothing was changed: deploy the newer "
            "release again, or restore a backup taken before its upgrade (docs/OPERATIONS.md, Roll back)",
            extra={"reason": str(error)},
        )
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
