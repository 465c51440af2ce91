"""Processes the benchmark starts (and always stops), and the CPU they burn meanwhile."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Awaitable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of ``pid`` so far, or None if it is gone (read from /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # After the command name: state is field 3, utime 14 and stime 15 (man 5 proc).
    return (int(fields[11]) + int(fields[12])) / TICKS


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for row in Path(table).read_text().splitlines()[1:]:
                cols = row.split()
                # local address "HEX_IP:HEX_PORT", state 0A = LISTEN, inode in column 9
                if cols[3] == "0A" and int(cols[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(cols[9])
    return inodes


def find_rabbitmq(port: int = 5672) -> int | None:
    """The pid of the RabbitMQ node (beam.smp) listening on ``port``, to account its CPU.

    Test suites here start RabbitMQ nodes of their own, so "the" beam.smp is ambiguous;
    the one owning the listening socket is not. None if it cannot be seen (other user).
    """
    sockets = {f"socket:[{inode}]" for inode in _listening_inodes(port)}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (entry / "comm").read_text().strip() != "beam.smp":
                continue
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in sockets:
                        return int(entry.name)
    return None


def busy_seconds() -> float:
    """CPU seconds all cores spent busy since boot (/proc/stat: all but idle and iowait)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(f) for f in fields[:8])
    return (user + nice + system + irq + softirq + steal) / TICKS


@dataclass(frozen=True)
class CpuUse:
    processes: dict[str, float]  # label → CPU seconds
    other: float  # CPU seconds of everything else on the machine (tests, builds …)
    wall: float

    @property
    def other_cores(self) -> float:
        """How many cores something outside the benchmark kept busy: noise to report."""
        return self.other / self.wall if self.wall > 0 else 0.0


@dataclass
class CpuMeter:
    """CPU each watched process spent between :meth:`start` and :meth:`stop`.

    The machine is shared; what the rest of it burnt meanwhile is measured too, so a
    figure taken while a test suite ran next to it can be recognised as such.
    """

    pids: dict[str, int] = field(default_factory=dict)  # label → pid
    _before: dict[str, float] = field(default_factory=dict)
    _busy: float = 0.0
    _started: float = 0.0

    def watch(self, label: str, pid: int | None) -> None:
        if pid is not None:
            self.pids[label] = pid

    def forget(self, label: str) -> None:
        self.pids.pop(label, None)

    def start(self) -> None:
        self._before = {}
        for label, pid in self.pids.items():
            seconds = cpu_seconds(pid)
            if seconds is not None:
                self._before[label] = seconds
        self._busy = busy_seconds()
        self._started = time.monotonic()

    def stop(self) -> CpuUse:
        wall = time.monotonic() - self._started
        busy = busy_seconds() - self._busy
        used: dict[str, float] = {}
        for label, before in self._before.items():
            after = cpu_seconds(self.pids[label])
            if after is not None:
                used[label] = after - before
        return CpuUse(used, max(0.0, busy - sum(used.values())), wall)


def stop_process(process: subprocess.Popen[bytes], grace: float = 30.0) -> int:
    """SIGTERM (the hub and relays drain on it), then SIGKILL if it will not go."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
    return process.returncode


@contextlib.contextmanager
def started(
    argv: list[str], *, log: Path, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``argv`` with stdout+stderr to ``log``; stop it on the way out, whatever happens.

    ``env`` is the whole environment of the process (None: this one's).
    """
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
        try:
            yield process
        finally:
            stop_process(process)


def tail(path: Path, chars: int = 2000) -> str:
    with contextlib.suppress(OSError):
        return path.read_text(errors="replace")[-chars:]
    return ""


async def interruptible(run: Awaitable[int], cleaning: str) -> int:
    """Run ``run``; SIGINT/SIGTERM cancel it so that every ``finally`` cleans up what it
    started (``cleaning`` says what), and a second signal does not interrupt that."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None

    def stop(sig: signal.Signals) -> None:
        print(f"\n{sig.name}: {cleaning}", flush=True)
        for each in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(each)
            loop.add_signal_handler(each, lambda: None)
        task.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop, sig)
    try:
        return await run
    except asyncio.CancelledError:
        return 130
