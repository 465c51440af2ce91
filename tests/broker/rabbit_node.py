"""A second RabbitMQ node of the test's own, so a test may stop and start a broker.

The broker at ``AMQP_URL`` is shared by the whole suite: stopping it would break other
tests. This node runs from the installed RabbitMQ with its own name, ports, data and log
directories and Erlang cookie (``HOME``) in a temporary directory; no plugins are enabled
(management would want ports of its own). The server is started from
``/usr/lib/rabbitmq/bin`` rather than the ``/usr/sbin`` wrapper, which would switch to the
``rabbitmq`` user who cannot write the temporary directory.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SBIN_CANDIDATES = (os.environ.get("RABBITMQ_SBIN", ""), "/usr/lib/rabbitmq/bin")


def find_sbin() -> Path | None:
    for candidate in SBIN_CANDIDATES:
        if candidate and (Path(candidate) / "rabbitmq-server").exists():
            return Path(candidate)
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RabbitNode:
    def __init__(self, base: Path, sbin: Path, tag: str) -> None:
        self.base = base
        self.sbin = sbin
        self.name = f"omnihub-test-{tag}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def env(self) -> dict[str, str]:
        b = self.base
        return {
            **os.environ,
            "HOME": str(b),  # its own Erlang cookie
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_MNESIA_BASE": str(b / "mnesia"),
            "RABBITMQ_LOG_BASE": str(b / "log"),
            "RABBITMQ_CONFIG_FILE": str(b / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(b / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(b / "enabled_plugins"),
            "RABBITMQ_PID_FILE": str(b / "rabbitmq.pid"),
        }

    def start(self) -> None:
        self.base.mkdir(parents=True, exist_ok=True)
        # The system config would make this node listen on the shared broker's port.
        (self.base / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.base / "enabled_plugins").write_text("[].\n")  # no management: it needs ports
        with (self.base / "server.log").open("wb") as log:
            self.process = subprocess.Popen(
                [str(self.sbin / "rabbitmq-server")],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a Ctrl-C of pytest must not reach the node first
            )
        try:
            self._await_startup(deadline=time.monotonic() + 120)
        except BaseException:
            self.stop()  # never leave a half-started node behind
            raise

    def _await_startup(self, deadline: float) -> None:
        # await_startup answers "unavailable" until the Erlang node itself is up.
        assert self.process is not None
        while True:
            if self.process.poll() is not None:
                log = (self.base / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"RabbitMQ node {self.name} exited:\n{log}")
            try:
                self.ctl("await_startup", "--timeout", "60", timeout=90)
                return
            except subprocess.CalledProcessError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)

    def ctl(self, *args: str, timeout: float = 60) -> str:
        return subprocess.run(
            [str(self.sbin / "rabbitmqctl"), "-n", self.name, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        ).stdout

    def stop_app(self) -> None:
        self.ctl("stop_app")

    def start_app(self) -> None:
        self.ctl("start_app")

    def _beam_pid(self) -> int | None:
        try:
            return int((self.base / "rabbitmq.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        if self.process is None:
            return
        beam = self._beam_pid()  # the Erlang VM; self.process is only its start script
        try:
            self.ctl("stop", timeout=60)
            self.process.wait(timeout=60)
        except (subprocess.SubprocessError, OSError) as exc:
            print(f"stopping {self.name} the polite way failed: {exc!r}; killing it")
            # Only the node this helper started, by the ids it recorded.
            for pid in (beam, self.process.pid):
                if pid is not None:
                    with contextlib.suppress(ProcessLookupError):
                        os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        finally:
            self.process = None
            shutil.rmtree(self.base, ignore_errors=True)
