"""Property tests: no signed JSON gives a 500; our check agrees with the spec library."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from formbricks_support import SECRET, finished, post, signed, start
from hypothesis import given
from hypothesis import strategies as st
from omnihub_formbricks.config import FormbricksConfig, secret_key
from omnihub_formbricks.signature import verify
from pydantic import ValidationError

from hub.testing import HubHarness
from hub.testing.strategies import WEBHOOK_SETTINGS
from hub.testing.strategies import json_values as any_json

SETTINGS = WEBHOOK_SETTINGS
json_values = any_json()
responses = st.fixed_dictionaries(
    {"id": json_values, "surveyId": json_values},
    optional={
        k: json_values
        for k in ("finished", "updatedAt", "createdAt", "data", "contact", "contactAttributes")
    },
)
bodies = json_values | st.fixed_dictionaries(
    {"event": st.just("responseFinished") | json_values, "data": responses}
)
_running: dict[int, HubHarness] = {}


async def harness_for(hub_factory: Any) -> HubHarness:
    key = id(hub_factory)
    if key not in _running:
        _running.clear()
        _running[key] = await start(hub_factory, user_id_kind="crm:app")
    return _running[key]


@SETTINGS
@given(payload=bodies)
async def test_any_signed_json_is_answered_200_or_400(hub_factory: Any, payload: Any) -> None:
    response = await post(await harness_for(hub_factory), json.dumps(payload).encode())
    assert response.status in (200, 400), await response.text()


@SETTINGS
@given(
    leaf=json_values,
    where=st.sampled_from(["data", "contact", "contactAttributes", "updatedAt", "finished"]),
)
async def test_a_sample_with_a_part_replaced_is_never_a_500(
    hub_factory: Any, leaf: Any, where: str
) -> None:
    response = await post(await harness_for(hub_factory), finished(score=7, **{where: leaf}))
    assert response.status in (200, 400), await response.text()


@given(body=st.binary(max_size=200), msg_id=st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
def test_what_the_spec_library_signs_verifies(body: bytes, msg_id: str) -> None:
    text = body.decode("latin-1")
    payload, headers = signed(text.encode(), msg_id=msg_id)
    headers = {k.lower(): v for k, v in headers.items()}
    assert verify(secret_key(SECRET), payload, headers)


def test_a_secret_that_is_not_whsec_base64_is_a_config_error() -> None:
    with pytest.raises(ValidationError, match="whsec_ followed by base64"):
        FormbricksConfig.model_validate(
            {"webhook_secret": "whsec_not base64!", "nps_questions": ["q"]}
        )
    key = base64.b64encode(b"k" * 24).decode()
    assert FormbricksConfig.model_validate({"webhook_secret": key, "nps_questions": ["q"]})
