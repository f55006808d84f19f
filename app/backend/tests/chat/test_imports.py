"""The chat modules import in one direction: interface <- assistants <- the choice between them."""

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
