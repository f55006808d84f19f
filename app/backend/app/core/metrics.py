"""Every Prometheus metric of the backend, defined in one place and served by GET /metrics.

The names and labels are a contract: alerts and dashboards are written against them.
Label values are bounded (route templates, fixed modes, tool names and outcomes), and the
label combinations known up front exist at 0 from the start, so rates and ratios work
before the first event.
"""

import threading
from collections.abc import Iterable, Iterator

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool

# --- HTTP (written by app/core/observability.py's middleware) ---

HTTP_REQUESTS = Counter(
    "http_requests_total",
    "HTTP requests handled, by route template.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "http_request_duration_seconds",
    "Time to handle an HTTP request, by route template.",
    ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)

# --- The chat assistant (app/chat) ---

ASSISTANT_MODES = ("offline", "online")
SUCCESS, ERROR = "success", "error"
OUTCOMES = (SUCCESS, ERROR)
# The tool label of a tool call naming no known tool (the model can invent any name).
UNKNOWN_TOOL = "<unknown>"

ASSISTANT_REQUESTS = Counter(
    "todo_assistant_requests_total",
    "Chat turns the assistant answered, by mode (offline|online) and outcome: error when the turn failed "
    "(the model provider failed or timed out, or answering raised), success otherwise.",
    ["mode", "outcome"],
)
ASSISTANT_REQUEST_DURATION = Histogram(
    "todo_assistant_request_duration_seconds",
    "Time for the assistant to answer one chat turn (every model call and tool call of it), by mode.",
    ["mode"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 45.0, 60.0),
)
ASSISTANT_TOOL_CALLS = Counter(
    "todo_assistant_tool_calls_total",
    "Task tool calls made by the assistant (model or offline mode), by tool name and outcome: error when the "
    f"tool did nothing (unknown tool, invalid arguments, no such task) or raised. Unknown names count as "
    f"{UNKNOWN_TOOL}.",
    ["tool", "outcome"],
)
ASSISTANT_MODEL_REQUESTS = Counter(
    "todo_assistant_model_requests_total",
    "Chat completion calls to the online model provider (each after the client's own retries), by outcome: "
    "error when the call raised, failed, timed out or returned no usable answer.",
    ["outcome"],
)

for _mode in ASSISTANT_MODES:
    ASSISTANT_REQUEST_DURATION.labels(_mode)
    for _outcome in OUTCOMES:
        ASSISTANT_REQUESTS.labels(_mode, _outcome)
for _outcome in OUTCOMES:
    ASSISTANT_MODEL_REQUESTS.labels(_outcome)


def initialise_tool_labels(tool_names: Iterable[str]) -> None:
    """Create the tool-call series of every tool (and of unknown tools) at 0; app/chat/tools.py calls it."""
    for tool in (*tool_names, UNKNOWN_TOOL):
        for outcome in OUTCOMES:
            ASSISTANT_TOOL_CALLS.labels(tool, outcome)


# --- The database connection pool (read from the engine at scrape time) ---


class DatabasePoolCollector(Collector):
    """The connection pool gauges, read from the tracked engines' pools when Prometheus scrapes.

    In production one engine serves the process; should several apps share a process (the tests),
    their pools are added up. Only a QueuePool (what app/core/db.py configures) has these counters:
    other pool classes (NullPool, StaticPool...) contribute nothing, and with no QueuePool tracked the
    gauges have no sample. The pool is looked up on every scrape, since engine.dispose() replaces it.
    """

    def __init__(self) -> None:
        self._engines: list[Engine] = []
        self._lock = threading.Lock()

    def track(self, engine: Engine) -> None:
        with self._lock:
            self._engines.append(engine)

    def untrack(self, engine: Engine) -> None:
        with self._lock:
            self._engines = [tracked for tracked in self._engines if tracked is not engine]

    def describe(self) -> Iterator[GaugeMetricFamily]:
        return iter(self._families())

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self._lock:
            pools = [engine.pool for engine in self._engines if isinstance(engine.pool, QueuePool)]
        size, checked_out, idle, overflow = self._families()
        if pools:
            size.add_metric([], sum(pool.size() for pool in pools))
            checked_out.add_metric([], sum(pool.checkedout() for pool in pools))
            idle.add_metric([], sum(pool.checkedin() for pool in pools))
            # QueuePool.overflow() starts at -pool_size and counts up as connections open; only the
            # connections beyond pool_size are overflow connections.
            overflow.add_metric([], sum(max(pool.overflow(), 0) for pool in pools))
        return iter((size, checked_out, idle, overflow))

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "todo_db_pool_size",
                "Configured size of the database connection pool (connections kept open; overflow comes on top).",
            ),
            GaugeMetricFamily(
                "todo_db_pool_checked_out_connections",
                "Database connections in use: checked out of the pool by a request.",
            ),
            GaugeMetricFamily(
                "todo_db_pool_idle_connections",
                "Open database connections waiting in the pool (checked in).",
            ),
            GaugeMetricFamily(
                "todo_db_pool_overflow_connections",
                "Database connections open beyond the configured pool size (at most the configured max overflow).",
            ),
        )


DB_POOL = DatabasePoolCollector()
REGISTRY.register(DB_POOL)
