"""Property tests where input is open-ended: the parser never fails any other way than
:class:`InvalidEvent`, and every valid event survives a trip through JSON unchanged."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from omnihub_contracts import CORE_EVENT_TYPES, InvalidEvent, core_registry
from omnihub_contracts.survey import NpsCategory

from .examples import all_examples, envelope

REGISTRY = core_registry()
TYPE_NAMES = sorted(t.name for t in CORE_EVENT_TYPES)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
attribute_names = st.sampled_from(
    ["id", "source", "type", "time", "channel", "customerid", "consent", "dataschema", "data"]
)


def _parses_or_is_invalid(raw: Any) -> None:
    try:
        REGISTRY.parse(raw)
    except InvalidEvent as exc:
        errors = exc.errors
    else:
        return
    assert errors
    assert all(e.field and e.message for e in errors)


@given(json_values)
def test_any_json_value_is_an_event_or_invalid(value: Any) -> None:
    _parses_or_is_invalid(json.dumps(value))
    if isinstance(value, dict):
        _parses_or_is_invalid(value)


@given(st.binary(max_size=200))
def test_any_bytes_are_an_event_or_invalid(raw: bytes) -> None:
    _parses_or_is_invalid(raw)


@given(st.sampled_from(TYPE_NAMES), json_values)
def test_any_data_for_a_known_type_is_valid_or_invalid(type_: str, data: Any) -> None:
    _parses_or_is_invalid(envelope(type_, data))


@given(st.sampled_from(all_examples()), attribute_names, json_values)
def test_any_attribute_value_is_valid_or_invalid(
    example: tuple[str, dict[str, Any]], name: str, value: Any
) -> None:
    _parses_or_is_invalid({**envelope(*example), name: value})


aware_times = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)
).flatmap(
    lambda t: st.integers(-12 * 60, 14 * 60).map(
        lambda minutes: t.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    )
)
ids = st.text(min_size=1, max_size=40)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(
    example=st.sampled_from(all_examples()),
    id_=ids,
    time=aware_times | st.just(datetime(2024, 5, 1, tzinfo=UTC)),
    channel=st.none() | st.from_regex(r"\A[a-z][a-z0-9_]{0,20}\Z"),
    customerid=st.none() | ids,
    purposes=st.none() | st.lists(st.from_regex(r"\A[a-z][a-z0-9_]{0,12}\Z"), max_size=4),
)
def test_valid_generated_events_round_trip(
    example: tuple[str, dict[str, Any]],
    id_: str,
    time: datetime,
    channel: str | None,
    customerid: str | None,
    purposes: list[str] | None,
) -> None:
    attributes = {"id": id_, "time": time.isoformat(), "channel": channel,
                  "customerid": customerid}  # fmt: skip
    if purposes is not None:
        attributes["consent"] = ",".join(purposes)
    event = REGISTRY.parse(envelope(*example, **attributes))

    again = REGISTRY.parse(event.to_json())

    assert again == event
    assert again.time == time
    assert again.routing_key == f"{example[0]}.{channel or 'none'}"
    if purposes is not None:
        assert again.allowed_purposes == frozenset(purposes)


@given(st.integers(-(2**70), 2**70))
def test_score_is_valid_exactly_from_0_to_10(score: int) -> None:
    raw = envelope("survey.responded", {"score": score})
    if 0 <= score <= 10:
        category = REGISTRY.parse(raw).data.category
        assert category is NpsCategory.of(score)
        assert (category is NpsCategory.DETRACTOR) == (score <= 6)
    else:
        with pytest.raises(InvalidEvent) as caught:
            REGISTRY.parse(raw)
        assert [e.field for e in caught.value.errors] == ["data.score"]


@given(st.decimals(min_value=0, max_value=Decimal("1e12"), places=2, allow_nan=False))
def test_amounts_survive_json_exactly(amount: Decimal) -> None:
    data = {"order_id": "1", "platform": "store", "currency": "BRL",
            "totals": {"total": format(amount, "f")}}  # fmt: skip
    event = REGISTRY.parse(REGISTRY.parse(envelope("order.placed", data)).to_json())
    assert event.data.totals.total == amount
    assert format(event.data.totals.total, "f") == format(amount, "f")
