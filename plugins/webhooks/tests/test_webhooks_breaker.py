"""The circuit breaker's states, driven by a fake clock."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from omnihub_webhooks.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen

from hub import PermanentFailure


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, threshold: int = 3) -> CircuitBreaker:
    return CircuitBreaker("crm", threshold=threshold, cooldown=30.0, clock=clock)


def fail(b: CircuitBreaker) -> None:
    with pytest.raises(ConnectionError), b.attempt():
        raise ConnectionError


def test_opens_after_threshold_consecutive_failures_and_fails_fast() -> None:
    clock = Clock()
    b = breaker(clock)
    fail(b)
    fail(b)
    assert b.state == CLOSED
    fail(b)
    assert b.state == OPEN
    with pytest.raises(CircuitOpen, match="crm is open after 3 failures, probe in 30s"):
        b.attempt()


def test_a_success_resets_the_count() -> None:
    b = breaker(Clock())
    fail(b)
    fail(b)
    with b.attempt():
        pass
    fail(b)
    fail(b)
    assert b.state == CLOSED


def test_a_refused_event_is_not_an_endpoint_failure() -> None:
    b = breaker(Clock(), threshold=1)
    with pytest.raises(PermanentFailure), b.attempt():
        raise PermanentFailure("400")
    assert b.state == CLOSED


def test_half_open_lets_one_probe_through_and_closes_on_success() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1)
    fail(b)
    clock.now += 30.0
    assert b.state == HALF_OPEN
    probe = b.attempt()
    with pytest.raises(CircuitOpen, match="half-open"):
        b.attempt()  # a second request waits for the probe's outcome
    with probe:
        pass
    assert b.state == CLOSED


def test_a_failed_probe_reopens_for_a_new_cool_down() -> None:
    clock = Clock()
    b = breaker(clock, threshold=2)
    fail(b)
    fail(b)
    clock.now += 31.0
    fail(b)
    assert b.state == OPEN
    clock.now += 29.0
    assert b.state == OPEN
    clock.now += 1.0
    assert b.state == HALF_OPEN


def test_a_cancelled_probe_counts_as_failed() -> None:
    clock = Clock()
    b = breaker(clock, threshold=1)
    fail(b)
    clock.now += 30.0
    with pytest.raises(BaseException, match="cancelled"), b.attempt():
        raise KeyboardInterrupt("cancelled")
    assert b.state == OPEN
    assert not b.probing


@given(st.lists(st.booleans(), max_size=40))
def test_opens_at_the_first_run_of_threshold_failures(outcomes: list[bool]) -> None:
    b = breaker(Clock(), threshold=3)  # the clock never moves: once open, it stays open
    run = 0
    for healthy in outcomes:
        if b.state == OPEN:
            break
        b.record(healthy)
        run = 0 if healthy else run + 1
        assert (b.state == OPEN) == (run >= 3)
