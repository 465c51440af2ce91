"""Naming and reading archive segments; shared by the writer, erasure and ``omnihub replay``.

A segment is one file of JSON lines. ``<start>`` is the UTC time its first line was written,
``<seq>`` a counter that orders segments even when the clock steps back:

* ``events-<start>-<seq>.jsonl.open`` is being appended to; after a crash it may end in a
  partial line, which readers skip.
* ``events-<start>-<seq>.jsonl`` is closed and complete (waiting for gzip if ``compress``).
* ``events-<start>-<seq>.jsonl.gz`` is closed and compressed.
* ``*.tmp`` is work in progress: never read, removed when the archive opens.
"""

from __future__ import annotations

import gzip
import os
import re
from collections.abc import Iterator
from contextlib import suppress
from datetime import UTC, datetime
from io import BufferedIOBase
from pathlib import Path

SEGMENT = re.compile(r"^events-(\d{8}T\d{6}Z)-(\d+)\.jsonl(\.gz|\.open)?$")
OPEN, CLOSED, GZ = ".jsonl.open", ".jsonl", ".jsonl.gz"
_PREFERENCE = {GZ: 0, CLOSED: 1, OPEN: 2}  # the most final copy of a segment wins


def segment_name(started: float, seq: int) -> str:
    stamp = datetime.fromtimestamp(started, UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"events-{stamp}-{seq:06d}"


def split_name(path: Path) -> tuple[str, str] | None:
    """``(stem, suffix)`` of a segment file, e.g. ``("events-…-000003", ".jsonl.gz")``."""
    match = SEGMENT.match(path.name)
    if match is None:
        return None
    suffix = ".jsonl" + (match.group(3) or "")
    return path.name[: -len(suffix)], suffix


def seq_of(stem: str) -> int:
    return int(stem.rsplit("-", 1)[1])


def list_segments(directory: Path) -> list[Path]:
    """Every segment in write order; when a segment exists twice (mid-gzip) the final copy."""
    best: dict[str, tuple[int, Path]] = {}
    with suppress(FileNotFoundError):
        for path in directory.iterdir():
            parts = split_name(path)
            if parts is None:
                continue
            stem, suffix = parts
            rank = _PREFERENCE[suffix]
            if stem not in best or rank < best[stem][0]:
                best[stem] = (rank, path)
    return [best[stem][1] for stem in sorted(best, key=lambda s: (seq_of(s), s))]


def _open(path: Path) -> tuple[BufferedIOBase, BufferedIOBase]:
    """``(raw, text)``: the file on disk, and what to read lines from."""
    stem, suffix = split_name(path) or (path.name, "")
    # A segment may move on between listing and opening (closed, then compressed).
    candidates = {OPEN: [OPEN, CLOSED, GZ], CLOSED: [CLOSED, GZ]}.get(suffix, [suffix])
    for candidate in candidates:
        try:
            raw = (path.parent / (stem + candidate)) if suffix else path
            handle = raw.open("rb")
        except FileNotFoundError:
            continue
        if candidate == GZ:
            return handle, gzip.GzipFile(fileobj=handle, mode="rb")
        return handle, handle
    raise FileNotFoundError(path)


def iter_lines(path: Path) -> Iterator[tuple[bytes, int]]:
    """Each complete, non-empty line (without its newline) with the raw bytes read so far.

    The offset lets a caller show progress through a compressed file.
    """
    raw, text = _open(path)
    with raw, text:
        for line in text:
            if not line.endswith(b"\n"):
                return  # a partial last line: its write never finished, nor was it acked
            if line.strip():
                yield line.rstrip(b"\r\n"), raw.tell()


def fsync_directory(directory: Path) -> None:
    """Make a rename durable (POSIX); a no-op where directories cannot be opened."""
    with suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
