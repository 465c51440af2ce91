"""``consent.*``: what the customer allows, per purpose, with the legal basis and evidence."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from .common import Identifier, Slug, Text, Title, Uri
from .envelope import Contract, NonEmpty

KNOWN_PURPOSES = frozenset({"service", "marketing", "personalization", "ai_assistant", "surveys"})
"""The hub's own purposes; a deployment may add more, so ``purpose`` is a word, not an enum."""


class LegalBasis(StrEnum):
    """The ten legal bases of LGPD Art. 7, in the order of its items I-X."""

    CONSENT = "consent"
    LEGAL_OBLIGATION = "legal_obligation"
    PUBLIC_POLICY = "public_policy"
    RESEARCH = "research"
    CONTRACT = "contract"
    EXERCISE_OF_RIGHTS = "exercise_of_rights"
    PROTECTION_OF_LIFE = "protection_of_life"
    HEALTH_PROTECTION = "health_protection"
    LEGITIMATE_INTEREST = "legitimate_interest"
    CREDIT_PROTECTION = "credit_protection"


class Evidence(Contract):
    """How the decision can be proven later, without copying more personal data than needed."""

    reference: NonEmpty | None = Field(
        default=None, description="Where the proof lives: a signup id, message id, form id …"
    )
    detail: Text | None = Field(default=None, description="E.g. 'User signed up via link'.")
    policy_url: Uri | None = Field(default=None, description="The notice the customer saw.")
    captured_at: AwareDatetime | None = None


class ConsentChange(Contract):
    """One entry of the consent ledger for the customer (``customerid``) and ``purpose``."""

    purpose: Slug = Field(description=f"Known: {', '.join(sorted(KNOWN_PURPOSES))}; extensible.")
    legal_basis: LegalBasis = LegalBasis.CONSENT
    source: Title = Field(description="Where it was given or withdrawn: 'whatsapp', 'api' …")
    evidence: Evidence | None = None
    identifiers: list[Identifier] = Field(
        default_factory=list, description="When the producer knows the customer by these only."
    )


class ConsentGranted(ConsentChange):
    """The customer allowed ``purpose`` (or another legal basis now covers it)."""

    expires_at: AwareDatetime | None = None


class ConsentRevoked(ConsentChange):
    """The customer withdrew ``purpose``; withdrawing is as easy as giving."""

    reason: Text | None = None
