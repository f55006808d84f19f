"""Every pod the chart can start passes the Pod Security admission controller's own `restricted`
checks (k8s.io/pod-security-admission, built from pss-check/), plus what the chart adds on top."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from rendering import FULLNAME, TEST_SECRETS, Rendered, containers, render

PSS_CHECK_SOURCE = Path(__file__).resolve().parent / "pss-check"
APP_UID = 65532


@pytest.fixture(scope="session")
def pss_check(tmp_path_factory) -> Path:
    """The checker built from the committed source (Go's build cache makes rebuilds quick)."""
    go = shutil.which("go")
    if go is None:
        pytest.fail("go not found on PATH: the pod security checker is built with Go (see .ci/setup-chart.sh)")
    binary = tmp_path_factory.mktemp("pss-check") / "pss-check"
    subprocess.run([go, "build", "-o", str(binary), "."], cwd=PSS_CHECK_SOURCE, check=True)
    return binary


def check(pss_check: Path, manifests: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(pss_check), *args, "-"], input=manifests, capture_output=True, text=True, check=False)


def test_every_pod_is_allowed_by_the_restricted_standard(pss_check, scenario: Rendered):
    result = check(pss_check, scenario.text)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "Pod Security Standard restricted:latest: 3 pods allowed, 0 forbidden"


def test_every_pod_is_allowed_by_the_standard_of_the_oldest_supported_kubernetes(pss_check, renders):
    result = check(pss_check, renders["production"].text, "-version", "v1.31")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("override", "reason"),
    [
        ({"containerSecurityContext": {"allowPrivilegeEscalation": True}}, "allowPrivilegeEscalation != false"),
        ({"containerSecurityContext": {"capabilities": {"drop": ["NET_RAW"]}}}, "unrestricted capabilities"),
        (
            {"podSecurityContext": {"seccompProfile": None}, "containerSecurityContext": {"seccompProfile": None}},
            "seccompProfile",
        ),
        ({"podSecurityContext": {"runAsUser": 0}, "containerSecurityContext": {"runAsUser": 0}}, "runAsUser=0"),
    ],
    ids=["privilege-escalation", "capabilities", "seccomp", "root"],
)
def test_the_checker_forbids_what_restricted_forbids(pss_check, override, reason):
    rendered = render(set_values={**TEST_SECRETS, **override})
    result = check(pss_check, rendered.text)
    assert result.returncode == 1
    assert f"FORBIDDEN  Deployment {FULLNAME}-backend (-): " in result.stdout
    assert reason in result.stdout


def test_the_checker_refuses_input_without_pods(pss_check):
    result = check(pss_check, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n")
    assert result.returncode == 2
    assert "no pod or pod template" in result.stderr


def test_containers_run_as_the_images_user_with_a_read_only_root_filesystem(scenario: Rendered):
    """Beyond `restricted`: the fixed UID of the images and no writes outside the emptyDirs."""
    for owner, pod_spec in scenario.pod_specs():
        assert pod_spec["securityContext"]["runAsUser"] == APP_UID and pod_spec["securityContext"]["runAsGroup"] == APP_UID, owner
        for container in containers(pod_spec):
            context = container["securityContext"]
            assert context["readOnlyRootFilesystem"] is True, f"{owner} {container['name']}"
            assert context["runAsUser"] == APP_UID and context["capabilities"] == {"drop": ["ALL"]}, (
                f"{owner} {container['name']}"
            )
