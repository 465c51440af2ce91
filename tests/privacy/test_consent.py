"""Purpose limitation in the routing itself: consent per purpose, stamped by the hub."""

from __future__ import annotations

from typing import Any

from omnihub_contracts import CloudEvent

from hub import Consumer
from hub.testing import ADMIN_TOKEN, EventCollector, HubFactory, HubHarness, eventually
from tests.identity.events import at, ids, received
from tests.support import AcmePlugin, ping

PLUGINS = {"acme": AcmePlugin()}
PHONE = ids(("whatsapp", "5511988887777"), ("phone", "+5511988887777"))


def consent(kind: str, purpose: str, customer: str, minutes: float, **data: Any) -> CloudEvent:
    return CloudEvent.model_validate(
        {
            "source": "/tests/consent",
            "type": f"consent.{kind}",
            "customerid": customer,
            "time": at(minutes).isoformat(),
            "data": {"purpose": purpose, "source": "whatsapp", **data},
        }
    )


def dropped(harness: HubHarness, consumer: str, purpose: str) -> str | None:
    line = f'deliveries_dropped_total{{consumer="{consumer}",purpose="{purpose}"}}'
    text = harness.hub.metrics.render()[0].decode()
    return next((row for row in text.splitlines() if row.startswith("omnihub_" + line)), None)


async def test_revoking_marketing_stops_marketing_and_only_marketing(
    hub_factory: HubFactory, broker_url: str, store_url: str
) -> None:
    harness = await hub_factory(broker_url=broker_url, store={"url": store_url})
    service = await harness.collect("service", "message.received.#", purposes=("service",))
    marketing = await harness.collect(
        "crm-marketing", "message.received.#", "consent.#", purposes=("marketing",)
    )
    [first] = await harness.publish(received("whatsapp", PHONE, minutes=0, text="oi"))
    [seen] = await service.wait_for(1)
    customer = seen.customerid
    assert customer is not None
    assert seen.consent == "service"  # nothing granted yet: only the default
    await harness.publish(consent("granted", "marketing", customer, 1, legal_basis="consent"))
    await harness.publish(received("whatsapp", PHONE, minutes=2, text="quero ofertas"))
    [offer] = await marketing.wait_for(1)
    assert offer.consent == "marketing,service"

    await harness.publish(consent("revoked", "marketing", customer, 3, reason="cansei"))
    [withdrawn] = await marketing.wait_for(1, where=lambda e: e.type == "consent.revoked")
    assert withdrawn.consent == "service"  # it must hear of it, to stop
    await harness.publish(received("whatsapp", PHONE, minutes=4, text="ainda aqui"))
    await service.wait_for(3)
    await eventually(lambda: dropped(harness, "crm-marketing", "marketing"))
    texts = [e.data.text for e in marketing.events if e.type == "message.received"]
    assert texts == ["quero ofertas"]

    await harness.publish(consent("granted", "marketing", customer, 5))
    await harness.publish(received("whatsapp", PHONE, minutes=6, text="voltei"))
    await marketing.wait_for(2, where=lambda e: e.type == "message.received")
    texts = [e.data.text for e in marketing.events if e.type == "message.received"]
    assert texts == ["quero ofertas", "voltei"]
    assert first  # the first message was never handed to marketing


async def test_a_stated_snapshot_is_replaced_by_the_ledger(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    marketing = await harness.collect("marketing", "acme.#", purposes=("marketing",))
    everyone = await harness.collect("audit", "acme.#", purposes=())
    await harness.publish(ping(1, consent="service,marketing"))  # a producer cannot grant
    [stamped] = await everyone.wait_for(1)
    assert stamped.consent == "service"
    await eventually(lambda: dropped(harness, "marketing", "marketing"))
    assert marketing.events == []


async def test_other_legal_bases_allow_and_grants_expire(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    everyone = await harness.collect("audit", "acme.#", purposes=())
    await harness.publish(
        consent("granted", "surveys", "cust-1", 0, legal_basis="legitimate_interest"),
        consent("granted", "personalization", "cust-1", 0, expires_at="2026-01-01T00:00:00Z"),
    )
    await harness.publish(ping(1))
    [stamped] = await everyone.wait_for(1)
    assert stamped.consent == "service,surveys"  # the grant of personalization expired


async def test_revoking_a_default_purpose_is_honoured(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    everyone = await harness.collect("audit", "acme.#", purposes=())
    await harness.publish(consent("revoked", "service", "cust-1", 0))
    await harness.publish(ping(1))
    [stamped] = await everyone.wait_for(1)
    assert stamped.consent == ""


async def test_hub_toml_overrides_purposes_and_minimises_fields(hub_factory: HubFactory) -> None:
    privacy = {"consumers": {"bot": {"purposes": ["ai_assistant"], "fields": ["text", "kind"]}}}
    harness = await hub_factory(privacy=privacy)
    bot = EventCollector("bot")
    await harness.hub.add_consumer(Consumer("bot", ("message.received.#",), bot.handle))
    service = await harness.collect("service", "message.received.#")
    await harness.publish(received("whatsapp", PHONE, minutes=0, text="oi", name="Ana"))
    [seen] = await service.wait_for(1)
    await eventually(lambda: dropped(harness, "bot", "ai_assistant"))
    assert bot.events == []
    customer = seen.customerid
    assert customer is not None
    await harness.publish(consent("granted", "ai_assistant", customer, 1))
    await harness.publish(received("whatsapp", PHONE, minutes=2, text="qual o prazo?"))
    [asked] = await bot.wait_for(1)
    assert asked.data == {"text": "qual o prazo?", "kind": "text"}  # no phone, no name
    assert asked.customerid == customer


async def test_unknown_purposes_are_a_config_error(hub_factory: HubFactory) -> None:
    import pytest

    from hub import ConfigError

    harness = await hub_factory()
    with pytest.raises(ConfigError, match="unknown purposes"):
        await harness.hub.add_consumer(
            Consumer("x", ("#",), EventCollector("x").handle, purposes=("spam",))
        )


async def test_consent_api_gives_and_withdraws_with_one_call(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    service = await harness.collect("service", "#")
    await harness.publish(received("whatsapp", PHONE, minutes=0))
    [seen] = await service.wait_for(1, where=lambda e: e.type == "message.received")
    customer = seen.customerid
    headers = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    path = f"/api/v1/customers/{customer}/consent"
    body = {
        "status": "granted",
        "legal_basis": "consent",
        "source": "app",
        "evidence": {"reference": "form-7"},
    }
    response = await harness.client.put(f"{path}/marketing", json=body, headers=headers)
    assert response.status == 202, await response.text()
    revoke = {"status": "revoked"}
    response = await harness.client.put(f"{path}/marketing", json=revoke, headers=headers)
    assert response.status == 202
    state = await (await harness.client.get(path, headers=headers)).json()
    assert state["allowed"] == ["service"]
    assert [h["status"] for h in state["history"]] == ["granted", "revoked"]
    assert state["history"][0]["evidence"] == {"reference": "form-7"}
    profile = await (
        await harness.client.get(f"/api/v1/customers/{customer}", headers=headers)
    ).json()
    assert profile["consent"]["allowed"] == ["service"]
    assert profile["consent"]["purposes"]["marketing"]["status"] == "revoked"
    events = await service.wait_for(2, where=lambda e: e.type.startswith("consent."))
    assert [e.type for e in events] == ["consent.granted", "consent.revoked"]
    bad_bodies = (
        ({"status": "maybe"}, "status"),
        ({"status": "granted", "legal_basis": "x"}, "legal_basis"),
    )
    for bad, field in bad_bodies:
        response = await harness.client.put(f"{path}/marketing", json=bad, headers=headers)
        assert (response.status, (await response.json())["errors"][0]["field"]) == (400, field)
    response = await harness.client.put(f"{path}/spam", json={"status": "granted"}, headers=headers)
    assert response.status == 400
    missing = await harness.client.get("/api/v1/customers/cus_nobody/consent", headers=headers)
    assert missing.status == 404
