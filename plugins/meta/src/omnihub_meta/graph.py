"""A small Graph API client: POST a message, retry what may pass later, explain what cannot.

Retries (bounded, exponential backoff with jitter) on HTTP 429 and 5xx, timeouts, broken
connections and the Graph error codes Meta documents as rate limits or temporary outages.
Any other 4xx is permanent: a :class:`GraphError` carrying Meta's code and message.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)

from .config import MetaChannelConfig

# Graph API: 1 unknown, 2 service, 4 app rate limit, 17 user rate limit, 32 page rate limit,
# 613 calls rate limit; WhatsApp: 80007 account rate limit, 130429 throughput, 131016 service
# unavailable, 131056 pair rate limit, 133004 server temporarily unavailable.
TRANSIENT_CODES = frozenset({1, 2, 4, 17, 32, 613, 80007, 130429, 131016, 131056, 133004})


def is_transient_code(code: object) -> bool:
    return str(code) in {str(c) for c in TRANSIENT_CODES}


class GraphError(Exception):
    """The Graph API refused a call: ``code`` and ``title`` are Meta's own."""

    def __init__(self, status: int, code: str, title: str, detail: str | None = None):
        super().__init__(f"Graph API error {code} (HTTP {status}): {title}")
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.attempts = 1


class TransientGraphError(GraphError):
    """Worth another try: rate limited or Meta had a temporary problem."""


@dataclass(frozen=True)
class GraphAnswer:
    body: dict[str, Any]
    attempts: int


def _error_of(status: int, answer: Any) -> GraphError:
    error = answer.get("error") if isinstance(answer, dict) else None
    if not isinstance(error, dict):
        error = {}
    code = error.get("code")
    code_text = str(code) if isinstance(code, int | str) and str(code) else f"http_{status}"
    title = str(error.get("message") or f"HTTP {status}")[:1000]
    data = error.get("error_data")
    detail = data.get("details") if isinstance(data, dict) else None
    transient = status == 429 or status >= 500 or error.get("is_transient") is True
    kind = TransientGraphError if transient or is_transient_code(code) else GraphError
    return kind(status, code_text, title, detail if isinstance(detail, str) else None)


class GraphClient:
    def __init__(self, session: aiohttp.ClientSession, config: MetaChannelConfig):
        self.session = session
        self.config = config

    async def post(self, url: str, body: dict[str, Any]) -> GraphAnswer:
        config = self.config
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(
                (TransientGraphError, aiohttp.ClientError, asyncio.TimeoutError)
            ),
            # Exponential backoff with jitter (wait_exponential_jitter's "initial" is deprecated
            # in tenacity 9.2 and its replacement missing in older releases).
            wait=wait_exponential(multiplier=config.backoff_initial, max=config.backoff_max)
            + wait_random(0, config.backoff_initial),
            stop=stop_after_attempt(config.send_attempts),
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    answer = await self._post_once(url, body)
        except GraphError as exc:
            exc.attempts = attempts
            raise
        return GraphAnswer(answer, attempts)

    async def _post_once(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        token = self.config.access_token.get_secret_value()
        timeout = aiohttp.ClientTimeout(total=self.config.request_timeout)
        headers = {"Authorization": f"Bearer {token}"}
        async with self.session.post(url, json=body, headers=headers, timeout=timeout) as resp:
            try:
                answer = await resp.json(content_type=None)
            except ValueError:
                answer = None
            if resp.status >= 400:
                raise _error_of(resp.status, answer)
        if not isinstance(answer, dict):
            raise GraphError(resp.status, "unreadable_answer", "the Graph API answer is not JSON")
        return answer
