"""Identifier rules: normalisation, junk that must never link anyone, priority and limits.

Priority and per-kind limits follow the model of Segment's identity resolution: a profile
holds at most ``limit`` values of a kind (one CRM id, a few phones), and when an event's
identifiers would break a limit, the lowest-priority identifier is set aside instead of
merging strangers (a store's own phone typed on every order links nobody).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

import phonenumbers

from ..config import IdentifierRule, IdentitySection

DEFAULT_RULES: dict[str, IdentifierRule] = {
    "crm:*": IdentifierRule(priority=100, limit=1),
    "store": IdentifierRule(priority=90, limit=1),
    "email": IdentifierRule(priority=80, limit=5),
    "phone": IdentifierRule(priority=70, limit=3),
    "whatsapp": IdentifierRule(priority=70, limit=3),
    "instagram": IdentifierRule(priority=60, limit=2),
    "messenger": IdentifierRule(priority=60, limit=2),
    "tiktok": IdentifierRule(priority=60, limit=2),
    "telegram": IdentifierRule(priority=60, limit=2),
    "web": IdentifierRule(priority=10, limit=50),
    "*": IdentifierRule(priority=50, limit=5),
}

JUNK_VALUES = frozenset(
    {"", "-", "0", "na", "n/a", "nil", "none", "null", "undefined", "unknown", "test", "nan"}
)
JUNK_EMAIL_DOMAINS = frozenset(
    {"example.com", "example.org", "example.net", "test.com", "localhost", "invalid"}
)
JUNK_EMAIL_LOCAL_PARTS = frozenset({"noreply", "no-reply", "donotreply", "do-not-reply"})
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_SEQUENCES = ("0123456789", "1234567890", "9876543210")


class JunkIdentifier(ValueError):
    """The value identifies nobody (empty, placeholder, test number, blocklisted)."""


@dataclass(frozen=True)
class Key:
    """A normalised identifier: the unit of lookup and linking."""

    kind: str
    value: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class IdentifierPolicy:
    def __init__(self, section: IdentitySection | None = None):
        section = section or IdentitySection()
        self.region = section.default_region
        self.rules = {**DEFAULT_RULES, **section.kinds}
        self.blocklist = section.blocklist
        self._resolved: dict[str, IdentifierRule] = {}  # kind -> its rule, wildcards matched

    def rule(self, kind: str) -> IdentifierRule:
        # Asked several times per identifier and event: match the wildcards once per kind.
        found = self._resolved.get(kind)
        if found is None:
            found = self._resolved[kind] = self._match(kind)
        return found

    def _match(self, kind: str) -> IdentifierRule:
        if kind in self.rules:
            return self.rules[kind]
        prefixed = [p for p in self.rules if p.endswith("*") and kind.startswith(p[:-1])]
        return self.rules[max(prefixed, key=len)]  # "*" always matches

    def normalize(self, kind: str, value: str) -> Key:
        """The canonical form of an identifier; raises :class:`JunkIdentifier`."""
        text = value.strip()
        if text.casefold() in JUNK_VALUES or set(text) <= {"0", "+", " ", "-"}:
            raise JunkIdentifier("placeholder value")
        if kind == "phone":
            text = self._phone(text)
        elif kind == "email":
            text = _email(text)
        elif kind == "whatsapp" and re.fullmatch(r"[+\d\s().-]+", text):
            text = re.sub(r"\D", "", text)  # a wa_id is the number's digits
        patterns = [*self.blocklist.get(kind, []), *self.blocklist.get("*", [])]
        if any(fnmatch.fnmatchcase(text, pattern) for pattern in patterns):
            raise JunkIdentifier("blocklisted")
        return Key(kind, text)

    def _phone(self, text: str) -> str:
        try:
            number = phonenumbers.parse(text, self.region)
        except phonenumbers.NumberParseException:
            raise JunkIdentifier("not a phone number") from None
        if not phonenumbers.is_valid_number(number):
            raise JunkIdentifier("not a valid phone number")
        national = phonenumbers.national_significant_number(number)
        if len(set(national)) == 1 or any(national in s or s in national for s in _SEQUENCES):
            raise JunkIdentifier("placeholder phone number")
        if number.country_code == 1 and national[3:8] in ("55501", "55500"):
            raise JunkIdentifier("fictional phone number")  # NANP reserves 555-0100…0199
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _email(text: str) -> str:
    address = text.lower()
    if address.startswith("mailto:"):
        address = address[len("mailto:") :]
    if not _EMAIL.match(address):
        raise JunkIdentifier("not an e-mail address")
    local, domain = address.rsplit("@", 1)
    if domain in JUNK_EMAIL_DOMAINS or local in JUNK_EMAIL_LOCAL_PARTS:
        raise JunkIdentifier("placeholder e-mail address")
    return address
