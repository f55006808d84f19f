"""JSON logs on stdout, one object per line, each carrying the request id of the request being served."""

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


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
    handler.setFormatter(
        JsonFormatter(
            "%(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",  # ISO 8601, UTC
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "alembic", "httpx2", "openai"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # The request middleware writes one access line per request, with the route and request id.
    logging.getLogger("uvicorn.access").disabled = True
