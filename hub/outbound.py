"""For plugins that call other systems over HTTP: honour the other side's ``Retry-After``.

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(Unavailable),
        wait=wait_retry_after(wait_exponential_jitter(...), cap=60),
        ...)

``wait_retry_after`` waits what the failure's ``retry_after`` attribute says (seconds,
capped), else the fallback wait; ``parse_retry_after`` reads the header into it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
    wait_random,
)
from tenacity.wait import wait_base

from .broker import PermanentFailure


class ServiceUnavailable(Exception):
    """The other system did not take the request but may later (429, 5xx, timeout, no
    connection): retry. ``retry_after``: the seconds it asked for, if it did."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.retry_after = retry_after


class ServiceRefused(PermanentFailure):
    """The other system answered 4xx: the same request will never succeed (the consumer
    dead-letters it at once)."""

    def __init__(self, reason: str, status: int):
        super().__init__(reason)
        self.status = status


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delay-seconds or an HTTP-date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - (now or datetime.now(UTC))).total_seconds(), 0.0)


class wait_retry_after(wait_base):
    """The other side's ``Retry-After`` (capped) when the failure carries one, else
    ``fallback``."""

    def __init__(self, fallback: wait_base, cap: float):
        self.fallback = fallback
        self.cap = cap

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        failure = outcome.exception() if outcome is not None else None
        seconds = getattr(failure, "retry_after", None)
        if isinstance(seconds, int | float):
            return min(float(seconds), self.cap)
        return float(self.fallback(retry_state))


def retrying(
    on: type[BaseException] | tuple[type[BaseException], ...],
    *,
    initial: float,
    longest: float,
    retry_after_max: float,
    attempts: int,
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> AsyncRetrying:
    """Retry ``on`` failures up to ``attempts`` times: the other side's ``Retry-After``
    (at most ``retry_after_max``), else exponential from ``initial`` up to ``longest`` plus
    jitter in proportion (wait_exponential_jitter's fixed 1 s of jitter would dwarf short
    backoffs). The last failure is raised. ``sleep``: a test's clock."""
    extra: dict[str, Any] = {} if sleep is None else {"sleep": sleep}
    return AsyncRetrying(
        retry=retry_if_exception_type(on),
        wait=wait_retry_after(
            wait_exponential(multiplier=initial, max=longest) + wait_random(0, initial),
            retry_after_max,
        ),
        stop=stop_after_attempt(attempts),
        reraise=True,
        **extra,
    )
