"""Property tests: no signed JSON gives a 500; the real sample with any leaf changed neither."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from typeform_support import NPS_REF, post, sample, start

from hub.testing import HubHarness
from hub.testing.strategies import WEBHOOK_SETTINGS
from hub.testing.strategies import json_values as any_json

SETTINGS = WEBHOOK_SETTINGS
json_values = any_json()
answers = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["number", "text", "email", "phone_number"]) | json_values,
        "field": st.fixed_dictionaries(
            {"id": st.sampled_from(["NRsxU591jIW9", "x"]) | json_values},
            optional={
                "type": st.sampled_from(["opinion_scale", "rating", "long_text"]) | json_values
            },
        ),
    },
    optional={k: json_values for k in ("number", "text", "email", "phone_number")},
)
form_responses = st.fixed_dictionaries(
    {"form_id": json_values, "token": json_values},
    optional={
        "submitted_at": st.sampled_from(["2018-01-18T18:17:02Z", "2018-01-18"]) | json_values,
        "hidden": st.dictionaries(
            st.sampled_from(["customer_id", "email", "survey_id"]), json_values
        ),
        "answers": st.lists(answers, max_size=4) | json_values,
        "definition": st.fixed_dictionaries({"fields": st.lists(json_values, max_size=3)}),
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"event_type": st.just("form_response") | json_values, "form_response": form_responses}
    ),
)

_running: dict[int, HubHarness] = {}


async def harness_for(hub_factory: Any) -> HubHarness:
    """One hub for all examples of a test (the factory is new for every test)."""
    key = id(hub_factory)
    if key not in _running:
        _running.clear()
        _running[key] = await start(hub_factory, nps_field=NPS_REF)
    return _running[key]


@SETTINGS
@given(payload=bodies)
async def test_any_signed_json_is_answered_200_or_400(hub_factory: Any, payload: Any) -> None:
    harness = await harness_for(hub_factory)
    response = await post(harness, json.dumps(payload).encode())
    assert response.status in (200, 400), await response.text()


@SETTINGS
@given(leaf=json_values, where=st.sampled_from(["answers", "hidden", "definition", "submitted_at"]))
async def test_the_sample_with_a_part_replaced_is_never_a_500(
    hub_factory: Any, leaf: Any, where: str
) -> None:
    harness = await harness_for(hub_factory)
    payload = sample()
    payload["form_response"][where] = leaf
    response = await post(harness, payload)
    assert response.status in (200, 400), await response.text()
