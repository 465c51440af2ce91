"""Real ``omnihub run`` processes on RabbitMQ for the process tests, and their clean-up.

Every test gets a virtual host of its own on the shared RabbitMQ (``omnihub-proc-<tag>``):
the hub's queue names are fixed (``omnihub.pipeline``, ``omnihub.<consumer>``), so on
the default vhost any other hub on this broker (a benchmark, another engineer's
``omnihub run``) would compete for our messages, and ours for theirs. The vhost, with
every queue the hubs declared in it, is deleted when the test ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aio_pika
import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from yarl import URL

from hub.testing import AMQP_URL
from tests.broker.rabbit import named_url
from tests.broker.support import wait_until

BIN = Path(sys.executable).parent
TOKEN = "omnihub-process-tests-token"
VHOST_PREFIX = "omnihub-proc-"
PIPELINE = "omnihub.pipeline"
STARTUP = 30.0  # seconds for a process to answer /readyz
STOP = 30.0  # seconds for a process to exit after SIGTERM before it is killed

# Everything started on the machine or the broker, for a last sweep at session end in
# case a test was interrupted before its fixture could clean up (a pytest-timeout, ^C).
STARTED: dict[int, str] = {}  # pid: its config path (to recognise it)
CREATED_VHOSTS: set[str] = set()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def rabbitmqctl(*args: str) -> str:
    command = shutil.which("rabbitmqctl")
    if command is None:
        raise RuntimeError("rabbitmqctl is not installed")
    return subprocess.run(
        [command, *args], capture_output=True, text=True, timeout=60, check=True
    ).stdout


@dataclass
class Vhost:
    """A RabbitMQ virtual host of one test; ``delete`` removes it with all it holds."""

    name: str

    @property
    def url(self) -> str:
        return str(URL(AMQP_URL).with_path("/" + self.name))

    def create(self) -> None:
        CREATED_VHOSTS.add(self.name)
        rabbitmqctl("add_vhost", self.name)
        user = URL(AMQP_URL).user or "guest"
        rabbitmqctl("set_permissions", "-p", self.name, user, ".*", ".*", ".*")

    def queues(self) -> dict[str, tuple[int, int]]:
        """{queue: (messages ready + unacked, consumers)} in this vhost."""
        out = rabbitmqctl(
            "list_queues", "-p", self.name, "-q", "--no-table-headers",
            "name", "messages", "consumers",
        )  # fmt: skip
        rows = (line.split("\t") for line in out.splitlines() if line.strip())
        return {name: (int(messages), int(consumers)) for name, messages, consumers in rows}

    async def delete_queues(self) -> None:
        """Delete every queue the hubs declared here, with their retry and dead-letter
        queues (``delete`` then removes the vhost)."""
        names = await asyncio.to_thread(self.queues)
        if names:
            connection = await aio_pika.connect(named_url(self.url, f"{self.name} cleanup"))
            try:
                for name in sorted(names):
                    with contextlib.suppress(Exception):
                        channel = await connection.channel()
                        await channel.queue_delete(name)
                        await channel.close()
            finally:
                await connection.close()

    def delete(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            rabbitmqctl("delete_vhost", self.name)
        CREATED_VHOSTS.discard(self.name)

    def exists(self) -> bool:
        return self.name in rabbitmqctl("list_vhosts", "-q", "--no-table-headers").split()


@dataclass
class LedgerSettings:
    """The ``[plugins.ledger]`` table every process of a cluster gets (see the plugin)."""

    latency: float = 0.1
    concurrency: int = 8
    timeout: float = 3.0
    retry_delays: tuple[float, ...] = (0.05, 0.1, 0.2)
    consumer: str = "ledger"

    @property
    def queue(self) -> str:
        return f"omnihub.{self.consumer}"


def _toml(value: Any) -> str:
    """A TOML value: JSON strings, numbers, booleans and arrays are valid TOML too."""
    return json.dumps(value)


@dataclass
class HubProcess:
    """One ``omnihub run`` with its own port, config, plugin journal and log file."""

    index: int
    root: Path
    port: int
    connection_name: str
    process: asyncio.subprocess.Process | None = None
    exit_code: int | None = None
    workers: int = 1  # [hub] workers of this omnihub run
    _log: IO[bytes] | None = None
    _journal: list[dict[str, Any]] = field(default_factory=list)
    _journal_offset: int = 0

    @property
    def name(self) -> str:
        return f"hub{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def config(self) -> Path:
        return self.root / "hub.toml"

    @property
    def journal(self) -> Path:
        return self.root / "journal.jsonl"

    @property
    def log(self) -> Path:
        return self.root / "stderr.log"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    def write_config(
        self, broker_url: str, store: Path, ledger: LedgerSettings, workers: int = 1
    ) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.config.write_text(
            f"""
[hub]
data_dir = {_toml(str(self.root / "data"))}
workers = {workers}
[broker]
url = {_toml(named_url(broker_url, self.connection_name))}
publish_timeout = 5.0
drain_timeout = 10.0
[store]
url = {_toml(f"sqlite:///{store}")}
[http]
host = "127.0.0.1"
port = {self.port}
[logging]
json = true
level = "info"
[[api.tokens]]
name = "process-tests"
token = {_toml(TOKEN)}
scopes = ["events:write", "dlq:read"]
[plugins.ledger]
journal = {_toml(str(self.journal))}
consumer = {_toml(ledger.consumer)}
latency = {ledger.latency}
concurrency = {ledger.concurrency}
timeout = {ledger.timeout}
retry_delays = {_toml(list(ledger.retry_delays))}
"""
        )

    async def start(self) -> None:
        # The environment of whoever runs the tests must not redirect the hub elsewhere.
        env = {k: v for k, v in os.environ.items() if not k.startswith("OMNIHUB_")}
        self._log = self.log.open("ab")
        self.process = await asyncio.create_subprocess_exec(
            BIN / "omnihub",
            "--config",
            str(self.config),
            "run",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
        )
        STARTED[self.process.pid] = str(self.config)

    async def wait_ready(self, session: aiohttp.ClientSession, within: float = STARTUP) -> None:
        async def ready() -> bool:
            if not self.running:
                raise AssertionError(f"{self.name} exited at start:\n{self.log_tail()}")
            try:
                async with session.get(f"{self.url}/readyz") as response:
                    if response.status != 200:
                        return False
            except aiohttp.ClientError:
                return False
            # With workers, /readyz answers once the first one serves: wait for them all.
            return self.workers == 1 or "workers_serving" in self.log_events()

        await wait_until(ready, within, f"{self.name} ready")

    def signal(self, signum: int) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signum)

    async def wait_exit(self, within: float) -> int:
        assert self.process is not None
        self.exit_code = await asyncio.wait_for(self.process.wait(), within)
        return self.exit_code

    async def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within ``STOP`` seconds."""
        if self.process is None:
            return
        try:
            if self.running:
                self.signal(signal.SIGTERM)
                try:
                    await self.wait_exit(STOP)
                except TimeoutError:
                    self.signal(signal.SIGKILL)
                    await self.wait_exit(STOP)
            self.exit_code = self.process.returncode
            STARTED.pop(self.process.pid, None)
        finally:
            if self._log is not None:
                self._log.close()
                self._log = None

    def log_lines(self) -> list[dict[str, Any]]:
        lines = []
        for raw in self.log.read_text(errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                entry = json.loads(raw)
                if isinstance(entry, dict):
                    lines.append(entry)
        return lines

    def log_events(self) -> list[str]:
        return [str(line.get("event")) for line in self.log_lines()]

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return "(no log)"
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def journal_lines(self) -> list[dict[str, Any]]:
        """The ledger plugin's journal so far, read incrementally (tests poll it often)."""
        if self.journal.exists():
            with self.journal.open("rb") as journal:
                journal.seek(self._journal_offset)
                chunk = journal.read()
            end = chunk.rfind(b"\n") + 1  # whole lines only
            self._journal.extend(json.loads(raw) for raw in chunk[:end].splitlines())
            self._journal_offset += end
        return self._journal


@dataclass
class Cluster:
    """N hub processes sharing one RabbitMQ vhost and one SQLite file."""

    root: Path
    vhost: Vhost
    tag: str
    session: aiohttp.ClientSession
    ledger: LedgerSettings = field(default_factory=LedgerSettings)
    processes: list[HubProcess] = field(default_factory=list)

    @property
    def store(self) -> Path:
        return self.root / "shared.db"

    @property
    def connection_fragment(self) -> str:
        """In the client-provided name of every hub connection of this cluster, only."""
        return f"omnihub-proc-{self.tag} hub"

    async def start(self, count: int, workers: int = 1) -> list[HubProcess]:
        started = []
        for _ in range(count):
            index = len(self.processes)
            process = HubProcess(
                index,
                self.root / f"hub{index}",
                free_port(),
                f"{self.connection_fragment}{index}",
            )
            process.write_config(self.vhost.url, self.store, self.ledger, workers)
            self.processes.append(process)
            started.append(process)
            # One at a time: the first one creates the SQLite schema and the topology.
            await process.start()
            await process.wait_ready(self.session)
        return started

    async def stop(self) -> dict[str, int | None]:
        """Stop every process still running (SIGTERM first); their exit codes."""
        await asyncio.gather(*(p.stop() for p in self.processes))
        return {p.name: p.exit_code for p in self.processes}

    def report_logs(self) -> str:
        return "\n".join(
            f"--- {p.name} (pid {p.process and p.pid})\n{p.log_tail()}" for p in self.processes
        )

    # -- the broker's view --------------------------------------------------------------

    async def queues(self) -> dict[str, tuple[int, int]]:
        return await asyncio.to_thread(self.vhost.queues)

    async def consumers_back(self, expected: int) -> None:
        """Each hub queue with consumers has ``expected`` of them again (rabbitmqctl)."""
        wanted = (PIPELINE, self.ledger.queue)

        async def back() -> bool:
            queues = await self.queues()
            return all(queues.get(q, (0, 0))[1] == expected for q in wanted)

        await wait_until(back, 60.0, f"{expected} consumer(s) on {wanted}")

    async def quiet(self, within: float = 90.0) -> dict[str, tuple[int, int]]:
        """Wait until no queue of the vhost holds a message (ready or unacked) except
        dead letters: nothing is in flight any more, no late redelivery can come."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            queues = await self.queues()
            busy = {q: m for q, (m, _) in queues.items() if m and not q.endswith(".dlq")}
            if not busy:
                return queues
            if loop.time() > deadline:
                raise AssertionError(f"queues still busy after {within}s: {busy}")
            await asyncio.sleep(0.3)  # a rabbitmqctl call costs a CPU-second: poll gently


def in_flight(process: HubProcess) -> set[str]:
    """Event ids whose handler started in ``process`` and has not had its effect there."""
    started: set[tuple[str, int]] = set()
    for line in process.journal_lines():
        key = (line["event_id"], line["call"])
        if line["phase"] == "start":
            started.add(key)
        else:
            started.discard(key)
    return {event_id for event_id, _ in started}


def effect_count(process: HubProcess) -> int:
    return sum(line["phase"] == "effect" for line in process.journal_lines())


async def wait_busy(
    process: HubProcess, *, effects: int, in_flight_at_least: int, within: float = 60.0
) -> None:
    """Wait until ``process`` did ``effects`` effects, has handlers in flight, and its
    latest journal line is an effect: a fault that follows within milliseconds is likely
    to find that handler between its effect and the claim being marked done — the worst
    moment for duplicates, on purpose."""

    def check() -> bool:
        lines = process.journal_lines()
        return (
            effect_count(process) >= effects
            and len(in_flight(process)) >= in_flight_at_least
            and lines[-1]["phase"] == "effect"
        )

    await wait_until(check, within, f"{process.name} busy")


async def scrape(session: aiohttp.ClientSession, process: HubProcess) -> list[Sample]:
    async with session.get(f"{process.url}/metrics") as response:
        assert response.status == 200
        text = await response.text()
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def total(samples: Sequence[Sample], name: str, **labels: str) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())
