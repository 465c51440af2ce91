"""The knowledge file: FAQ entries with question paraphrases and answers per language.

YAML, because support staff edit it: comments, multi-line answers without escapes, accents
as typed. JSON is valid YAML, so a generated JSON file works too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from .text import LANGUAGES, Language, as_language, load_data, load_yaml

DEFAULT_FILE = "knowledge.yaml"


class KnowledgeError(ValueError):
    """The knowledge file cannot be used; the message names the file and the field."""


def _by_language(value: Any) -> Any:
    """Accept ``pt-BR`` (or ``PT``) as a key for ``pt``."""
    if isinstance(value, dict):
        return {as_language(str(k)): v for k, v in value.items()}
    return value


class Entry(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}

    # Slugs, as the contracts' BotUnderstanding.intent and handoff reasons are.
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    topic: str = Field(default="", pattern=r"^([a-z][a-z0-9_]*)?$", max_length=60)
    questions: dict[Language, list[str]]
    answers: dict[Language, str]

    _keys = field_validator("questions", "answers", mode="before")(_by_language)

    @model_validator(mode="after")
    def _complete(self) -> Entry:
        if not any(q.strip() for qs in self.questions.values() for q in qs):
            raise ValueError("has no questions")
        for language, qs in self.questions.items():
            if qs and not self.answers.get(language, "").strip():
                raise ValueError(f"has questions in {language!r} but no answer in it")
        return self

    def answer(self, language: Language, fallback: Language) -> tuple[str, Language]:
        """The answer in ``language``, else in ``fallback``, else in any language it has."""
        for candidate in (language, fallback, *LANGUAGES):
            text = self.answers.get(candidate, "").strip()
            if text:
                return text, candidate
        raise AssertionError("validated entries always have an answer")  # pragma: no cover


class Knowledge(BaseModel):
    model_config = {"extra": "forbid", "frozen": True}

    version: Literal[1] = 1
    unknown: dict[Language, str] = Field(default_factory=dict)  # the "I don't know" text
    entries: list[Entry] = Field(min_length=1)

    _keys = field_validator("unknown", mode="before")(_by_language)

    @model_validator(mode="after")
    def _unique_ids(self) -> Knowledge:
        seen: set[str] = set()
        for entry in self.entries:
            if entry.id in seen:
                raise ValueError(f"entry id {entry.id!r} is used twice")
            seen.add(entry.id)
        return self

    def entry(self, entry_id: str) -> Entry:
        return next(e for e in self.entries if e.id == entry_id)

    def unknown_text(self, language: Language, fallback: Language) -> tuple[str, Language]:
        for candidate in (language, fallback, *LANGUAGES):
            text = self.unknown.get(candidate) or _DEFAULT_UNKNOWN.get(candidate, "")
            if text.strip():
                return text.strip(), candidate
        raise AssertionError("the shipped knowledge has every language")  # pragma: no cover

    @classmethod
    def load(cls, path: Path | None = None) -> Knowledge:
        """The knowledge file at ``path``, or the shipped default when None."""
        origin = str(path) if path is not None else f"(default) {DEFAULT_FILE}"
        try:
            data = load_data(DEFAULT_FILE) if path is None else _read(path)
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "(top level)"
            more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
            message = f"knowledge file {origin}: {where}: {first['msg']}{more}"
            raise KnowledgeError(message) from None
        except (OSError, yaml.YAMLError, ValueError) as exc:
            raise KnowledgeError(f"knowledge file {origin}: {exc}") from None


def _read(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


def _shipped_unknown() -> dict[Language, str]:
    data: dict[str, Any] = load_data(DEFAULT_FILE)
    return {as_language(k): str(v) for k, v in data["unknown"].items()}


_DEFAULT_UNKNOWN = _shipped_unknown()
