"""Snapshots of the machine state that `scripts/ci-cluster.sh down` must restore.

Each snapshot is a dict of sets (or of values): what `up` could leave behind if `down` missed
it. Docker's own objects are left out: a Docker engine runs beside the cluster, and its
containers (this test's own `docker run`, or anyone else's) come and go on their own.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from pathlib import Path

# The sysctls the kubelet, kube-proxy, kube-router and the CNI plugins are known to change
# (docs/CI-CLUSTER.md), and the prefixes compared wholesale besides.
SYSCTLS = [
    "net.ipv4.ip_forward",
    "net.ipv4.conf.all.forwarding",
    "net.ipv6.conf.all.forwarding",
    "net.ipv4.conf.all.route_localnet",
    "net.bridge.bridge-nf-call-iptables",
    "net.bridge.bridge-nf-call-ip6tables",
    "vm.overcommit_memory",
    "vm.panic_on_oom",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.keys.root_maxkeys",
    "kernel.keys.root_maxbytes",
    "net.netfilter.nf_conntrack_max",
    "net.netfilter.nf_conntrack_tcp_timeout_established",
    "net.netfilter.nf_conntrack_tcp_timeout_close_wait",
]
SYSCTL_PREFIXES = (
    "vm.",
    "kernel.panic",
    "kernel.keys.",
    "net.bridge.",
    "net.ipv4.conf.all.",
    "net.ipv4.conf.default.",
    "net.ipv6.conf.all.",
    "net.ipv6.conf.default.",
    "net.ipv4.ip_forward",
    "net.ipv4.vs.",
    "net.netfilter.nf_conntrack_",
)
# Counters and statistics, not settings.
SYSCTL_VOLATILE = re.compile(r"^(vm\.(stat_|nr_|drop_caches|compact_)|net\.netfilter\.nf_conntrack_(count|buckets))")

# Docker's default address pools: the cluster's own ranges (10.244/16, 10.96/16, 10.99.0.1)
# lie outside them.
DOCKER_POOLS = (ipaddress.ip_network("172.16.0.0/12"), ipaddress.ip_network("192.168.0.0/16"))

# Whatever the cluster starts carries this marker in its environment (scripts/ci-cluster.sh
# `start`), or runs a binary of the cluster's own build directory (containerd's shims). The
# Kubernetes binaries in $TODO_CACHE/bin are not enough: the chart and operations tests run
# their own etcd and kube-apiserver from there, at the same time on a developer's machine.
OUR_PATH_PARTS = ("/todo-chatbot/cluster/",)
OUR_MARKER = b"CI_CLUSTER_COMPONENT="


# The cluster's fixed ports (etcd, registry, apiserver, kubelet, kube-proxy, the
# controller-manager and scheduler).
OUR_PORTS = {2379, 2380, 5000, 6443, 10248, 10249, 10250, 10256, 10257, 10259}


def run(*cmd: str, check: bool = False) -> str:
    return subprocess.run(cmd, capture_output=True, text=True, check=check).stdout


def docker_interface(name: str) -> bool:
    if name.startswith(("docker", "br-")):
        return True
    master = Path(f"/sys/class/net/{name}/master")
    return master.exists() and os.path.basename(os.readlink(master)).startswith(("docker", "br-"))


def our_pids() -> set[str]:
    return {entry.split()[0] for entry in our_processes()}


def our_processes() -> set[str]:
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            exe = os.readlink(proc / "exe")
            environ = (proc / "environ").read_bytes()
        except OSError:
            continue
        if any(part in exe for part in OUR_PATH_PARTS) or OUR_MARKER in environ:
            found.add(f"{proc.name} {exe}")
    return found


def mounts() -> set[str]:
    points = set()
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4]
        if not point.startswith(("/var/lib/docker/", "/run/docker/", "/var/run/docker/")):
            points.add(point)
    return points


def links() -> set[str]:
    names = set()
    for line in run("ip", "-o", "link", "show").splitlines():
        name = line.split(": ")[1].split("@")[0]
        if not docker_interface(name):
            names.add(name)
    return names


def iptables_chains() -> set[str]:
    chains = set()
    for binary in ("iptables-save", "ip6tables-save"):
        table = ""
        for line in run(binary).splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith(":") and not line.startswith(":DOCKER"):
                chains.add(f"{binary} {table} {line[1:].split()[0]}")
    return chains


def docker_rule(line: str) -> bool:
    """A rule of Docker's: it names a DOCKER chain, a Docker bridge, or an address in Docker's
    default address pools (its published ports add rules like
    `-A POSTROUTING -s 172.18.0.4/32 -d 172.18.0.4/32 -p tcp --dport 3000 -j MASQUERADE`)."""
    if "DOCKER" in line or re.search(r"-[io] (docker|br-)", line):
        return True
    for address in re.findall(r"\b\d+\.\d+\.\d+\.\d+(?:/\d+)?", line):
        network = ipaddress.ip_network(address, strict=False)
        if any(network.subnet_of(pool) for pool in DOCKER_POOLS):
            return True
    return False


def iptables_rules_of_built_in_chains() -> set[str]:
    """Rules in built-in chains that are not Docker's (Docker adds and removes its own)."""
    rules = set()
    for binary in ("iptables-save", "ip6tables-save"):
        table = ""
        for line in run(binary).splitlines():
            if line.startswith("*"):
                table = line[1:]
            elif line.startswith("-A ") and not docker_rule(line):
                chain = line.split()[1]
                if chain in ("INPUT", "OUTPUT", "FORWARD", "PREROUTING", "POSTROUTING"):
                    rules.add(f"{binary} {table} {line}")
    return rules


def sysctls() -> dict[str, str]:
    values = {}
    for line in run("sysctl", "-a").splitlines():
        key, _, value = line.partition(" = ")
        if key.startswith(SYSCTL_PREFIXES) and not SYSCTL_VOLATILE.match(key):
            values[key] = value
    for key in SYSCTLS:
        path = Path("/proc/sys", *key.split("."))
        if path.exists():
            values[key] = path.read_text().strip()
    return values


def cgroups() -> set[str]:
    return {str(p) for p in Path("/sys/fs/cgroup").glob("*/kubepods*")}


def listening() -> set[str]:
    """Listening sockets that are the cluster's: owned by one of its processes, on one of its
    ports or addresses (other software on the machine opens and closes sockets of its own)."""
    ours = our_pids()
    sockets = set()
    for proto in ("-ltnHp", "-lunHp"):
        for line in run("ss", proto).splitlines():
            fields = line.split()
            local, users = fields[3], fields[-1] if "users:" in fields[-1] else ""
            port = int(local.rsplit(":", 1)[1]) if local.rsplit(":", 1)[1].isdigit() else 0
            if (
                set(re.findall(r"pid=(\d+)", users)) & ours
                or port in OUR_PORTS
                or 30000 <= port <= 32767
                or local.startswith(("10.99.", "10.244.", "10.96."))
            ):
                owner = re.sub(r",pid=\d+,fd=\d+", "", users)
                sockets.add(f"{proto[2]} {local} {owner}".strip())
    return sockets


def snapshot() -> dict:
    return {
        "processes of ours": our_processes(),
        "mounts": mounts(),
        "network namespaces (ip netns)": set(run("ip", "netns", "list").split()),
        "links": links(),
        "iptables chains": iptables_chains(),
        "iptables rules in built-in chains": iptables_rules_of_built_in_chains(),
        "ipsets": set(run("ipset", "list", "-n").split()),
        "sysctls": sysctls(),
        "kubepods cgroups": cgroups(),
        "listening sockets": listening(),
        "paths": {
            p
            for p in (
                "/var/lib/ci-cluster",
                "/run/ci-cluster",
                "/var/lib/cni",
                "/var/run/netns",
                "/etc/cni",
                "/opt/cni",
                "/opt/containerd",
                "/var/run/nri",
                "/etc/containerd",
            )
            if os.path.exists(p)
        },
    }


def differences(before: dict, after: dict) -> list[str]:
    diffs = []
    for key, old in before.items():
        new = after[key]
        if isinstance(old, dict):
            for name in sorted(set(old) | set(new)):
                if old.get(name) != new.get(name):
                    diffs.append(f"{key}: {name} was {old.get(name)!r}, now {new.get(name)!r}")
        else:
            diffs += [f"{key}: left behind: {item}" for item in sorted(new - old)]
            diffs += [f"{key}: gone: {item}" for item in sorted(old - new)]
    return diffs
