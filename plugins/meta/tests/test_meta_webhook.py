"""The webhook of every Meta channel: handshake, signature, size and JSON checks, 503."""

from __future__ import annotations

from typing import Any

import pytest
from meta_support import channel_params, start
from omnihub_meta import SIGNATURE_HEADER
from omnihub_meta.testing import TEST_VERIFY_TOKEN, signed

from hub import BrokerUnavailable, CloudEvent
from hub.testing import EventCollector, HubHarness

CHANNELS = channel_params()
HANDSHAKE = {
    "hub.mode": "subscribe",
    "hub.verify_token": TEST_VERIFY_TOKEN,
    "hub.challenge": "1158201444",
}
PAYLOAD = {"object": "page", "entry": [{"id": "1", "time": 1, "changes": [{"field": "feed"}]}]}


async def nothing_published(harness: HubHarness, seen: EventCollector) -> bool:
    """Publish a marker; the in-process pipeline keeps order, so anything sent before shows."""
    marker = {"id": "marker", "source": "/tests", "type": "customer.updated", "channel": "web"}
    data = {"traits": {"plan": {"value": "gold", "source": "crm:test"}}, "changed": ["plan"]}
    await harness.publish(marker | {"customerid": "c1", "data": data})
    [first] = await seen.wait_for(1)
    return first.id == "marker"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_handshake_answers_the_challenge(hub_factory: Any, channel: str) -> None:
    harness = await start(hub_factory, channel)
    response = await harness.client.get(f"/webhooks/{channel}/", params=HANDSHAKE)
    assert response.status == 200
    assert response.content_type == "text/plain"
    assert await response.text() == "1158201444"


async def test_handshake_without_trailing_slash(hub_factory: Any) -> None:
    harness = await start(hub_factory, "whatsapp")
    response = await harness.client.get("/webhooks/whatsapp", params=HANDSHAKE)
    assert response.status == 200


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "params",
    [
        HANDSHAKE | {"hub.verify_token": "guess"},
        HANDSHAKE | {"hub.mode": "unsubscribe"},
        {"hub.challenge": "1"},
    ],
)
async def test_handshake_refuses_a_wrong_token_or_mode(
    hub_factory: Any, channel: str, params: dict[str, str]
) -> None:
    harness = await start(hub_factory, channel)
    response = await harness.client.get(f"/webhooks/{channel}/", params=params)
    assert response.status == 403
    assert response.content_type == "application/problem+json"
    assert (await response.json())["status"] == 403


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SIGNATURE_HEADER: "sha256=" + "0" * 64},
        signed(PAYLOAD, secret="not-the-app-secret")[1],
    ],
    ids=["missing", "zeros", "other-secret"],
)
async def test_forged_signatures_are_refused_and_nothing_is_published(
    hub_factory: Any, channel: str, headers: dict[str, str]
) -> None:
    harness = await start(hub_factory, channel)
    seen = await harness.collect("probe", "#")
    body, _ = signed(PAYLOAD)
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status == 401
    problem = await response.json()
    assert problem == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": f"{SIGNATURE_HEADER} does not sign the body",
    }
    assert await nothing_published(harness, seen)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_an_altered_body_is_refused(hub_factory: Any, channel: str) -> None:
    harness = await start(hub_factory, channel)
    seen = await harness.collect("probe", "#")
    body, headers = signed(PAYLOAD)
    altered = body.replace(b'"time": 1', b'"time": 2')
    response = await harness.client.post(f"/webhooks/{channel}/", data=altered, headers=headers)
    assert response.status == 401
    assert await nothing_published(harness, seen)


@pytest.mark.parametrize("channel", CHANNELS)
async def test_bodies_over_the_limit_answer_413(hub_factory: Any, channel: str) -> None:
    harness = await start(hub_factory, channel, max_body_bytes=100)
    body, headers = signed({"object": "page", "entry": [], "padding": "x" * 200})
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status == 413
    assert (await response.json())["detail"] == "the limit is 100 bytes"


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'{"entry": NaN}', b"\xff\xfe"])
async def test_malformed_json_answers_400(hub_factory: Any, channel: str, body: bytes) -> None:
    harness = await start(hub_factory, channel)
    _, headers = signed(body)
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    assert (await response.json())["title"] == "Bad request"


@pytest.mark.parametrize("channel", CHANNELS)
async def test_broker_down_answers_503_so_meta_retries(
    hub_factory: Any, channel: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = await start(hub_factory, channel)

    async def unavailable(event: CloudEvent) -> bool:
        raise BrokerUnavailable("broker is reconnecting")

    monkeypatch.setattr(harness.hub.pipeline, "process", unavailable)
    body, headers = signed(PAYLOAD)
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status == 503
    assert response.headers["Retry-After"] == "2"
    assert (await response.json())["title"] == "Broker unavailable"
