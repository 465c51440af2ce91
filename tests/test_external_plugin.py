"""Done-when of the foundation: a plugin installed with `pip install -e` from outside this
repository shows up in `omnihub plugins` and receives what it subscribed to, through a real
`omnihub run` process, with no change to the core."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PLUGIN = "omnihub-example-outside"

PYPROJECT = f"""
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "{PLUGIN}"
version = "1.2.3"
dependencies = ["omnihub"]

[project.entry-points."omnihub.plugins"]
outside = "omnihub_example_outside"
"""

MODULE = '''
"""A third-party plugin: writes every customer event it receives to a file."""
import json
from pathlib import Path

from pydantic import BaseModel

from hub import Consumer, hookimpl


class Settings(BaseModel):
    output: str


@hookimpl
def hub_config_model():
    return Settings


@hookimpl
def hub_register_consumers(register, context):
    async def write(event):
        with Path(context.config.output).open("a") as out:
            out.write(json.dumps({"id": event.id, "type": event.type}) + "\\n")

    register(Consumer("outside-writer", ("customer.#",), write, purposes=()))
'''


@pytest.fixture(scope="module")
def installed_plugin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    root = tmp_path_factory.mktemp("outside")
    (root / "pyproject.toml").write_text(PYPROJECT)
    (root / "omnihub_example_outside.py").write_text(textwrap.dedent(MODULE))
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run(
        [*pip, "install", "--no-deps", "--no-build-isolation", "-e", str(root)], check=True
    )
    try:
        yield
    finally:
        subprocess.run([*pip, "uninstall", "-y", PLUGIN], check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_outside_plugin_is_listed_and_receives_events(
    installed_plugin: None, tmp_path: Path
) -> None:
    output = tmp_path / "received.jsonl"
    port = free_port()
    config = tmp_path / "hub.toml"
    config.write_text(
        textwrap.dedent(f"""
        [hub]
        data_dir = "{tmp_path}/data"
        [store]
        url = "sqlite:///{tmp_path}/hub.db"
        [http]
        port = {port}
        [[api.tokens]]
        name = "t"
        token = "outside-plugin-test-token"
        scopes = ["events:write"]
        [plugins.outside]
        output = "{output}"
    """)
    )
    listed = subprocess.run(
        [BIN / "omnihub", "--config", str(config), "plugins", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    [row] = [r for r in json.loads(listed.stdout) if r["name"] == "outside"]
    assert (row["version"], row["state"]) == ("1.2.3", "enabled")
    assert row["subscriptions"][0]["patterns"] == ["customer.#"]

    env = {**os.environ, "OMNIHUB_LOGGING__JSON": "true"}
    server = subprocess.Popen(
        [BIN / "omnihub", "--config", str(config), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_healthy(port, server)
        event = {
            "source": "/crm",
            "type": "customer.identified",
            "id": "evt-outside-1",
            "data": {"identifiers": [{"kind": "crm:hubspot", "value": "901"}]},
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v1/events",
            data=json.dumps(event).encode(),
            headers={
                "Authorization": "Bearer outside-plugin-test-token",
                "Content-Type": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                assert response.status == 202
        except urllib.error.HTTPError as exc:
            pytest.fail(f"{exc.code}: {exc.read().decode()}")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not output.exists():
            time.sleep(0.05)
        assert json.loads(output.read_text()) == {
            "id": "evt-outside-1",
            "type": "customer.identified",
        }
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr.decode()[-2000:]


def wait_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"omnihub run exited: {server.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("omnihub run did not serve /healthz within 20 s")
