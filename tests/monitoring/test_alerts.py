"""The chart's alerts, as `helm template` renders them: promtool checks the rules, and the promtool
unit tests (*-alerts.yaml) prove that each alert fires on the failure it names, with its labels
and annotations, and stays silent on healthy series. The mutation tests prove the unit tests
would notice a broken alert."""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from monitoring import NAMESPACE, UNIT_TEST_FILES, alerts_of, promtool, unit_test, write_rules

ALERTS = [
    "TodoChatbotBackendDown",
    "TodoChatbotBackendErrors",
    "TodoChatbotBackendSlow",
    "TodoChatbotPodRestarting",
    "TodoChatbotModelProviderErrors",
    "TodoChatbotPostgresqlDown",
    "TodoChatbotPostgresqlVolumeNearlyFull",
]


def test_the_chart_renders_the_seven_alerts(rules):
    assert sorted(alerts_of(rules)) == sorted(ALERTS)


def test_promtool_checks_the_rendered_rules(rules, tmp_path):
    path = write_rules(rules, tmp_path)
    result = promtool("check", "rules", "--lint=all", "--lint-fatal", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout


def test_every_alert_passes_its_unit_tests(rules, tmp_path):
    result = unit_test(rules, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(UNIT_TEST_FILES)


def unit_test_cases() -> list[dict[str, Any]]:
    return [
        case for path in UNIT_TEST_FILES for test in yaml.safe_load(path.read_text())["tests"] for case in test["alert_rule_test"]
    ]


@pytest.mark.parametrize("alert", ALERTS)
def test_every_alert_has_a_firing_and_a_silent_unit_test(rules, alert):
    cases = [case for case in unit_test_cases() if case["alertname"] == alert]
    firing = [expected for case in cases for expected in case["exp_alerts"]]
    assert firing, f"no unit test expects {alert} to fire"
    assert any(not case["exp_alerts"] for case in cases), f"no unit test expects {alert} to stay silent"
    severity = alerts_of(rules)[alert]["labels"]["severity"]
    for expected in firing:
        assert expected["exp_labels"]["severity"] == severity
        assert expected["exp_labels"]["namespace"] == NAMESPACE
        assert set(expected["exp_annotations"]) == {"summary", "description", "runbook_url"}


def test_the_unit_tests_name_only_alerts_of_the_chart(rules):
    assert {case["alertname"] for case in unit_test_cases()} <= set(alerts_of(rules))


# Mutation tests: each breaks one alert of the rendered rules the way a chart change could;
# the unit tests must then fail, naming that alert. ----------------------------------------------


def mutated(rules: dict[str, Any], alert: str, change) -> dict[str, Any]:
    broken = copy.deepcopy(rules)
    (rule,) = [r for group in broken["groups"] for r in group["rules"] if r.get("alert") == alert]
    before = rule["expr"]
    rule["expr"] = change(before)
    assert rule["expr"] != before, f"the mutation changed nothing in {alert}: {before}"
    return broken


def assert_unit_tests_fail(rules: dict[str, Any], alert: str, tmp_path) -> None:
    result = unit_test(rules, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, f"the unit tests pass with a broken {alert}:\n{output}"
    assert f"alertname: {alert}" in output, output


def first_part(separator: str):
    return lambda expr: expr.split(separator)[0]


def without(text: str):
    return lambda expr: expr.replace(text, "")


SCOPE = f'namespace="{NAMESPACE}", '
MUTATIONS = {
    # What each silent or firing case is there for.
    "backend down: no absent(), so scaling to zero goes unnoticed": ("TodoChatbotBackendDown", first_part("\nor\n")),
    "backend errors: the probes count": ("TodoChatbotBackendErrors", without(', route!~"/health|/ready|/metrics"')),
    "backend errors: no minimum traffic": ("TodoChatbotBackendErrors", first_part("\nand\n")),
    "backend slow: the chat turn counts": ("TodoChatbotBackendSlow", without(', route!~"/api/conversations/.+/messages"')),
    "backend slow: no minimum traffic": ("TodoChatbotBackendSlow", first_part("\nand\n")),
    "backend slow: one percentile over all routes": (
        "TodoChatbotBackendSlow",
        lambda expr: expr.replace("method, route, le", "le").replace("(namespace, job, method, route)", "(namespace, job)"),
    ),
    "pod restarting: every pod of the namespace": (
        "TodoChatbotPodRestarting",
        lambda expr: re.sub(r'pod=~"[^"]*"', 'pod=~".+"', expr),
    ),
    "model provider: no minimum traffic": ("TodoChatbotModelProviderErrors", first_part("\nand\n")),
    "postgresql down: no absent(), so a vanished exporter goes unnoticed": ("TodoChatbotPostgresqlDown", first_part("\nor\n")),
    "postgresql volume: every claim": (
        "TodoChatbotPostgresqlVolumeNearlyFull",
        lambda expr: re.sub(r', persistentvolumeclaim="[^"]*"', "", expr),
    ),
}


@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_the_unit_tests_catch_a_broken_alert(rules, tmp_path, mutation):
    alert, change = MUTATIONS[mutation]
    assert_unit_tests_fail(mutated(rules, alert, change), alert, tmp_path)


@pytest.mark.parametrize("alert", ALERTS)
def test_the_unit_tests_catch_an_alert_that_forgets_its_namespace(rules, tmp_path, alert):
    assert_unit_tests_fail(mutated(rules, alert, without(SCOPE)), alert, tmp_path)


@pytest.mark.parametrize("alert", ALERTS)
def test_the_unit_tests_catch_an_alert_that_never_fires(rules, tmp_path, alert):
    assert_unit_tests_fail(mutated(rules, alert, lambda _: "vector(1) < 0"), alert, tmp_path)


@pytest.mark.parametrize("alert", ALERTS)
def test_the_unit_tests_catch_an_alert_that_always_fires(rules, tmp_path, alert):
    assert_unit_tests_fail(mutated(rules, alert, lambda _: "vector(1)"), alert, tmp_path)
