"""The FastAPI application factory."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.api.routes import conversations, health, tasks
from app.chat.assistant import build_assistant
from app.core.config import Settings, get_settings
from app.core.db import create_db_engine
from app.core.metrics import DB_POOL
from app.core.observability import REQUEST_ID_HEADER, RequestObservabilityMiddleware

logger = logging.getLogger(__name__)
DATABASE_RETRY_AFTER_SECONDS = 5


def create_app(settings: Settings | None = None) -> FastAPI:
    """The app; settings from the environment unless given (tests give their own)."""
    settings = settings or get_settings()
    engine = create_db_engine(settings)
    assistant = build_assistant(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        logger.info(
            "backend started",
            extra={
                "database": settings.sqlalchemy_url.render_as_string(hide_password=True),
                "assistant_mode": "offline" if settings.offline_mode else "online",
                "model": settings.openrouter_model,
            },
        )
        DB_POOL.track(engine)  # /metrics reads this engine's pool while the app serves
        try:
            yield
        finally:
            DB_POOL.untrack(engine)
        assistant.close()
        engine.dispose()
        logger.info("backend stopped")

    app = FastAPI(title="Todo Chatbot API", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = engine
    app.state.assistant = assistant

    # Routers carry their full prefix: the metrics label each request with its route's own path.
    for router in (tasks.router, conversations.router, health.router):
        app.include_router(router)

    @app.exception_handler(OperationalError)
    @app.exception_handler(PoolTimeoutError)
    async def database_unavailable(_: Request, error: Exception) -> JSONResponse:
        # A lost or saturated database is a temporary condition: say so (503 + Retry-After), not 500.
        logger.warning("database unavailable", extra={"error_type": type(error).__name__})
        return JSONResponse(
            {"detail": "the database is unavailable; try again shortly"},
            status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, error: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes every invalid input back: that can be large, and an input with a
        # lone UTF-16 surrogate cannot even be encoded (a 500). Where and what is wrong says enough.
        detail = [{"type": item["type"], "loc": item["loc"], "msg": item["msg"]} for item in error.errors()]
        return JSONResponse({"detail": detail}, status.HTTP_422_UNPROCESSABLE_CONTENT)

    if settings.allowed_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            expose_headers=[REQUEST_ID_HEADER],
        )
    # Added last, so it wraps everything else and sees every request.
    app.add_middleware(RequestObservabilityMiddleware)
    return app
