"""Helpers of the Typeform tests: the real sample, signed; a hub with the plugin."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import omnihub_typeform
from omnihub_typeform.signature import SIGNATURE_HEADER, sign

from hub.testing import HubHarness

SECRET = "typeform-test-secret"
SAMPLE = json.loads(
    (Path(__file__).parent / "fixtures/form_response_opinion_scale.json").read_text()
)
NPS_REF = "readable_ref_opinion_scale"  # the sample's opinion_scale question
NPS_ID = "NRsxU591jIW9"
EMAIL = "laura@example.com"
KNOWN_EMAIL = json.loads((Path(__file__).parent / "fixtures/respondent.json").read_text())["email"]


def sample() -> dict[str, Any]:
    return copy.deepcopy(SAMPLE)


def with_scale(payload: dict[str, Any], **properties: Any) -> dict[str, Any]:
    """The sample's opinion_scale field with the given definition properties."""
    for field in payload["form_response"]["definition"]["fields"]:
        if field["id"] == NPS_ID:
            field["properties"] = properties
    return payload


def with_score(payload: dict[str, Any], score: Any) -> dict[str, Any]:
    for answer in payload["form_response"]["answers"]:
        if answer["field"]["id"] == NPS_ID:
            answer["number"] = score
    return payload


def with_email(payload: dict[str, Any], email: str) -> dict[str, Any]:
    for answer in payload["form_response"]["answers"]:
        if answer["type"] == "email":
            answer["email"] = email
    return payload


def signed(payload: bytes | dict[str, Any], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return body, {SIGNATURE_HEADER: sign(secret, body), "Content-Type": "application/json"}


async def start(hub_factory: Any, broker_url: str = "memory://", **table: Any) -> HubHarness:
    config = {"secret": SECRET, **table}
    harness: HubHarness = await hub_factory(
        plugins={"typeform": omnihub_typeform},
        config={"typeform": config},
        broker_url=broker_url,
    )
    return harness


async def post(harness: HubHarness, payload: bytes | dict[str, Any], **headers: str) -> Any:
    body, signed_headers = signed(payload)
    response = await harness.client.post(
        "/webhooks/typeform", data=body, headers={**signed_headers, **headers}
    )
    return response
