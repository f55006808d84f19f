"""The chart against a real Kubernetes API server: etcd and kube-apiserver on 127.0.0.1.

No controllers or kubelet run, so no pod starts; what a real API server decides is checked:
every rendered object is accepted with strict field validation (server-side dry run), every
pod is admitted by a namespace that enforces the Pod Security Standard `restricted`, and the
README's install, upgrade, rollback and uninstall commands work on a real release.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import SCENARIOS
from rendering import (
    CHART_DIR,
    CUSTOM_RESOURCE_KINDS,
    EVERYTHING_ON,
    FULLNAME,
    RELEASE,
    TEST_SECRETS,
    helm_binary,
    render,
    value_args,
)

TOKEN = "chart-tests-admin-token"
STARTUP_SECONDS = 90
# REST collection of each kind the chart renders.
RESOURCES = {
    "ConfigMap": "api/v1/namespaces/{ns}/configmaps",
    "Deployment": "apis/apps/v1/namespaces/{ns}/deployments",
    "HorizontalPodAutoscaler": "apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers",
    "Ingress": "apis/networking.k8s.io/v1/namespaces/{ns}/ingresses",
    "NetworkPolicy": "apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies",
    "Pod": "api/v1/namespaces/{ns}/pods",
    "PodDisruptionBudget": "apis/policy/v1/namespaces/{ns}/poddisruptionbudgets",
    "Secret": "api/v1/namespaces/{ns}/secrets",
    "Service": "api/v1/namespaces/{ns}/services",
    "ServiceAccount": "api/v1/namespaces/{ns}/serviceaccounts",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def parse_body(response: Any) -> dict[str, Any]:
    """JSON bodies as they are; plain text (health endpoints) as {"message": text}."""
    text = response.read().decode()
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return json.loads(text)
    return {"message": text}


@dataclass
class ApiServer:
    url: str
    kubeconfig: Path

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"{self.url}/{path}",
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        )
        context = ssl._create_unverified_context()  # the server's self-signed certificate, on loopback
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context))
        try:
            with opener.open(request, timeout=30) as response:
                return response.status, parse_body(response)
        except urllib.error.HTTPError as error:
            return error.code, parse_body(error)

    def helm(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [helm_binary(), *args, "--kubeconfig", str(self.kubeconfig)], capture_output=True, text=True, check=False, timeout=120
        )


def binary(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} not found on PATH: run .ci/setup-chart.sh (it builds etcd and kube-apiserver)")
    return path


def wait_until_ready(server: ApiServer, processes: list[subprocess.Popen[bytes]], logs: list[Path]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                pytest.fail(f"{process.args[0]} exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if server.request("GET", "readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    pytest.fail(f"kube-apiserver not ready after {STARTUP_SECONDS} s:\n{logs[-1].read_text()[-3000:]}")


@pytest.fixture(scope="session")
def api_server(tmp_path_factory) -> Iterator[ApiServer]:
    workdir = tmp_path_factory.mktemp("api-server")
    etcd_client, etcd_peer, secure_port = free_port(), free_port(), free_port()
    (workdir / "tokens.csv").write_text(f"{TOKEN},chart-tests,chart-tests,system:masters\n")
    subprocess.run(["openssl", "genrsa", "-out", str(workdir / "sa.key"), "2048"], check=True, capture_output=True)
    commands = [
        [
            binary("etcd"),
            f"--data-dir={workdir / 'etcd'}",
            f"--listen-client-urls=http://127.0.0.1:{etcd_client}",
            f"--advertise-client-urls=http://127.0.0.1:{etcd_client}",
            f"--listen-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{etcd_peer}",
            f"--initial-cluster=default=http://127.0.0.1:{etcd_peer}",
            "--log-level=error",
        ],
        [
            binary("kube-apiserver"),
            f"--etcd-servers=http://127.0.0.1:{etcd_client}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={secure_port}",
            f"--cert-dir={workdir / 'certs'}",
            f"--token-auth-file={workdir / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc",
            f"--service-account-key-file={workdir / 'sa.key'}",
            f"--service-account-signing-key-file={workdir / 'sa.key'}",
            "--service-cluster-ip-range=10.96.0.0/24",
        ],
    ]
    environment = {**os.environ, "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost"}
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    server = ApiServer(f"https://127.0.0.1:{secure_port}", workdir / "kubeconfig")
    server.kubeconfig.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "test", "cluster": {"server": server.url, "insecure-skip-tls-verify": True}}],
                "users": [{"name": "test", "user": {"token": TOKEN}}],
                "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
                "current-context": "test",
            }
        )
    )
    server.kubeconfig.chmod(0o600)
    try:
        for command in commands:
            log = workdir / f"{Path(command[0]).name}.log"
            logs.append(log)
            processes.append(subprocess.Popen(command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=environment))
        wait_until_ready(server, processes, logs)
        yield server
    finally:
        for process in reversed(processes):
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def post(server: ApiServer, namespace: str, manifest: dict[str, Any], dry_run: bool) -> tuple[int, dict[str, Any]]:
    """Create the object in the namespace; a dry run goes through validation and admission only."""
    query = "?dryRun=All&fieldValidation=Strict" if dry_run else "?fieldValidation=Strict"
    body = {**manifest, "metadata": {**manifest["metadata"], "namespace": namespace}}
    return server.request("POST", RESOURCES[manifest["kind"]].format(ns=namespace) + query, body)


def create(server: ApiServer, namespace: str, manifest: dict[str, Any]) -> None:
    status, body = post(server, namespace, manifest, dry_run=False)
    assert status == 201, body


def create_namespace(server: ApiServer, name: str, service_accounts: Iterable[dict[str, Any]] = ()) -> None:
    """A namespace that enforces `restricted`, with the `default` ServiceAccount that the
    controller manager (not running here) creates in every namespace of a real cluster, and
    the given ServiceAccounts (a pod's must exist for it to be admitted)."""
    labels = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "warn")}
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": labels}}
    status, body = server.request("POST", "api/v1/namespaces", namespace)
    assert status == 201, body
    for service_account in [{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}}, *service_accounts]:
        create(server, name, service_account)


def create_priority_class(server: ApiServer, name: str) -> None:
    priority_class = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": name}, "value": 1000}
    status, body = server.request("POST", "apis/scheduling.k8s.io/v1/priorityclasses", priority_class)
    assert status in (201, 409), body  # 409: created by an earlier test


RENDERS = {**SCENARIOS, "every-option": ((), EVERYTHING_ON)}


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_the_api_server_accepts_every_object_with_strict_field_validation(api_server, name):
    namespace = f"strict-{name}"
    create_namespace(api_server, namespace)
    rendered = render(*RENDERS[name])
    # The Prometheus Operator's kinds need its CRDs, which this API server does not have.
    for manifest in [o for o in rendered.objects if o["kind"] not in CUSTOM_RESOURCE_KINDS]:
        status, body = post(api_server, namespace, manifest, dry_run=True)
        assert status == 201, f"{manifest['kind']} {manifest['metadata']['name']}: {body.get('message', body)}"


def test_strict_field_validation_is_live(api_server):
    """The dry runs above would refuse a misspelled field: here, a ConfigMap with one."""
    namespace = "strict-negative"
    create_namespace(api_server, namespace)
    misspelled = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "typo"}, "datta": {"a": "b"}}
    status, body = post(api_server, namespace, misspelled, dry_run=True)
    assert status == 400
    assert 'unknown field "datta"' in body["message"]


@pytest.mark.parametrize("name", sorted(RENDERS))
def test_a_restricted_namespace_admits_every_pod(api_server, name):
    namespace = f"restricted-{name}"
    rendered = render(*RENDERS[name])
    create_namespace(api_server, namespace, rendered.all("ServiceAccount"))
    for owner, pod_spec in rendered.pod_specs():
        if "priorityClassName" in pod_spec:  # a cluster's own PriorityClass, which admission looks up
            create_priority_class(api_server, pod_spec["priorityClassName"])
        pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "admission-probe"}, "spec": pod_spec}
        status, body = post(api_server, namespace, pod, dry_run=True)
        assert status == 201, f"pod of {owner}: {body.get('message', body)}"


def test_a_restricted_namespace_refuses_a_pod_that_escalates_privileges(api_server):
    """The admission check above is live: the same pod with one forbidden setting is refused."""
    namespace = "restricted-negative"
    rendered = render(set_values={**TEST_SECRETS, "containerSecurityContext": {"allowPrivilegeEscalation": True}})
    create_namespace(api_server, namespace, rendered.all("ServiceAccount"))
    (_, pod_spec), *_ = rendered.pod_specs()
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "probe"}, "spec": pod_spec}
    status, body = post(api_server, namespace, pod, dry_run=True)
    assert status == 403
    assert 'violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' in body["message"]


def config_map(server: ApiServer, namespace: str, component: str) -> tuple[int, dict[str, Any]]:
    return server.request("GET", f"api/v1/namespaces/{namespace}/configmaps/{FULLNAME}-{component}")


def test_readme_lifecycle_install_upgrade_rollback_uninstall(api_server):
    namespace = "lifecycle"
    create_namespace(api_server, namespace)
    chart, release = str(CHART_DIR), ["--namespace", namespace]
    local = value_args(("values-local.yaml",), TEST_SECRETS)

    installed = api_server.helm("install", RELEASE, chart, *release, *local)
    assert installed.returncode == 0, installed.stderr
    assert "would violate PodSecurity" not in installed.stderr
    assert config_map(api_server, namespace, "backend")[1]["data"]["LOG_LEVEL"] == "DEBUG"
    status, secret = api_server.request("GET", f"api/v1/namespaces/{namespace}/secrets/{FULLNAME}")
    assert status == 200 and base64.b64decode(secret["data"]["DATABASE_URL"]).decode() == TEST_SECRETS["secrets.databaseUrl"]

    upgrade = ["upgrade", RELEASE, chart, *release, "-f", str(CHART_DIR / "values-local.yaml"), "--reset-then-reuse-values"]
    upgraded = api_server.helm(*upgrade, "--set", "backend.config.logLevel=WARNING")
    assert upgraded.returncode == 0, upgraded.stderr
    assert config_map(api_server, namespace, "backend")[1]["data"]["LOG_LEVEL"] == "WARNING"
    status, secret = api_server.request("GET", f"api/v1/namespaces/{namespace}/secrets/{FULLNAME}")
    assert base64.b64decode(secret["data"]["DATABASE_URL"]).decode() == TEST_SECRETS["secrets.databaseUrl"], "secrets kept"

    history = api_server.helm("history", RELEASE, *release, "--output", "json")
    assert [entry["revision"] for entry in json.loads(history.stdout)] == [1, 2]

    rolled_back = api_server.helm("rollback", RELEASE, "1", *release)
    assert rolled_back.returncode == 0, rolled_back.stderr
    assert config_map(api_server, namespace, "backend")[1]["data"]["LOG_LEVEL"] == "DEBUG"

    uninstalled = api_server.helm("uninstall", RELEASE, *release)
    assert uninstalled.returncode == 0, uninstalled.stderr
    for kind, name in render(("values-local.yaml",), TEST_SECRETS).kinds_and_names() - {("Pod", f"{FULLNAME}-test-connection")}:
        status, _ = api_server.request("GET", f"{RESOURCES[kind].format(ns=namespace)}/{name}")
        assert status == 404, f"{kind} {name} left behind"
