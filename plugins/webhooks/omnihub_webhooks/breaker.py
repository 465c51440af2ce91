"""A circuit breaker per endpoint: a dead receiver costs one fast failure per event, not a
request timeout each, and gets one probe request per cool-down instead of a flood.

closed ──N consecutive failures──► open ──cool-down──► half-open ──probe ok──► closed
                                    ▲                      │
                                    └──────probe failed────┘
"""

from __future__ import annotations

import time
from collections.abc import Callable
from types import TracebackType

from hub import PermanentFailure

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitOpen(Exception):
    """Failed fast without a request: the hub retries the event on its schedule."""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        threshold: int,
        cooldown: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.clock = clock
        self.failures = 0  # consecutive
        self.opened_at: float | None = None
        self.probing = False
        self.on_change: Callable[[str], None] = lambda state: None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return CLOSED
        if self.clock() - self.opened_at >= self.cooldown:
            return HALF_OPEN
        return OPEN

    def describe(self) -> str:
        state = self.state
        if state == OPEN:
            assert self.opened_at is not None
            left = self.cooldown - (self.clock() - self.opened_at)
            return f"open after {self.failures} failures, probe in {left:.0f}s"
        return state

    def attempt(self) -> _Attempt:
        """``with breaker.attempt():`` around one request; raises CircuitOpen if refused.

        The request counts as healthy when it returns or raises :class:`PermanentFailure`
        (the receiver answered, it just refused this event); anything else is a failure.
        """
        state = self.state
        if state == OPEN or (state == HALF_OPEN and self.probing):
            raise CircuitOpen(f"circuit of endpoint {self.name} is {self.describe()}")
        probe = state == HALF_OPEN
        if probe:
            self.probing = True  # only this request goes through until it has an outcome
        return _Attempt(self, probe)

    def record(self, healthy: bool, *, probe: bool = False) -> None:
        before = self.state
        if probe:
            self.probing = False
        if healthy:
            self.failures, self.opened_at = 0, None
        else:
            self.failures += 1
            if probe or self.failures >= self.threshold:
                self.opened_at = self.clock()  # (re)open: a new cool-down starts
        if self.state != before:
            self.on_change(self.state)


class _Attempt:
    def __init__(self, breaker: CircuitBreaker, probe: bool):
        self.breaker = breaker
        self.probe = probe

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        healthy = exc_type is None or issubclass(exc_type, PermanentFailure)
        self.breaker.record(healthy, probe=self.probe)
