"""Resolution against the store: the same test bodies on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import AsyncIterator

import pytest
from omnihub_contracts import CloudEvent, Identifier, core_registry

from hub.identity import IdentityService
from hub.store import SqlStore, open_store
from tests.identity.events import identified, ids, received, updated
from tests.identity.race_worker import person, resolve_all

PHONE = ids(("phone", "+55 11 99999-9999"))


@pytest.fixture
async def service(store_url: str) -> AsyncIterator[IdentityService]:
    store = open_store(store_url)
    await store.open()
    yield IdentityService(store, core_registry())
    await store.close()


REGISTRY = core_registry()


async def resolve(service: IdentityService, event: CloudEvent) -> tuple[str, list[str]]:
    resolved = await service.resolver.resolve(REGISTRY.type_data(event))
    assert resolved.event.customerid is not None
    return resolved.event.customerid, [e.type for e in resolved.announcements]


async def count(store: SqlStore, table: str) -> int:
    async with store.db.connection() as tx:
        row = await tx.fetchone(f"SELECT count(*) FROM {table}")
    assert row is not None
    return int(row[0])


async def test_any_spelling_of_a_known_identifier_finds_the_profile(
    service: IdentityService,
) -> None:
    first, announced = await resolve(service, received("whatsapp", PHONE, minutes=0))
    assert announced == ["customer.identified"]
    again, announced = await resolve(
        service, received("sms", ids(("phone", "(11) 99999-9999")), minutes=1)
    )
    assert (again, announced) == (first, [])
    assert await service.find(Identifier(kind="phone", value="+55 (11) 99999 9999")) == first


async def test_junk_links_nobody(service: IdentityService) -> None:
    junk = ids(("phone", "0000000000"), ("email", "null"))
    one, _ = await resolve(service, received("web", junk, minutes=0))
    two, _ = await resolve(service, received("web", junk, minutes=1))
    assert one != two
    assert await count(service.store, "identifiers") == 0


async def test_lookup_only_events_create_nobody(service: IdentityService) -> None:
    event = CloudEvent.model_validate(
        {
            "source": "/plugins/whatsapp",
            "type": "message.delivered",
            "channel": "whatsapp",
            "data": {
                "channel_message_id": "wamid.1",
                "recipient": {"kind": "whatsapp", "value": "5511912345678"},
            },
        }
    )
    resolved = await service.resolver.resolve(REGISTRY.type_data(event))
    assert resolved.event.customerid is None
    assert await count(service.store, "customers") == 0


async def test_a_stated_id_is_adopted_and_a_merged_one_followed(service: IdentityService) -> None:
    gold = {"tier": {"value": "gold", "source": "crm:erp"}}
    adopted, _ = await resolve(service, updated("legacy-42", gold, minutes=0))
    assert adopted == "legacy-42"
    phone_owner, _ = await resolve(service, received("whatsapp", PHONE, minutes=1))
    link = identified(PHONE, minutes=2, customerid="legacy-42")
    survivor, announced = await resolve(service, link)
    assert (survivor, announced) == ("legacy-42", ["customer.merged"])
    one = {"x": {"value": 1, "source": "s"}}
    followed, _ = await resolve(service, updated(phone_owner, one, minutes=3))
    assert followed == "legacy-42"


async def test_traits_newer_wins_and_ranked_sources_beat_newer(store_url: str) -> None:
    from hub.config import IdentitySection

    store = open_store(store_url)
    await store.open()
    section = IdentitySection(source_priority={"crm:hubspot": 10})
    service = IdentityService(store, core_registry(), section)
    try:
        customer, _ = await resolve(service, received("whatsapp", PHONE, minutes=0, name="Ana"))
        crm = {"display_name": {"value": "Ana Souza", "source": "crm:hubspot"}}
        await resolve(service, updated(customer, crm, minutes=5))
        # Newer, but from an unranked source: the CRM's value stays.
        await resolve(service, received("whatsapp", PHONE, minutes=9, name="Aninha"))
        older = {"city": {"value": "Recife", "source": "web"}}
        newer = {"city": {"value": "São Paulo", "source": "web"}}
        await resolve(service, updated(customer, newer, minutes=8))
        await resolve(service, updated(customer, older, minutes=7))
        found = await service.profile(customer)
        assert found is not None
        traits = {k: v["value"] for k, v in found.profile["traits"].items()}
        assert traits == {"display_name": "Ana Souza", "city": "São Paulo"}
        cleared = {"city": {"value": None, "source": "web"}}
        await resolve(service, updated(customer, cleared, minutes=10))
        found = await service.profile(customer)
        assert found is not None
        assert "city" not in found.profile["traits"]
    finally:
        await store.close()


async def test_trait_changes_are_announced_once(service: IdentityService) -> None:
    event = received("whatsapp", PHONE, minutes=0, name="Ana")
    _, announced = await resolve(service, event)
    assert announced == ["customer.identified", "customer.updated"]
    _, announced = await resolve(service, event)  # a redelivery
    assert announced == []
    assert await count(service.store, "timeline") == 3  # the message and two announcements


async def test_unmerge_restores_traits_and_keeps_later_ones(service: IdentityService) -> None:
    email = ids(("email", "ana@mail.com"))
    by_phone, _ = await resolve(service, received("whatsapp", PHONE, minutes=0, name="Ana"))
    city = {"city": {"value": "Natal", "source": "form"}}
    by_email, _ = await resolve(service, identified(email, minutes=1, traits=city))
    survivor, _ = await resolve(service, identified([*PHONE, *email], minutes=2))
    assert survivor == by_email  # e-mail outranks phone
    found = await service.profile(by_phone)
    assert found is not None
    assert found.redirected
    assert set(found.profile["traits"]) == {"display_name", "city"}
    vip = {"tier": {"value": "vip", "source": "crm"}}
    await resolve(service, updated(survivor, vip, minutes=3))
    [merge] = found.profile["merges"]
    record, _ = await service.unmerge(by_phone, merge["merge_id"], "test")
    assert (record.surviving_id, record.merged_id) == (by_email, by_phone)
    restored, kept = await service.profile(by_phone), await service.profile(by_email)
    assert restored is not None
    assert kept is not None
    assert not restored.redirected
    assert set(restored.profile["traits"]) == {"display_name"}
    assert set(kept.profile["traits"]) == {"city", "tier"}  # tier came after the merge
    assert [i["kind"] for i in restored.profile["identifiers"]] == ["phone"]


async def test_concurrent_processes_create_each_new_customer_once(store_url: str) -> None:
    """Several hub processes see the same new customers at the same moment."""
    setup = open_store(store_url)
    await setup.open()  # migrate once, so the race is about customers, not the schema
    await setup.close()
    workers, people = 4, 25
    context = multiprocessing.get_context("spawn")
    barrier = context.Manager().Barrier(workers)
    with context.Pool(workers) as pool:
        results = await asyncio.to_thread(
            pool.starmap,
            resolve_all,
            [(store_url, w, people, barrier) for w in range(workers)],
        )
    for n in range(people):
        assert len({found[n] for found in results}) == 1, f"person {n} split"
    store = open_store(store_url)
    await store.open()
    try:
        assert await count(store, "customers") == people
        assert await count(store, "merges") == 0
        assert await count(store, "identifiers") == people * len(person(0))
    finally:
        await store.close()
