"""The chart rendered once per session with every metrics.* switch on."""

from __future__ import annotations

from typing import Any

import pytest

from monitoring import METRICS_ON, helm_template, rules_of


@pytest.fixture(scope="session")
def rendered() -> list[dict[str, Any]]:
    return helm_template(METRICS_ON)


@pytest.fixture(scope="session")
def rules(rendered) -> dict[str, Any]:
    return rules_of(rendered)
