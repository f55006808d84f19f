"""Runs the real helm binary on the chart and gives the tests its rendered objects."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from k8s_manifests import DEFAULT_KUBERNETES_VERSION

CHART_DIR = Path(__file__).resolve().parent.parent / "todo-chatbot"
RELEASE = "todo"
NAMESPACE = "todo-chatbot"
FULLNAME = f"{RELEASE}-todo-chatbot"
# Helm's default capabilities are those of the Kubernetes it was built against: pin them.
KUBE_VERSION = f"{DEFAULT_KUBERNETES_VERSION}.0"

# What a plain-Helm user passes on the command line with values-local.yaml (README "Install").
TEST_SECRETS = {
    "secrets.databaseUrl": "postgresql://todo:password@db.todo.test:5432/todo",
    "secrets.betterAuthSecret": "test-only-better-auth-secret-0123456789",
    "secrets.openrouterApiKey": "sk-or-test-key",
}

# Every optional object and pass-through value switched on at once, for the API checks.
EVERYTHING_ON = {
    **TEST_SECRETS,
    "ingress.enabled": True,
    "ingress.host": "todo.test",
    "ingress.tls.enabled": True,
    "ingress.annotations": {"nginx.ingress.kubernetes.io/proxy-body-size": "1m"},
    "networkPolicy.enabled": True,
    "networkPolicy.database.to": [{"ipBlock": {"cidr": "10.0.0.0/8"}}],
    "networkPolicy.backend.extraIngressFrom": [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}}
    ],
    "imagePullSecrets": [{"name": "registry"}],
    "backend.autoscaling.enabled": True,
    "frontend.autoscaling.enabled": True,
    "backend.podDisruptionBudget.enabled": True,
    "frontend.podDisruptionBudget.minAvailable": "50%",
    "frontend.podDisruptionBudget.enabled": True,
    "backend.tolerations": [{"key": "dedicated", "operator": "Equal", "value": "todo", "effect": "NoSchedule"}],
    "backend.nodeSelector": {"kubernetes.io/os": "linux"},
    "backend.priorityClassName": "high",
    "frontend.topologySpreadConstraints": [
        {
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/component": "frontend"}},
        }
    ],
    "backend.serviceAccount.annotations": {"example.com/role": "todo"},
    "backend.image.digest": "sha256:" + "0123456789abcdef" * 4,
    "frontend.image.tag": "1.2.3",
    "frontend.image.digest": "sha256:" + "fedcba9876543210" * 4,
    "metrics.serviceMonitor.enabled": True,
    "metrics.serviceMonitor.labels": {"release": "kube-prometheus-stack"},
    "metrics.serviceMonitor.relabelings": [
        {"action": "replace", "sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node"}
    ],
    "metrics.serviceMonitor.metricRelabelings": [{"action": "drop", "sourceLabels": ["__name__"], "regex": "python_gc_.*"}],
    "metrics.networkPolicy.allowFromPodSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}},
    "metrics.prometheusRule.enabled": True,
    "metrics.prometheusRule.labels": {"release": "kube-prometheus-stack"},
    "metrics.dashboards.enabled": True,
    "metrics.dashboards.annotations": {"grafana_folder": "Todo Chatbot"},
}

# Custom resources of the Prometheus Operator: no built-in API schema and no CRD on the test API
# server, so the API checks skip them (scripts/test-monitoring.sh checks the rules with promtool).
CUSTOM_RESOURCE_KINDS = frozenset({"ServiceMonitor", "PrometheusRule"})

# docs/ARCHITECTURE.md "Environment": the keys each app reads.
SECRET_KEYS = {"DATABASE_URL", "BETTER_AUTH_SECRET", "OPENROUTER_API_KEY"}
BACKEND_SECRET_KEYS = {"DATABASE_URL", "BETTER_AUTH_SECRET", "OPENROUTER_API_KEY"}
FRONTEND_SECRET_KEYS = {"DATABASE_URL", "BETTER_AUTH_SECRET"}
BACKEND_CONFIG_KEYS = {"LOG_LEVEL", "OPENROUTER_BASE_URL", "OPENROUTER_MODEL", "ALLOWED_ORIGINS"}
FRONTEND_CONFIG_KEYS = {"BACKEND_URL", "BETTER_AUTH_URL"}
# Where the apps find the Secret's keys as files (the SECRETS_DIR the chart sets).
SECRETS_DIR = "/var/run/secrets/todo-chatbot"


def helm_binary() -> str:
    helm = shutil.which("helm")
    if helm is None:
        raise RuntimeError("helm not found on PATH: run .ci/setup-chart.sh (it builds helm into $TODO_CACHE/bin)")
    return helm


def helm(*args: str, chart_dir: Path = CHART_DIR) -> subprocess.CompletedProcess[str]:
    """Run `helm ARGS... CHART` and return the finished process, whatever its exit status."""
    return subprocess.run([helm_binary(), *args, str(chart_dir)], capture_output=True, text=True, check=False)


def value_args(values_files: tuple[str, ...] = (), set_values: dict[str, Any] | None = None) -> list[str]:
    args: list[str] = []
    for values_file in values_files:
        args += ["--values", str(CHART_DIR / values_file)]
    for key, value in (set_values or {}).items():
        if isinstance(value, str):
            args += ["--set-string", f"{key}={value}"]
        else:
            args += ["--set-json", f"{key}={json.dumps(value)}"]
    return args


class RenderError(Exception):
    pass


@dataclass(frozen=True)
class Rendered:
    """The objects of one `helm template` run, with lookups the tests share."""

    objects: list[dict[str, Any]]
    text: str

    def kinds_and_names(self) -> set[tuple[str, str]]:
        return {(o["kind"], o["metadata"]["name"]) for o in self.objects}

    def all(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any]:
        matches = [o for o in self.objects if o["kind"] == kind and o["metadata"]["name"] == name]
        assert len(matches) == 1, f"expected one {kind} {name}, found {len(matches)}: {sorted(self.kinds_and_names())}"
        return matches[0]

    def has(self, kind: str, name: str) -> bool:
        return (kind, name) in self.kinds_and_names()

    def deployment(self, component: str) -> dict[str, Any]:
        return self.get("Deployment", f"{FULLNAME}-{component}")

    def pod_specs(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(owner, pod spec) of every pod the release can start: Deployments' templates and test Pods."""
        for o in self.objects:
            if o["kind"] == "Deployment":
                yield f"Deployment {o['metadata']['name']}", o["spec"]["template"]["spec"]
            elif o["kind"] == "Pod":
                yield f"Pod {o['metadata']['name']}", o["spec"]


def render(
    values_files: tuple[str, ...] = (),
    set_values: dict[str, Any] | None = None,
    chart_dir: Path = CHART_DIR,
    show_only: str | None = None,
    release: str = RELEASE,
) -> Rendered:
    """`helm template` the chart; RenderError carries helm's own message when it refuses."""
    args = ["template", release, "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION, *value_args(values_files, set_values)]
    if show_only:
        args += ["--show-only", show_only]
    result = helm(*args, chart_dir=chart_dir)
    if result.returncode != 0:
        raise RenderError(result.stderr.strip())
    objects = [o for o in yaml.safe_load_all(result.stdout) if o]
    return Rendered(objects, result.stdout)


def containers(pod_spec: dict[str, Any]) -> list[dict[str, Any]]:
    return pod_spec.get("initContainers", []) + pod_spec["containers"]


def env_sources(container: dict[str, Any]) -> tuple[dict[str, tuple[str, str]], set[str], set[str]]:
    """(secret env: NAME -> (secret, key), ConfigMaps read whole, plain env names) of a container."""
    secret_env = {
        e["name"]: (e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
        for e in container.get("env", [])
        if "secretKeyRef" in e.get("valueFrom", {})
    }
    plain_env = {e["name"] for e in container.get("env", []) if "value" in e}
    config_maps = {source["configMapRef"]["name"] for source in container.get("envFrom", []) if "configMapRef" in source}
    return secret_env, config_maps, plain_env


@dataclass(frozen=True)
class SecretFiles:
    """The Secret keys one container gets as files: where, from which Secret, which keys (and which may be absent)."""

    mount_path: str
    read_only: bool
    secret: str
    keys: frozenset[str]
    optional_keys: frozenset[str]
    mode: int | None


def secret_files(pod_spec: dict[str, Any], container: dict[str, Any]) -> list[SecretFiles]:
    """Every Secret-backed volume (plain or projected) the container mounts."""
    volumes = {v["name"]: v for v in pod_spec.get("volumes", [])}
    found = []
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        if "secret" in volume:
            sources, mode = (
                [{"secret": {**volume["secret"], "name": volume["secret"]["secretName"]}}],
                volume["secret"].get("defaultMode"),
            )
        elif "projected" in volume:
            sources, mode = volume["projected"]["sources"], volume["projected"].get("defaultMode")
        else:
            continue
        secrets = [source["secret"] for source in sources if "secret" in source]
        if not secrets:
            continue
        (name,) = {secret["name"] for secret in secrets}
        keys = {item["key"] for secret in secrets for item in secret["items"]}
        optional = {item["key"] for secret in secrets if secret.get("optional") for item in secret["items"]}
        found.append(
            SecretFiles(mount["mountPath"], mount.get("readOnly", False), name, frozenset(keys), frozenset(optional), mode)
        )
    return found


def labels_match(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())
