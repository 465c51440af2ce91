"""Fixtures of the process tests: the ledger plugin installed for the session, and a
cluster of ``omnihub run`` processes in a RabbitMQ vhost of the test's own."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

import aiohttp
import pytest

from hub.testing import IN_CI

from .cluster import CREATED_VHOSTS, STARTED, VHOST_PREFIX, Cluster, Vhost

PLUGIN_SOURCE = Path(__file__).resolve().parent / "ledger_plugin"
PLUGIN_DIST = "omnihub-test-ledger"


@pytest.fixture(scope="session")
def ledger_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """``pip install -e`` the ledger plugin for the session, uninstalled at the end.

    Installed from a copy, so that the build leaves no ``*.egg-info`` in the repository.
    """
    root = tmp_path_factory.mktemp("ledger-plugin") / "src"
    shutil.copytree(PLUGIN_SOURCE, root, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    run([*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(root)])
    try:
        yield
    finally:
        run([*pip, "uninstall", "-y", PLUGIN_DIST])


def run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, f"{command}: {done.stdout}{done.stderr}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember a failure, so the cluster fixture prints the hubs' logs only then."""
    report = yield
    if report.failed:
        item.stash[FAILED] = True
    return report


FAILED = pytest.StashKey[bool]()


@pytest.fixture
async def cluster(
    ledger_plugin: None, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Cluster]:
    """Hub processes started by ``await cluster.start(n)``; all stopped at the end, and
    the vhost deleted with every queue they declared."""
    if shutil.which("rabbitmqctl") is None:
        message = "rabbitmqctl is needed for a vhost of the test's own"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    tag = uuid.uuid4().hex[:8]
    vhost = Vhost(f"{VHOST_PREFIX}{tag}")
    await asyncio.to_thread(vhost.create)
    try:
        async with aiohttp.ClientSession() as session:
            hubs = Cluster(tmp_path, vhost, tag, session)
            try:
                yield hubs
            finally:
                await hubs.stop()
                if request.node.stash.get(FAILED, False):
                    print(hubs.report_logs())
                await vhost.delete_queues()
    finally:
        await asyncio.to_thread(vhost.delete)
        assert not await asyncio.to_thread(vhost.exists), f"vhost {vhost.name} left behind"


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Last resort after an interrupted test: kill the hub processes it started (by their
    pid) and delete its vhost."""
    for pid, config in sorted(STARTED.items()):
        with contextlib.suppress(OSError):
            if config in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                os.kill(pid, signal.SIGKILL)  # still our hub, not a reused pid
                os.waitpid(pid, 0)
    for name in sorted(CREATED_VHOSTS):
        Vhost(name).delete()
