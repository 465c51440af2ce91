"""Every hook is documented in docs/plugins.md (as datasette's tests/test_docs.py does)."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from hub import hookspecs

DOCS = (Path(__file__).parents[1] / "docs" / "plugins.md").read_text()
HOOKS = [
    name for name, _ in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("hub_")
]


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook: str) -> None:
    assert f"### {hook}\n" in DOCS


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_spec_has_a_docstring_with_since(hook: str) -> None:
    doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
    assert "Since " in doc
