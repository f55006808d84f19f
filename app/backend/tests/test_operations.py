"""Probes, metrics and request ids, in process."""

import re

from fastapi.testclient import TestClient

from tests.conftest import ClientFactory
from tests.helpers import auth, free_port


def test_health_answers_without_the_database(make_client: ClientFactory) -> None:
    client = make_client(database_url=f"postgresql://todo:todo@127.0.0.1:{free_port()}/todo")
    response = client.get("/health")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_ready_checks_the_database(client: TestClient) -> None:
    response = client.get("/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ok", "database": "ok"})


def test_ready_is_503_and_api_is_503_while_the_database_is_unreachable(make_client: ClientFactory) -> None:
    client = make_client(database_url=f"postgresql://todo:todo@127.0.0.1:{free_port()}/todo")
    ready = client.get("/ready")
    assert (ready.status_code, ready.json()) == (503, {"status": "unavailable", "database": "unreachable"})
    api = client.get("/api/tasks", headers=auth())
    assert api.status_code == 503
    assert api.headers["retry-after"] == "5"
    assert api.json() == {"detail": "the database is unavailable; try again shortly"}


def _counter(metrics: str, method: str, route: str, status: str) -> float:
    pattern = rf'http_requests_total\{{method="{method}",route="{re.escape(route)}",status="{status}"\}} (\S+)'
    match = re.search(pattern, metrics)
    return float(match.group(1)) if match else 0.0


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    before = client.get("/metrics").text
    task = client.post("/api/tasks", json={"title": "measured"}, headers=auth()).json()
    client.get(f"/api/tasks/{task['id']}", headers=auth())
    client.get("/api/tasks/999", headers=auth())
    client.get("/no/such/path")
    response = client.get("/metrics")

    assert response.headers["content-type"].startswith("text/plain")
    after = response.text
    assert (
        _counter(after, "GET", "/api/tasks/{task_id}", "200")
        == _counter(before, "GET", "/api/tasks/{task_id}", "200") + 1
    )
    assert (
        _counter(after, "GET", "/api/tasks/{task_id}", "404")
        == _counter(before, "GET", "/api/tasks/{task_id}", "404") + 1
    )
    assert _counter(after, "GET", "<unmatched>", "404") == _counter(before, "GET", "<unmatched>", "404") + 1
    assert f"/api/tasks/{task['id']}" not in after  # raw paths never become labels
    assert 'http_request_duration_seconds_bucket{le="0.005",method="POST",route="/api/tasks"}' in after


def test_request_id_is_echoed_or_generated(client: TestClient) -> None:
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    generated = client.get("/health").headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    forged = client.get("/health", headers={"X-Request-ID": 'x" injected\n'}).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", forged)


def test_cors_allows_only_the_configured_origins(make_client: ClientFactory) -> None:
    client = make_client(allowed_origins=["http://localhost:3000"])
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}

    allowed = client.options("/api/tasks", headers={"Origin": "http://localhost:3000", **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:3000"

    refused = client.options("/api/tasks", headers={"Origin": "https://evil.example", **preflight})
    assert "access-control-allow-origin" not in refused.headers
    simple = client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers
