"""Field minimisation: a consumer receives only the ``data`` fields it declared."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def minimise(data: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The declared dotted paths of ``data`` (``"text"``, ``"data.sender.language"``), as a
    dict; paths the event does not have are left out. Lists are kept or dropped whole."""
    source = (
        data.model_dump(mode="json", exclude_none=True) if hasattr(data, "model_dump") else data
    )
    kept: dict[str, Any] = {}
    for path in fields:
        parts = path.removeprefix("data.").split(".")
        node, target = source, kept
        for depth, part in enumerate(parts):
            if not isinstance(node, dict) or part not in node:
                break
            if depth == len(parts) - 1:
                target[part] = node[part]
            else:
                node, target = node[part], target.setdefault(part, {})
    return kept
