"""One endpoint's client against a local receiver: retries, Retry-After, 4xx, the breaker."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import pytest_asyncio
import structlog
from aiohttp import web
from omnihub_webhooks.breaker import OPEN, CircuitOpen
from omnihub_webhooks.config import Endpoint
from omnihub_webhooks.delivery import DeliveryFailed, EndpointClient
from standardwebhooks.webhooks import Webhook
from webhooks_support import SECRET, Received, ReceiverFactory, endpoint, updated

from hub import PermanentFailure, parse_retry_after

ClientFactory = Callable[..., EndpointClient]


@pytest_asyncio.fixture
async def client_factory() -> AsyncIterator[ClientFactory]:
    clients: list[EndpointClient] = []
    sleeps: list[float] = []

    def make(url: str, **table: Any) -> EndpointClient:
        async def record_sleep(seconds: float) -> None:
            sleeps.append(seconds)  # instant: the tests check what was asked for

        client = EndpointClient(
            Endpoint.model_validate(endpoint("crm", url, **table)),
            log=structlog.get_logger("test"),
            sleep=record_sleep,
        )
        client.sleeps = sleeps  # type: ignore[attr-defined]
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def answers(*statuses: int, **headers: str) -> Any:
    async def respond(received: Received, number: int) -> web.Response:
        status = statuses[min(number, len(statuses)) - 1]
        return web.Response(status=status, headers=headers if status != 204 else None)

    return respond


async def test_a_5xx_is_retried_with_the_same_id_and_a_fresh_signature(
    receiver_factory: ReceiverFactory, client_factory: ClientFactory
) -> None:
    receiver = await receiver_factory(answers(503, 204))
    client = client_factory(receiver.url)
    await client.start()

    await client.deliver(updated("cust-1", 1))

    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == "cust-1-upd-1"
    assert first.body == second.body
    for request in receiver.requests:
        Webhook(SECRET).verify(request.body, request.headers)
        assert request.headers["Content-Type"] == "application/cloudevents+json; charset=utf-8"
    assert len(client.sleeps) == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("retry_after", "expected"),
    [("7", 7.0), ("3600", 30.0)],  # capped by retry_after_max
)
async def test_retry_after_seconds_are_honoured_and_capped(
    receiver_factory: ReceiverFactory,
    client_factory: ClientFactory,
    retry_after: str,
    expected: float,
) -> None:
    receiver = await receiver_factory(answers(429, 204, **{"Retry-After": retry_after}))
    client = client_factory(receiver.url, retry_after_max=30.0)
    await client.start()

    await client.deliver(updated("cust-1", 1))

    assert len(receiver.requests) == 2
    assert client.sleeps == [expected]  # type: ignore[attr-defined]


async def test_retry_after_as_an_http_date(
    receiver_factory: ReceiverFactory, client_factory: ClientFactory
) -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    receiver = await receiver_factory(answers(503, 204, **{"Retry-After": later}))
    client = client_factory(receiver.url)
    await client.start()

    await client.deliver(updated("cust-1", 1))

    [waited] = client.sleeps  # type: ignore[attr-defined]
    assert 10.0 < waited <= 20.0


def test_retry_after_parsing() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Wed, 31 Dec 2025 23:00:00 GMT", now) == 0.0  # in the past
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "endpoint crm answered 400 Bad Request"),
        (401, "endpoint crm answered 401 Unauthorized"),
        (410, "410 Gone: the receiver asks to stop"),
        (302, "302 Found: redirects are not followed"),
    ],
)
async def test_a_refusal_dead_letters_at_once_with_status_and_reason(
    receiver_factory: ReceiverFactory, client_factory: ClientFactory, status: int, reason: str
) -> None:
    receiver = await receiver_factory(answers(status, Location="http://127.0.0.1:1/elsewhere"))
    client = client_factory(receiver.url)
    await client.start()

    with pytest.raises(PermanentFailure, match=reason):
        await client.deliver(updated("cust-1", 1))
    assert len(receiver.requests) == 1
    assert client.breaker.failures == 0  # the receiver is up: it answered


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_errors_are_retried_then_left_to_the_hub(
    client_factory: ClientFactory,
) -> None:
    client = client_factory(f"http://127.0.0.1:{unused_port()}/hook", attempts=3)
    await client.start()

    with pytest.raises(DeliveryFailed, match="endpoint crm: Client"):
        await client.deliver(updated("cust-1", 1))
    assert client.breaker.failures == 3
    assert len(client.sleeps) == 2  # type: ignore[attr-defined]


async def test_a_request_timeout_is_retried(
    receiver_factory: ReceiverFactory, client_factory: ClientFactory
) -> None:
    receiver = await receiver_factory(hang=True)
    client = client_factory(receiver.url, timeout=0.2, attempts=2)
    await client.start()

    with pytest.raises(DeliveryFailed, match="Timeout"):
        await client.deliver(updated("cust-1", 1))
    assert len(receiver.requests) == 2


async def test_the_circuit_opens_and_then_fails_fast_without_a_request(
    receiver_factory: ReceiverFactory, client_factory: ClientFactory
) -> None:
    receiver = await receiver_factory(answers(500))
    client = client_factory(receiver.url, attempts=2, failure_threshold=2, cooldown=60.0)
    await client.start()

    with pytest.raises(DeliveryFailed, match="500"):
        await client.deliver(updated("cust-1", 1))
    assert client.breaker.state == OPEN

    with pytest.raises(CircuitOpen, match="circuit of endpoint crm is open"):
        await client.deliver(updated("cust-2", 1))
    assert len(receiver.requests) == 2  # the second event never reached the receiver
