"""The 360° view through the API: one person across WhatsApp, e-mail and Instagram."""

from __future__ import annotations

from typing import Any

from hub.testing import ADMIN_TOKEN, HubFactory, HubHarness
from tests.identity.events import identified, ids, received

READER = "customers-reader-token-0001"
TOKENS = {
    "tokens": [
        {"name": "admin", "token": ADMIN_TOKEN, "scopes": ["admin"]},
        {"name": "reader", "token": READER, "scopes": ["customers:read"]},
    ]
}
WHATSAPP = ids(("whatsapp", "5511999999999"), ("phone", "+5511999999999"))
INSTAGRAM = ids(("instagram", "17841400000000001"))


async def get(harness: HubHarness, path: str, **kwargs: Any) -> tuple[int, Any]:
    response = await harness.client.get(path, headers=harness.auth, **kwargs)
    return response.status, await response.json()


async def lookup(harness: HubHarness, identifier: str) -> list[dict[str, Any]]:
    status, body = await get(harness, "/api/v1/customers", params={"identifier": identifier})
    assert status == 200, body
    customers: list[dict[str, Any]] = body["customers"]
    return customers


async def three_channels(harness: HubHarness) -> tuple[str, str]:
    """WhatsApp, then a CRM links phone and e-mail, then e-mail, then Instagram."""
    await harness.publish(received("whatsapp", WHATSAPP, minutes=0, name="Ana"))
    crm = ids(("phone", "+55 11 99999-9999"), ("email", "Ana@Mail.com"), ("crm:hubspot", "501"))
    await harness.publish(identified(crm, minutes=1))
    await harness.publish(
        received("email", ids(("email", "ana@mail.com")), minutes=2, text="Sobre meu pedido")
    )
    await harness.publish(received("instagram", INSTAGRAM, minutes=3, text="Oi!"))
    [ana] = await lookup(harness, "phone:+55 11 99999-9999")
    [insta] = await lookup(harness, "instagram:17841400000000001")
    assert insta["id"] != ana["id"]  # nothing links them yet
    # The Instagram sender gives the same e-mail (a form, a CRM sync …).
    both = ids(("instagram", "17841400000000001"), ("email", "ana@mail.com"))
    await harness.publish(identified(both, minutes=4, source="/plugins/instagram"))
    return ana["id"], insta["id"]


async def test_one_person_across_three_channels_is_one_profile(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url})
    announced = await harness.collect("crm", "customer.#")
    ana, insta = await three_channels(harness)

    [profile] = await lookup(harness, "email:ANA@mail.com")
    assert profile["id"] == ana
    assert {(i["kind"], i["value"]) for i in profile["identifiers"]} == {
        ("whatsapp", "5511999999999"),
        ("phone", "+5511999999999"),
        ("email", "ana@mail.com"),
        ("crm:hubspot", "501"),
        ("instagram", "17841400000000001"),
    }
    assert profile["traits"]["display_name"]["value"] == "Ana"
    assert profile["merged_ids"] == [insta]
    [merge] = profile["merges"]
    assert (merge["rule"], merge["identifier"]["kind"]) == ("shared_identifier", "instagram")

    status, page = await get(harness, f"/api/v1/customers/{ana}/timeline")
    assert status == 200
    messages = [e for e in page["events"] if e["type"] == "message.received"]
    assert [e["channel"] for e in messages] == ["instagram", "email", "whatsapp"]  # newest first
    # Entries keep the customerid they were published with (the Instagram one was insta's).
    assert {e["customerid"] for e in page["events"]} == {ana, insta}

    [merged] = await announced.wait_for(1, where=lambda e: e.type == "customer.merged")
    assert (merged.data.surviving_id, merged.data.merged_ids) == (ana, [insta])
    assert merged.data.identifier.kind == "instagram"


async def test_a_merged_id_redirects_to_the_survivor(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    ana, insta = await three_channels(harness)
    response = await harness.client.get(
        f"/api/v1/customers/{insta}", headers=harness.auth, allow_redirects=False
    )
    assert response.status == 307
    assert response.headers["Location"] == f"/api/v1/customers/{ana}"
    status, body = await get(harness, f"/api/v1/customers/{insta}")  # followed
    assert (status, body["id"]) == (200, ana)


async def test_unmerge_restores_both_and_announces_it(
    hub_factory: HubFactory, store_url: str
) -> None:
    harness = await hub_factory(store={"url": store_url})
    announced = await harness.collect("crm", "customer.#")
    ana, insta = await three_channels(harness)

    response = await harness.client.post(
        f"/api/v1/customers/{insta}/unmerge", headers=harness.auth, json={"reason": "wrong link"}
    )
    body = await response.json()
    assert response.status == 200, body
    assert (body["surviving_id"], body["restored_ids"]) == (ana, [insta])

    [restored] = await lookup(harness, "instagram:17841400000000001")
    assert restored["id"] == insta
    assert [i["kind"] for i in restored["identifiers"]] == ["instagram"]
    _, page = await get(harness, f"/api/v1/customers/{insta}/timeline")
    assert [e["channel"] for e in page["events"] if e["type"] == "message.received"] == [
        "instagram"
    ]
    [unmerged] = await announced.wait_for(1, where=lambda e: e.type == "customer.unmerged")
    assert (unmerged.data.surviving_id, unmerged.data.restored_ids) == (ana, [insta])
    await announced.wait_for(
        1, where=lambda e: e.type == "customer.identified" and e.customerid == insta
    )

    # The same evidence again does not merge what a person separated.
    both = ids(("instagram", "17841400000000001"), ("email", "ana@mail.com"))
    [event_id] = await harness.publish(identified(both, minutes=9, source="/plugins/instagram"))
    [again] = await lookup(harness, "instagram:17841400000000001")
    assert again["id"] == insta
    _, page = await get(harness, f"/api/v1/customers/{ana}/timeline")
    assert event_id in {e["id"] for e in page["events"]}

    response = await harness.client.post(
        f"/api/v1/customers/{insta}/unmerge", headers=harness.auth, json={}
    )
    assert response.status == 409  # nothing absorbed it any more


async def test_timeline_pages_newest_first(hub_factory: HubFactory) -> None:
    harness = await hub_factory()
    for minute in range(5):
        await harness.publish(received("whatsapp", WHATSAPP, minutes=minute, text=f"m{minute}"))
    [ana] = await lookup(harness, "whatsapp:5511999999999")
    path = f"/api/v1/customers/{ana['id']}/timeline"
    _, newest = await get(harness, path, params={"limit": "2"})
    announced = {e["type"] for e in newest["events"]}  # announced now, after m4
    assert announced == {"customer.identified", "conversation.opened"}
    _, first = await get(harness, newest["next"])
    _, second = await get(harness, first["next"])
    _, third = await get(harness, second["next"])
    texts = [e["data"]["text"] for page in (first, second, third) for e in page["events"]]
    assert texts == ["m4", "m3", "m2", "m1", "m0"]
    assert third["next"] is None
    _, before = await get(harness, path, params={"before": "2026-11-20T12:02:00Z"})
    assert [e["data"]["text"] for e in before["events"]] == ["m1", "m0"]


async def test_api_errors_and_scopes(hub_factory: HubFactory) -> None:
    harness = await hub_factory(api=TOKENS)
    await harness.publish(received("whatsapp", WHATSAPP, minutes=0))
    reader = {"Authorization": f"Bearer {READER}"}
    response = await harness.client.get(
        "/api/v1/customers", params={"identifier": "phone:+5511999999999"}, headers=reader
    )
    assert response.status == 200
    [ana] = (await response.json())["customers"]
    response = await harness.client.post(f"/api/v1/customers/{ana['id']}/unmerge", headers=reader)
    assert response.status == 403
    assert (await harness.client.get(f"/api/v1/customers/{ana['id']}")).status == 401
    for query, field in (
        ({"identifier": "phone"}, "identifier"),
        ({"identifier": "phone:0000000000"}, "identifier"),
        ({"identifier": "crm:hubspot"}, "identifier"),
    ):
        response = await harness.client.get("/api/v1/customers", params=query, headers=reader)
        body = await response.json()
        assert response.status == 400, body
        assert body["errors"][0]["field"] == field
    status, body = await get(harness, "/api/v1/customers/cus_nobody")
    assert status == 404
    status, body = await get(harness, f"/api/v1/customers/{ana['id']}/timeline?limit=0")
    assert (status, body["errors"][0]["field"]) == (400, "limit")
    status, body = await get(harness, f"/api/v1/customers/{ana['id']}/timeline?before=yesterday")
    assert (status, body["errors"][0]["field"]) == (400, "before")
    assert await lookup(harness, "email:nobody@mail.com") == []
