"""Property-based fuzzing of every operation in the OpenAPI schema (schemathesis): no input gives a 5xx,
and every answer has a documented status code, content type and body shape.

The requests go over HTTP to a real `python -m app` on loopback, backed by the
test database, with a valid token: they reach the handlers and the database,
not just the auth check.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.main import create_app
from tests.conftest import make_settings
from tests.helpers import backend_env, make_token, running_server

MAX_EXAMPLES = 100

# The schema is the app's own; building it needs no database connection.
schema = schemathesis.openapi.from_dict(create_app(make_settings("postgresql://schema-only@127.0.0.1/none")).openapi())


@pytest.fixture(scope="module")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path: Path = tmp_path_factory.mktemp("fuzz") / "server.log"
    with running_server(backend_env(database_url, LOG_LEVEL="WARNING"), log_path) as (_, base_url):
        yield base_url


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case: schemathesis.Case[Any], server: str) -> None:
    case.call_and_validate(
        base_url=server,
        headers={"Authorization": f"Bearer {make_token('fuzzer')}"},
        checks=[not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance],
        timeout=30,
    )
