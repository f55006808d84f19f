"""NOTES.txt tells how to reach the app for the chosen service type.

`helm template` does not render NOTES.txt and `helm install --dry-run` needs a cluster, so the
test renders the same file through the same engine: a copy of the chart wraps NOTES.txt in a
named template that a ConfigMap includes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rendering import CHART_DIR, TEST_SECRETS, render

NOTES_PROBE = """apiVersion: v1
kind: ConfigMap
metadata:
  name: notes
data:
  notes: {{ include "notes-under-test" . | quote }}
"""


@pytest.fixture(scope="module")
def notes_chart(tmp_path_factory) -> Path:
    chart = tmp_path_factory.mktemp("notes") / "todo-chatbot"
    shutil.copytree(CHART_DIR, chart)
    notes = chart / "templates" / "NOTES.txt"
    (chart / "templates" / "_notes.tpl").write_text('{{- define "notes-under-test" -}}\n' + notes.read_text() + "{{- end }}\n")
    notes.unlink()
    (chart / "templates" / "notes-probe.yaml").write_text(NOTES_PROBE)
    return chart


def notes(chart: Path, values_files: tuple[str, ...] = (), set_values: dict | None = None) -> str:
    rendered = render(values_files, set_values, chart_dir=chart, show_only="templates/notes-probe.yaml")
    (config_map,) = rendered.objects
    return config_map["data"]["notes"]


def test_node_port_notes_give_the_minikube_and_node_address(notes_chart):
    text = notes(notes_chart, ("values-local.yaml",), TEST_SECRETS)
    assert "minikube service todo-todo-chatbot-frontend --namespace todo-chatbot --url" in text
    assert "jsonpath='{.spec.ports[0].nodePort}'" in text
    assert "helm test todo --namespace todo-chatbot" in text


def test_ingress_notes_give_the_https_url(notes_chart):
    text = notes(notes_chart, ("values-production.yaml",))
    assert "https://todo.example.com/" in text
    assert "minikube" not in text and "port-forward" not in text


def test_cluster_ip_notes_give_a_port_forward(notes_chart):
    text = notes(notes_chart, (), {**TEST_SECRETS, "frontend.service.type": "ClusterIP"})
    assert "kubectl port-forward service/todo-todo-chatbot-frontend --namespace todo-chatbot 3000:3000" in text


def test_load_balancer_notes_wait_for_the_external_address(notes_chart):
    text = notes(notes_chart, (), {**TEST_SECRETS, "frontend.service.type": "LoadBalancer"})
    assert "kubectl get service todo-todo-chatbot-frontend --namespace todo-chatbot --watch" in text
    assert ".status.loadBalancer.ingress[0]" in text


def test_notes_warn_when_a_budget_would_block_node_drains(notes_chart):
    blocking = notes(notes_chart, (), {**TEST_SECRETS, "backend.podDisruptionBudget.enabled": True})
    assert "WARNING: backend.podDisruptionBudget.minAvailable (1) is not below its 1 replica(s)" in blocking
    fine = notes(notes_chart, (), {**TEST_SECRETS, "backend.podDisruptionBudget.enabled": True, "backend.replicaCount": 2})
    assert "WARNING" not in fine


def test_monitoring_notes_name_the_objects_only_when_monitoring_is_on(notes_chart):
    assert "Monitoring" not in notes(notes_chart, ("values-local.yaml",), TEST_SECRETS)
    text = notes(notes_chart, ("values-production.yaml",))
    assert "ServiceMonitors todo-todo-chatbot-backend and todo-todo-chatbot-frontend" in text
    assert "PrometheusRule todo-todo-chatbot: the alerts link their runbooks at docs/RUNBOOKS.md#<alert>." in text
    assert 'ConfigMaps labelled grafana_dashboard="1" in namespace "todo-chatbot"' in text
