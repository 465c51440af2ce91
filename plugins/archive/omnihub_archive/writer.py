"""One writer task per archive: handlers queue lines, the task writes them in batches.

The hub acks an event once its handler returns, so :meth:`ArchiveWriter.append` returns
only after the line is on disk (written, and fsynced if configured). A single task doing
the writes means concurrent handlers never interleave partial lines, and a batch costs one
thread hop and one write call however many handlers are waiting (group commit).
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

from .files import ArchiveFiles


class ArchiveClosed(RuntimeError):
    """The archive is not open (the hub is starting or stopping): retry later."""


class ArchiveWriter:
    def __init__(self, files: ArchiveFiles):
        self.files = files
        self._pending: list[tuple[bytes, asyncio.Future[None]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self.last_error: str | None = None

    async def start(self) -> None:
        await asyncio.to_thread(self.files.open)
        self._closing = False
        self._task = asyncio.create_task(self._run(), name="archive-writer")

    async def append(self, line: bytes) -> None:
        if self._task is None or self._closing:
            raise ArchiveClosed("the archive is not open")
        future = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        self._wake.set()
        await future

    async def close(self) -> None:
        """Write what is queued, then close the open segment (it is rotated and gzipped)."""
        if self._task is not None:
            self._closing = True
            self._wake.set()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await asyncio.to_thread(self.files.close)

    async def _run(self) -> None:
        while not (self._closing and not self._pending):
            if not self._pending:
                delay = self.files.seconds_until_rotation()
                # Event.wait with a timeout loses nothing, unlike a timed-out queue.get().
                with suppress(TimeoutError):
                    async with asyncio.timeout(delay):
                        await self._wake.wait()
            self._wake.clear()
            batch, self._pending = self._pending, []
            # A handler that timed out was cancelled and will be retried: don't write it twice.
            batch = [(line, future) for line, future in batch if not future.done()]
            try:
                await asyncio.to_thread(self.files.write, [line for line, _ in batch])
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.last_error = None
            for _, future in batch:
                if not future.done():
                    future.set_result(None)
