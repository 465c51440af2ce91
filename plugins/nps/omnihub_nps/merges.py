"""Following ``customer.merged``: the absorbed profiles' state and surveys go to the survivor.

One person, one record: what the plugin remembered of each profile becomes the survivor's,
and so do their surveys, so the fatigue rules see the person's whole history (the last
survey asked under any of their ids counts for ``min_days_between``). Of the surveys still
going, the one furthest along is kept: a person has one pending survey.

The merge is heard twice, on purpose: by the ``nps`` consumer, in order with the
survivor's later events (a reply right after the merge finds the moved survey), and by the
purpose-free ``nps.merges``, which also hears merges into someone who does not allow
surveys, whose pending surveys must then stop. Both do the same idempotent work.
"""

from __future__ import annotations

from typing import Any

from hub import CloudEvent

from . import events
from .records import ANSWERING, CUSTOMER_COLUMNS, PURPOSE, CustomerState, Survey
from .store import NpsTables
from .surveys import Nps


def merge_of(event: CloudEvent) -> tuple[str, list[str], bool | None]:
    """(survivor, absorbed ids, whether the merged person allows surveys; None: unknown)."""
    data: Any = event.data
    fields = data if isinstance(data, dict) else data.model_dump(mode="json")
    allowed = event.allowed_purposes
    return (
        str(fields["surviving_id"]),
        [str(i) for i in fields["merged_ids"]],
        None if allowed is None else PURPOSE in allowed,
    )


async def follow_merge(nps: Nps, survivor: str, absorbed: list[str], allowed: bool | None) -> None:
    ended: list[Survey] = []
    async with nps.store.locked(survivor, *absorbed) as tables:
        await _merge_state(tables, survivor, absorbed, allowed)
        await tables.move_surveys(survivor, absorbed)
        pending = await tables.pending_all(survivor)
        pending.sort(key=lambda s: (-s.progress, s.due_at))  # furthest along, then oldest
        if allowed is False:
            for survey in pending:
                if await tables.transition(survey.survey_id, {"status": survey.status},
                                           status="skipped"):  # fmt: skip
                    await tables.count("skipped", "consent_revoked")
                    ended.append(survey)
        else:
            for survey in pending[1:]:
                if survey.status == "scheduled":
                    status, kind, reason = "skipped", "skipped", "survey_pending"
                else:
                    status, kind, reason = "merged", "ended", "merged"
                if await tables.transition(survey.survey_id, {"status": survey.status},
                                           status=status):  # fmt: skip
                    await tables.count(kind, reason)
                    ended.append(survey)
    # The survey conversations of questions already asked end with them (outside the
    # transaction: never publish while holding the store).
    asked = [s for s in ended if s.status in ANSWERING]
    if asked:
        await nps.publish([events.conversation(s, "closed", s.channel) for s in asked])


async def _merge_state(
    tables: NpsTables, survivor: str, absorbed: list[str], allowed: bool | None
) -> None:
    """The survivor's own values first, the absorbed profiles' where it has none; an
    open conversation of any of them keeps the person "in a conversation"."""
    known = {c.customer_id: c for c in await tables.customers([survivor, *absorbed])}
    if not known:
        return  # the plugin never heard of either: nothing to remember now
    ordered = [known[i] for i in (survivor, *absorbed) if i in known]
    merged = CustomerState(survivor)
    for column in CUSTOMER_COLUMNS:
        values = [getattr(c, column) for c in ordered if getattr(c, column) is not None]
        if column == "surveys_allowed":
            merged.surveys_allowed = int(allowed) if allowed is not None else max(values)
        elif values:
            setattr(merged, column, values[0])
    await tables.note(survivor, **{c: getattr(merged, c) for c in CUSTOMER_COLUMNS})
    await tables.forget_customers(absorbed)
