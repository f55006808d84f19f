"""The JSON log lines: the core fields the backend shares with the frontend (app/frontend/src/lib/server/log.ts)."""

import io
import json
import logging
import re
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from app.core.logging import configure_logging, request_id_var

# The same names, spellings and order as the frontend's lines: one log query reads both services.
CORE_FIELDS = ["time", "level", "logger", "message", "request_id"]
TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"

LogLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    """configure_logging's handler, writing into a buffer instead of stdout; logging is restored afterwards."""
    root = logging.getLogger()
    names = ("uvicorn", "uvicorn.error", "uvicorn.access", "alembic", "httpx2", "openai")
    saved = {
        name: (logger.handlers[:], logger.propagate, logger.disabled, logger.level)
        for name in names
        for logger in [logging.getLogger(name)]
    }
    saved_root = (root.handlers[:], root.level)
    configure_logging("DEBUG")
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    assert handler.stream is sys.stdout
    buffer = io.StringIO()
    handler.setStream(buffer)
    try:
        yield lambda: [json.loads(line) for line in buffer.getvalue().splitlines()]
    finally:
        root.handlers[:], level = saved_root
        root.setLevel(level)
        for name, (handlers, propagate, disabled, logger_level) in saved.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled
            logger.setLevel(logger_level)


def test_a_line_starts_with_the_core_fields_then_the_extras(log_lines: LogLines) -> None:
    token = request_id_var.set("req-42")
    try:
        logging.getLogger("app.access").info("request", extra={"method": "GET", "route": "/api/tasks", "status": 200})
    finally:
        request_id_var.reset(token)

    [line] = log_lines()
    assert list(line) == [*CORE_FIELDS, "method", "route", "status"]
    assert line | {"time": ""} == {
        "time": "",
        "level": "INFO",
        "logger": "app.access",
        "message": "request",
        "request_id": "req-42",
        "method": "GET",
        "route": "/api/tasks",
        "status": 200,
    }
    assert re.fullmatch(TIME_PATTERN, line["time"])


def test_time_is_iso_8601_utc_with_milliseconds_and_z(log_lines: LogLines) -> None:
    logger = logging.getLogger("app.test")
    for moment in (datetime(2026, 12, 1, 4, 5, 6, 789000, tzinfo=UTC), datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)):
        record = logger.makeRecord(logger.name, logging.INFO, __file__, 1, "at a known moment", (), None)
        record.created = moment.timestamp()
        logger.handle(record)

    assert [line["time"] for line in log_lines()] == ["2026-12-01T04:05:06.789Z", "2027-01-02T03:04:05.000Z"]


def test_the_current_time_is_written(log_lines: LogLines) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    logging.getLogger("app.test").info("now")
    after = datetime.now(UTC)
    [line] = log_lines()
    assert re.fullmatch(TIME_PATTERN, line["time"])
    assert before <= datetime.fromisoformat(line["time"]) <= after


def test_levels_are_python_upper_case_names_and_request_id_is_null_outside_a_request(log_lines: LogLines) -> None:
    logger = logging.getLogger("app.test")
    logger.debug("d")
    logger.info("i")
    logger.warning("w")
    logger.error("e")

    lines = log_lines()
    assert [(line["level"], line["message"]) for line in lines] == [
        ("DEBUG", "d"),
        ("INFO", "i"),
        ("WARNING", "w"),
        ("ERROR", "e"),
    ]
    assert all(list(line) == CORE_FIELDS and line["request_id"] is None for line in lines)
