"""One measured run as a row: throughput, latency percentiles, CPU per event."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .load import Ledger
from .procs import CpuUse


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (no interpolation: the value some event really had)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Result:
    key: str  # stable name the ratios refer to, e.g. "b" or "d1.webhook@rate"
    title: str
    mode: str  # "max" (closed loop) or "<rate>/s" (open loop)
    sent: int
    received: int
    elapsed: float
    latencies: list[float]
    accept: list[float]  # send call → accepted, per call (publish confirm, HTTP 2xx)
    cpu: dict[str, float] = field(default_factory=dict)  # process label → CPU seconds
    other_cores: float = 0.0  # cores busy outside the benchmark meanwhile (noise)
    duplicates: int = 0
    refused: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    note: str = ""

    @classmethod
    def of(
        cls, key: str, title: str, mode: str, ledger: Ledger, cpu: CpuUse, note: str = ""
    ) -> Result:
        return cls(
            key=key,
            title=title,
            mode=mode,
            sent=len(ledger.sent),
            received=len(ledger.received),
            elapsed=ledger.elapsed(),
            latencies=ledger.latencies(),
            accept=list(ledger.accept_seconds),
            cpu=cpu.processes,
            other_cores=cpu.other_cores,
            duplicates=ledger.duplicates,
            refused=ledger.refused,
            errors=dict(ledger.errors),
            note=note,
        )

    @property
    def complete(self) -> bool:
        return self.received == self.sent and self.refused == 0

    @property
    def rate(self) -> float:
        return self.received / self.elapsed if self.elapsed > 0 else 0.0

    def latency_ms(self, q: float) -> float:
        return percentile(self.latencies, q) * 1000

    def accept_ms(self, q: float) -> float:
        return percentile(self.accept, q) * 1000

    def cpu_ms_per_event(self) -> dict[str, float]:
        if not self.received:
            return {}
        return {label: s * 1000 / self.received for label, s in self.cpu.items()}

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "mode": self.mode,
            "sent": self.sent,
            "received": self.received,
            "elapsed_s": round(self.elapsed, 3),
            "events_per_s": round(self.rate, 1),
            "p50_ms": round(self.latency_ms(50), 2),
            "p99_ms": round(self.latency_ms(99), 2),
            "max_ms": round(self.latency_ms(100), 2),
            "accept_p99_ms": round(self.accept_ms(99), 2),
            "cpu_ms_per_event": {k: round(v, 3) for k, v in self.cpu_ms_per_event().items()},
            "other_cores": round(self.other_cores, 2),
            "duplicates": self.duplicates,
            "refused": self.refused,
            "errors": self.errors,
            "note": self.note,
        }


def median_run(rows: list[Result], *, fixed_rate: bool) -> Result:
    """Of repeated runs, the median one: by throughput, or by p99 at a fixed rate.

    A whole run rather than medians per column, so every figure in the row was measured
    together; the spread of the others goes into the note.
    """
    if len(rows) == 1:
        return rows[0]
    if fixed_rate:
        ordered = sorted(rows, key=lambda r: r.latency_ms(99))
        spread = f"p99 {ordered[0].latency_ms(99):.1f}-{ordered[-1].latency_ms(99):.1f} ms"
    else:
        ordered = sorted(rows, key=lambda r: r.rate)
        spread = f"{ordered[0].rate:.0f}-{ordered[-1].rate:.0f} ev/s"
    chosen = ordered[len(ordered) // 2]
    chosen.note = f"{chosen.note} median of {len(rows)} runs ({spread})".strip()
    return chosen
