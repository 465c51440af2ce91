"""Fatigue rules, the durable asker and the NPS arithmetic, without a hub."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from nps_support import Clock, nps_over
from omnihub_nps import NpsPlugin
from omnihub_nps.asker import ask_due
from omnihub_nps.fatigue import quiet_until
from omnihub_nps.scores import stats
from omnihub_nps.surveys import Trigger, schedule

from hub import ErasureRequest, PluginDatabase
from hub.testing import plugin_database

SP = ZoneInfo("America/Sao_Paulo")


def test_quiet_hours_wait_for_the_local_morning() -> None:
    night = datetime(2025, 3, 10, 23, 30, tzinfo=SP)
    assert quiet_until(night, SP, time(21), time(9)) == datetime(2025, 3, 11, 9, tzinfo=SP)
    early = datetime(2025, 3, 10, 6, 0, tzinfo=SP)
    assert quiet_until(early, SP, time(21), time(9)) == datetime(2025, 3, 10, 9, tzinfo=SP)
    assert quiet_until(datetime(2025, 3, 10, 12, tzinfo=SP), SP, time(21), time(9)) is None


def test_nps_margin_of_error() -> None:
    answer = stats(10, [10, 9, 9, 8, 7, 6, 3, 10, 9, 0])
    assert (answer["promoters"], answer["passives"], answer["detractors"]) == (5, 2, 3)
    assert answer["nps"] == 20.0
    assert answer["response_rate"] == 1.0
    # sqrt((0.5 + 0.3 - 0.2^2) / 10) * 1.96 * 100
    assert answer["margin_of_error"] == pytest.approx(54.03, abs=0.01)
    assert stats(3, [])["nps"] is None
    assert stats(3, [])["response_rate"] == 0.0


async def test_a_delayed_survey_survives_a_restart(store_url: str) -> None:
    clock, published = Clock(), []
    async with plugin_database(NpsPlugin(), "nps", store_url) as database:
        first = nps_over(database, clock, published, delay_seconds=600)
        await first.store.note("c1", surveys_allowed=1, last_channel="whatsapp")
        survey, outcome = await schedule(first, "c1", Trigger("conversation_closed", "evt-1"))
        assert outcome == "scheduled"
        assert survey is not None
        assert await ask_due(first) == 0  # not yet due
    # The process stops; the next one opens the same store.
    clock.advance(minutes=10)
    async with plugin_database(NpsPlugin(), "nps", store_url) as database:
        second = nps_over(database, clock, published, delay_seconds=600)
        assert await ask_due(second) == 1
        kinds = ["conversation.opened", "message.send", "survey.requested"]
        assert [e["type"] for e in published] == kinds  # the survey is a conversation of its own
        assert published[1]["channel"] == "whatsapp"
        assert await ask_due(second) == 0  # asked once


async def test_fatigue_reasons_are_counted(database: PluginDatabase) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, daily_cap=1, delay_seconds=0)
    assert (await schedule(nps, "nobody", Trigger("on_demand", "a")))[1] == "no_consent"
    for customer in ("c1", "c2"):
        await nps.store.note(customer, surveys_allowed=1)
    await nps.store.note("c3", surveys_allowed=1, open_conversation="conv-1")
    assert (await schedule(nps, "c3", Trigger("on_demand", "b")))[1] == "open_conversation"
    await schedule(nps, "c1", Trigger("on_demand", "c"))
    assert (await schedule(nps, "c1", Trigger("on_demand", "d")))[1] == "survey_pending"
    await schedule(nps, "c2", Trigger("on_demand", "e"))
    assert await ask_due(nps) == 1  # the daily cap of one
    counters = await nps.store.counters()
    assert counters["skipped"] == {
        "no_consent": 1,
        "open_conversation": 1,
        "survey_pending": 1,
        "daily_cap": 1,
    }


async def test_quiet_hours_defer_instead_of_skipping(database: PluginDatabase) -> None:
    clock, published = Clock(), []
    clock.now = datetime(2025, 3, 11, 2, tzinfo=UTC)  # 23:00 in São Paulo
    nps = nps_over(database, clock, published)
    await nps.store.note("c1", surveys_allowed=1, timezone="America/Sao_Paulo")
    await schedule(nps, "c1", Trigger("on_demand", "a", delay=0))
    assert await ask_due(nps) == 0
    assert (await nps.store.counters())["deferred"] == {"quiet_hours": 1}
    clock.advance(hours=10)  # 09:00 local
    assert await ask_due(nps) == 1
    assert published[2]["data"]["trigger"] == "on_demand"


async def test_whatsapp_outside_the_window_needs_a_template(database: PluginDatabase) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, whatsapp_template="nps_question", delay_seconds=0)
    nps.context.customers.last = clock.now - timedelta(days=2)  # type: ignore[attr-defined]
    await nps.store.note("c1", surveys_allowed=1, language="es-AR")
    await schedule(nps, "c1", Trigger("on_demand", "a", channel="whatsapp"))
    assert await ask_due(nps) == 1
    template = published[1]["data"]["template"]
    assert template == {"name": "nps_question", "language": "es"}


async def test_erasure_forgets_the_customer_and_keeps_only_an_anonymous_score(
    database: PluginDatabase,
) -> None:
    clock, published = Clock(), []
    nps = nps_over(database, clock, published, delay_seconds=0)
    for customer in ("c1", "c1-merged", "c2"):
        await nps.store.note(customer, surveys_allowed=1, language="pt-BR")
        await schedule(nps, customer, Trigger("on_demand", f"t-{customer}"))
    assert await ask_due(nps) == 3
    answered = await nps.store.pending("c1")
    assert answered is not None
    await nps.store.transition(
        answered.survey_id, {"status": "asked"}, status="responded", score=3, comment="Ana, 3"
    )
    # The hook gets the survivor and the ids merged into it.
    request = ErasureRequest("e1", "c1", merged_ids=("c1-merged",))
    context = replace(nps.context, state={"nps": nps})
    receipt = await NpsPlugin().hub_erase_customer(request, context)
    assert (receipt.status, receipt.items) == ("done", 4)  # two surveys, two customers
    surveys = await nps.store.requested(0, clock().timestamp())
    kept = {(s.customer_id, s.status, s.score, s.comment, s.question) for s in surveys}
    assert ("(erased)", "responded", 3, None, None) in kept
    assert ("(erased)", "erased", None, None, None) in kept
    assert {s.customer_id for s in surveys} == {"(erased)", "c2"}
    assert (await nps.store.customer("c1")).surveys_allowed == 0  # forgotten
    assert (await nps.store.customer("c2")).surveys_allowed == 1
