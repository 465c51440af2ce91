"""Shared helpers of the assistant's tests."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from omnihub_assistant import Assistant, Knowledge

FIXTURES = Path(__file__).parent / "fixtures"


@cache
def questions() -> dict[str, list[dict[str, Any]]]:
    """Held-out customer questions for the shipped knowledge (fixtures/questions.json)."""
    data: dict[str, list[dict[str, Any]]] = json.loads(
        (FIXTURES / "questions.json").read_text(encoding="utf-8")
    )
    return data


def case_id(case: dict[str, Any]) -> str:
    return f"{case['language']}:{case['text']}"


@cache
def default_knowledge() -> Knowledge:
    return Knowledge.load()


def new_assistant(knowledge: Knowledge | None = None, **options: Any) -> Assistant:
    return Assistant(knowledge or default_knowledge(), **options)
