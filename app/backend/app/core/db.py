"""The database engine: a bounded connection pool that heals itself after a database restart."""

from sqlalchemy import Engine, create_engine

from app.core.config import Settings


def create_db_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.sqlalchemy_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        # A connection the server dropped (restart, failover, idle kill) is
        # detected on checkout and replaced instead of failing the request.
        pool_pre_ping=True,
        pool_recycle=1800,
        connect_args={
            "connect_timeout": settings.db_connect_timeout_seconds,
            "application_name": "todo-chatbot-backend",
        },
    )
