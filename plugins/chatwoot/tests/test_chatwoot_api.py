"""The API client against the fake Chatwoot: retries, Retry-After, permanent 4xx."""

from __future__ import annotations

from typing import Any

import pytest
import structlog
from aiohttp import web
from chatwoot_support import Call, FakeChatwootFactory
from omnihub_chatwoot.api import ApiRefused, ChatwootApi
from omnihub_chatwoot.config import ChatwootConfig

from hub import PermanentFailure

LOG = structlog.get_logger("test")


def statuses(*answers: tuple[int, dict[str, str]]) -> Any:
    async def respond(call: Call, before: int) -> web.Response | None:
        if before >= len(answers):
            return None
        status, headers = answers[before]
        return web.json_response({"message": "x"}, status=status, headers=headers)

    return respond


async def client(url_config: dict[str, Any], sleeps: list[float]) -> ChatwootApi:
    async def record(seconds: float) -> None:
        sleeps.append(seconds)

    api = ChatwootApi(ChatwootConfig.model_validate(url_config), log=LOG, sleep=record)
    await api.start()
    return api


@pytest.mark.parametrize(("retry_after", "waited"), [("7", 7.0), ("3600", 10.0)])
async def test_429_and_5xx_are_retried_honouring_retry_after(
    fake_chatwoot: FakeChatwootFactory, retry_after: str, waited: float
) -> None:
    fake = await fake_chatwoot(statuses((429, {"Retry-After": retry_after}), (503, {})))
    sleeps: list[float] = []
    api = await client(fake.config(retry_after_max=10.0), sleeps)
    try:
        answer = await api.request("GET", "/contacts/search", params={"q": "cus_1"})
    finally:
        await api.close()
    assert answer == {"payload": []}
    assert len(fake.calls) == 3
    assert sleeps[0] == waited
    assert 0 < sleeps[1] <= 0.02 + 0.01  # backoff_max plus jitter


async def test_a_4xx_is_permanent_and_not_retried(fake_chatwoot: FakeChatwootFactory) -> None:
    fake = await fake_chatwoot(statuses((422, {})))
    api = await client(fake.config(), [])
    try:
        with pytest.raises(ApiRefused, match=r"POST /api/v1/accounts/\{id\}/contacts answered 422"):
            await api.request("POST", "/contacts", {"inbox_id": 7, "identifier": "cus_1"})
    finally:
        await api.close()
    assert issubclass(ApiRefused, PermanentFailure)
    assert len(fake.calls) == 1
