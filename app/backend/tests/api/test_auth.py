"""Every /api route needs a valid token from the frontend; anything else gets 401 and no data."""

import time

import pytest
from fastapi.testclient import TestClient

from tests.helpers import make_token

API_ROUTES = [
    ("GET", "/api/tasks"),
    ("POST", "/api/tasks"),
    ("GET", "/api/tasks/1"),
    ("PATCH", "/api/tasks/1"),
    ("DELETE", "/api/tasks/1"),
    ("GET", "/api/conversations"),
    ("POST", "/api/conversations"),
    ("GET", "/api/conversations/1/messages"),
    ("POST", "/api/conversations/1/messages"),
]


@pytest.mark.parametrize(("method", "path"), API_ROUTES)
def test_every_api_route_refuses_a_request_without_token(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={"title": "x", "content": "x"})
    assert response.status_code == 401
    assert response.json() == {"detail": "missing bearer token"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_api_routes_list_covers_every_route_of_the_app(client: TestClient) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in client.get("/openapi.json").json()["paths"].items()
        if path.startswith("/api")
        for method in operations
    }
    tested = {(method, path.replace("/1", "/{task_id}", 1)) for method, path in API_ROUTES if "tasks" in path} | {
        (method, path.replace("/1", "/{conversation_id}", 1)) for method, path in API_ROUTES if "conversations" in path
    }
    assert documented == tested


def now() -> int:
    return int(time.time())


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        (make_token(exp=now() - 60, iat=now() - 120), "token has expired"),
        (make_token(secret="another-secret-" + "y" * 40), "token signature is invalid"),
        (make_token(aud="some-other-service"), "token has the wrong audience"),
        (make_token(iss="someone-else"), "token has the wrong issuer"),
        (make_token(lifetime=3600), "token lifetime exceeds 300 seconds"),
        (make_token(sub=None), 'token is invalid: Token is missing the "sub" claim'),
        (make_token(exp=None), 'token is invalid: Token is missing the "exp" claim'),
        (make_token(sub=""), "token subject is not a valid user id"),
        ("not-a-jwt", "token is invalid: Not enough segments"),
    ],
    ids=[
        "expired",
        "wrong-signature",
        "wrong-audience",
        "wrong-issuer",
        "too-long-lived",
        "no-sub",
        "no-exp",
        "empty-sub",
        "garbage",
    ],
)
def test_bad_tokens_are_refused_with_the_reason(client: TestClient, token: str, detail: str) -> None:
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json() == {"detail": detail}


def test_unsigned_token_is_refused(client: TestClient) -> None:
    header, payload, _ = make_token().split(".")
    unsigned = f"{header.replace(header, 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0')}.{payload}."  # alg "none"
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {unsigned}"})
    assert response.status_code == 401


def test_other_authorization_schemes_are_refused(client: TestClient) -> None:
    response = client.get("/api/tasks", headers={"Authorization": f"Basic {make_token()}"})
    assert response.status_code == 401


def test_valid_token_is_accepted(client: TestClient) -> None:
    response = client.get("/api/tasks", headers={"Authorization": f"Bearer {make_token('alice')}"})
    assert response.status_code == 200
