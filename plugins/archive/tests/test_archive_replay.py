"""``omnihub replay`` end to end: archive → CLI → the running hub's API → a consumer."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import click
import omnihub_archive
from archive_support import identified, updated, wait_archived
from click.testing import CliRunner, Result
from omnihub_archive.replay import Sender, topic_match

from hub.cli_api import ApiClient
from hub.testing import ADMIN_TOKEN


def omnihub() -> click.Group:
    """The installed ``omnihub`` command, with every plugin's commands added."""
    (script,) = entry_points(group="console_scripts", name="omnihub")
    command = script.load()
    assert isinstance(command, click.Group)
    return command


async def archived_hub(
    hub_factory: Any, tmp_path: Path, events: list[Any]
) -> tuple[Any, Callable[..., Any]]:
    """A hub that has archived ``events``, and a function running the CLI against it."""
    directory = tmp_path / "archive"
    harness = await hub_factory(
        plugins={"archive": omnihub_archive}, config={"archive": {"directory": str(directory)}}
    )
    await harness.publish(*events)
    await wait_archived(directory, len(events))
    config = tmp_path / "hub.toml"
    config.write_text(f'[plugins.archive]\ndirectory = "{directory}"\n')
    url = str(harness.client.make_url("/")).rstrip("/")

    async def cli(*args: str) -> Result:
        prefix = ["--config", str(config), "--api-url", url, "--token", ADMIN_TOKEN, "replay"]
        # The API client is synchronous; the server runs on this loop, so call from a thread.
        return await asyncio.to_thread(CliRunner().invoke, omnihub(), [*prefix, *args])

    return harness, cli


async def test_replay_delivers_the_selected_type_to_a_named_consumer(
    hub_factory: Any, tmp_path: Path
) -> None:
    events = [updated("cust-1", n) for n in range(3)] + [identified("cust-1", "+5511990000002")]
    harness, cli = await archived_hub(hub_factory, tmp_path, events)
    probe = await harness.collect("probe", "#")  # subscribed after the events went by

    result = await cli("--type", "customer.updated", "--to", "probe", "--batch", "2")

    assert result.exit_code == 0, result.output
    assert "replayed 3 event(s) to consumer 'probe'" in result.output
    received = await probe.wait_for(3)
    assert sorted(e.id for e in received) == ["cust-1-upd-0", "cust-1-upd-1", "cust-1-upd-2"]
    await asyncio.sleep(0.1)
    assert len(probe.events) == 3


async def test_replay_filters_by_time_and_routing_key_pattern(
    hub_factory: Any, tmp_path: Path
) -> None:
    events = [
        updated("cust-1", n, time=f"2024-05-01T{10 + n}:00:00Z", channel=channel)
        for n, channel in enumerate(["web", "web", "store", "web", "web"])
    ]
    harness, cli = await archived_hub(hub_factory, tmp_path, events)
    probe = await harness.collect("probe", "#")
    window = ("--since", "2024-05-01T11:00:00Z", "--until", "2024-05-01T14:00:00")

    dry = await cli(*window, "--type", "customer.*.web", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would replay 2 event(s)" in dry.output  # 11:00 and 13:00; 12:00 is the store's

    result = await cli(*window, "--type", "customer.*.web")  # no --to: every subscriber
    assert result.exit_code == 0, result.output
    assert "replayed 2 event(s) to every subscriber" in result.output
    received = await probe.wait_for(2)
    assert sorted(e.id for e in received) == ["cust-1-upd-1", "cust-1-upd-3"]


async def test_replay_to_an_unknown_consumer_is_refused(hub_factory: Any, tmp_path: Path) -> None:
    _, cli = await archived_hub(hub_factory, tmp_path, [updated("cust-1", 0)])
    result = await cli("--to", "nope")
    assert result.exit_code == 1
    assert "no consumer named 'nope'" in result.output


def test_a_bad_time_is_a_clear_usage_error() -> None:
    result = CliRunner().invoke(omnihub(), ["replay", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "Invalid value for '--since': 'yesterday' is not an ISO 8601 time" in result.output

    result = CliRunner().invoke(
        omnihub(), ["replay", "--since", "2024-05-02", "--until", "2024-05-01"]
    )
    assert result.exit_code == 2
    assert "must be later than --since" in result.output


def test_topic_patterns_match_like_rabbitmq() -> None:
    assert topic_match("customer.updated", "customer.updated")
    assert topic_match("customer.*", "customer.updated")
    assert not topic_match("customer.*", "customer.updated.web")
    assert topic_match("customer.#", "customer.updated.web")
    assert topic_match("#.web", "message.received.web")
    assert topic_match("#", "anything.at.all")
    assert not topic_match("message.#", "customer.updated")


class RecordingClient(ApiClient):
    def __init__(self) -> None:
        super().__init__("http://hub.invalid", None)
        self.bodies: list[Any] = []

    def request(self, method: str, path: str, body: Any = None) -> Any:
        self.bodies.append(body)
        return {"replayed": len(body["events"])}


def test_batches_stay_under_the_hubs_body_limit() -> None:
    client = RecordingClient()
    sender = Sender(client, "crm", size=100, max_bytes=250)
    for n in range(6):
        sender.add(json.dumps({"n": n, "pad": "x" * 80}).encode())  # ~100 bytes a line
    sender.flush()
    assert [len(b["events"]) for b in client.bodies] == [2, 2, 2]
    assert all(b["to"] == "crm" for b in client.bodies)
    assert sender.sent == 6
