"""The file layer on its own: crash recovery, one writer per directory, atomic rewrites."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from omnihub_archive.files import ArchiveFiles, DirectoryInUse
from omnihub_archive.segments import iter_lines, list_segments


def files(directory: Path, **options: object) -> ArchiveFiles:
    settings: dict[str, object] = {
        "max_bytes": 1 << 20,
        "rotate_every": 3600.0,
        "compress": True,
        "fsync": False,
    }
    return ArchiveFiles(directory, **{**settings, **options})  # type: ignore[arg-type]


def lines(directory: Path) -> list[bytes]:
    return [line for path in list_segments(directory) for line, _ in iter_lines(path)]


def test_a_crashed_writers_files_are_finished_at_open(tmp_path: Path) -> None:
    (tmp_path / "events-20240501T120000Z-000007.jsonl.open").write_bytes(b'{"a":1}\n{"a":2}\n{"a"')
    (tmp_path / "events-20240501T110000Z-000006.jsonl").write_bytes(b'{"a":0}\n')
    (tmp_path / "events-20240501T110000Z-000006.jsonl.gz").write_bytes(gzip.compress(b'{"a":0}\n'))
    (tmp_path / "events-20240501T100000Z-000005.jsonl.gz.tmp").write_bytes(b"half")

    assert lines(tmp_path) == [b'{"a":0}', b'{"a":1}', b'{"a":2}']  # partial line skipped
    archive = files(tmp_path)
    archive.open()
    archive.write([b'{"a":3}'])
    archive.close()

    names = sorted(p.name for p in tmp_path.iterdir() if p.name != ".lock")
    assert names == [
        "events-20240501T110000Z-000006.jsonl.gz",
        "events-20240501T120000Z-000007.jsonl.gz",
        names[2],
    ]
    assert names[2].endswith("-000008.jsonl.gz")  # the count goes on
    assert lines(tmp_path) == [b'{"a":0}', b'{"a":1}', b'{"a":2}', b'{"a":3}']


def test_a_directory_has_one_writer(tmp_path: Path) -> None:
    first = files(tmp_path)
    first.open()
    with pytest.raises(DirectoryInUse, match="in use by another hub"):
        files(tmp_path).open()
    first.close()
    second = files(tmp_path)
    second.open()
    second.close()


def test_erase_rewrites_plain_and_gzip_files_and_drops_emptied_ones(tmp_path: Path) -> None:
    archive = files(tmp_path, max_bytes=40, compress=False)
    archive.open()
    archive.write([b'{"n":"keep-1"}', b'{"n":"drop-1"}'])  # 15 bytes a line, 40 a file
    archive.write([b'{"n":"drop-2"}', b'{"n":"keep-2"}'])
    archive.write([b'{"n":"drop-3"}'])
    archive.close()
    first = sorted(tmp_path.glob("*.jsonl"))[0]
    first.with_name(first.name + ".gz").write_bytes(gzip.compress(first.read_bytes()))
    first.unlink()

    archive = files(tmp_path, compress=False)
    archive.open()
    removed = archive.erase(lambda line: b"drop" in line)
    archive.close()

    assert removed == 3
    assert lines(tmp_path) == [b'{"n":"keep-1"}', b'{"n":"keep-2"}']
    assert [p.suffix for p in list_segments(tmp_path)] == [".gz", ".jsonl"]  # emptied: gone
    assert not list(tmp_path.glob("*.tmp"))


def test_time_rotation_uses_the_clock(tmp_path: Path) -> None:
    now = [1_000_000.0]
    archive = files(tmp_path, rotate_every=60.0, compress=False, clock=lambda: now[0])
    archive.open()
    archive.write([b"{}"])
    assert archive.seconds_until_rotation() == 60.0
    now[0] += 61
    archive.rotate_if_due()
    assert archive.seconds_until_rotation() is None
    archive.close()
    assert [p.name for p in list_segments(tmp_path)] == ["events-19700112T134640Z-000001.jsonl"]
