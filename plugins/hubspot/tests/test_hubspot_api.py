"""The CRM API client and the batcher against the fake HubSpot, without a hub."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import pytest_asyncio
import structlog
from aiohttp import web
from hubspot_support import TOKEN, ApiCall, FakeHubSpotFactory
from omnihub_hubspot.api import ApiRefused, ApiUnavailable, HubSpotApi
from omnihub_hubspot.batcher import UpdateBatcher
from omnihub_hubspot.config import HubSpotConfig

from hub import PermanentFailure

LOG = structlog.get_logger("test")
ApiFactory = Callable[..., HubSpotApi]


@pytest_asyncio.fixture
async def api_factory() -> AsyncIterator[ApiFactory]:
    clients: list[HubSpotApi] = []

    def make(url: str, **table: Any) -> HubSpotApi:
        sleeps: list[float] = []

        async def record(seconds: float) -> None:
            sleeps.append(seconds)

        config = HubSpotConfig.model_validate({"access_token": TOKEN, "api_url": url, **table})
        client = HubSpotApi(config, log=LOG, sleep=record)
        client.sleeps = sleeps  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def statuses(*answers: tuple[int, dict[str, str]]) -> Any:
    async def respond(call: ApiCall, before: int) -> web.Response | None:
        if before >= len(answers):
            return None
        status, headers = answers[before]
        return web.json_response({"category": "X"}, status=status, headers=headers)

    return respond


@pytest.mark.parametrize(("retry_after", "waited"), [("7", 7.0), ("3600", 10.0)])
async def test_retry_after_is_honoured_up_to_the_cap(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory, retry_after: str, waited: float
) -> None:
    fake = await fake_hubspot(statuses((429, {"Retry-After": retry_after})))
    api = api_factory(fake.url, retry_after_max=10.0)
    await api.start()

    await api.update("501", {"firstname": "Maria"})

    assert len(fake.calls) == 2
    assert api.sleeps == [waited]  # type: ignore[attr-defined]


async def test_a_4xx_is_permanent_and_not_retried(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory
) -> None:
    fake = await fake_hubspot(statuses((404, {})))
    api = api_factory(fake.url)
    await api.start()

    with pytest.raises(ApiRefused, match="PATCH /crm/v3/objects/contacts answered 404 X") as err:
        await api.update("501", {"firstname": "Maria"})
    assert isinstance(err.value, PermanentFailure)
    assert len(fake.calls) == 1


async def test_5xx_until_the_attempts_are_used_up(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory
) -> None:
    fake = await fake_hubspot(statuses(*[(503, {})] * 5))
    api = api_factory(fake.url, attempts=3)
    await api.start()

    with pytest.raises(ApiUnavailable, match="answered 503"):
        await api.merge("501", "502")
    assert len(fake.calls) == 3


async def test_no_connection_is_retried(api_factory: ApiFactory) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    api = api_factory(f"http://127.0.0.1:{port}", attempts=2)
    await api.start()

    with pytest.raises(ApiUnavailable, match="Client"):
        await api.update("501", {})
    assert len(api.sleeps) == 1  # type: ignore[attr-defined]


async def test_a_batch_waits_for_its_window_or_its_size(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory
) -> None:
    fake = await fake_hubspot()
    api = api_factory(fake.url)
    await api.start()
    batcher = UpdateBatcher(api, window=30.0, size=2, log=LOG)

    first = asyncio.create_task(batcher.update("501", {"firstname": "A"}))
    await asyncio.sleep(0)
    assert not first.done()  # waiting for company
    assert not fake.calls
    await batcher.update("502", {"firstname": "B"})
    await first

    [call] = fake.calls
    assert call.body == {
        "inputs": [
            {"id": "501", "properties": {"firstname": "A"}},
            {"id": "502", "properties": {"firstname": "B"}},
        ]
    }


async def test_a_contact_never_appears_twice_in_one_batch(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory
) -> None:
    fake = await fake_hubspot()
    api = api_factory(fake.url)
    await api.start()
    batcher = UpdateBatcher(api, window=0.01, size=100, log=LOG)

    await asyncio.gather(
        batcher.update("501", {"firstname": "A"}),
        batcher.update("501", {"lastname": "B"}),
    )

    assert [[i["id"] for i in c.body["inputs"]] for c in fake.calls] == [["501"], ["501"]]


async def test_a_failed_batch_fails_each_waiting_update(
    fake_hubspot: FakeHubSpotFactory, api_factory: ApiFactory
) -> None:
    fake = await fake_hubspot(statuses(*[(500, {})] * 5))
    api = api_factory(fake.url, attempts=1)
    await api.start()
    batcher = UpdateBatcher(api, window=30.0, size=2, log=LOG)

    results = await asyncio.gather(
        batcher.update("501", {}), batcher.update("502", {}), return_exceptions=True
    )

    assert [type(r) for r in results] == [ApiUnavailable, ApiUnavailable]
    await batcher.close()
