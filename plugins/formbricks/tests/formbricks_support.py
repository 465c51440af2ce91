"""Helpers of the Formbricks tests: documented samples with an NPS answer, signed."""

from __future__ import annotations

import base64
import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import omnihub_formbricks
from standardwebhooks.webhooks import Webhook

from hub.testing import HubHarness

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "whsec_" + base64.b64encode(b"formbricks-test-signing-key-32b!").decode()
NPS_QUESTION = "nps"
COMMENT_QUESTION = "why"
KNOWN_EMAIL = json.loads((FIXTURES / "respondent.json").read_text())["email"]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def finished(score: Any = 9, comment: str | None = None, **response: Any) -> dict[str, Any]:
    """The documented responseFinished object, with an NPS answer (and what else is given)."""
    [item] = copy.deepcopy(load("response_finished.json"))
    item["data"]["data"][NPS_QUESTION] = score
    if comment is not None:
        item["data"]["data"][COMMENT_QUESTION] = comment
    item["data"].update(response)
    return dict(item)


def signed(
    payload: bytes | Any, secret: str = SECRET, at: datetime | None = None, msg_id: str = "msg_1"
) -> tuple[bytes, dict[str, str]]:
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id, at, body.decode("utf-8", "surrogateescape"))
    return body, {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "Content-Type": "application/json",
    }


def stale(minutes: int) -> datetime:
    return datetime.now(UTC) - timedelta(minutes=minutes)


def table(**extra: Any) -> dict[str, Any]:
    return {
        "webhook_secret": SECRET,
        "nps_questions": [NPS_QUESTION],
        "comment_questions": [COMMENT_QUESTION],
        **extra,
    }


async def start(hub_factory: Any, broker_url: str = "memory://", **extra: Any) -> HubHarness:
    harness: HubHarness = await hub_factory(
        plugins={"formbricks": omnihub_formbricks},
        config={"formbricks": table(**extra)},
        broker_url=broker_url,
    )
    return harness


async def post(harness: HubHarness, payload: bytes | Any, **sign: Any) -> Any:
    body, headers = signed(payload, **sign)
    return await harness.client.post("/webhooks/formbricks", data=body, headers=headers)
