"""The omnihub command: in-process for API commands, as a real process for `run`."""

from __future__ import annotations

import asyncio
import json
import socket
import sqlite3
import subprocess
import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from hub import Consumer, RetryPolicy
from hub.cli import main
from hub.serve import run_loop
from hub.testing import ADMIN_TOKEN, HubFactory, eventually
from tests.support import AcmePlugin, ping_json

PLUGINS = {"acme": AcmePlugin()}


async def invoke(harness: Any, *args: str, input: str | None = None) -> Any:
    """Run the CLI against the harness's server (in a thread: the CLI's client blocks)."""
    url = str(harness.client.make_url("/")).rstrip("/")
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke,
        main,
        ["--api-url", url, "--token", ADMIN_TOKEN, "--config", "absent.toml", *args],
        input=input,
    )


async def test_events_publish_from_stdin_and_file(hub_factory: HubFactory, tmp_path: Path) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    seen = await harness.collect("seen", "acme.#")
    result = await invoke(harness, "events", "publish", "-", input=json.dumps([ping_json(1)]))
    assert result.exit_code == 0, result.output
    assert "accepted 1 event(s)" in result.output
    lines = tmp_path / "events.jsonl"
    lines.write_text("\n".join(json.dumps(ping_json(n)) for n in (2, 3)) + "\n")
    result = await invoke(harness, "events", "publish", str(lines))
    assert "accepted 2 event(s)" in result.output
    assert len(await seen.wait_for(3)) == 3


async def test_events_publish_reports_the_bad_field(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    bad = json.dumps(ping_json(1, data={"n": "x"}))
    result = await invoke(harness, "events", "publish", "-", input=bad)
    assert result.exit_code == 1
    assert "data.n" in result.output


async def test_dlq_list_and_replay(hub_factory: HubFactory) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    fixed = asyncio.Event()

    async def handler(event: Any) -> None:
        if not fixed.is_set():
            raise ConnectionRefusedError("endpoint refused")

    await harness.hub.add_consumer(Consumer("crm", ("acme.#",), handler, retry=RetryPolicy(())))
    await harness.publish(ping_json(1))
    await eventually(lambda: harness.hub.broker.dead_letters("omnihub.crm"))
    listed = await invoke(harness, "dlq", "list")
    assert listed.exit_code == 0, listed.output
    assert "crm" in listed.output
    assert "ping-1" in listed.output
    assert "ConnectionRefusedError: endpoint refused" in listed.output
    fixed.set()
    replayed = await invoke(harness, "dlq", "replay", "crm", "--id", "ping-1")
    assert "replayed 1 dead letter(s) to crm" in replayed.output

    async def drained() -> bool:
        return not await harness.hub.broker.dead_letters("omnihub.crm")

    await eventually(drained)
    assert "no dead letters" in (await invoke(harness, "dlq", "list")).output


def test_unreachable_hub_is_a_clear_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--api-url", "http://127.0.0.1:9", "--token", "x" * 20, "dlq", "list"]
    )
    assert result.exit_code == 1
    assert "cannot reach the hub at http://127.0.0.1:9" in result.output


def test_doctor_exit_code_tells(tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/a.db"\n[hub]\ndata_dir = "{tmp_path}"\n')
    result = CliRunner().invoke(main, ["--config", str(good), "doctor"])
    assert result.exit_code == 0, result.output
    assert "ok  broker" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path}/b.db"\n'
        '[broker]\nurl = "amqp://guest:guest@127.0.0.1:1/"\npublish_timeout = 2\n'
    )
    result = CliRunner().invoke(main, ["--config", str(bad), "doctor"])
    assert result.exit_code == 1
    assert "FAIL broker" in result.output


def test_bad_config_is_reported_not_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "hub.toml"
    path.write_text("[http]\nport = 'eighty'\n")
    result = CliRunner().invoke(main, ["--config", str(path), "plugins"])
    assert result.exit_code == 1
    assert "http.port" in result.output
    assert "Traceback" not in result.output


def test_doctor_fails_on_a_broken_enabled_plugin_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = EntryPoint("broken", "omnihub_no_such_module_xyz", "omnihub.plugins")
    monkeypatch.setattr("hub.plugins._entry_points", lambda: [broken])
    base = f'[store]\nurl = "sqlite:///{tmp_path}/d.db"\n[hub]\ndata_dir = "{tmp_path}"\n'
    off = tmp_path / "off.toml"
    off.write_text(base)
    result = CliRunner().invoke(main, ["--config", str(off), "doctor"])
    assert result.exit_code == 0, result.output
    assert "disabled: import failed: ModuleNotFoundError" in result.output
    on = tmp_path / "on.toml"
    on.write_text(base + "[plugins.broken]\n")
    result = CliRunner().invoke(main, ["--config", str(on), "doctor"])
    assert result.exit_code == 1
    assert "FAIL plugin broken" in result.output


@pytest.mark.parametrize("workers", [1, 2])
def test_run_exits_when_the_store_cannot_open(tmp_path: Path, workers: int) -> None:
    """A failed start must end the process (aiosqlite's thread once kept it alive); with
    workers, the supervisor ends with the first worker's failure and leaves none behind."""
    database = tmp_path / "locked.db"
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # the hub's start then fails: database is locked
    broker = "memory://" if workers == 1 else "amqp://guest:guest@127.0.0.1:5672/"
    config = tmp_path / "hub.toml"
    config.write_text(
        f'[hub]\ndata_dir = "{tmp_path}"\nworkers = {workers}\n[broker]\nurl = "{broker}"\n'
        f'[store]\nurl = "sqlite:///{database}"\n[http]\nport = 0\n'
    )
    try:
        result = run_command("--config", str(config), "run")
    finally:
        holder.close()
    assert result.returncode != 0
    assert "locked" in result.stderr
    if workers > 1:
        assert "worker_failed_to_start" in result.stderr


def test_run_with_workers_refuses_the_in_process_broker(tmp_path: Path) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'[hub]\ndata_dir = "{tmp_path}"\n')
    result = run_command("--config", str(config), "run", "--workers", "2")
    assert result.returncode != 0
    assert "--workers = 2" in result.stderr
    assert "amqp://" in result.stderr
    assert "Traceback" not in result.stderr


def test_run_with_workers_reports_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "hub.toml"
        config.write_text(
            f'[hub]\ndata_dir = "{tmp_path}"\nworkers = 2\n'
            f'[broker]\nurl = "amqp://guest:guest@127.0.0.1:5672/"\n[http]\nport = {port}\n'
        )
        result = run_command("--config", str(config), "run")
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    omnihub = Path(sys.executable).parent / "omnihub"
    return subprocess.run([omnihub, *args], capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize(("choice", "loop_module"), [("auto", "uvloop"), ("asyncio", "asyncio")])
def test_the_hub_runs_on_the_event_loop_chosen(choice: str, loop_module: str) -> None:
    seen: list[str] = []

    async def main() -> None:
        seen.append(type(asyncio.get_running_loop()).__module__.split(".")[0])

    run_loop(main(), choice)
    assert seen == [loop_module]
