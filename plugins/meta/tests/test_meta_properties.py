"""Property tests on every Meta channel's webhook: no JSON crashes it, no forgery passes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from meta_support import channel_params, samples, start
from omnihub_meta.testing import signed

from hub.testing import HubHarness
from hub.testing.strategies import WEBHOOK_SETTINGS
from hub.testing.strategies import json_values as any_json

CHANNELS = channel_params()
SETTINGS = WEBHOOK_SETTINGS
json_values = any_json(text_size=30, key_size=12, max_leaves=30)
# Bodies shaped like Meta's, with anything in the leaves, so the walkers go deep.
messaging = st.fixed_dictionaries(
    {"sender": st.fixed_dictionaries({"id": json_values}), "timestamp": json_values},
    optional={k: json_values for k in ("message", "reaction", "postback", "read", "delivery")},
)
changes = st.fixed_dictionaries(
    {"field": st.sampled_from(["messages", "user_preferences", "x"]) | json_values},
    optional={
        "value": st.dictionaries(
            st.sampled_from(["metadata", "contacts", "messages", "statuses", "user_preferences"]),
            st.lists(json_values, max_size=3) | json_values,
        )
    },
)
entries = st.fixed_dictionaries(
    {"id": json_values},
    optional={
        "messaging": st.lists(messaging, max_size=3),
        "changes": st.lists(changes, max_size=3),
    },
)
bodies = st.one_of(
    json_values,
    st.dictionaries(st.text(max_size=8), json_values),
    st.fixed_dictionaries(
        {"object": json_values, "entry": st.lists(entries, max_size=3) | json_values}
    ),
)


_running: dict[int, HubHarness] = {}


async def harness_for(hub_factory: Any, channel: str) -> HubHarness:
    """One hub for all examples of a test (the factory is new for every test)."""
    key = id(hub_factory)
    if key not in _running:
        _running.clear()
        _running[key] = await start(hub_factory, channel)
    return _running[key]


@pytest.mark.parametrize("channel", CHANNELS)
@SETTINGS
@given(payload=bodies)
async def test_any_signed_json_is_answered_200_or_400(
    hub_factory: Any, channel: str, payload: Any
) -> None:
    harness = await harness_for(hub_factory, channel)
    body, headers = signed(json.dumps(payload).encode())
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status in (200, 400), await response.text()
    if not isinstance(payload, dict):
        assert response.status == 400


@pytest.mark.parametrize("channel", CHANNELS)
@SETTINGS
@given(payload=bodies, data=st.data())
async def test_changing_any_byte_of_a_signed_body_is_refused(
    hub_factory: Any, channel: str, payload: Any, data: st.DataObject
) -> None:
    harness = await harness_for(hub_factory, channel)
    body, headers = signed(json.dumps(payload).encode())
    at = data.draw(st.integers(0, len(body) - 1), label="index")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != body[at]), label="byte")
    altered = body[:at] + bytes([byte]) + body[at + 1 :]
    response = await harness.client.post(f"/webhooks/{channel}/", data=altered, headers=headers)
    assert response.status == 401


def _leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaves(v, (*path, k))] or [path]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaves(v, (*path, i))] or [path]
    return [path]


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@pytest.mark.parametrize("channel", CHANNELS)
@SETTINGS
@given(data=st.data())
async def test_a_real_sample_with_any_leaf_changed_is_never_dropped(
    hub_factory: Any, channel: str, data: st.DataObject
) -> None:
    harness = await harness_for(hub_factory, channel)
    sample = data.draw(st.sampled_from(samples(channel)), label="sample")
    leaf = data.draw(st.sampled_from(_leaves(sample)), label="leaf")
    payload = _replaced(sample, leaf, data.draw(json_values, label="new value"))
    body, headers = signed(json.dumps(payload).encode())
    response = await harness.client.post(f"/webhooks/{channel}/", data=body, headers=headers)
    assert response.status == 200, await response.text()
    assert (await response.json())["accepted"] >= 1
