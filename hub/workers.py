"""``omnihub run`` with ``[hub] workers``: several hub processes behind one port.

A hub is one event loop, so one process uses at most one core. The supervisor binds the
port once and starts the workers as fresh interpreters that accept on that socket (the
kernel hands each connection to one of them). Each worker is a complete hub: HTTP API,
webhooks, pipeline, consumers, jobs. They share the broker and the store exactly as
separate ``omnihub run`` processes do (competing consumers, store-level claims and locks).
The supervisor restarts a worker that dies, passes SIGTERM/SIGINT on and waits for every
worker's drain. Workers start one after another: the first creates the schema and the
broker topology, and a worker that cannot start stops the whole command with its error.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import shutil
import signal
import socket
import sys
import tempfile
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any

import structlog

from .config import ConfigError, HubConfig
from .logging import configure_logging, tag_process
from .metrics import SHARED_DIR_ENV

log = structlog.get_logger("hub.workers")

START_TIMEOUT = 120.0  # seconds for a worker to serve (migrations on a big store included)
STOP_MARGIN = 20.0  # seconds beyond [broker] drain_timeout before a worker is killed
RESTART_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)  # after the 1st, 2nd … crash in a row
STEADY_AFTER = 60.0  # a worker that ran this long resets its crash count
BACKLOG = 1024


@dataclass
class Worker:
    index: int
    process: BaseProcess | None = None
    ready: Connection | None = None  # the worker sends once it serves
    started_at: float = 0.0
    crashes: int = 0  # in a row
    restart_at: float | None = None  # monotonic time of a pending restart


@dataclass
class Supervisor:
    config: HubConfig
    strict: bool
    count: int
    workers: list[Worker] = field(default_factory=list)
    stopping: bool = False

    def run(self) -> int:
        """Serve until a signal; the command's exit code."""
        configure_logging(json=self.config.logging.json_output, level=self.config.logging.level)
        sock = listen(self.config.http.host, self.config.http.port)
        shared_dir = tempfile.mkdtemp(prefix="omnihub-metrics-")
        os.environ[SHARED_DIR_ENV] = shared_dir  # read by each worker at start
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_w.fileno())
        handlers = {sig: signal.signal(sig, self._on_signal) for sig in STOP_SIGNALS}
        self._context = multiprocessing.get_context("spawn")
        self._sock, self._wake = sock, wake_r
        log.info("workers_starting", workers=self.count, port=sock.getsockname()[1])
        try:
            for index in range(self.count):
                worker = Worker(index)
                self.workers.append(worker)
                if not self._start(worker, wait_ready=True):
                    # Asked to stop while starting: the workers drain as usual.
                    return self._stop_all() if self.stopping else 1
            log.info("workers_serving", workers=self.count)
            self._supervise()
            return self._stop_all()
        finally:
            self._stop_all()
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            signal.set_wakeup_fd(previous_wakeup)
            for closable in (sock, wake_r, wake_w):
                closable.close()
            shutil.rmtree(shared_dir, ignore_errors=True)
            os.environ.pop(SHARED_DIR_ENV, None)

    def _on_signal(self, signum: int, _: Any) -> None:
        self.stopping = True

    def _start(self, worker: Worker, *, wait_ready: bool = False) -> bool:
        ready_r, ready_w = self._context.Pipe(duplex=False)
        worker.process = self._context.Process(
            target=worker_main,
            args=(worker.index, os.getpid(), self.config, self.strict, self._sock, ready_w),
            name=f"omnihub-worker-{worker.index}",
        )
        worker.process.start()
        ready_w.close()
        worker.ready, worker.started_at, worker.restart_at = ready_r, time.monotonic(), None
        log.info("worker_started", worker=worker.index, pid=worker.process.pid)
        if not wait_ready:
            return True
        deadline = time.monotonic() + START_TIMEOUT
        while not self.stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                log.error("worker_start_timeout", worker=worker.index, seconds=START_TIMEOUT)
                return False
            wait([self._wake, *self._watched(worker)], left)
            self._drain_wakeups()
            if self._take_ready(worker):
                return True
            if not worker.process.is_alive():
                log.error(
                    "worker_failed_to_start", worker=worker.index, exit_code=self._code(worker)
                )
                return False
        return False

    def _supervise(self) -> None:
        while not self.stopping:
            now = time.monotonic()
            pending = [w.restart_at for w in self.workers if w.restart_at is not None]
            timeout = max(0.0, min(pending) - now) if pending else None
            watched = [self._wake, *(h for w in self.workers for h in self._watched(w))]
            wait(watched, timeout)
            self._drain_wakeups()
            if self.stopping:
                return
            for worker in self.workers:
                self._take_ready(worker)
                self._check(worker, time.monotonic())

    @staticmethod
    def _watched(worker: Worker) -> list[Any]:
        """What wakes the supervisor for this worker: its exit, its first word."""
        if worker.process is None or worker.restart_at is not None:
            return []
        return [worker.process.sentinel] + ([worker.ready] if worker.ready else [])

    def _check(self, worker: Worker, now: float) -> None:
        """Schedule the restart of a worker that died, or restart one whose delay passed."""
        if worker.restart_at is not None:
            if now >= worker.restart_at:
                self._start(worker)
            return
        assert worker.process is not None
        if worker.process.is_alive():
            return
        if now - worker.started_at >= STEADY_AFTER:
            worker.crashes = 0
        delay = RESTART_DELAYS[min(worker.crashes, len(RESTART_DELAYS) - 1)]
        worker.crashes += 1
        worker.restart_at = now + delay
        log.error(
            "worker_died",
            worker=worker.index,
            pid=worker.process.pid,
            exit_code=self._code(worker),
            restart_in=delay,
        )

    def _take_ready(self, worker: Worker) -> bool:
        ready = worker.ready
        if ready is None or not ready.poll():
            return False
        worker.ready = None
        try:
            ready.recv()
        except (EOFError, OSError):  # closed without a word: it died before serving
            return False
        finally:
            ready.close()
        log.info("worker_ready", worker=worker.index)
        return True

    def _stop_all(self) -> int:
        """SIGTERM to every worker, wait for their drain (then SIGKILL); 0 if all exited 0."""
        live = [w for w in self.workers if w.process is not None and w.process.exitcode is None]
        if live:
            log.info("workers_stopping", workers=len(live))
        for worker in live:
            assert worker.process is not None
            worker.process.terminate()  # SIGTERM: the worker drains
        deadline = time.monotonic() + self.config.broker.drain_timeout + STOP_MARGIN
        for worker in live:
            assert worker.process is not None
            worker.process.join(max(0.0, deadline - time.monotonic()))
            if worker.process.exitcode is None:
                log.error("worker_killed", worker=worker.index, after=STOP_MARGIN)
                worker.process.kill()
                worker.process.join()
        codes = [self._code(w) for w in self.workers if w.process is not None]
        self.workers = [w for w in self.workers if w not in live]  # stop them once only
        return 0 if all(code == 0 for code in codes) else 1

    def _drain_wakeups(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake.recv(512):
                pass

    @staticmethod
    def _code(worker: Worker) -> int | None:
        return None if worker.process is None else worker.process.exitcode


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def listen(host: str, port: int) -> socket.socket:
    """The listening socket all workers accept on (bound here, once, so a port in use is
    one clear error and a worker's restart never loses queued connections)."""
    try:
        family, _, _, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.create_server(address[:2], family=family, backlog=BACKLOG)
    except OSError as exc:  # the port is taken, the address is not this machine's …
        raise ConfigError(f"http: cannot listen on {host}:{port}: {exc}") from None
    sock.set_inheritable(True)
    return sock


def worker_main(
    index: int,
    supervisor: int,
    config: HubConfig,
    strict: bool,
    sock: socket.socket,
    ready: Connection,
) -> None:
    """One worker: a complete hub serving on the shared socket."""
    from .serve import run_loop, serve

    _exit_with(supervisor)
    tag_process(worker=index)
    try:
        run_loop(
            serve(config, strict=strict, sock=sock, on_ready=lambda: ready.send(True)),
            config.hub.event_loop,
        )
    except KeyboardInterrupt:  # SIGINT from the terminal before the hub took the signal
        sys.exit(130)


def _exit_with(supervisor: int) -> None:
    """SIGTERM this worker (a drain) if the supervisor dies, e.g. of SIGKILL: no orphan
    may keep serving a port nobody supervises any more."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != supervisor:  # it died before the line above
        os.kill(os.getpid(), signal.SIGTERM)
