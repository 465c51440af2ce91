"""Where a hub process spends its CPU: py-spy attached from outside, summarised here.

``py-spy record --format raw --threads`` writes collapsed stacks, one line per distinct
stack: ``thread (tid): name;frame;frame;… count``, each frame ``function (file:line)``.
Idle samples (a thread blocked in ``epoll_wait``/a lock) are left out by py-spy, so the
counts are CPU time. Native code (SQLite, pydantic-core, the JSON C encoder) shows as the
Python frame that called it.
"""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .settings import BIN

FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")

# Frames are grouped by the library their file belongs to (first match wins).
LIBRARIES: list[tuple[str, tuple[str, ...]]] = [
    ("store: sqlite3", ("aiosqlite/", "sqlite3/", "hub/store/sqlite_db.py")),
    ("pydantic", ("pydantic/", "pydantic_core/")),
    ("contracts", ("omnihub_contracts/",)),
    ("json", ("json/",)),
    ("amqp: aio-pika/aiormq/pamqp", ("aio_pika/", "aiormq/", "pamqp/")),
    ("http: aiohttp/yarl/multidict", ("aiohttp/", "yarl/", "multidict/")),
    ("logging: structlog/logging", ("structlog/", "logging/")),
    ("metrics: prometheus_client", ("prometheus_client/",)),
    ("asyncio", ("asyncio/", "selectors.py")),
    ("threading/queue", ("threading.py", "queue.py", "concurrent/")),
    ("hub core", ("hub/",)),
    ("bench plugin", ("omnihub_bench/",)),
]
# Frames every stack passes through: their inclusive share is 100% and says nothing.
ROOTS = re.compile(
    r"^(<module>|main|run|_run|_run_once|run_forever|run_until_complete|serve|"
    r"Thread\.\w+|Handle\._run|BaseEventLoop\.\w+|Runner\.run|cli|invoke|.*\.invoke|"
    r"Command\.main|.*\.__call__)$"
)


OWN_CODE = re.compile(r"\((hub|omnihub_contracts|omnihub_bench)/")


def library(file: str) -> str:
    for label, markers in LIBRARIES:
        if any(marker in file for marker in markers):
            return label
    return "other"


@dataclass
class Profile:
    samples: int = 0
    threads: Counter[str] = field(default_factory=Counter)
    self_library: Counter[str] = field(default_factory=Counter)
    self_function: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)

    def add(self, line: str) -> None:
        stack, _, count_text = line.rstrip().rpartition(" ")
        if not stack or not count_text.isdigit():
            return
        count = int(count_text)
        thread, *frames = stack.split(";")
        parsed = [m for m in (FRAME.match(f) for f in frames) if m]
        if not parsed:
            return
        self.samples += count
        # "thread (123): MainThread" → "MainThread"; worker threads share a name pattern.
        name = thread.split(": ", 1)[-1]
        self.threads[re.sub(r"\d+", "N", name)] += count
        leaf = parsed[-1]
        self.self_library[library(leaf["file"])] += count
        self.self_function[f"{leaf['function']} ({leaf['file']})"] += count
        seen: set[str] = set()
        for match in parsed:
            if ROOTS.match(match["function"]):
                continue
            key = f"{match['function']} ({match['file']})"
            if key not in seen:
                seen.add(key)
                self.inclusive[key] += count

    def share(self, count: int) -> str:
        return f"{100 * count / self.samples:5.1f}%" if self.samples else "  —"

    def render(self, top: int = 20) -> str:
        lines = [f"{self.samples} CPU samples"]
        lines.append("by thread:")
        lines += [f"  {self.share(c)}  {name}" for name, c in self.threads.most_common()]
        lines.append("self time by library (innermost Python frame):")
        lines += [f"  {self.share(c)}  {name}" for name, c in self.self_library.most_common()]
        lines.append(f"top {top} functions by self time:")
        lines += [f"  {self.share(c)}  {name}" for name, c in self.self_function.most_common(top)]
        lines.append(f"top {top} functions by inclusive time:")
        lines += [f"  {self.share(c)}  {name}" for name, c in self.inclusive.most_common(top)]
        own = [(n, c) for n, c in self.inclusive.most_common() if OWN_CODE.search(n)]
        lines.append(f"Omnihub's own code by inclusive time (top {top}):")
        lines += [f"  {self.share(c)}  {name}" for name, c in own[:top]]
        return "\n".join(lines)


def summarise(raw: Path) -> Profile:
    profile = Profile()
    with raw.open(encoding="utf-8", errors="replace") as lines:
        for line in lines:
            profile.add(line)
    return profile


def py_spy() -> str | None:
    found = BIN / "py-spy"
    return str(found) if found.exists() else shutil.which("py-spy")


class Sampler:
    """``py-spy record`` on a running process until :meth:`stop` (SIGINT makes it write).

    ``--nonblocking`` reads the target's memory without pausing it, so the hub runs at
    full speed; py-spy itself still takes CPU on this 2-core machine, which is why the
    profiled run is an extra one and its figures are not the reported ones.
    """

    def __init__(self, pid: int, output: Path, rate: int = 200) -> None:
        command = py_spy()
        if command is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self.output = output
        self.log = output.with_suffix(".log")
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    command,
                    "record",
                    "--pid",
                    str(pid),
                    "--rate",
                    str(rate),
                    "--format",
                    "raw",
                    "--threads",
                    "--nonblocking",
                    "--output",
                    str(output),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
