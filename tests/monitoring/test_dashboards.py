"""The chart's Grafana dashboards, as the ConfigMaps `helm template` renders: every query parses
with Prometheus' parser and promtool, uses only variables the dashboard declares, and names only
metrics of the allow-list known-metrics.txt (what the apps, cAdvisor, kube-state-metrics, the
kubelet and postgres_exporter expose). The alerts are held to the same allow-list."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
import yaml

from monitoring import CHART_DIR, KNOWN_METRICS, PROMETHEUS_SERIES, alerts_of, known_metrics, parse_promql, promtool

# Grafana's own variables, replaced by what Grafana would put there; the dashboards' variables
# ($namespace, $job, $pod, ...) only ever stand inside label matchers' strings.
GRAFANA_INTERVALS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h"}
VARIABLE = re.compile(r"\$(?:\{(\w+)(?::\w+)?\}|(\w+))")
LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$", re.DOTALL)


@dataclass(frozen=True)
class Query:
    dashboard: str
    where: str
    expr: str


def dashboards(rendered) -> dict[str, dict[str, Any]]:
    found = {}
    for o in rendered:
        if o["kind"] == "ConfigMap" and "grafana_dashboard" in o["metadata"].get("labels", {}):
            for name, text in o["data"].items():
                found[name] = json.loads(text)
    return found


def panels(items: list[dict[str, Any]]):
    for panel in items:
        yield panel
        yield from panels(panel.get("panels", []))


def queries(name: str, dashboard: dict[str, Any]) -> list[Query]:
    found = []
    for panel in panels(dashboard["panels"]):
        for target in panel.get("targets", []):
            found.append(Query(name, f"panel '{panel['title']}' query {target['refId']}", target["expr"]))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            match = LABEL_VALUES.match(variable["query"]["query"])
            assert match, f"{name}: variable {variable['name']}: not a label_values() query: {variable['query']}"
            if match["selector"]:
                found.append(Query(name, f"variable ${variable['name']}", match["selector"]))
    return found


def substitute(expr: str) -> str:
    return VARIABLE.sub(lambda m: GRAFANA_INTERVALS.get(m[1] or m[2], "placeholder"), expr)


@pytest.fixture(scope="module")
def all_dashboards(rendered) -> dict[str, dict[str, Any]]:
    found = dashboards(rendered)
    assert sorted(found) == sorted(p.name for p in (CHART_DIR / "dashboards").glob("*.json")), "one ConfigMap per dashboard file"
    return found


@pytest.fixture(scope="module")
def all_queries(all_dashboards) -> list[Query]:
    return [q for name, dashboard in all_dashboards.items() for q in queries(name, dashboard)]


def test_the_dashboards_have_queries(all_dashboards, all_queries):
    for name in all_dashboards:
        assert len([q for q in all_queries if q.dashboard == name]) >= 5, name


def test_every_query_uses_only_declared_variables(all_dashboards, all_queries):
    for query in all_queries:
        declared = {v["name"] for v in all_dashboards[query.dashboard]["templating"]["list"]} | set(GRAFANA_INTERVALS)
        used = {m[1] or m[2] for m in VARIABLE.finditer(query.expr)}
        assert used <= declared, f"{query.dashboard} {query.where}: undeclared {used - declared}"


def test_every_query_is_scoped_to_the_chosen_namespace(all_queries):
    for query in all_queries:
        if query.where.startswith("panel"):
            selectors = re.findall(r"\w+\{([^}]*)\}", query.expr)
            assert selectors and all('namespace="$namespace"' in s for s in selectors), (
                f"{query.dashboard} {query.where}: {query.expr}"
            )


def test_every_query_parses_with_prometheus_parser(all_queries):
    parsed = parse_promql([substitute(q.expr) for q in all_queries])
    errors = [f"{q.dashboard} {q.where}: {p.error}\n  {p.expr}" for q, p in zip(all_queries, parsed, strict=True) if p.error]
    assert not errors, "\n".join(errors)


def test_promtool_accepts_every_query_as_a_recording_rule(all_dashboards, all_queries, tmp_path):
    for name in all_dashboards:
        rules = [
            {"record": f"dashboard:{name.removesuffix('.json')}:query{index}", "expr": substitute(q.expr)}
            for index, q in enumerate(q for q in all_queries if q.dashboard == name)
        ]
        path = tmp_path / f"{name}.rules.yaml"
        path.write_text(yaml.safe_dump({"groups": [{"name": name, "rules": rules}]}, sort_keys=False, width=1000))
        result = promtool("check", "rules", str(path))
        assert result.returncode == 0, f"{name}:\n{result.stdout}{result.stderr}"
        assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def unknown_metrics(named: list[tuple[str, str]]) -> list[str]:
    """`where: metric` for each (where, expr) naming a metric outside the allow-list."""
    allowed = known_metrics() | PROMETHEUS_SERIES
    unknown = []
    for (where, _), parsed in zip(named, parse_promql([substitute(expr) for _, expr in named]), strict=True):
        assert parsed.error is None, f"{where}: {parsed.error}"
        unknown += [f"{where}: {metric}" for metric in parsed.metrics if metric not in allowed]
    return unknown


def test_every_dashboard_query_names_only_known_metrics(all_queries):
    unknown = unknown_metrics([(f"{q.dashboard} {q.where}", q.expr) for q in all_queries])
    assert not unknown, (
        f"metrics missing from {KNOWN_METRICS.name} (add them only if the exporters really serve them):\n" + "\n".join(unknown)
    )


def test_every_alert_names_only_known_metrics(rules):
    unknown = unknown_metrics([(name, rule["expr"]) for name, rule in alerts_of(rules).items()])
    assert not unknown, f"metrics missing from {KNOWN_METRICS.name}:\n" + "\n".join(unknown)


def test_every_known_metric_is_used(all_queries, rules):
    """The allow-list is the contract another test checks against a real scrape: no stale names."""
    exprs = [substitute(q.expr) for q in all_queries] + [r["expr"] for r in alerts_of(rules).values()]
    used = {metric for parsed in parse_promql(exprs) for metric in parsed.metrics}
    assert known_metrics() - used == set()


def test_the_allow_list_is_one_metric_name_per_line():
    lines = KNOWN_METRICS.read_text().splitlines()
    assert lines and all(re.fullmatch(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line) for line in lines), "plain names, no comments or blanks"
    assert len(lines) == len(set(lines)), "duplicates"


# The checks themselves catch what they are for.


def test_the_metric_check_reports_an_unknown_metric_and_the_parse_check_a_broken_query():
    assert unknown_metrics([("probe", 'sum(rate(http_requests_totl{namespace="$namespace"}[$__rate_interval]))')]) == [
        "probe: http_requests_totl"
    ]
    (broken,) = parse_promql([substitute('sum(rate(http_requests_total{namespace="$namespace"}[$__rate_interval])')])
    assert broken.error and "unclosed left parenthesis" in broken.error


def test_promtool_rejects_a_broken_query(tmp_path):
    path = tmp_path / "broken.rules.yaml"
    rules = [
        {
            "record": "dashboard:probe:query0",
            "expr": substitute("histogram_quantile(0.95, sum by (le) (rate(x[$__rate_interval]))"),
        }
    ]
    path.write_text(yaml.safe_dump({"groups": [{"name": "probe", "rules": rules}]}))
    assert promtool("check", "rules", str(path)).returncode != 0
