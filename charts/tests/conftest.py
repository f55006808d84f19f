"""Renders shared by the tests: one `helm template` per values file of the chart."""

from __future__ import annotations

import pytest

from rendering import TEST_SECRETS, Rendered, render

# Each values file as its users run it: values.yaml is also what the Pulumi program starts from;
# values-local.yaml needs the secrets on the command line; values-production.yaml names an existing Secret.
SCENARIOS = {
    "default": ((), TEST_SECRETS),
    "local": (("values-local.yaml",), TEST_SECRETS),
    "production": (("values-production.yaml",), {}),
}


@pytest.fixture(scope="session")
def renders() -> dict[str, Rendered]:
    return {name: render(files, values) for name, (files, values) in SCENARIOS.items()}


@pytest.fixture(params=sorted(SCENARIOS))
def scenario(request: pytest.FixtureRequest, renders: dict[str, Rendered]) -> Rendered:
    return renders[request.param]
