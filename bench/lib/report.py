"""Printing: every run of this invocation as a table, then the ratios and the targets."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .stats import Result

# The hub's figure that counts as "sustained": batches through the API, one process;
# and the same through one `omnihub run` with `[hub] workers` (one process per core).
SUSTAINED = "d1.api-batch"
WORKERS = "d1w.api-batch"


@dataclass(frozen=True)
class Target:
    text: str
    measure: Callable[[dict[str, Result]], float | None]
    passes: Callable[[float], bool]
    unit: str


def _rate(results: dict[str, Result], key: str) -> float | None:
    result = results.get(key)
    return result.rate if result and result.received else None


def _ratio(results: dict[str, Result], top: str, bottom: str) -> float | None:
    a, b = _rate(results, top), _rate(results, bottom)
    return a / b if a is not None and b else None


def _p99(results: dict[str, Result], *keys: str) -> float | None:
    values = [results[k].latency_ms(99) for k in keys if k in results and results[k].received]
    return max(values) if values else None


def _throughput_targets(key: str, who: str) -> list[Target]:
    return [
        Target(
            f"{who} sustained >= 1,000 events/s",
            lambda r: _rate(r, key),
            lambda v: v >= 1000,
            "ev/s",
        ),
        Target(
            f"{who} >= 0.8 x raw aio-pika relay (b)",
            lambda r: _ratio(r, key, "b"),
            lambda v: v >= 0.8,
            "x",
        ),
        Target(
            f"{who} >= 1.5 x FastStream relay (c)",
            lambda r: _ratio(r, key, "c"),
            lambda v: v >= 1.5,
            "x",
        ),
    ]


def _latency_target(prefix: str, who: str) -> Target:
    return Target(
        f"{who} p99 <= 50 ms at the fixed rate (API single, webhook)",
        lambda r: _p99(r, f"{prefix}.api-single@rate", f"{prefix}.webhook@rate"),
        lambda v: v <= 50,
        "ms",
    )


TARGETS = [
    *_throughput_targets(SUSTAINED, "one process"),
    _latency_target("d1", "one process"),
    *_throughput_targets(WORKERS, "one omnihub run, workers"),
    _latency_target("d1w", "one omnihub run, workers"),
    Target(
        "two hub processes >= 1.6 x one",
        lambda r: _ratio(r, "d2.api-batch", SUSTAINED),
        lambda v: v >= 1.6,
        "x",
    ),
]


def _num(value: float, digits: int = 1) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.{digits}f}"


def _cpu(result: Result) -> str:
    return " ".join(f"{label} {ms:.2f}" for label, ms in result.cpu_ms_per_event().items())


LEGEND = (
    "load: max = closed loop (throughput), N/s = open loop at a fixed offered rate (latency).\n"
    "p50/p99/max: publish or request start (at a fixed rate: when it was due) → consumer\n"
    "handler. accept p99: until the publish confirm / HTTP 2xx. others: cores busy outside\n"
    "the benchmark meanwhile (noise). CPU ms/event: per process, over the whole run."
)


def progress(r: Result) -> str:
    """One line as soon as a run is measured."""
    return (
        f"  {r.title:<44} {r.mode:>7} {r.rate:8.0f} ev/s  p50 {r.latency_ms(50):7.1f} ms  "
        f"p99 {r.latency_ms(99):7.1f} ms"
    )


def table(results: list[Result]) -> str:
    header = (
        f"{'run':<44} {'load':>7} {'events':>13} {'events/s':>9} {'p50 ms':>8} "
        f"{'p99 ms':>8} {'max ms':>8} {'accept p99':>10} {'others':>6}  CPU ms/event"
    )
    lines = [header, "-" * len(header)]
    for r in results:
        events = f"{r.received}/{r.sent}"
        flag = "" if r.complete else "  INCOMPLETE"
        lines.append(
            f"{r.title:<44} {r.mode:>7} {events:>13} {_num(r.rate, 0):>9} "
            f"{_num(r.latency_ms(50)):>8} {_num(r.latency_ms(99)):>8} "
            f"{_num(r.latency_ms(100)):>8} {_num(r.accept_ms(99)):>10} {r.other_cores:6.2f}  "
            f"{_cpu(r)}{flag}"
        )
        if r.duplicates or r.refused or r.errors:
            lines.append(f"{'':<44} duplicates {r.duplicates}, refused {r.refused}: {r.errors}")
        if r.note:
            lines.append(f"{'':<44} {r.note}")
    return "\n".join(lines)


def ratios(results: dict[str, Result]) -> str:
    """Every Omnihub max-throughput run against every baseline measured in this run."""
    baselines = [k for k in ("a", "b", "c") if k in results]
    hubs = [k for k in results if k.startswith("d") and "@" not in k and "profiled" not in k]
    if not baselines or not hubs:
        return "(ratios need a baseline and an Omnihub run measured in the same invocation)"
    lines = [f"{'Omnihub run':<30}" + "".join(f"{'vs ' + b:>10}" for b in baselines)]
    for hub in hubs:
        cells = "".join(f"{_num(_ratio(results, hub, b), 2):>9}x" for b in baselines)
        lines.append(f"{hub:<30}{cells}")
    return "\n".join(lines)


def targets(results: dict[str, Result]) -> str:
    lines = []
    for target in TARGETS:
        value = target.measure(results)
        if value is None:
            verdict, shown = "not measured", "—"
        else:
            verdict = "met" if target.passes(value) else "MISSED"
            shown = f"{_num(value, 2)} {target.unit}"
        lines.append(f"  {target.text:<76} {shown:>14}  {verdict}")
    return "\n".join(lines)


def full(results: list[Result], profile: str) -> str:
    by_key = {r.key: r for r in results}
    parts = [
        table(results),
        LEGEND,
        "\nratios (events/s, same run):",
        ratios(by_key),
        "\ntargets:",
        targets(by_key),
    ]
    if profile:
        parts += ["\nprofile of one hub under sustained load (py-spy):", profile]
    return "\n".join(parts)
