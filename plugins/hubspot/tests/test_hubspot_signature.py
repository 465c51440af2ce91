"""HubSpot signature v3: the public test vector, tampering, age, the signed URI."""

from __future__ import annotations

import pytest
from aiohttp.test_utils import make_mocked_request
from hubspot_support import CLIENT_SECRET
from hypothesis import given
from hypothesis import strategies as st
from omnihub_hubspot.signature import (
    InvalidSignature,
    public_uri,
    signature_v3,
    signed_uri,
    verify_v3,
)

# HubSpot/hubspot-api-python tests/spec/utils/test_signature.py (Apache-2.0)
VECTOR_URI = "https://www.example.com/webhook_uri"
VECTOR_BODY = b"{'example_field':'example_value'}"
VECTOR_TIMESTAMP = "1693657560000"
VECTOR_SIGNATURE = "K36dawei4A+QBNolUOqo7s91KQDWQ5MXZ/QufNYuk/Y="
NOW = int(VECTOR_TIMESTAMP) + 1000  # the clock, frozen a second after HubSpot signed


def verify(body: bytes = VECTOR_BODY, **overrides: object) -> None:
    arguments: dict[str, object] = {
        "method": "POST",
        "uri": VECTOR_URI,
        "body": body,
        "timestamp": VECTOR_TIMESTAMP,
        "signature": VECTOR_SIGNATURE,
        "now_ms": NOW,
    }
    verify_v3(CLIENT_SECRET, **(arguments | overrides))  # type: ignore[arg-type]


def test_hubspots_published_vector() -> None:
    signature = signature_v3(CLIENT_SECRET, "POST", VECTOR_URI, VECTOR_BODY, VECTOR_TIMESTAMP)
    assert signature == VECTOR_SIGNATURE
    verify()


def test_a_tampered_body_fails() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify(VECTOR_BODY.replace(b"example_value", b"example_valuf"))


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"now_ms": int(VECTOR_TIMESTAMP) + 5 * 60 * 1000 + 1}, "more than 5 minutes"),
        ({"now_ms": int(VECTOR_TIMESTAMP) - 5 * 60 * 1000 - 1}, "more than 5 minutes"),
        ({"timestamp": None}, "are required"),
        ({"signature": None}, "are required"),
        ({"timestamp": "yesterday"}, "not Unix milliseconds"),
        ({"uri": "https://www.example.com/other_uri"}, "does not match"),
        ({"method": "PUT"}, "does not match"),
    ],
)
def test_rejections_say_why(overrides: dict[str, object], reason: str) -> None:
    with pytest.raises(InvalidSignature, match=reason):
        verify(**overrides)


def test_just_under_five_minutes_old_passes() -> None:
    verify(now_ms=int(VECTOR_TIMESTAMP) + 5 * 60 * 1000)


@given(body=st.binary(max_size=300), extra=st.binary(min_size=1, max_size=3))
def test_any_change_to_the_body_fails(body: bytes, extra: bytes) -> None:
    signature = signature_v3(CLIENT_SECRET, "POST", VECTOR_URI, body, VECTOR_TIMESTAMP)
    verify(body, signature=signature)
    with pytest.raises(InvalidSignature):
        verify(body + extra, signature=signature)


def test_the_escapes_hubspot_decodes_are_decoded_before_signing() -> None:
    assert signed_uri("https://h.example/hook?a=%3a%2F%40&b=%20%3D") == (
        "https://h.example/hook?a=:/@&b=%20%3D"  # only the listed escapes
    )


def test_public_uri_honours_forwarded_headers() -> None:
    request = make_mocked_request(
        "POST",
        "/webhooks/hubspot/?portal=33",
        headers={
            "Host": "10.0.0.5:8080",
            "X-Forwarded-Proto": "https, http",
            "X-Forwarded-Host": "hub.example.com",
        },
    )
    assert public_uri(request, None) == "https://hub.example.com/webhooks/hubspot/?portal=33"
    assert public_uri(request, "https://configured.example/h") == "https://configured.example/h"


def test_public_uri_without_a_proxy() -> None:
    request = make_mocked_request("POST", "/webhooks/hubspot/", headers={"Host": "hub.local"})
    assert public_uri(request, None) == "http://hub.local/webhooks/hubspot/"
