"""After an erasure the person's identifiers and ids are dropped at ingest, until they consent."""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given
from hypothesis import strategies as st
from omnihub_contracts import CloudEvent

from hub.identity import Key
from hub.privacy.suppression import Suppression
from hub.testing import HubFactory, HubHarness
from tests.identity.events import ids, received, updated
from tests.identity.test_customers_api import WHATSAPP, lookup
from tests.privacy.support import consent_granted, rows_naming

OTHER = ids(("whatsapp", "5511988887777"))


def text_is(text: str) -> Callable[[CloudEvent], bool]:
    return lambda e: getattr(e.data, "text", None) == text


def suppressed(harness: HubHarness, event_type: str) -> float:
    value = harness.hub.metrics.registry.get_sample_value(
        "omnihub_events_suppressed_total", {"type": event_type}
    )
    return value or 0.0


async def erase(harness: HubHarness, customer_id: str) -> None:
    response = await harness.client.post(
        f"/api/v1/customers/{customer_id}/erasure", headers=harness.auth
    )
    assert response.status == 202, await response.json()


async def test_the_erased_phone_is_suppressed_until_consent_lifts_it(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url})
    bot = await harness.collect("bot", "message.received.#", "consent.#", "customer.updated.#")
    await harness.publish(received("whatsapp", WHATSAPP, minutes=0, name="Ana"))
    [ana] = await lookup(harness, "phone:+5511999999999")
    await bot.wait_for(2)  # her message and the profile's new display name
    await erase(harness, ana["id"])
    before = len(bot.events)

    # She writes again (a WhatsApp webhook), and a CRM still updates her old id.
    await harness.publish(received("whatsapp", WHATSAPP, minutes=10, text="Voltei"))
    await harness.publish(
        updated(ana["id"], {"plan": {"value": "gold", "source": "crm"}}, minutes=11)
    )
    await harness.publish(received("whatsapp", OTHER, minutes=12, text="Outra pessoa"))
    await bot.wait_for(1, where=text_is("Outra pessoa"))
    assert [e.data.text for e in bot.events[before:]] == ["Outra pessoa"]
    assert suppressed(harness, "message.received") == 1
    assert suppressed(harness, "customer.updated") == 1
    assert await lookup(harness, "phone:+5511999999999") == []
    named = await rows_naming(harness.hub.store, ["Voltei", "gold", ana["id"]])
    assert named == {"erasures": 1, "erasure_customers": 1}  # the erasure record only

    # She comes back and agrees again on WhatsApp: the consent lifts what it carries.
    optin = consent_granted(
        ids(("whatsapp", "5511999999999"), ("phone", "+55 11 99999-9999")), minutes=20
    )
    await harness.publish(optin)
    await bot.wait_for(1, where=lambda e: e.type == "consent.granted")
    await harness.publish(received("whatsapp", WHATSAPP, minutes=21, text="Oi de novo"))
    [again] = await bot.wait_for(1, where=text_is("Oi de novo"))
    [profile] = await lookup(harness, "phone:+5511999999999")
    assert profile["id"] != ana["id"]  # a new profile, nothing of the old one
    assert again.customerid == profile["id"]
    assert suppressed(harness, "message.received") == 1
    # What the consent did not carry stays suppressed: her old id.
    await harness.publish(
        updated(ana["id"], {"plan": {"value": "gold", "source": "crm"}}, minutes=22)
    )
    assert suppressed(harness, "customer.updated") == 2


async def test_a_duplicate_of_a_suppressed_event_is_not_retried(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    await harness.publish(received("whatsapp", WHATSAPP, minutes=0))
    [ana] = await lookup(harness, "phone:+5511999999999")
    await erase(harness, ana["id"])
    [late] = harness.hub.validate([received("whatsapp", WHATSAPP, minutes=10)])
    assert await harness.hub.pipeline.process(late) is False
    assert await harness.hub.pipeline.process(late) is False  # claim completed: a duplicate
    assert suppressed(harness, "message.received") == 1
    assert harness.hub.metrics.registry.get_sample_value(
        "omnihub_events_duplicate_total", {"source": "/plugins/whatsapp"}
    )


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_digests_name_no_value_and_depend_on_the_salt(value: str, salt: str) -> None:
    key = Key("email", value)
    mine, other = Suppression(salt), Suppression(salt + "x")
    [digest] = mine.digests([key])
    assert len(digest) == 64
    assert all(c in "0123456789abcdef" for c in digest)
    assert digest != other.digests([key])[0]
    assert mine.digests([key], ["cus_1"]) == [digest, mine.digest("customer:cus_1")]
