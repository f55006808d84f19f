"""Every rendered object against the Kubernetes API schema, offline; and the reusable validator script."""

from __future__ import annotations

import subprocess
from pathlib import Path

import kubernetes_validate
import pytest

from conftest import SCENARIOS
from k8s_manifests import DEFAULT_KUBERNETES_VERSION, ManifestObject, validate_objects
from rendering import CUSTOM_RESOURCE_KINDS, EVERYTHING_ON, render

VALIDATOR = Path(__file__).resolve().parents[2] / "scripts" / "validate-k8s-manifests.sh"
# The oldest supported version and the newest one the schemas cover: an API removed in between fails one of them.
KUBERNETES_VERSIONS = [DEFAULT_KUBERNETES_VERSION, ".".join(kubernetes_validate.latest_version().split(".")[:2])]

RENDERS = {**SCENARIOS, "every-option": ((), EVERYTHING_ON)}


@pytest.mark.parametrize("kubernetes_version", KUBERNETES_VERSIONS)
@pytest.mark.parametrize("name", sorted(RENDERS))
def test_every_rendered_object_matches_the_kubernetes_api_schema(name, kubernetes_version):
    files, values = RENDERS[name]
    rendered = render(files, values)
    problems = validate_objects((ManifestObject(name, o) for o in rendered.objects), kubernetes_version, CUSTOM_RESOURCE_KINDS)
    assert not problems, "\n".join(map(str, problems))


def test_every_option_is_rendered():
    """The every-option render really contains the optional objects it is meant to validate."""
    kinds = {o["kind"] for o in render((), EVERYTHING_ON).objects}
    assert {"Ingress", "NetworkPolicy", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Secret"} <= kinds
    assert CUSTOM_RESOURCE_KINDS <= kinds


def test_only_the_custom_resources_are_skipped():
    """Skipping the Prometheus Operator's kinds hides nothing else: without the skip, they alone fail."""
    rendered = render((), EVERYTHING_ON)
    problems = validate_objects(ManifestObject("every-option", o) for o in rendered.objects)
    assert {p.manifest.body["kind"] for p in problems} == CUSTOM_RESOURCE_KINDS


# The validator script, as the Pulumi tests and users call it ------------------------------------


def run_validator(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(VALIDATOR), *args], input=stdin, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def rendered_production(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("rendered")
    rendered = render(("values-production.yaml",))
    (directory / "nested").mkdir()
    (directory / "nested" / "chart.yaml").write_text(rendered.text)
    return directory


def operator_crds() -> list[str]:
    """--crd arguments: the Prometheus Operator's CRDs of the chart's custom resources (through the Go proxy)."""
    script = Path(__file__).resolve().parents[2] / "scripts" / "prometheus-operator-crds.sh"
    directory = Path(subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True).stdout.strip())
    plural = {"ServiceMonitor": "servicemonitors", "PrometheusRule": "prometheusrules"}
    return [arg for kind in sorted(CUSTOM_RESOURCE_KINDS) for arg in ("--crd", str(directory / f"monitoring.coreos.com_{plural[kind]}.yaml"))]


# values-production.yaml switches the monitoring custom resources on: they are checked against their CRDs.
CUSTOM_KIND_SCHEMAS = operator_crds()


def test_validator_accepts_a_directory_of_valid_manifests(rendered_production):
    result = run_validator(*CUSTOM_KIND_SCHEMAS, str(rendered_production))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kubernetes 1.31 API schema: 25 objects valid, 0 invalid" in result.stdout
    assert "valid   Deployment todo-chatbot/todo-todo-chatbot-backend (apps/v1)" in result.stdout


def test_validator_names_each_invalid_object_and_where_it_is_wrong(rendered_production, tmp_path):
    text = (rendered_production / "nested" / "chart.yaml").read_text()
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        text.replace("readinessProbe:", "readinessprobe:")
        .replace("averageUtilization: 70", "averageUtilization: high")
        .replace("scrapeTimeout:", "scrape_timeout:")
    )
    result = run_validator("--quiet", *CUSTOM_KIND_SCHEMAS, str(broken))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        f"INVALID Deployment todo-chatbot/todo-todo-chatbot-frontend (apps/v1) in {broken}: "
        "at spec.template.spec.containers.0: Additional properties are not allowed ('readinessprobe' was unexpected)"
    ) in lines
    assert any(
        line.startswith("INVALID HorizontalPodAutoscaler todo-chatbot/todo-todo-chatbot-backend")
        and "'high' is not of type 'integer'" in line
        for line in lines
    )
    assert any(
        line.startswith("INVALID ServiceMonitor todo-chatbot/todo-todo-chatbot-backend")
        and "'scrape_timeout' was unexpected) (its CustomResourceDefinition's schema)" in line
        for line in lines
    )
    assert lines[-1] == "Kubernetes 1.31 API schema: 19 objects valid, 6 invalid"


def test_validator_rejects_apis_missing_from_the_pinned_version_unless_skipped():
    manifests = (
        "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: old}\nspec: {minAvailable: 1}\n"
        "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: custom}\nspec: {}\n"
    )
    result = run_validator("-q", "-", stdin=manifests)
    assert result.returncode == 1
    assert (
        "INVALID PodDisruptionBudget old (policy/v1beta1) in <stdin>: Kubernetes 1.31 has no policy/v1beta1 PodDisruptionBudget"
        in result.stdout
    )
    assert "INVALID ServiceMonitor custom" in result.stdout
    skipped = run_validator("-q", "--skip-kind", "ServiceMonitor", "-", stdin=manifests)
    assert "ServiceMonitor" not in skipped.stdout and "PodDisruptionBudget old" in skipped.stdout


def test_validator_checks_against_the_version_asked_for():
    # autoscaling/v2beta2 was removed in Kubernetes 1.26.
    hpa = (
        "apiVersion: autoscaling/v2beta2\nkind: HorizontalPodAutoscaler\nmetadata: {name: old}\n"
        "spec: {maxReplicas: 2, scaleTargetRef: {kind: Deployment, name: web}}\n"
    )
    assert run_validator("-q", "-k", "1.25", "-", stdin=hpa).returncode == 0
    assert run_validator("-q", "-k", "1.26", "-", stdin=hpa).returncode == 1


def test_validator_unpacks_lists_like_kubectl():
    manifests = (
        "apiVersion: v1\nkind: List\nitems:\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: good}, data: {a: b}}\n"
        "- {apiVersion: v1, kind: ConfigMap, metadata: {name: bad}, data: {a: 1}}\n"
    )
    result = run_validator("-", stdin=manifests)
    assert result.returncode == 1
    assert "valid   ConfigMap good (v1) in <stdin>" in result.stdout
    assert "INVALID ConfigMap bad (v1) in <stdin>: at data.a: 1 is not of type 'string'" in result.stdout


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["/nonexistent/manifests"], None, "error: /nonexistent/manifests: no such file or directory"),
        (["-"], "name: [unclosed", "error: <stdin>: not valid YAML"),
        (["-"], "name: not-an-object\n", "error: <stdin>: document 1 is not a Kubernetes object"),
        (["-"], "---\n", "error: the manifests hold no Kubernetes object"),
        (["-k", "9.99", "-"], "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n", "no schemas for Kubernetes 9.99"),
    ],
)
def test_validator_refuses_bad_input_with_status_2(args, stdin, message):
    result = run_validator(*args, stdin=stdin)
    assert result.returncode == 2
    assert message in result.stderr
