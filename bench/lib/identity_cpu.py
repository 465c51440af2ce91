"""CPU of one measured run: this process (the hub's code, and SQLite in its thread), the
PostgreSQL server's processes, and the rest of the machine (noise on a shared VM)."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from pathlib import Path

from .procs import TICKS, cpu_seconds


def machine_seconds() -> tuple[float, float]:
    """(process time, interrupt time) all cores spent since boot. Interrupt time (irq,
    softirq) belongs to no process: on this machine mostly loopback TCP to PostgreSQL."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + steal) / TICKS, (irq + softirq) / TICKS


_watched: str | None = None  # the benchmark's database; None: PostgreSQL is not measured


def watch_postgres(database: str | None) -> None:
    """Count the server's own processes and the backends of ``database`` only: a test
    suite's backends on the same server are someone else's work."""
    global _watched
    _watched = database


def postgres_pids() -> list[int]:
    """The server's processes that work for the benchmark (a backend started during a run
    counts from zero; one that exits loses its share)."""
    if _watched is None:
        return []
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (entry / "cmdline").read_bytes().decode(errors="replace")
                # A backend's title names its database and client "host(port)"; the
                # server, checkpointer and WAL writer name neither.
                if _watched in title or "(" not in title:
                    found.append(int(entry.name))
    return found


@dataclass(frozen=True)
class CpuSplit:
    python: float  # CPU seconds of this process
    postgres: float  # CPU seconds of the PostgreSQL server (0 when it is not involved)
    others: float  # CPU seconds of every other process (and kernel thread) on the machine
    interrupts: float  # CPU seconds in irq/softirq, which no process is charged with
    wall: float

    @property
    def others_cores(self) -> float:
        return self.others / self.wall if self.wall > 0 else 0.0

    def per_operation_ms(self, count: int) -> dict[str, float]:
        if not count:
            return {}
        return {
            "python": self.python * 1000 / count,
            "postgres": self.postgres * 1000 / count,
            "interrupts": self.interrupts * 1000 / count,
        }


class CpuSplitMeter:
    def __init__(self) -> None:
        self._before: dict[int, float] = {}
        self._busy = (0.0, 0.0)
        self._started = 0.0

    @staticmethod
    def _sample() -> dict[int, float]:
        sample = {}
        for pid in [os.getpid(), *postgres_pids()]:
            seconds = cpu_seconds(pid)
            if seconds is not None:
                sample[pid] = seconds
        return sample

    def start(self) -> None:
        self._before = self._sample()
        self._busy = machine_seconds()
        self._started = time.monotonic()

    def stop(self) -> CpuSplit:
        wall = time.monotonic() - self._started
        busy_now, interrupts_now = machine_seconds()
        busy, interrupts = busy_now - self._busy[0], interrupts_now - self._busy[1]
        after = self._sample()
        own = os.getpid()
        python = after.get(own, 0.0) - self._before.get(own, 0.0)
        postgres = sum(s - self._before.get(pid, 0.0) for pid, s in after.items() if pid != own)
        return CpuSplit(python, postgres, max(0.0, busy - python - postgres), interrupts, wall)
