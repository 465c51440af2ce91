"""Events are archived as canonical JSON lines, rotated, gzipped, and never interleaved."""

from __future__ import annotations

import asyncio
import gzip
import json
import re
import shutil
from pathlib import Path
from typing import Any

import omnihub_archive
from archive_support import archived, eventually, updated, wait_archived

from hub import CloudEvent

FINAL = re.compile(r"^events-\d{8}T\d{6}Z-\d{6}\.jsonl\.gz$")


async def start(hub_factory: Any, tmp_path: Path, **table: Any) -> tuple[Any, Path]:
    directory = tmp_path / "archive"
    config = {"archive": {"directory": str(directory), **table}}
    harness = await hub_factory(plugins={"archive": omnihub_archive}, config=config)
    return harness, directory


async def test_every_event_is_archived_as_its_canonical_json(
    hub_factory: Any, tmp_path: Path
) -> None:
    harness, directory = await start(hub_factory, tmp_path)
    await harness.publish(*(updated("cust-1", n) for n in range(3)))

    lines = await wait_archived(directory, 3)

    assert sorted(e["id"] for e in lines) == ["cust-1-upd-0", "cust-1-upd-1", "cust-1-upd-2"]
    first = next(e for e in lines if e["id"] == "cust-1-upd-0")
    assert first["data"]["traits"]["plan"]["value"] == "plan-0"
    assert (
        CloudEvent.model_validate(first).to_json()
        == json.dumps(first, separators=(",", ":")).encode()
    )


async def test_data_dir_is_the_default_directory(hub_factory: Any) -> None:
    harness = await hub_factory(plugins={"archive": omnihub_archive})
    directory = harness.hub.config.hub.data_dir / "archive"
    await harness.publish(updated("cust-1", 0))
    assert [e["id"] for e in await wait_archived(directory, 1)] == ["cust-1-upd-0"]


async def test_rotation_by_size_leaves_readable_gzip_files(
    hub_factory: Any, tmp_path: Path
) -> None:
    harness, directory = await start(hub_factory, tmp_path, max_bytes=1500)
    for n in range(12):  # one at a time, so that every event gets its own write
        await harness.publish(updated("cust-1", n))
        await wait_archived(directory, n + 1)
    await harness.hub.stop()  # closes the open file: it is rotated like the others

    files = sorted(p.name for p in directory.iterdir() if p.name != ".lock")
    assert len(files) > 2
    assert all(FINAL.match(name) for name in files), files
    seqs = [int(name.rsplit("-", 1)[1].split(".")[0]) for name in files]
    assert seqs == sorted(seqs) == list(range(seqs[0], seqs[0] + len(seqs)))
    for name in files:
        assert (directory / name).stat().st_size > 0
        with gzip.open(directory / name) as stream:
            assert len(stream.read()) <= 1500
    assert [e["data"]["traits"]["plan"]["value"] for e in archived(directory)] == [
        f"plan-{n}" for n in range(12)
    ]


async def test_rotation_by_age(hub_factory: Any, tmp_path: Path) -> None:
    harness, directory = await start(hub_factory, tmp_path, rotate_every=0.2, compress=False)
    await harness.publish(updated("cust-1", 0))
    await wait_archived(directory, 1)

    async def closed() -> list[Path]:  # the writer rotates an idle file on its own
        return list(directory.glob("*.jsonl"))

    await eventually(closed)
    assert not list(directory.glob("*.open"))
    await harness.publish(updated("cust-1", 1))
    assert len(await wait_archived(directory, 2)) == 2


async def test_many_concurrent_events_end_as_whole_lines(hub_factory: Any, tmp_path: Path) -> None:
    harness, directory = await start(hub_factory, tmp_path, max_bytes=20_000)
    await asyncio.gather(*(harness.publish(updated(f"cust-{n % 7}", n)) for n in range(300)))

    events = await wait_archived(directory, 300, within=15)
    await harness.hub.stop()

    assert len(events) == 300
    assert len({e["id"] for e in events}) == 300
    for path in directory.glob("*.gz"):  # every line of every file parses on its own
        with gzip.open(path) as stream:
            for line in stream:
                assert json.loads(line)["type"] == "customer.updated"


async def test_health_says_whether_the_directory_is_writable(
    hub_factory: Any, tmp_path: Path
) -> None:
    harness, directory = await start(hub_factory, tmp_path)
    checks = await harness.hub.readiness()
    assert checks["plugin:archive"].ok

    shutil.rmtree(directory)
    directory.write_text("not a directory")

    checks = await harness.hub.readiness()
    assert not checks["plugin:archive"].ok
    assert "not writable" in checks["plugin:archive"].detail
