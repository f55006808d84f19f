"""`helm lint --strict` of each values file, and helm's own refusals of bad values."""

from __future__ import annotations

import pytest

from rendering import CHART_DIR, KUBE_VERSION, TEST_SECRETS, RenderError, helm, render, value_args

SCHEMA_ERROR = "values don't meet the specifications of the schema(s)"


@pytest.mark.parametrize("values_file", ["values.yaml", "values-local.yaml", "values-production.yaml"])
def test_helm_lint_strict_passes(values_file):
    # helm lint treats a missing `required` value as information, so no secrets are passed here.
    result = helm("lint", "--strict", "--kube-version", KUBE_VERSION, "--values", str(CHART_DIR / values_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(
    ("set_values", "message"),
    [
        ({"secrets.betterAuthSecret": TEST_SECRETS["secrets.betterAuthSecret"]}, "secrets.databaseUrl is required"),
        ({"secrets.databaseUrl": TEST_SECRETS["secrets.databaseUrl"]}, "secrets.betterAuthSecret is required"),
    ],
)
def test_chart_secret_requires_its_values_with_a_clear_message(set_values, message):
    with pytest.raises(RenderError, match=message) as error:
        render(set_values=set_values)
    assert "existingSecret" in str(error.value)


# (values, JSON pointer and fragment of helm's schema error). Each is one kind of mistake.
SCHEMA_REJECTIONS = {
    "unknown top-level key": ({"replicas": 2}, "additional properties 'replicas' not allowed"),
    "unknown nested key (typo)": ({"backend.resource": {}}, "at '/backend': additional properties 'resource' not allowed"),
    "wrong type: string replicas": ({"backend.replicaCount": "two"}, "at '/backend/replicaCount': got string, want integer"),
    "wrong type: boolean as string": ({"ingress.enabled": "yes"}, "at '/ingress/enabled': got string, want boolean"),
    "zero replicas": ({"frontend.replicaCount": 0}, "at '/frontend/replicaCount': minimum: got 0, want 1"),
    "node port out of range": ({"frontend.service.nodePort": 80}, "at '/frontend/service/nodePort': minimum: got 80, want 30"),
    "service port out of range": (
        {"backend.service.port": 70000},
        "at '/backend/service/port': maximum: got 70,000, want 65,535",
    ),
    "unknown service type": ({"frontend.service.type": "External"}, "at '/frontend/service/type': value must be one of"),
    "unknown pull policy": ({"backend.image.pullPolicy": "Sometimes"}, "at '/backend/image/pullPolicy': value must be one of"),
    "unknown log level": ({"backend.config.logLevel": "VERBOSE"}, "at '/backend/config/logLevel': value must be one of"),
    "short auth secret": ({"secrets.betterAuthSecret": "too-short"}, "at '/secrets/betterAuthSecret'"),
    "database URL of another engine": ({"secrets.databaseUrl": "mysql://db/todo"}, "at '/secrets/databaseUrl'"),
    "CPU target above 100%": ({"backend.autoscaling.targetCPUUtilizationPercentage": 150}, "maximum: got 150, want 100"),
    "ingress host with a scheme": ({"ingress.host": "https://todo.example.com"}, "at '/ingress/host'"),
    "memory in a unit Kubernetes lacks": ({"frontend.resources.limits.memory": "1GB"}, "at '/frontend/resources/limits/memory'"),
    "no ephemeral-storage limit": (
        {"helmTest.resources.limits.ephemeral-storage": None},
        "at '/helmTest/resources/limits': missing property 'ephemeral-storage'",
    ),
    "image digest of another algorithm": ({"backend.image.digest": "sha512:" + "0" * 64}, "at '/backend/image/digest'"),
    "image digest too short": ({"frontend.image.digest": "sha256:abc123"}, "at '/frontend/image/digest'"),
    "scrape interval in words": ({"metrics.serviceMonitor.interval": "30 seconds"}, "at '/metrics/serviceMonitor/interval'"),
    "error ratio as a percentage": (
        {"metrics.prometheusRule.backendErrors.threshold": 5},
        "at '/metrics/prometheusRule/backendErrors/threshold': maximum: got 5, want 1",
    ),
    "runbook URL with an anchor": (
        {"metrics.prometheusRule.runbookBaseUrl": "docs/RUNBOOKS.md#alerts"},
        "at '/metrics/prometheusRule/runbookBaseUrl'",
    ),
    "dashboard label value as a number": (
        {"metrics.dashboards.labelValue": 1},
        "at '/metrics/dashboards/labelValue': got number, want string",
    ),
    "unknown alert setting (typo)": (
        {"metrics.prometheusRule.backendLatency.threshold": 2},
        "at '/metrics/prometheusRule/backendLatency': additional properties 'threshold' not allowed",
    ),
}


@pytest.mark.parametrize("mistake", sorted(SCHEMA_REJECTIONS))
def test_schema_rejects_bad_values_with_helms_error(mistake):
    bad_values, message = SCHEMA_REJECTIONS[mistake]
    with pytest.raises(RenderError) as error:
        render(set_values={**TEST_SECRETS, **bad_values})
    assert SCHEMA_ERROR in str(error.value)
    assert message in str(error.value)


@pytest.mark.parametrize("mistake", ["unknown top-level key", "zero replicas", "unknown service type"])
def test_helm_lint_reports_schema_errors(mistake):
    bad_values, message = SCHEMA_REJECTIONS[mistake]
    result = helm("lint", "--strict", "--kube-version", KUBE_VERSION, *value_args((), {**TEST_SECRETS, **bad_values}))
    assert result.returncode != 0
    assert message in result.stdout


# Checks between values that a JSON schema cannot express (templates/_validate.tpl).
CROSS_CHECKS = {
    "autoscaling min above max": (
        {"backend.autoscaling.enabled": True, "backend.autoscaling.minReplicas": 6, "backend.autoscaling.maxReplicas": 3},
        "backend.autoscaling.minReplicas (6) must not exceed backend.autoscaling.maxReplicas (3)",
    ),
    "preStop sleep not shorter than the grace period": (
        {"frontend.preStopSleepSeconds": 30, "frontend.terminationGracePeriodSeconds": 30},
        "frontend.preStopSleepSeconds (30) must be less than frontend.terminationGracePeriodSeconds (30)",
    ),
    "ingress without a host": ({"ingress.enabled": True}, "ingress.host is required when ingress.enabled is true"),
    "no fsGroup to read the secret files": ({"podSecurityContext.fsGroup": None}, "podSecurityContext.fsGroup is required"),
}


@pytest.mark.parametrize("mistake", sorted(CROSS_CHECKS))
def test_inconsistent_values_fail_rendering_with_a_clear_message(mistake):
    bad_values, message = CROSS_CHECKS[mistake]
    with pytest.raises(RenderError, match=message.replace("(", r"\(").replace(")", r"\)")):
        render(set_values={**TEST_SECRETS, **bad_values})


def test_autoscaling_bounds_are_not_checked_while_autoscaling_is_off():
    rendered = render(set_values={**TEST_SECRETS, "backend.autoscaling.minReplicas": 6, "backend.autoscaling.maxReplicas": 3})
    assert rendered.all("HorizontalPodAutoscaler") == []


def test_pulumi_values_are_accepted():
    """The values docs/ARCHITECTURE.md says the Pulumi program sets, with every key present."""
    resources = {
        "requests": {"cpu": "100m", "memory": "192Mi", "ephemeral-storage": "128Mi"},
        "limits": {"cpu": "500m", "memory": "384Mi", "ephemeral-storage": "512Mi"},
    }
    autoscaling = {"enabled": True, "minReplicas": 2, "maxReplicas": 5, "targetCPUUtilizationPercentage": 70}
    pulumi_values = {
        "existingSecret": "todo-chatbot-app",
        "secrets": {"databaseUrl": "", "betterAuthSecret": "", "openrouterApiKey": ""},
        "backend": {
            "replicaCount": 2,
            "image": {"repository": "todo-chatbot-backend", "tag": "0a1b2c3d", "digest": "", "pullPolicy": "Never"},
            "resources": resources,
            "config": {
                "logLevel": "INFO",
                "openrouterBaseUrl": "https://openrouter.ai/api/v1",
                "openrouterModel": "openai/gpt-4o-mini",
            },
            "autoscaling": autoscaling,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "metrics": {"enabled": True},
        },
        "frontend": {
            "replicaCount": 2,
            "image": {"repository": "todo-chatbot-frontend", "tag": "4e5f6a7b", "digest": "", "pullPolicy": "Never"},
            "resources": resources,
            "service": {"type": "NodePort", "port": 3000, "nodePort": 30000},
            "config": {"betterAuthUrl": "http://localhost:3000"},
            "autoscaling": autoscaling,
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
        },
        "ingress": {
            "enabled": False,
            "className": "nginx",
            "host": "",
            "annotations": {},
            "tls": {"enabled": False, "secretName": ""},
        },
        "networkPolicy": {"enabled": False},
    }
    rendered = render(set_values=pulumi_values)
    assert rendered.all("Secret") == [] and rendered.all("NetworkPolicy") == []
    assert len(rendered.all("HorizontalPodAutoscaler")) == 2 and len(rendered.all("PodDisruptionBudget")) == 2
