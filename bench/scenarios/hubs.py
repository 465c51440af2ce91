"""Real ``omnihub run`` processes for scenario (d): config, start, readiness, receipts, stop.

Each hub gets a generated ``hub.toml`` in the work dir: the given broker URL, the SQLite
store (one file shared by all hubs, so a redelivery to the other process still finds the
dedupe claim), its own port and receipts file, a bearer token and the bench plugin.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import json
import os
import secrets
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from ..lib.load import Ledger
from ..lib.procs import started, tail
from ..lib.settings import BIN, REPO

PLUGIN_DIR = REPO / "bench" / "plugin"
PLUGIN_DIST = "omnihub-bench"
READY_TIMEOUT = 60.0
POLL_SECONDS = 0.02  # how often receipts are read; stamps come from the file, not from this


@dataclass(frozen=True)
class HubSetup:
    workdir: Path
    broker_url: str
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    app_secret: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    pipeline_mode: str | None = None  # [pipeline] mode; None: the hub's default
    workers: int = 1  # [hub] workers: processes of one `omnihub run`
    store_url: str | None = None  # None: a SQLite file in the work dir, shared by the hubs


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class HubProcess:
    setup: HubSetup
    index: int
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def receipts(self) -> Path:
        return self.setup.workdir / f"receipts-{self.index}.log"

    @property
    def log(self) -> Path:
        return self.setup.workdir / f"hub-{self.index}.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def write_config(self) -> Path:
        work = self.setup.workdir
        path = work / f"hub-{self.index}.toml"
        path.write_text(
            f"""\
[hub]
data_dir = "{work}/data-{self.index}"
workers = {self.setup.workers}

[broker]
url = "{self.setup.broker_url}"

[store]
url = "{self.setup.store_url or f"sqlite:///{work}/hub.db"}"

[http]
host = "127.0.0.1"
port = {self.port}

[logging]
json = true

[[api.tokens]]
name = "bench"
token = "{self.setup.token}"
scopes = ["events:write"]

[plugins.bench]
receipts = "{self.receipts}"
app_secret = "{self.setup.app_secret}"
"""
        )
        if self.setup.pipeline_mode:
            with path.open("a") as config:
                config.write(f'\n[pipeline]\nmode = "{self.setup.pipeline_mode}"\n')
        return path

    def worker_pids(self) -> list[int]:
        """The processes doing the work: the workers a supervisor started (from its log;
        all of them once it logged each start), or the hub process itself."""
        if self.setup.workers == 1:
            return [self.pid]
        started = [int(e["pid"]) for e in self._log_events() if e["event"] == "worker_started"]
        return started[-self.setup.workers :]

    def _all_serving(self) -> bool:
        if self.setup.workers == 1:
            return True
        return any(e["event"] == "workers_serving" for e in self._log_events())

    def _log_events(self) -> list[dict[str, Any]]:
        events = []
        if self.log.exists():
            for line in self.log.read_text(errors="replace").splitlines():
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict) and "event" in entry:
                        events.append(entry)
        return events

    def argv(self) -> list[str]:
        return [str(BIN / "omnihub"), "--config", str(self.write_config()), "run"]

    async def wait_ready(self, session: aiohttp.ClientSession) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + READY_TIMEOUT
        while loop.time() < deadline:
            if self.process is None or self.process.poll() is not None:
                raise RuntimeError(f"hub {self.index} exited:\n{tail(self.log)}")
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with session.get(f"{self.base_url}/readyz") as response:
                    # With workers, /readyz answers once the first one serves.
                    if response.status == 200 and self._all_serving():
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"hub {self.index} not ready in {READY_TIMEOUT:g}s:\n{tail(self.log)}")


def hub_environment() -> dict[str, str]:
    # OMNIHUB_* variables of the caller's shell would override the generated hub.toml.
    return {k: v for k, v in os.environ.items() if not k.startswith("OMNIHUB_")}


@contextlib.asynccontextmanager
async def running_hubs(
    setup: HubSetup, count: int, session: aiohttp.ClientSession
) -> AsyncIterator[list[HubProcess]]:
    """``count`` hub processes, ready; stopped (SIGTERM, drain) on the way out."""
    hubs = [HubProcess(setup, index) for index in range(count)]
    with contextlib.ExitStack() as stack:
        # One after the other: two hubs creating the same fresh SQLite file at once can
        # both run its first migration ("table claims already exists"), and the loser
        # then hangs instead of exiting. Measured here is throughput, not that race.
        for hub in hubs:
            hub.process = stack.enter_context(
                started(hub.argv(), log=hub.log, env=hub_environment(), cwd=setup.workdir)
            )
            await hub.wait_ready(session)
        yield hubs
    for hub in hubs:
        if hub.process is not None and hub.process.returncode not in (0, None):
            print(f"  ! hub {hub.index} exited with {hub.process.returncode}:\n{tail(hub.log)}")


class Receipts:
    """Follows the hubs' receipt files and stamps what arrived into the current ledger."""

    def __init__(self, paths: list[Path]) -> None:
        self._offsets = {path: 0 for path in paths}
        self._partial = {path: b"" for path in paths}

    def poll(self, ledger: Ledger) -> None:
        for path, offset in self._offsets.items():
            try:
                with path.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                continue  # nothing received yet
            self._offsets[path] = offset + len(data)
            *lines, self._partial[path] = (self._partial[path] + data).split(b"\n")
            for line in lines:
                event_id, _, at = line.decode().partition(" ")
                ledger.mark_received(event_id, float(at))

    @contextlib.asynccontextmanager
    async def following(self, ledger: Ledger) -> AsyncIterator[None]:
        async def follow() -> None:
            while True:
                self.poll(ledger)
                await asyncio.sleep(POLL_SECONDS)

        task = asyncio.create_task(follow())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            self.poll(ledger)


def _plugin_installed() -> bool:
    return any(
        ep.name == "bench" for ep in importlib.metadata.entry_points(group="omnihub.plugins")
    )


@contextlib.contextmanager
def bench_plugin() -> Iterator[None]:
    """The bench plugin installed like an outside plugin (``pip install -e``) while needed.

    Left alone if it was installed already; otherwise uninstalled afterwards, so the
    shared virtualenv ends as it began.
    """
    if _plugin_installed():
        yield
        return
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _quietly([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(PLUGIN_DIR)])
    try:
        yield
    finally:
        _quietly([*pip, "uninstall", "-y", PLUGIN_DIST])


def _quietly(argv: list[str]) -> None:
    """Run pip; its output (setuptools' editable-install warning) only if it failed."""
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[3:])} failed:\n{done.stdout}{done.stderr}")
