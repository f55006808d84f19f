"""The chart README's values table is generated from values.yaml and covers every key."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from rendering import CHART_DIR

README = CHART_DIR / "README.md"
HELM_DOCS = ["--chart-search-root", str(CHART_DIR), "--sort-values-order", "file"]
TABLE_ROW = re.compile(r"^\| (?P<key>[\w.]+) \| (?P<type>\w+) \| `.*` \| (?P<description>.*) \|$")


def leaf_paths(values: Any, prefix: str = "") -> list[str]:
    if isinstance(values, dict) and values:
        return [path for key, value in values.items() for path in leaf_paths(value, f"{prefix}{key}.")]
    return [prefix.rstrip(".")]


def table_rows() -> dict[str, str]:
    return {m["key"]: m["description"] for line in README.read_text().splitlines() if (m := TABLE_ROW.match(line))}


def test_readme_is_up_to_date_with_values_yaml_and_its_template():
    helm_docs = shutil.which("helm-docs")
    if helm_docs is None:
        pytest.fail("helm-docs not found on PATH: run .ci/setup-chart.sh")
    result = subprocess.run([helm_docs, *HELM_DOCS, "--dry-run"], capture_output=True, text=True, check=True)
    assert result.stdout == README.read_text(), (
        "charts/todo-chatbot/README.md is out of date: run "
        "`helm-docs --chart-search-root charts/todo-chatbot --sort-values-order file` and commit it"
    )


def test_every_value_has_a_description_in_the_table():
    rows = table_rows()
    assert rows, "no values table in README.md"
    assert not [key for key, description in rows.items() if not description.strip()], "values without a `# --` comment"
    values = yaml.safe_load((CHART_DIR / "values.yaml").read_text())
    undocumented = [path for path in leaf_paths(values) if not any(path == key or path.startswith(f"{key}.") for key in rows)]
    assert not undocumented, f"values.yaml keys missing from the README table: {undocumented}"


@pytest.mark.parametrize("command", ["helm install", "helm upgrade", "helm rollback", "helm test", "helm uninstall"])
def test_readme_gives_the_lifecycle_commands(command):
    assert f"\n{command} todo " in README.read_text()
