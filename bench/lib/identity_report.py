"""The identity benchmark's printed tables, the target check and the results JSON."""

from __future__ import annotations

from typing import Any

from .identity_runs import Timings

TARGET_P99_MS = 2.0  # issue 4: lookup p99 on PostgreSQL


def table(result: dict[str, Any]) -> str:
    phase = result["lookups"][0].cpu
    noise = f" · others {phase.others_cores:.2f} cores during lookups" if phase else ""
    lines = [
        f"\n{result['backend']} · {result['seed_seconds']:.1f} s to seed{noise}",
        f"{'lookup (sequential)':<66} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  wrong",
    ]
    for t in result["lookups"]:
        top = max(t.seconds, default=0.0) * 1000
        lines.append(
            f"{t.name:<66} {t.ms(50):8.3f} {t.ms(99):8.3f} {top:8.2f}  {t.wrong}{errors(t)}"
        )
    lines.append(
        f"{'resolution':<56} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'CPU ms/event py+pg+irq':>23} {'others':>6}  outcomes"
    )
    for t in result["resolutions"]:
        outcomes = ", ".join(f"{k} {v}" for k, v in sorted(t.outcomes.items()))
        cpu = t.cpu_ms()
        split = " + ".join(f"{cpu.get(k, 0):.2f}" for k in ("python", "postgres", "interrupts"))
        others = t.cpu.others_cores if t.cpu else 0.0
        lines.append(
            f"{t.name:<56} {t.rate:9,.0f} {t.ms(50):8.2f} {t.ms(99):8.2f} {split:>23} "
            f"{others:6.2f}  {outcomes}{errors(t)}"
        )
    return "\n".join(lines)


def errors(t: Timings) -> str:
    return f" · errors {dict(t.errors)}" if t.errors else ""


def merges(result: dict[str, Any]) -> int:
    return sum(
        int(k.split(":")[1]) * v
        for t in result["resolutions"]
        for k, v in t.outcomes.items()
        if k.startswith("merged")
    )


def target(results: list[dict[str, Any]]) -> str:
    for result in results:
        if result["backend"] == "postgresql":
            find = next(t for t in result["lookups"] if t.name.startswith("IdentityService.find"))
            verdict = "met" if find.ms(99) <= TARGET_P99_MS else "MISSED"
            return (
                f"target: lookup p99 ≤ {TARGET_P99_MS:g} ms on PostgreSQL — find p99 "
                f"{find.ms(99):.3f} ms: {verdict}"
            )
    return "target: lookup p99 on PostgreSQL not measured (--backend without postgresql)"


def as_json(result: dict[str, Any]) -> dict[str, Any]:
    return {
        **result,
        "merges": merges(result),
        "lookups": [t.as_json() for t in result["lookups"]],
        "resolutions": [t.as_json() for t in result["resolutions"]],
    }
