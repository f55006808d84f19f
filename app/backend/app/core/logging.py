"""JSON logs on stdout, one object per line, each carrying the request id of the request being served.

Every line starts with the fields the frontend's lines share (app/frontend/src/lib/server/log.ts), so
one query reads both services:

    {"time": "2026-12-01T04:05:06.789Z", "level": "INFO", "logger": "app.access", "message": "request",
     "request_id": "9f3c...", "method": "POST", "route": "/api/tasks", "status": 201, "duration_ms": 12.34}
"""

import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class JsonLineFormatter(JsonFormatter):
    """`time` (ISO 8601, UTC, milliseconds, `Z`), `level`, `logger`, `message`, `request_id`, then the extras."""

    def __init__(self) -> None:
        super().__init__(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's name)
        moment = datetime.fromtimestamp(record.created, tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _RequestContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        # uvicorn adds a copy of some messages with terminal colour codes; JSON logs do not want it.
        record.__dict__.pop("color_message", None)
        return True


def configure_logging(level: str) -> None:
    """Route every logger (ours, uvicorn's, alembic's) through one JSON handler on stdout."""
    handler = logging.StreamHandler(sys.stdout)
    handler.addFilter(_RequestContextFilter())
    handler.setFormatter(JsonLineFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "alembic", "httpx2", "openai"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The request middleware writes one access line per request, with the route and request id.
    logging.getLogger("uvicorn.access").disabled = True
