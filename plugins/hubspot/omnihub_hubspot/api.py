"""HubSpot's CRM API v3, the three calls the plugin makes, with retries.

429 (honouring ``Retry-After``), 5xx, timeouts and connection errors are retried with
exponential backoff and jitter; a 4xx is permanent. Error messages name the status and
HubSpot's error ``category`` only: HubSpot's ``message`` may quote property values.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from hub import (
    ServiceRefused,
    ServiceUnavailable,
    parse_retry_after,
    retrying,
)

from .config import HubSpotConfig

CONTACTS = "/crm/v3/objects/contacts"


class ApiUnavailable(ServiceUnavailable):
    """HubSpot did not take the request, but may later (429, 5xx, timeout, no connection)."""


class ApiRefused(ServiceRefused):
    """HubSpot answered 4xx: the same request will never succeed."""


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else {}
    except ValueError:
        return {}  # a 2xx without a JSON body still succeeded: never resend it


class HubSpotApi:
    def __init__(
        self,
        config: HubSpotConfig,
        *,
        log: Any,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ):
        assert config.access_token is not None
        self.config = config
        self.log = log
        self.sleep = sleep
        self._token = config.access_token.get_secret_value()
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.config.timeout),
            headers={"Authorization": f"Bearer {self._token}"},
        )

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def batch_update(self, inputs: Sequence[dict[str, Any]]) -> set[str]:
        """Update up to 100 contacts; returns the ids HubSpot did not update (a 207)."""
        answer = await self._request("POST", f"{CONTACTS}/batch/update", {"inputs": inputs})
        updated = {str(r.get("id")) for r in answer.get("results", []) if isinstance(r, dict)}
        return {str(i["id"]) for i in inputs} - updated if answer.get("errors") else set()

    async def update(self, contact_id: str, properties: dict[str, str]) -> None:
        await self._request("PATCH", f"{CONTACTS}/{contact_id}", {"properties": properties})

    async def merge(self, primary_id: str, merged_id: str) -> None:
        payload = {"primaryObjectId": primary_id, "objectIdToMerge": merged_id}
        await self._request("POST", f"{CONTACTS}/merge", payload)

    async def _request(self, method: str, path: str, payload: Any) -> dict[str, Any]:
        c = self.config
        policy = retrying(
            ApiUnavailable,
            initial=c.backoff_initial,
            longest=c.backoff_max,
            retry_after_max=c.retry_after_max,
            attempts=c.attempts,
            sleep=self.sleep,
        )
        async for attempt in policy:
            with attempt:
                return await self._once(method, path, payload)
        raise AssertionError("unreachable: tenacity reraises the last failure")

    async def _once(self, method: str, path: str, payload: Any) -> dict[str, Any]:
        if self._session is None:
            raise ApiUnavailable("the HubSpot client is not started")
        route = f"{method} {path.rsplit('/', 1)[0] if method == 'PATCH' else path}"
        try:
            async with self._session.request(
                method, self.config.api_url + path, json=payload
            ) as response:
                status = response.status
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
                body = _json(await response.read())
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.log.warning("hubspot_api_failed", route=route, error=type(exc).__name__)
            raise ApiUnavailable(f"HubSpot {route}: {type(exc).__name__}") from None
        if 200 <= status < 300:
            return body if isinstance(body, dict) else {}
        category = body.get("category", "") if isinstance(body, dict) else ""
        reason = f"HubSpot {route} answered {status} {category}".rstrip()
        self.log.warning("hubspot_api_failed", route=route, status=status, category=category)
        if status in (408, 429) or status >= 500:
            raise ApiUnavailable(reason, retry_after)
        raise ApiRefused(reason, status)
