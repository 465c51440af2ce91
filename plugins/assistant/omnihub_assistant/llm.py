"""A client for an OpenAI-compatible chat completions API (POST {base_url}/chat/completions).

Retries 429, 5xx and network errors with tenacity (honouring ``Retry-After``), within one
time budget for the whole answer, so a slow API never outlasts the consumer's handler
timeout: the assistant falls back to the FAQ engine instead. Never logs or raises with the
request or response bodies: they hold the customer's words.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)
from tenacity.wait import WaitBaseT

from hub import parse_retry_after, wait_retry_after

from .config import LlmConfig

Message = dict[str, str]  # {"role": "system" | "user" | "assistant", "content": …}
MAX_RETRY_AFTER = 10.0  # seconds; a longer Retry-After is not worth waiting for


class LlmError(Exception):
    """No usable reply; the message says why (a status, an error type), never content."""


class _Retryable(Exception):
    def __init__(self, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class LlmClient:
    def __init__(self, config: LlmConfig, *, wait: WaitBaseT | None = None) -> None:
        self.config = config
        self.url = str(config.base_url).rstrip("/") + "/chat/completions"
        # The server's Retry-After when it sent one, else exponential backoff with jitter.
        fallback = wait or wait_exponential_jitter(max=4.0, jitter=0.5)
        self._wait = wait_retry_after(fallback, cap=MAX_RETRY_AFTER)
        self._session: aiohttp.ClientSession | None = None

    async def complete(self, messages: list[Message]) -> str:
        """The model's reply to ``messages``; LlmError when there is none in time."""
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": messages,
            "temperature": self.config.temperature,
        }
        retrying = AsyncRetrying(
            retry=retry_if_exception_type((_Retryable, aiohttp.ClientConnectionError)),
            wait=self._wait,
            stop=stop_after_attempt(self.config.attempts),
            reraise=True,
        )
        try:
            async with asyncio.timeout(self.config.timeout):
                async for attempt in retrying:
                    with attempt:
                        return await self._post(body)
        except TimeoutError:
            raise LlmError(f"no reply within {self.config.timeout:g}s") from None
        except _Retryable as exc:
            raise LlmError(f"{exc} after {self.config.attempts} attempt(s)") from None
        except aiohttp.ClientError as exc:
            raise LlmError(
                f"{type(exc).__name__} after {self.config.attempts} attempt(s)"
            ) from None
        raise AssertionError("unreachable: tenacity returns or raises")  # pragma: no cover

    async def _post(self, body: dict[str, Any]) -> str:
        headers = {}
        if self.config.api_key is not None:
            headers["Authorization"] = f"Bearer {self.config.api_key.get_secret_value()}"
        async with self._client().post(self.url, json=body, headers=headers) as response:
            if response.status == 429 or response.status >= 500:
                raise _Retryable(
                    response.status, parse_retry_after(response.headers.get("Retry-After"))
                )
            if response.status >= 400:  # a wrong key, model or URL: retrying will not help
                raise LlmError(f"HTTP {response.status}")
            try:
                data = await response.json(content_type=None)
            except ValueError:
                raise LlmError("the reply is not JSON") from None
        return _content(data)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession()
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _content(data: Any) -> str:
    """``choices[0].message.content`` of a chat completion, if it is non-empty text."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise LlmError("the reply has no choices[0].message.content") from None
    if not isinstance(content, str) or not content.strip():
        raise LlmError("the reply's content is empty")  # e.g. a refusal or a tool call
    return content.strip()
