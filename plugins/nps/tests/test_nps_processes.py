"""Two hub processes on one store (each its own connection), without a hub: the fatigue
rules, the asker's claim and the reply transitions hold across them, on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from nps_support import Clock, nps_over
from omnihub_nps import NpsPlugin
from omnihub_nps.asker import LEASE_SECONDS, ask_due
from omnihub_nps.events import step_id
from omnihub_nps.replies import on_reply
from omnihub_nps.surveys import Nps, Trigger, schedule

from hub.testing import plugin_database


class Processes:
    """Two processes' state on the store of ``store_url``, sharing a clock."""

    def __init__(self) -> None:
        self.clock = Clock()
        self.published: list[list[dict[str, Any]]] = [[], []]
        self.hubs: list[Nps] = []

    def sends(self) -> list[dict[str, Any]]:
        return [e for batch in self.published for e in batch if e["type"] == "message.send"]


@pytest.fixture
async def two(store_url: str) -> AsyncIterator[Processes]:
    processes = Processes()
    async with (
        plugin_database(NpsPlugin(), "nps", store_url) as first,
        plugin_database(NpsPlugin(), "nps", store_url) as second,
    ):
        for database, published in zip((first, second), processes.published, strict=True):
            # min_days_between 0: only the claim keeps a survey from being asked twice.
            table = {"daily_cap": 2, "delay_seconds": 0, "min_days_between": 0}
            hub = nps_over(database, processes.clock, published, **table)
            processes.hubs.append(hub)
        yield processes


async def test_two_triggers_at_once_schedule_one_survey(two: Processes) -> None:
    a, b = two.hubs
    await a.store.note("c1", surveys_allowed=1)
    outcomes = await asyncio.gather(
        schedule(a, "c1", Trigger("conversation_closed", "closed-1")),
        schedule(b, "c1", Trigger("order_delivered", "order-1")),
    )
    assert sorted(outcome for _, outcome in outcomes) == ["scheduled", "survey_pending"]
    assert (await a.store.counters())["skipped"] == {"survey_pending": 1}


async def test_both_askers_see_a_due_survey_and_one_asks_it(two: Processes) -> None:
    a, b = two.hubs
    await a.store.note("c1", surveys_allowed=1, last_channel="whatsapp")
    await schedule(a, "c1", Trigger("conversation_closed", "closed-1"))
    asked = await asyncio.gather(ask_due(a), ask_due(b), ask_due(a), ask_due(b))
    assert sum(asked) == 1
    assert len(two.sends()) == 1


async def test_the_daily_cap_holds_across_processes(two: Processes) -> None:
    a, b = two.hubs
    for customer in ("c1", "c2", "c3"):
        await a.store.note(customer, surveys_allowed=1)
        await schedule(a, customer, Trigger("on_demand", f"t-{customer}"))
    assert sum(await asyncio.gather(ask_due(a), ask_due(b))) == 2  # daily_cap = 2
    assert (await b.store.counters())["skipped"] == {"daily_cap": 1}


async def test_a_claim_left_by_a_crashed_process_is_finished_by_the_other(two: Processes) -> None:
    a, b = two.hubs
    await a.store.note("c1", surveys_allowed=1, last_channel="instagram")
    survey, _ = await schedule(a, "c1", Trigger("conversation_closed", "closed-1"))
    assert survey is not None

    async def broker_down(events: Any) -> list[str]:
        raise ConnectionError("broker away")

    a.context = replace(a.context, publish=broker_down)
    with pytest.raises(ConnectionError):
        await ask_due(a)  # claimed, then died before the question went out
    assert await ask_due(b) == 0  # the claim is a's while its lease lasts
    two.clock.advance(seconds=LEASE_SECONDS + 1)
    assert await ask_due(b) == 1
    [question] = two.sends()
    assert question["id"] == step_id(survey.survey_id, "ask")  # the id a meant to publish
    assert question["data"]["kind"] == "interactive"  # the question a had fixed
    assert (await b.store.pending("c1")).status == "asked"  # type: ignore[union-attr]
    assert await ask_due(a) == 0


def text(body: str) -> Any:
    return SimpleNamespace(text=body, media=None, interactive_reply=None)


async def test_a_redelivered_reply_has_no_second_effect(two: Processes) -> None:
    a, b = two.hubs
    await a.store.note("c1", surveys_allowed=1, last_channel="whatsapp")
    await schedule(a, "c1", Trigger("on_demand", "t1"))
    await ask_due(a)
    asked = await a.store.pending("c1")
    assert asked is not None
    assert await on_reply(a, asked, "whatsapp", text("8"), "reply-1") == "asked_reason"
    # The same message again, as the hub would redeliver it after a crash before its ack,
    # to either process: read afresh, or with the state read before the first handling.
    again = await b.store.pending("c1")
    assert again is not None
    assert await on_reply(b, again, "whatsapp", text("8"), "reply-1") == "duplicate"
    assert await on_reply(b, asked, "whatsapp", text("8"), "reply-1") == "duplicate"
    state = await a.store.pending("c1")
    assert state is not None
    assert (state.status, state.score, state.comment) == ("awaiting_reason", 8, None)
    follow_ups = [e for e in two.sends() if e["id"] == step_id(asked.survey_id, "follow_up")]
    assert len(follow_ups) == 2  # published twice with one id: the hub keeps one

    # The reason comes; a duplicate of it changes nothing.
    assert await on_reply(a, state, "whatsapp", text("entrega lenta"), "reply-2") == "responded"
    assert await on_reply(b, state, "whatsapp", text("entrega lenta"), "reply-2") == "duplicate"
    [answered] = await a.store.requested(0, two.clock().timestamp())
    assert (answered.status, answered.comment) == ("responded", "entrega lenta")
