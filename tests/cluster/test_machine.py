"""The snapshot comparison itself: it must see what a careless `down` would leave behind."""

from __future__ import annotations

import subprocess

from machine import differences, snapshot


def test_differences_names_what_was_left_and_what_changed() -> None:
    before = {"links": {"lo", "eth0"}, "sysctls": {"kernel.panic": "0"}}
    after = {"links": {"lo", "eth0", "cicl-pods"}, "sysctls": {"kernel.panic": "10"}}
    assert differences(before, after) == [
        "links: left behind: cicl-pods",
        "sysctls: kernel.panic was '0', now '10'",
    ]
    assert differences(before, before) == []


def test_a_live_snapshot_sees_a_leftover_bridge_and_chain() -> None:
    """A bridge and an iptables chain made here (and removed again) show up in the comparison."""
    before = snapshot()
    try:
        subprocess.run(["ip", "link", "add", "cicl-probe", "type", "bridge"], check=True)
        subprocess.run(["iptables", "-t", "mangle", "-N", "KUBE-CICL-PROBE"], check=True)
        diffs = differences(before, snapshot())
    finally:
        subprocess.run(["ip", "link", "delete", "cicl-probe"], check=False)
        subprocess.run(["iptables", "-t", "mangle", "-X", "KUBE-CICL-PROBE"], check=False)
    assert "links: left behind: cicl-probe" in diffs
    assert "iptables chains: left behind: iptables-save mangle KUBE-CICL-PROBE" in diffs
    assert differences(before, snapshot()) == []
