"""Chatwoot's Application API: the calls the desk makes, with retries.

429 (honouring ``Retry-After``), 408, 5xx, timeouts and connection errors are retried with
exponential backoff and jitter; any other 4xx is permanent. Error messages name the route
and status only: Chatwoot's error bodies may quote what the customer wrote.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from hub import (
    ServiceRefused,
    ServiceUnavailable,
    parse_retry_after,
    wait_retry_after,
)

from .config import ChatwootConfig

Json = dict[str, Any]


class ApiUnavailable(ServiceUnavailable):
    """Chatwoot did not take the request, but may later (429, 5xx, timeout, no connection)."""


class ApiRefused(ServiceRefused):
    """Chatwoot answered 4xx: the same request will never succeed."""


def _route(method: str, path: str) -> str:
    """The path with ids masked, for logs and errors: `POST /conversations/{id}/messages`."""
    words = ["{id}" if word.isdigit() else word for word in path.split("?")[0].split("/")]
    return f"{method} {'/'.join(words)}"


class ChatwootApi:
    def __init__(
        self,
        config: ChatwootConfig,
        *,
        log: Any,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ):
        self.config = config
        self.log = log
        self.sleep = sleep
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            headers={"api_access_token": self.config.api_access_token.get_secret_value()},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def request(
        self, method: str, path: str, payload: Json | None = None, params: Json | None = None
    ) -> Any:
        """Call ``/api/v1/accounts/<account_id><path>``; the parsed JSON answer."""
        c = self.config
        extra: dict[str, Any] = {} if self.sleep is None else {"sleep": self.sleep}
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(ApiUnavailable),
            wait=wait_retry_after(
                wait_exponential_jitter(
                    multiplier=c.backoff_initial, max=c.backoff_max, jitter=c.backoff_initial
                ),
                c.retry_after_max,
            ),
            stop=stop_after_attempt(c.attempts),
            reraise=True,
            **extra,
        )
        async for attempt in retrying:
            with attempt:
                return await self._once(method, c.account_path(path), payload, params)
        raise AssertionError("unreachable: tenacity reraises the last failure")

    async def _once(self, method: str, path: str, payload: Json | None, params: Json | None) -> Any:
        if self._session is None:
            raise ApiUnavailable("the Chatwoot client is not started")
        route = _route(method, path)
        try:
            async with self._session.request(
                method, self.config.base_url + path, json=payload, params=params
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                raw = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("chatwoot_api_failed", route=route, error=type(exc).__name__)
            raise ApiUnavailable(f"Chatwoot {route}: {type(exc).__name__}") from None
        if 200 <= status < 300:
            try:
                return json.loads(raw) if raw else {}
            except ValueError:
                return {}  # a 2xx without a JSON body still succeeded: never resend it
        reason = f"Chatwoot {route} answered {status}"
        self.log.warning("chatwoot_api_failed", route=route, status=status)
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(reason, retry_after)
        raise ApiRefused(reason, status)
