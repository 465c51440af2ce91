"""Building blocks shared by several event families."""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from .envelope import Contract, NonEmpty, field_rule

IDENTIFIER_KIND_PATTERN = r"^[a-z][a-z0-9_]*(:[a-z0-9][a-z0-9_.-]*)?$"
IdentifierKind = Annotated[str, StringConstraints(pattern=IDENTIFIER_KIND_PATTERN, max_length=60)]

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)]
"""A word of an open vocabulary (purposes, platforms, reasons, themes): extensible, not an enum."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]
Title = Annotated[str, StringConstraints(min_length=1, max_length=1_000)]
Uri = Annotated[str, StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$", max_length=4096)]
"""An absolute URI kept byte for byte (pydantic's URL types would normalise it)."""
LanguageTag = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$", max_length=35)
]
"""BCP 47, e.g. ``pt-BR``."""
CurrencyCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
"""ISO 4217, e.g. ``BRL``."""
Count = Annotated[int, Field(strict=True, ge=0)]

_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,6})?$")


def _amount(value: object) -> Decimal:
    # Money travels as a decimal string: a JSON number would pass through binary floats in
    # most consumers' languages and lose cents.
    text = format(value, "f") if isinstance(value, Decimal) else value
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise ValueError("must be a non-negative decimal string such as '19.90'")
    return Decimal(text)


Amount = Annotated[
    Decimal,
    PlainValidator(_amount),
    PlainSerializer(lambda amount: format(amount, "f"), return_type=str),
    WithJsonSchema({"type": "string", "pattern": _AMOUNT.pattern}),
]


class Controller(StrEnum):
    """Who holds a conversation: exactly one of these at a time."""

    BOT = "bot"
    HUMAN = "human"
    NONE = "none"


class Identifier(Contract):
    """One way to recognise a customer: ``phone``, ``email``, ``whatsapp``, ``instagram``,
    ``messenger``, ``tiktok``, ``telegram``, ``web``, ``store`` or ``crm:<system>``."""

    kind: IdentifierKind
    value: Annotated[str, StringConstraints(min_length=1, max_length=320)] = Field(
        description="As received; the hub normalises it (E.164 phones, lower-case e-mail)."
    )

    def __str__(self) -> str:
        return f"{self.kind}:<redacted>"


class Agent(Contract):
    """A person (or bot) acting for the business, as the help desk knows them."""

    id: NonEmpty
    name: Title | None = None


def _kind_requirements(schema: dict[str, Any], model: type[Any]) -> None:
    rules = getattr(model, "PAYLOAD_OF_KIND", {})
    schema["allOf"] = [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"required": [field], "properties": {field: {"not": {"type": "null"}}}},
        }
        for kind, field in sorted(rules.items())
    ]


class KindedContract(Contract):
    """A contract whose ``kind`` says which optional payload field must be set.

    One model-level check (cheap: this is on the hot path of every message) that reports the
    missing payload as ``data.<field>``; the JSON Schema carries the same rule as
    ``if``/``then`` for consumers in other languages.
    """

    model_config = ConfigDict(json_schema_extra=_kind_requirements)
    PAYLOAD_OF_KIND: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="after")
    def _payload_present_for_kind(self) -> Self:
        kind = getattr(self, "kind", None)
        field = self.PAYLOAD_OF_KIND.get(kind) if kind is not None else None
        if field is not None and getattr(self, field) in (None, []):
            raise field_rule(field, "{field} is required when kind is '{kind}'", kind=str(kind))
        return self
