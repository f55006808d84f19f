"""The chat modules import in one direction: interface <- assistants <- the choice between them; no import circles."""

import ast
import graphlib
import subprocess
import sys

import pytest

from tests.helpers import BACKEND_DIR


def modules_after_import(module: str) -> set[str]:
    """The app.chat modules and openai that importing `module` loads, in a fresh interpreter."""
    script = f"import sys, {module}; print(' '.join(m for m in sys.modules if m.startswith(('app.chat', 'openai'))))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=BACKEND_DIR, capture_output=True, text=True, timeout=60, check=True
    )
    return set(result.stdout.split())


@pytest.mark.parametrize("module", ["app.chat.model", "app.chat.assistant", "app.chat.interface"])
def test_no_chat_module_imports_the_one_that_chooses_the_assistant(module: str) -> None:
    loaded = modules_after_import(module)
    assert module in loaded
    if module != "app.chat.assistant":
        assert "app.chat.assistant" not in loaded


def test_offline_mode_does_not_load_the_openai_client() -> None:
    # The online assistant is imported only when it is chosen (about a second of start-up saved).
    loaded = modules_after_import("app.chat.assistant")
    assert "app.chat.model" not in loaded
    assert not any(m == "openai" or m.startswith("openai.") for m in loaded)


def app_import_graph() -> dict[str, set[str]]:
    """Each module of the app and the app modules it imports anywhere in its text (function bodies too)."""
    modules = {}
    for path in (BACKEND_DIR / "app").rglob("*.py"):
        parts = path.relative_to(BACKEND_DIR).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        imported: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)  # `from app import crud` imports the module app.crud too
                imported.update(f"{node.module}.{alias.name}" for alias in node.names)
        graph[name] = {module for module in imported if module in modules and module != name}
    return graph


def test_no_app_module_imports_one_that_imports_it_back() -> None:
    graph = app_import_graph()
    assert "app.chat.interface" in graph["app.chat.model"]
    assert "app.chat.model" in graph["app.chat.assistant"]  # the lazy import counts too
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as error:
        pytest.fail(f"import circle: {' -> '.join(error.args[1])}")
