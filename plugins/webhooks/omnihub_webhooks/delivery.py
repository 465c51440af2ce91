"""One endpoint's deliveries: sign, POST, classify the answer, retry what may heal.

Each endpoint has its own HTTP connection pool and circuit breaker, so a receiver that
hangs holds only its own connections and handler slots, never another endpoint's.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import aiohttp

from hub import (
    CloudEvent,
    PermanentFailure,
    ServiceUnavailable,
    parse_retry_after,
    retrying,
)

from .breaker import CircuitBreaker
from .config import Endpoint
from .signing import signed_headers, webhook_id

# Structured content mode of the CloudEvents HTTP binding: the body is the whole event in
# the JSON event format, whose media type this is (it is JSON, as Standard Webhooks asks).
CONTENT_TYPE = "application/cloudevents+json; charset=utf-8"
USER_AGENT = "Omnihub-Webhooks/0.1"


class DeliveryFailed(ServiceUnavailable):
    """A failure another attempt may cure: timeout, connection error, 408, 429 or 5xx."""


def classify(endpoint: str, status: int, reason: str, retry_after: float | None) -> None:
    """Return for a 2xx; raise DeliveryFailed (retry) or PermanentFailure (dead-letter)."""
    answered = f"endpoint {endpoint} answered {status} {reason}".rstrip()
    if 200 <= status < 300:
        return
    if status in (408, 429) or status >= 500:
        raise DeliveryFailed(answered, retry_after)
    if 300 <= status < 400:
        raise PermanentFailure(f"{answered}: redirects are not followed, configure the final URL")
    if status == 410:
        raise PermanentFailure(f"{answered}: the receiver asks to stop, remove the endpoint")
    if 400 <= status < 500:
        raise PermanentFailure(answered)
    raise DeliveryFailed(answered)


class EndpointClient:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        log: Any,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ):
        self.endpoint = endpoint
        self.keys = endpoint.keys()
        self.log = log.bind(endpoint=endpoint.name)
        self.clock = clock
        self.sleep = sleep
        self.breaker = CircuitBreaker(
            endpoint.name, threshold=endpoint.failure_threshold, cooldown=endpoint.cooldown
        )
        self.breaker.on_change = lambda state: self.log.warning("circuit_changed", state=state)
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.endpoint.timeout),
            connector=aiohttp.TCPConnector(limit=self.endpoint.concurrency),
            headers={"User-Agent": USER_AGENT},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def deliver(self, event: CloudEvent) -> None:
        """POST the event, retrying per the endpoint's backoff; raises what the hub needs."""
        e = self.endpoint
        body, msg_id = event.to_json(), webhook_id(event)
        policy = retrying(
            DeliveryFailed,
            initial=e.backoff_initial,
            longest=e.backoff_max,
            retry_after_max=e.retry_after_max,
            attempts=e.attempts,
            sleep=self.sleep,
        )
        async for attempt in policy:
            with attempt:
                await self._post(msg_id, body, attempt.retry_state.attempt_number)

    async def _post(self, msg_id: str, body: bytes, number: int) -> None:
        if self._session is None:
            raise DeliveryFailed(f"endpoint {self.endpoint.name} is not started")
        with self.breaker.attempt():
            headers = signed_headers(self.keys, msg_id, int(self.clock()), body)
            headers["content-type"] = CONTENT_TYPE
            try:
                async with self._session.post(
                    self.endpoint.url, data=body, headers=headers, allow_redirects=False
                ) as response:
                    status, reason = response.status, response.reason or ""
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), datetime.now(UTC)
                    )
            except (aiohttp.ClientError, TimeoutError) as exc:
                self.log.warning("delivery_failed", attempt=number, error=type(exc).__name__)
                raise DeliveryFailed(
                    f"endpoint {self.endpoint.name}: {type(exc).__name__}"
                ) from None
            if not 200 <= status < 300:
                self.log.warning("delivery_failed", attempt=number, status=status)
            classify(self.endpoint.name, status, reason, retry_after)
