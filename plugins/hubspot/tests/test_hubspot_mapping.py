"""HubSpot contact events -> canonical customer events (no hub: the translation alone)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hubspot_support import CLIENT_SECRET, FakeDirectory, fixture_events
from hypothesis import given
from hypothesis import strategies as st
from omnihub_contracts import core_registry
from omnihub_hubspot.config import HubSpotConfig
from omnihub_hubspot.inbound import HubSpotEvent, Translator

from hub import CloudEvent, Identifier

KNOWN = FakeDirectory(
    {
        "cust-a": [("crm:hubspot", "1246965"), ("crm:hubspot", "100")],
        "cust-b": [("crm:hubspot", "200")],
    }
)
REGISTRY = core_registry()


async def translate(
    item: dict[str, Any], directory: FakeDirectory = KNOWN, **config: Any
) -> list[CloudEvent]:
    settings = HubSpotConfig.model_validate({"client_secret": CLIENT_SECRET, **config})
    events = await Translator(settings, directory).translate(HubSpotEvent.model_validate(item))
    # Every event is valid by its contract, as the hub's pipeline will check.
    return [REGISTRY.parse(e.model_dump(mode="json")) for e in events]


def property_change(**change: Any) -> dict[str, Any]:
    [item] = fixture_events("contact_property_change.json")
    return item | change


def hubspot(value: str) -> Identifier:
    return Identifier(kind="crm:hubspot", value=value)


async def test_a_property_change_of_a_known_contact_updates_the_profile() -> None:
    [event] = await translate(property_change())

    assert event.type == "customer.updated"
    assert event.id == "hubspot-33-3816279340"  # HubSpot's retries carry the same eventId
    assert event.source == "/plugins/hubspot"
    assert event.customerid == "cust-a"
    assert event.subject == "contacts/1246965"
    trait = event.data.traits["crm:hubspot.lifecyclestage"]
    assert (trait.value, trait.source) == ("subscriber", "crm:hubspot")
    assert trait.observed_at == datetime(2016, 5, 2, 19, 11, 47, 945000, tzinfo=UTC)
    assert event.time == trait.observed_at
    assert event.data.changed == ["crm:hubspot.lifecyclestage"]


async def test_mapped_properties_become_canonical_traits() -> None:
    [event] = await translate(property_change(propertyName="firstname", propertyValue="Maria"))
    assert event.data.traits["first_name"].value == "Maria"

    [event] = await translate(
        property_change(propertyName="lifecyclestage"),
        properties={"lifecyclestage": "lifecycle_stage"},
    )
    assert list(event.data.traits) == ["lifecycle_stage"]


async def test_a_cleared_property_clears_the_trait() -> None:
    [event] = await translate(property_change(propertyValue=""))
    assert event.data.traits["crm:hubspot.lifecyclestage"].value is None


async def test_an_unknown_contact_is_identified_with_the_trait() -> None:
    [event] = await translate(property_change(objectId=999))

    assert event.type == "customer.identified"
    assert event.customerid is None
    assert event.data.identifiers == [hubspot("999")]
    assert event.data.traits["crm:hubspot.lifecyclestage"].value == "subscriber"


async def test_an_email_change_also_links_the_email_to_the_contact() -> None:
    change = property_change(propertyName="email", propertyValue="maria.silva@example.com")
    updated, linked = await translate(change)

    assert updated.type == "customer.updated"
    assert updated.data.traits["email"].value == "maria.silva@example.com"
    assert linked.type == "customer.identified"
    assert linked.id == "hubspot-33-3816279340-link"
    assert linked.customerid == "cust-a"
    assert linked.data.identifiers == [
        hubspot("1246965"),
        Identifier(kind="email", value="maria.silva@example.com"),
    ]


async def test_a_phone_change_of_an_unknown_contact_is_one_identified_event() -> None:
    change = property_change(objectId=999, propertyName="mobilephone", propertyValue="+5511999")
    [event] = await translate(change)
    assert event.type == "customer.identified"
    assert event.data.identifiers == [hubspot("999"), Identifier(kind="phone", value="+5511999")]
    assert event.data.traits["mobile_phone"].value == "+5511999"


async def test_creation_identifies_the_contact() -> None:
    [item] = fixture_events("contact_creation.json")
    [event] = await translate(item)
    assert event.type == "customer.identified"
    assert event.id == "hubspot-62515-1"
    assert event.data.identifiers == [hubspot("123")]


async def test_a_merge_of_two_known_profiles_merges_them() -> None:
    [item] = fixture_events("contact_merge.json")
    [event] = await translate(item)

    assert event.type == "customer.merged"
    assert event.customerid == "cust-a"
    assert event.data.surviving_id == "cust-a"  # owns newObjectId 100
    assert event.data.merged_ids == ["cust-b"]
    assert event.data.rule == "crm_merge"
    assert event.data.identifier == hubspot("100")
    assert event.data.merge_id == event.id == "hubspot-33-11112222333"


async def test_a_merge_into_a_new_contact_id_also_links_the_new_id() -> None:
    [item] = fixture_events("contact_merge.json")
    merged, linked = await translate(item | {"newObjectId": 300})

    assert merged.data.surviving_id == "cust-a"  # the primary's profile, 300 is unknown
    assert merged.data.identifier == hubspot("300")
    assert linked.type == "customer.identified"
    assert linked.customerid == "cust-a"
    assert linked.data.identifiers == [hubspot("300"), hubspot("100"), hubspot("200")]


async def test_a_merge_the_hub_cannot_map_identifies_the_surviving_contact() -> None:
    [item] = fixture_events("contact_merge.json")
    [event] = await translate(item, FakeDirectory())

    assert event.type == "customer.identified"
    assert event.customerid is None
    assert event.data.identifiers == [hubspot("100"), hubspot("200")]

    only_one = FakeDirectory({"cust-b": [("crm:hubspot", "200")]})
    [event] = await translate(item, only_one)
    assert event.type == "customer.identified"
    assert event.customerid == "cust-b"


async def test_privacy_deletion_requests_erasure() -> None:
    [item] = fixture_events("contact_privacy_deletion.json")
    [event] = await translate(item)

    assert event.type == "customer.erasure_requested"
    assert event.customerid == "cust-a"
    assert event.data.requested_by == "crm:hubspot"
    assert event.data.request_id == event.id
    assert event.data.identifiers == [hubspot("1246965")]


async def test_deletion_requests_erasure_unless_switched_off() -> None:
    [item] = fixture_events("contact_privacy_deletion.json")
    deletion = item | {"subscriptionType": "contact.deletion"}
    [event] = await translate(deletion)
    assert event.type == "customer.erasure_requested"
    assert await translate(deletion, erase_on_deletion=False) == []


async def test_other_objects_and_kinds_are_ignored() -> None:
    assert await translate(property_change(eventType="company.propertyChange")) == []
    assert await translate(property_change(eventType="contact.associationChange")) == []


@given(
    name=st.text(min_size=1, max_size=40),
    value=st.one_of(st.text(max_size=50), st.integers(), st.booleans(), st.none()),
)
async def test_any_property_change_yields_valid_events(name: str, value: Any) -> None:
    events = await translate(property_change(propertyName=name, propertyValue=value))
    assert len(events) <= 2
    for event in events:
        assert event.id.startswith("hubspot-33-3816279340")
