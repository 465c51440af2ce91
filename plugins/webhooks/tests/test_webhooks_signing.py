"""Signatures verify with the official Standard Webhooks library; secrets are checked."""

from __future__ import annotations

import base64
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from omnihub_webhooks.config import decode_secret
from omnihub_webhooks.signing import sign, signed_headers, webhook_id
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from webhooks_support import KEY, OLD_SECRET, SECRET

from hub import CloudEvent

ids = st.from_regex(r"\A[A-Za-z0-9_:-]{1,64}\Z")
bodies = st.text(max_size=500).map(str.encode)
keys = st.binary(min_size=24, max_size=64)


def whsec(key: bytes) -> str:
    return "whsec_" + base64.b64encode(key).decode()


@given(msg_id=ids, body=bodies, key=keys)
def test_the_official_library_verifies_what_we_sign(msg_id: str, body: bytes, key: bytes) -> None:
    headers = signed_headers([key], msg_id, int(time.time()), body)
    Webhook(whsec(key)).verify(body, headers, json_parse=False)


@given(msg_id=ids, body=bodies, key=keys, other=keys)
def test_each_key_of_a_rotation_verifies_alone(
    msg_id: str, body: bytes, key: bytes, other: bytes
) -> None:
    headers = signed_headers([key, other], msg_id, int(time.time()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(whsec(key)).verify(body, headers, json_parse=False)
    Webhook(whsec(other)).verify(body, headers, json_parse=False)


@given(body=bodies, key=keys, extra=st.sampled_from([b" ", b"x", b"}"]))
def test_a_changed_body_fails_verification(body: bytes, key: bytes, extra: bytes) -> None:
    headers = signed_headers([key], "evt_1", int(time.time()), body)
    tampered = body + extra
    with pytest.raises(WebhookVerificationError):
        Webhook(whsec(key)).verify(tampered, headers, json_parse=False)


def test_signature_matches_the_spec_format() -> None:
    value = sign([KEY], "msg_1", 1674087231, b"{}")
    version, signature = value.split(",")
    assert version == "v1"
    assert len(base64.b64decode(signature)) == 32  # HMAC-SHA256


def test_webhook_id_is_the_event_id_when_safe() -> None:
    event = CloudEvent(id="3c1f6a5e-0d1b-4d5e-9f55-4c8a3b2e9d10", source="/s", type="a.b")
    assert webhook_id(event) == event.id


def test_webhook_id_never_carries_a_dot_and_is_stable() -> None:
    dotted = CloudEvent(id="order.42", source="/store", type="a.b")
    other_source = CloudEvent(id="order.42", source="/crm", type="a.b")
    assert "." not in webhook_id(dotted)
    assert webhook_id(dotted) == webhook_id(dotted.model_copy())
    assert webhook_id(dotted) != webhook_id(other_source)


def test_secrets_decode_and_bad_ones_say_why() -> None:
    assert decode_secret(SECRET) == KEY
    assert decode_secret(SECRET.rstrip("=")) == KEY  # unpadded base64 is accepted
    assert len(decode_secret(OLD_SECRET)) == 32
    with pytest.raises(ValueError, match="must start with 'whsec_'"):
        decode_secret(base64.b64encode(KEY).decode())
    with pytest.raises(ValueError, match="not valid base64"):
        decode_secret("whsec_not*base64!")
    with pytest.raises(ValueError, match="at least 24"):
        decode_secret(whsec(b"short"))
