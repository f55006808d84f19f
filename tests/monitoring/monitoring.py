"""What the monitoring tests share: the chart rendered by the real helm with every metrics.*
switch on, the PrometheusRule's rules as a Prometheus rules file, and the tools (promtool,
promql-metrics) that scripts/test-monitoring.sh puts on PATH."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHART_DIR = REPO / "charts" / "todo-chatbot"
RUNBOOKS = REPO / "docs" / "RUNBOOKS.md"
KNOWN_METRICS = HERE / "known-metrics.txt"
# The promtool unit tests (rule_files: [todo-chatbot-rules.yaml], the rendered rules).
UNIT_TEST_FILES = sorted(HERE.glob("*-alerts.yaml"))
RULES_FILE = "todo-chatbot-rules.yaml"

# The release the unit tests expect: job "todo-todo-chatbot-backend" in namespace "todo-chatbot".
RELEASE = "todo"
NAMESPACE = "todo-chatbot"
METRICS_ON = {
    "secrets.databaseUrl": "postgresql://todo:password@db.todo.test:5432/todo",
    "secrets.betterAuthSecret": "test-only-better-auth-secret-0123456789",
    "metrics.serviceMonitor.enabled": "true",
    "metrics.prometheusRule.enabled": "true",
    "metrics.dashboards.enabled": "true",
}
# Series Prometheus makes itself for every target (not in any /metrics page).
PROMETHEUS_SERIES = frozenset({"up"})


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH: run .ci/setup-monitoring.sh, then the tests through scripts/test-monitoring.sh")
    return path


def helm_template(values: dict[str, str], release: str = RELEASE, namespace: str = NAMESPACE) -> list[dict[str, Any]]:
    args = [tool("helm"), "template", release, str(CHART_DIR), "--namespace", namespace]
    for key, value in values.items():
        args += ["--set-string" if key.startswith("secrets.") else "--set", f"{key}={value}"]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return [o for o in yaml.safe_load_all(result.stdout) if o]


def rules_of(objects: list[dict[str, Any]]) -> dict[str, Any]:
    """The PrometheusRule's spec: a Prometheus rules file ({groups: [...]}) as it is."""
    (rule,) = [o for o in objects if o["kind"] == "PrometheusRule"]
    return rule["spec"]


def alerts_of(rules: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["alert"]: r for group in rules["groups"] for r in group["rules"] if "alert" in r}


def write_rules(rules: dict[str, Any], directory: Path) -> Path:
    path = directory / RULES_FILE
    path.write_text(yaml.safe_dump(rules, sort_keys=False, width=1000))
    return path


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([tool("promtool"), *args], capture_output=True, text=True, check=False, cwd=cwd)


def unit_test(rules: dict[str, Any], directory: Path) -> subprocess.CompletedProcess[str]:
    """`promtool test rules` of every unit test file against these rules (copied side by side)."""
    write_rules(rules, directory)
    for test_file in UNIT_TEST_FILES:
        shutil.copy(test_file, directory / test_file.name)
    return promtool("test", "rules", *(test_file.name for test_file in UNIT_TEST_FILES), cwd=directory)


@dataclass(frozen=True)
class Parsed:
    expr: str
    metrics: list[str]
    error: str | None


def parse_promql(exprs: list[str]) -> list[Parsed]:
    """Each expression parsed by Prometheus' own parser (promql-metrics/), with the metrics it names."""
    result = subprocess.run([tool("promql-metrics")], input=json.dumps(exprs), capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    return [Parsed(r["expr"], r["metrics"], r.get("error")) for r in json.loads(result.stdout)]


def known_metrics() -> set[str]:
    names = [line.strip() for line in KNOWN_METRICS.read_text().splitlines()]
    return {name for name in names if name}


def markdown_anchors(text: str) -> set[str]:
    """The anchors GitHub gives the headings of a Markdown text."""
    anchors = set()
    for line in text.splitlines():
        if match := re.match(r"^#{1,6}\s+(.+?)\s*#*$", line):
            heading = re.sub(r"`", "", match.group(1)).strip().lower()
            anchors.add(re.sub(r"\s", "-", re.sub(r"[^\w\- ]", "", heading)))
    return anchors
