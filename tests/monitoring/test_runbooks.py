"""Every alert's runbook_url points at a section of docs/RUNBOOKS.md that tells how to confirm it."""

from __future__ import annotations

import re

from monitoring import RUNBOOKS, alerts_of, markdown_anchors


def sections() -> dict[str, str]:
    """Each `## ` section of RUNBOOKS.md by its anchor."""
    found, current = {}, None
    for line in RUNBOOKS.read_text().splitlines():
        if line.startswith("## "):
            (current,) = markdown_anchors(line)
            found[current] = ""
        elif current:
            found[current] += line + "\n"
    return found


def test_every_runbook_url_anchor_is_a_heading_of_the_runbooks(rules):
    anchors = markdown_anchors(RUNBOOKS.read_text())
    for name, rule in alerts_of(rules).items():
        url = rule["annotations"]["runbook_url"]
        base, _, anchor = url.partition("#")
        assert base == "docs/RUNBOOKS.md", f"{name}: {url}"
        assert anchor in anchors, f"{name}: no heading for #{anchor} in {RUNBOOKS.name}"


def test_every_alert_section_says_what_it_means_how_to_confirm_and_what_to_do(rules):
    found = sections()
    for name in alerts_of(rules):
        text = found[name.lower()]
        for part in ("Meaning", "Confirm", "Act"):
            assert re.search(rf"^\*\*{part}", text, re.MULTILINE), f"{name}: no **{part}** paragraph"
        commands = re.findall(r"```sh\n(.*?)```", text, re.DOTALL)
        assert any(re.search(r"^(k|kubectl) ", block, re.MULTILINE) for block in commands), (
            f"{name}: no kubectl command to confirm it"
        )


def test_the_runbooks_document_no_alert_the_chart_lacks(rules):
    documented = {anchor for anchor in sections() if anchor.startswith("todochatbot")}
    assert documented == {name.lower() for name in alerts_of(rules)}
