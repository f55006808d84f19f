"""The CI cluster end to end (scripts/ci-cluster.sh, docs/CI-CLUSTER.md).

One `up` for the module: a Ready node and DNS from a pod, a PersistentVolumeClaim on the
`standard` StorageClass, a NodePort on 127.0.0.1, NetworkPolicy enforcement, the loopback
registry with basic auth, a Docker engine that keeps working; then `down`, and the machine
compared with a snapshot taken before `up`. Traffic goes only to 127.0.0.1 and to the pods and
bridges the cluster itself created. Needs root and a built cluster (.ci/setup-cluster.sh).
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from machine import differences, snapshot

REPO = Path(__file__).resolve().parents[2]
CLI = str(REPO / "scripts" / "ci-cluster.sh")
NS = "cicl-test"
NODE_PORT = 30080
DOCKER = "/usr/bin/docker"
MANIFEST_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
)


def sh(*cmd: str, check: bool = True, timeout: float = 600, **kw) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return result


def cluster_env() -> dict[str, str]:
    out = sh("bash", CLI, "env").stdout
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


class Kube:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.kubectl = env["CI_CLUSTER_KUBECTL"]
        self.kubeconfig = env["KUBECONFIG"]

    def __call__(self, *args: str, check: bool = True, stdin: str | None = None, timeout: float = 120) -> str:
        result = subprocess.run(
            [self.kubectl, "--kubeconfig", self.kubeconfig, *args],
            capture_output=True,
            text=True,
            input=stdin,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def apply(self, manifest: dict | list) -> None:
        items = manifest if isinstance(manifest, list) else [manifest]
        self("apply", "-f", "-", stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))

    def wait(self, what: str, condition: str, timeout: int = 120) -> None:
        self("-n", NS, "wait", f"--for={condition}", what, f"--timeout={timeout}s", timeout=timeout + 10)

    def exec(self, pod: str, script: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.kubectl, "--kubeconfig", self.kubeconfig, "-n", NS, "exec", pod, "--", "sh", "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=check,
        )


def pod(name: str, image: str, script: str, labels: dict | None = None, restart: str = "Always", **spec) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": labels or {"app": name}},
        "spec": {
            "restartPolicy": restart,
            "terminationGracePeriodSeconds": 1,
            "containers": [{"name": "main", "image": image, "imagePullPolicy": "IfNotPresent", "command": ["sh", "-c", script]}],
            **spec,
        },
    }


def docker_available() -> bool:
    return os.path.exists(DOCKER) and sh(DOCKER, "info", check=False, timeout=30).returncode == 0


def docker_works(image: str) -> None:
    """`docker info` and a `docker run --rm` of a local image both work."""
    sh(DOCKER, "info", timeout=60)
    out = sh(DOCKER, "run", "--rm", image, "/bin/busybox", "echo", "docker-ok", timeout=120).stdout
    assert out.strip() == "docker-ok"


@pytest.fixture(scope="module")
def docker_image() -> Iterator[str | None]:
    """A tiny local Docker image (busybox, imported from a rootfs tar: nothing is pulled)."""
    if not docker_available():
        yield None
        return
    tag = "ci-cluster-test/busybox:local"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp, "rootfs")
        (root / "bin").mkdir(parents=True)
        shutil.copy("/bin/busybox", root / "bin" / "busybox")
        sh("tar", "-C", str(root), "-cf", f"{tmp}/rootfs.tar", ".")
        sh(DOCKER, "import", f"{tmp}/rootfs.tar", tag)
    yield tag
    sh(DOCKER, "rmi", "-f", tag, check=False)


@pytest.fixture(scope="module")
def machine_before(docker_image: str | None) -> dict:
    if os.geteuid() != 0:
        pytest.fail("the CI cluster tests need root")
    status = sh("bash", CLI, "status", check=False)
    assert status.returncode == 3, f"the CI cluster must be down before this test:\n{status.stdout}"
    if docker_image:
        docker_works(docker_image)
    return snapshot()


@pytest.fixture(scope="module")
def kube(machine_before: dict) -> Iterator[Kube]:
    start = time.monotonic()
    up = subprocess.run(["bash", CLI, "up"], capture_output=True, text=True, timeout=600)
    print(up.stdout[-4000:])
    if up.returncode != 0:
        pytest.fail(f"ci-cluster.sh up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
    print(f"up took {time.monotonic() - start:.1f} s")
    kube = Kube(cluster_env())
    kube("create", "namespace", NS)
    try:
        yield kube
    finally:
        # test_down_restores_the_machine normally did this already; `down` is idempotent.
        sh("bash", CLI, "down", check=False)


def test_node_is_ready_with_the_pinned_version(kube: Kube) -> None:
    node = json.loads(kube("get", "node", "ci-cluster", "-o", "json"))
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    assert ready and ready[0]["status"] == "True"
    assert node["status"]["nodeInfo"]["kubeletVersion"] == kube.env["CI_CLUSTER_KUBERNETES_VERSION"]
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith("containerd://2.")


def test_a_pod_resolves_cluster_names(kube: Kube) -> None:
    kube.apply(pod("dns", kube.env["CI_CLUSTER_BUSYBOX_IMAGE"], "nslookup kubernetes.default.svc.cluster.local", restart="Never"))
    kube.wait("pod/dns", "jsonpath={.status.phase}=Succeeded")
    logs = kube("-n", NS, "logs", "dns")
    assert "Address: 10.96.0.1" in logs, logs


def test_a_claim_on_the_standard_storage_class_binds_and_mounts(kube: Kube) -> None:
    classes = json.loads(kube("get", "storageclass", "-o", "json"))["items"]
    default = [
        c["metadata"]["name"]
        for c in classes
        if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"
    ]
    assert default == ["standard"]
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": "data", "namespace": NS},
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "storageClassName": "standard",
            "resources": {"requests": {"storage": "16Mi"}},
        },
    }
    kube.apply(claim)
    # Immediate binding, as on Minikube: bound before any pod uses it.
    kube.wait("pvc/data", "jsonpath={.status.phase}=Bound")
    writer = pod(
        "writer",
        kube.env["CI_CLUSTER_BUSYBOX_IMAGE"],
        "echo stored >/data/file && cat /data/file",
        restart="Never",
        volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
    )
    writer["spec"]["containers"][0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    kube.apply(writer)
    kube.wait("pod/writer", "jsonpath={.status.phase}=Succeeded")
    assert kube("-n", NS, "logs", "writer").strip() == "stored"
    volume = kube("-n", NS, "get", "pvc", "data", "-o", "jsonpath={.spec.volumeName}")
    kube("-n", NS, "delete", "pod", "writer", "--wait")
    kube("-n", NS, "delete", "pvc", "data", "--wait")
    # reclaimPolicy Delete: the provisioner removes the volume.
    deadline = time.monotonic() + 60
    while kube("get", "pv", volume, check=False) and time.monotonic() < deadline:
        time.sleep(1)
    assert not kube("get", "pv", volume, check=False), f"persistent volume {volume} was not deleted"


@pytest.fixture(scope="module")
def web(kube: Kube) -> Kube:
    image = kube.env["CI_CLUSTER_BUSYBOX_IMAGE"]
    kube.apply(
        [
            pod(
                "server",
                image,
                "mkdir -p /tmp/www && echo hello-from-server >/tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www",
            ),
            pod("client", image, "exec sleep 3600"),
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "server", "namespace": NS},
                "spec": {
                    "type": "NodePort",
                    "selector": {"app": "server"},
                    "ports": [{"port": 8080, "targetPort": 8080, "nodePort": NODE_PORT}],
                },
            },
        ]
    )
    kube.wait("pod/server", "condition=Ready")
    kube.wait("pod/client", "condition=Ready")
    return kube


def client_reaches_server(kube: Kube) -> bool:
    result = kube.exec("client", f"printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 server.{NS}.svc.cluster.local 8080")
    return "hello-from-server" in result.stdout


def eventually(predicate, timeout: float = 45) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(1)
    return False


def test_a_node_port_answers_on_localhost(web: Kube) -> None:
    def answers() -> bool:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{NODE_PORT}/", timeout=3) as response:
                return b"hello-from-server" in response.read()
        except OSError:
            return False

    assert eventually(answers, 30), f"nothing answered on http://127.0.0.1:{NODE_PORT}/"


def test_network_policies_are_enforced(web: Kube) -> None:
    assert eventually(lambda: client_reaches_server(web)), "the client cannot reach the server even without a policy"
    web.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "deny-server", "namespace": NS},
            "spec": {"podSelector": {"matchLabels": {"app": "server"}}, "policyTypes": ["Ingress"]},
        }
    )
    assert eventually(lambda: not client_reaches_server(web)), "a deny-all ingress policy did not block the client"
    web.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-client", "namespace": NS},
            "spec": {
                "podSelector": {"matchLabels": {"app": "server"}},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}], "ports": [{"port": 8080}]}],
            },
        }
    )
    assert eventually(lambda: client_reaches_server(web)), "a policy allowing the client did not restore the connection"
    web("-n", NS, "delete", "networkpolicy", "deny-server", "allow-client")


def test_pod_traffic_is_contained(kube: Kube) -> None:
    """The rules exist that drop pod traffic to anything outside the cluster (not probed: no
    packet is ever sent to an outside address)."""
    rules = sh("iptables", "-t", "mangle", "-S", "CI-CLUSTER-CONTAIN").stdout.splitlines()
    assert rules[-1] == "-A CI-CLUSTER-CONTAIN -j DROP"
    assert {r.split()[3] for r in rules[1:-1]} == {"10.244.0.0/16", "10.96.0.0/16", "10.99.0.1/32"}
    forward = sh("iptables", "-t", "mangle", "-S", "FORWARD").stdout
    assert "-A FORWARD -i cicl-pods -j CI-CLUSTER-CONTAIN" in forward
    corefile = kube("-n", "kube-system", "get", "configmap", "coredns", "-o", "jsonpath={.data.Corefile}")
    assert "forward" not in corefile
    cni = json.loads(Path("/var/lib/ci-cluster/cni/net.d/10-ci-cluster.conflist").read_text())
    assert cni["plugins"][0]["ipMasq"] is False


def registry_status(registry: str, path: str, auth: tuple[str, str] | None) -> int:
    request = urllib.request.Request(f"http://{registry}{path}", method="HEAD")
    # The registry answers 404 for an OCI manifest unless the client says it accepts one.
    request.add_header("Accept", ", ".join(MANIFEST_TYPES))
    if auth:
        request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_the_registry_wants_basic_auth_and_serves_pods(kube: Kube) -> None:
    env = kube.env
    registry, auth = env["CI_REGISTRY"], (env["CI_REGISTRY_USER"], env["CI_REGISTRY_PASSWORD"])
    assert registry.startswith("127.0.0.1:")
    assert registry_status(registry, "/v2/", None) == 401
    assert registry_status(registry, "/v2/", (auth[0], "wrong")) == 401
    assert registry_status(registry, "/v2/", auth) == 200
    # Push with the CI credentials over plain HTTP, drop the local copy, and let a pod pull it.
    ctr = [env["CI_CLUSTER_CTR"], "--address", env["CI_CLUSTER_CONTAINERD_SOCK"], "--namespace", "k8s.io"]
    pushed = f"{registry}/cicl-test/busybox:pushed"
    sh(*ctr, "images", "tag", "--force", env["CI_CLUSTER_BUSYBOX_IMAGE"], pushed)
    sh(*ctr, "images", "push", "--plain-http", "--user", ":".join(auth), pushed)
    assert registry_status(registry, "/v2/cicl-test/busybox/manifests/pushed", auth) == 200
    sh(*ctr, "images", "rm", pushed)
    puller = pod("pulled", pushed, "echo pulled-from-registry", restart="Never")
    puller["spec"]["containers"][0]["imagePullPolicy"] = "Always"
    kube.apply(puller)
    kube.wait("pod/pulled", "jsonpath={.status.phase}=Succeeded")
    assert kube("-n", NS, "logs", "pulled").strip() == "pulled-from-registry"


def test_pulls_from_other_registries_go_to_the_loopback_registry(kube: Kube) -> None:
    """No image pull ever leaves the machine: a docker.io reference is looked up on 127.0.0.1."""
    kube.apply(pod("elsewhere", "docker.io/library/ci-cluster-absent:1", "true", restart="Never"))
    message = ""

    def pull_failed() -> bool:
        nonlocal message
        status = json.loads(kube("-n", NS, "get", "pod", "elsewhere", "-o", "json"))["status"]
        waiting = (status.get("containerStatuses") or [{}])[0].get("state", {}).get("waiting", {})
        message = waiting.get("message", "")
        return waiting.get("reason") in ("ErrImagePull", "ImagePullBackOff") and bool(message)

    assert eventually(pull_failed, 60), "the pull of an absent image did not fail"
    assert "not found" in message, message
    # containerd asked the loopback registry, on behalf of docker.io (hosts.toml `_default`).
    registry_log = Path(kube.env["CI_CLUSTER_LOGS"], "registry.log").read_text()
    assert "/v2/library/ci-cluster-absent/manifests/1?ns=docker.io" in registry_log
    kube("-n", NS, "delete", "pod", "elsewhere", "--wait=false")


def test_docker_pushes_to_the_registry_and_keeps_working(kube: Kube, docker_image: str | None) -> None:
    """The route the Pulumi program takes: the Docker engine logs in and pushes (plain HTTP is
    allowed for 127.0.0.0/8), while the cluster runs."""
    if docker_image is None:
        pytest.skip("no Docker engine answers on this machine (.ci/setup-docker.sh starts one)")
    docker_works(docker_image)
    env = kube.env
    target = f"{env['CI_REGISTRY']}/cicl-test/docker-pushed:1"
    with tempfile.TemporaryDirectory() as config:  # keep the login out of ~/.docker
        docker = [DOCKER, "--config", config]
        sh(
            *docker,
            "login",
            "--username",
            env["CI_REGISTRY_USER"],
            "--password-stdin",
            env["CI_REGISTRY"],
            input=env["CI_REGISTRY_PASSWORD"],
        )
        sh(*docker, "tag", docker_image, target)
        try:
            sh(*docker, "push", target, timeout=120)
        finally:
            sh(*docker, "rmi", target, check=False)
    auth = (env["CI_REGISTRY_USER"], env["CI_REGISTRY_PASSWORD"])
    assert registry_status(env["CI_REGISTRY"], "/v2/cicl-test/docker-pushed/manifests/1", auth) == 200


def test_down_restores_the_machine(kube: Kube, machine_before: dict, docker_image: str | None) -> None:
    start = time.monotonic()
    sh("bash", CLI, "down")
    print(f"down took {time.monotonic() - start:.1f} s")
    assert sh("bash", CLI, "status", check=False).returncode == 3
    # A second `down` finds nothing to do and succeeds.
    sh("bash", CLI, "down")
    diffs = differences(machine_before, snapshot())
    assert not diffs, "down left the machine different:\n" + "\n".join(diffs)
    if docker_image:
        docker_works(docker_image)
