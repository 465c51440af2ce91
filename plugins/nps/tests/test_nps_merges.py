"""Following customer.merged without a hub: one person, one state, one pending survey."""

from __future__ import annotations

from typing import Any

from nps_support import Clock, nps_over
from omnihub_nps.asker import ask_due, sweep
from omnihub_nps.merges import follow_merge
from omnihub_nps.surveys import Trigger, schedule

from hub import PluginDatabase


async def test_the_merged_person_keeps_one_pending_survey_and_the_whole_history(
    database: PluginDatabase,
) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, delay_seconds=0)
    await nps.store.note("ana", surveys_allowed=1)
    await nps.store.note("ana-ig", surveys_allowed=1, language="es", last_channel="instagram")
    absorbed, _ = await schedule(nps, "ana-ig", Trigger("on_demand", "asked-of-ana-ig"))
    assert await ask_due(nps) == 1  # ana-ig was asked on Instagram
    _, outcome = await schedule(nps, "ana", Trigger("on_demand", "ana-own"))
    assert outcome == "scheduled"  # ana's own, not yet asked
    assert absorbed is not None

    await follow_merge(nps, "ana", ["ana-ig"], True)
    await follow_merge(nps, "ana", ["ana-ig"], True)  # heard again: the same outcome

    # The survey already asked is the one kept, now ana's; her own went.
    pending = await nps.store.pending("ana")
    assert pending is not None
    assert (pending.survey_id, pending.status) == (absorbed.survey_id, "asked")
    assert await nps.store.pending("ana-ig") is None
    counters = await nps.store.counters()
    assert counters["skipped"] == {"survey_pending": 1}
    state = await nps.store.customer("ana")
    assert (state.language, state.last_channel, state.surveys_allowed) == ("es", "instagram", 1)
    assert (await nps.store.customer("ana-ig")).surveys_allowed == 0  # forgotten
    assert (await schedule(nps, "ana", Trigger("on_demand", "again")))[1] == "survey_pending"
    assert await ask_due(nps) == 0

    # Unanswered, it expires; what ana-ig was asked still counts for min_days_between.
    clock.advance(hours=73)
    await sweep(nps)
    clock.advance(days=1)
    assert (await schedule(nps, "ana", Trigger("on_demand", "later")))[1] == "min_days_between"


async def test_two_asked_surveys_end_in_one(database: PluginDatabase) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, delay_seconds=0)
    surveys = {}
    for customer in ("ana", "ana-ig"):
        await nps.store.note(customer, surveys_allowed=1)
        surveys[customer], _ = await schedule(nps, customer, Trigger("on_demand", customer))
        clock.advance(seconds=1)
    assert await ask_due(nps) == 2
    published.clear()
    await follow_merge(nps, "ana", ["ana-ig"], True)
    [kept] = [s for s in await nps.store.requested(0, clock().timestamp()) if s.status == "asked"]
    assert (kept.survey_id, kept.customer_id) == (surveys["ana"].survey_id, "ana")  # the older
    assert (await nps.store.counters())["ended"] == {"merged": 1}
    # The other survey's own conversation ends with it.
    [closed] = published
    assert (closed["type"], closed["customerid"]) == ("conversation.closed", "ana")
    assert closed["conversationid"] == "nps_" + surveys["ana-ig"].survey_id


async def test_a_merge_into_someone_who_does_not_allow_surveys_stops_theirs(
    database: PluginDatabase,
) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, delay_seconds=600)
    await nps.store.note("ana-ig", surveys_allowed=1)
    await schedule(nps, "ana-ig", Trigger("on_demand", "t1"))
    await follow_merge(nps, "ana", ["ana-ig"], False)
    assert await nps.store.pending("ana") is None
    assert (await nps.store.customer("ana")).surveys_allowed == 0
    assert (await nps.store.counters())["skipped"] == {"consent_revoked": 1}
    clock.advance(minutes=10)
    assert await ask_due(nps) == 0


async def test_a_merge_of_strangers_leaves_nothing_behind(database: PluginDatabase) -> None:
    published: list[Any] = []
    nps = nps_over(database, Clock(), published)
    await follow_merge(nps, "bob", ["bob-tiktok"], False)
    async with nps.store.reading() as tables:
        assert await tables.customers(["bob", "bob-tiktok"]) == []
    assert published == []
