"""The archive directory: append to the open segment, rotate, gzip and rewrite atomically.

Blocking code, run in threads. Two locks: ``_write_lock`` guards the open segment (held only
for appends and the close-and-rename of a rotation); ``_closed_lock`` lets gzip and erasure
take turns on closed segments, so neither ever sees the other's half-written file.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from io import BufferedIOBase
from pathlib import Path
from typing import IO

from .segments import (
    CLOSED,
    GZ,
    OPEN,
    fsync_directory,
    iter_lines,
    list_segments,
    segment_name,
    seq_of,
    split_name,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX: no guard against a second writer
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = ".lock"


class DirectoryInUse(RuntimeError):
    """Another hub process archives into the same directory."""


class ArchiveFiles:
    def __init__(
        self,
        directory: Path,
        *,
        max_bytes: int,
        rotate_every: float,
        compress: bool,
        fsync: bool,
        clock: Callable[[], float] = time.time,
    ):
        self.directory = directory
        self.max_bytes = max_bytes
        self.rotate_every = rotate_every
        self.compress = compress
        self.fsync = fsync
        self.clock = clock
        self._write_lock = threading.Lock()
        self._closed_lock = threading.Lock()
        self._file: IO[bytes] | None = None
        self._stem = ""
        self._size = 0
        self._started = 0.0
        self._seq = 0
        self._lock_fd: int | None = None
        self._gzip: ThreadPoolExecutor | None = None
        self.gzip_error: str | None = None  # the last failed compression, for hub_health

    # -- life cycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Take the directory, finish what a crashed predecessor left, continue its count."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self._take_directory()
        self._gzip = ThreadPoolExecutor(1, thread_name_prefix="archive-gzip")
        for path in self.directory.glob("*.tmp"):
            path.unlink(missing_ok=True)
        for path in self.directory.iterdir():
            parts = split_name(path)
            if parts is None:
                continue
            stem, suffix = parts
            self._seq = max(self._seq, seq_of(stem))
            if suffix == OPEN:  # nobody writes it any more (we hold the directory lock)
                path.rename(path.with_name(stem + CLOSED))
        for path in self.directory.glob("*" + CLOSED):
            if path.with_name(path.name + ".gz").exists():
                path.unlink()  # gzip finished (its rename is atomic) but the unlink did not
            elif self.compress:
                self._compress_later(path)

    def close(self) -> None:
        with self._write_lock:
            self._close_segment()
        if self._gzip is not None:
            self._gzip.shutdown(wait=True)
            self._gzip = None
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # releases the flock
            self._lock_fd = None

    def _take_directory(self) -> None:
        fd = os.open(self.directory / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise DirectoryInUse(
                    f"archive directory {self.directory} is in use by another hub; "
                    "give each hub process its own [plugins.archive] directory"
                ) from None
        self._lock_fd = fd

    # -- writing ------------------------------------------------------------------------

    def write(self, lines: Sequence[bytes]) -> None:
        """Append whole lines (no newline in them); rotate by size or age first as needed."""
        with self._write_lock:
            self._rotate_if_due()
            chunk: list[bytes] = []
            size = self._size
            for line in lines:
                if size and size + len(line) + 1 > self.max_bytes:
                    self._append(b"".join(chunk))
                    chunk, size = [], 0
                    self._close_segment()
                chunk += (line, b"\n")
                size += len(line) + 1
            self._append(b"".join(chunk))

    def rotate_if_due(self) -> None:
        with self._write_lock:
            self._rotate_if_due()

    def seconds_until_rotation(self) -> float | None:
        if self._file is None:
            return None
        return max(0.0, self._started + self.rotate_every - self.clock())

    def _rotate_if_due(self) -> None:
        if self._file is not None and self.clock() - self._started >= self.rotate_every:
            self._close_segment()

    def _append(self, data: bytes) -> None:
        if not data:
            return
        if self._file is None:
            self._new_segment()
        assert self._file is not None
        start = self._size
        try:
            view = memoryview(data)
            while view:
                view = view[self._file.write(view) or 0 :]
            if self.fsync:
                os.fsync(self._file.fileno())
        except OSError:
            # The next line must start on a fresh line: drop what this write left (O_APPEND
            # writes go to the end, so truncating is enough).
            with suppress(OSError):
                self._file.truncate(start)
            raise
        self._size += len(data)

    def _new_segment(self) -> None:
        self._started = self.clock()
        while True:
            self._seq += 1
            stem = segment_name(self._started, self._seq)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND
            try:
                fd = os.open(self.directory / (stem + OPEN), flags, 0o640)
            except FileExistsError:
                continue
            break
        self._file = open(fd, "ab", buffering=0)  # noqa: SIM115 - closed on rotation
        self._stem, self._size = stem, 0

    def _close_segment(self) -> None:
        """Close the open segment and publish it under its final name."""
        if self._file is None:
            return
        os.fsync(self._file.fileno())
        self._file.close()
        self._file, self._size = None, 0
        opened = self.directory / (self._stem + OPEN)
        closed = opened.with_name(self._stem + CLOSED)
        opened.rename(closed)
        fsync_directory(self.directory)
        if self.compress:
            self._compress_later(closed)

    def _compress_later(self, path: Path) -> None:
        if self._gzip is not None:
            self._gzip.submit(self._compress_noting_errors, path)

    def _compress_noting_errors(self, path: Path) -> None:
        # Runs in the executor, where an exception would vanish: keep it for hub_health.
        # The closed file stays readable as it is and is compressed again at the next open.
        try:
            self.compress_segment(path)
        except Exception as exc:
            self.gzip_error = f"gzip of {path.name} failed: {type(exc).__name__}: {exc}"
        else:
            self.gzip_error = None

    # -- closed segments ----------------------------------------------------------------

    def compress_segment(self, path: Path) -> None:
        """``X.jsonl`` → ``X.jsonl.gz`` through a temporary file and an atomic rename."""
        with self._closed_lock:
            if not path.exists():
                return
            target = path.with_name(path.name + ".gz")
            self._replace(path, target, keep=lambda line: True)
            path.unlink()
            fsync_directory(self.directory)

    def erase(self, drop: Callable[[bytes], bool]) -> int:
        """Rewrite every segment without the lines ``drop`` selects; return how many went."""
        with self._write_lock:
            self._close_segment()  # afterwards every line lives in a closed segment
        removed = 0
        with self._closed_lock:
            for path in list_segments(self.directory):
                removed += self._rewrite(path, drop)
        return removed

    def _rewrite(self, path: Path, drop: Callable[[bytes], bool]) -> int:
        dropped = 0

        def keep(line: bytes) -> bool:
            nonlocal dropped
            if drop(line):
                dropped += 1
                return False
            return True

        tmp = path.with_name(path.name + ".tmp")
        kept = self._replace(path, tmp, keep)
        if not dropped:
            tmp.unlink()
        elif kept:
            tmp.replace(path)
        else:
            tmp.unlink()
            path.unlink()
        fsync_directory(self.directory)
        return dropped

    def _replace(self, source: Path, target: Path, keep: Callable[[bytes], bool]) -> int:
        """Write the lines of ``source`` that ``keep`` wants to ``target`` atomically.

        ``target`` ending in ``.tmp`` is left for the caller to rename; any other target is
        written to ``<target>.tmp`` first, then renamed. Returns the lines written.
        """
        tmp = target if target.name.endswith(".tmp") else target.with_name(target.name + ".tmp")
        with tmp.open("wb") as raw:
            if source.name.endswith(GZ) or target.name.endswith(GZ):
                with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6) as out:
                    written = _copy(source, out, keep)
            else:
                written = _copy(source, raw, keep)
            raw.flush()
            os.fsync(raw.fileno())
        if tmp != target:
            tmp.replace(target)
        return written


def _copy(source: Path, out: BufferedIOBase, keep: Callable[[bytes], bool]) -> int:
    written = 0
    for line, _ in iter_lines(source):
        if keep(line):
            out.write(line + b"\n")
            written += 1
    return written
