"""Building blocks shared by several event families."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from .envelope import Contract

IDENTIFIER_KIND_PATTERN = r"^[a-z][a-z0-9_]*(:[a-z0-9][a-z0-9_.-]*)?$"
IdentifierKind = Annotated[str, StringConstraints(pattern=IDENTIFIER_KIND_PATTERN, max_length=60)]


class Identifier(Contract):
    """One way to recognise a customer: ``phone``, ``email``, ``whatsapp``, ``instagram``,
    ``messenger``, ``tiktok``, ``telegram``, ``web``, ``store`` or ``crm:<system>``."""

    kind: IdentifierKind
    value: Annotated[str, StringConstraints(min_length=1, max_length=320)] = Field(
        description="As received; the hub normalises it (E.164 phones, lower-case e-mail)."
    )

    def __str__(self) -> str:
        return f"{self.kind}:<redacted>"
