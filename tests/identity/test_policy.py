"""Identifier normalisation and junk: what may link customers at all."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.config import IdentitySection
from hub.identity import IdentifierPolicy, JunkIdentifier, Key

POLICY = IdentifierPolicy()


@pytest.mark.parametrize(
    ("kind", "value", "normal"),
    [
        ("phone", "+55 11 99999-9999", "+5511999999999"),
        ("phone", "(11) 98765-4321", "+5511987654321"),  # default region BR
        ("phone", "+1 (415) 555-2671", "+14155552671"),
        ("phone", "tel: +44 20 7946 0958", "+442079460958"),
        ("email", "  Ana.Silva@Mail.COM ", "ana.silva@mail.com"),
        ("email", "mailto:ana@mail.com", "ana@mail.com"),
        ("whatsapp", "+55 11 99999-9999", "5511999999999"),
        ("instagram", " 17841400000000001 ", "17841400000000001"),
        ("crm:hubspot", "501", "501"),
        ("web", "c0ffee-visitor", "c0ffee-visitor"),
    ],
)
def test_values_normalise(kind: str, value: str, normal: str) -> None:
    assert POLICY.normalize(kind, value) == Key(kind, normal)


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("phone", ""),
        ("phone", "null"),
        ("phone", "0000000000"),
        ("phone", "+55 11 11111-1111"),  # one digit repeated
        ("phone", "(11) 1234-5678"),  # not a valid BR number
        ("phone", "+1 202 555 0143"),  # NANP fiction range
        ("phone", "12345678901"),
        ("phone", "not a phone"),
        ("email", "N/A"),
        ("email", "ana@example.com"),
        ("email", "noreply@loja.com.br"),
        ("email", "ana.mail.com"),
        ("web", "undefined"),
        ("store", "0000"),
        ("crm:hubspot", " "),
    ],
)
def test_junk_never_links(kind: str, value: str) -> None:
    with pytest.raises(JunkIdentifier):
        POLICY.normalize(kind, value)


def test_blocklist_and_rules_are_configurable() -> None:
    policy = IdentifierPolicy(
        IdentitySection(
            default_region="US",
            blocklist={"phone": ["+1415555267*"], "*": ["shared-*"]},
            kinds={"crm:*": {"priority": 95, "limit": 2}, "loyalty": {"priority": 85}},
        )
    )
    with pytest.raises(JunkIdentifier, match="blocklisted"):
        policy.normalize("phone", "(415) 555-2671")
    with pytest.raises(JunkIdentifier, match="blocklisted"):
        policy.normalize("web", "shared-kiosk")
    assert policy.normalize("phone", "(212) 555-2368") == Key("phone", "+12125552368")
    assert (policy.rule("crm:salesforce").priority, policy.rule("crm:salesforce").limit) == (95, 2)
    assert policy.rule("loyalty").priority == 85
    assert policy.rule("something_new").priority == 50  # the "*" default


national = st.from_regex(r"9[6-9]\d{7}", fullmatch=True)


@given(area=st.sampled_from(["11", "21", "31", "41", "51", "61", "71", "81"]), rest=national)
def test_phone_normalisation_is_idempotent_and_format_blind(area: str, rest: str) -> None:
    forms = [
        f"+55{area}{rest}",
        f"+55 ({area}) {rest[:5]}-{rest[5:]}",
        f"({area}) {rest[:5]}-{rest[5:]}",
        f"0{area} {rest}",
    ]

    def outcome(form: str) -> Key | str:
        try:
            return POLICY.normalize("phone", form)
        except JunkIdentifier:
            return "junk"

    outcomes = {outcome(form) for form in forms}
    assert len(outcomes) == 1  # one number, one answer, however it is written
    [key] = outcomes
    if isinstance(key, Key):
        assert POLICY.normalize("phone", key.value) == key
