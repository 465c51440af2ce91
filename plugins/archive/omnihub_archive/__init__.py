"""Omnihub's event archive: every event, appended to rotating, gzipped JSON Lines files.

A built-in plugin that registers like any third-party one (entry point ``archive`` in
``omnihub.plugins``) and uses only the public plugin API.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from pathlib import Path

import click

from hub import (
    CloudEvent,
    Consumer,
    ErasureReceipt,
    ErasureRequest,
    Health,
    PluginContext,
    RetryPolicy,
    hookimpl,
)

from .config import ArchiveConfig
from .erase import CustomerLines
from .files import ArchiveFiles
from .writer import ArchiveClosed, ArchiveWriter

__version__ = "0.1.0"

CONSUMER = "archive"
WRITER = "writer"  # key of the running hub's writer in context.state
# Never archived: an erasure request carries the identifiers of the person it erases.
NOT_ARCHIVED = frozenset({"customer.erasure_requested"})


def new_writer(context: PluginContext) -> ArchiveWriter:
    config: ArchiveConfig = context.config
    files = ArchiveFiles(
        config.resolve_directory(context.data_dir),
        max_bytes=config.max_bytes,
        rotate_every=config.rotate_every,
        compress=config.compress,
        fsync=config.fsync,
    )
    return ArchiveWriter(files)


def running_writer(context: PluginContext) -> ArchiveWriter | None:
    writer: ArchiveWriter | None = context.state.get(WRITER)
    return writer


@hookimpl
def hub_config_model() -> type[ArchiveConfig]:
    return ArchiveConfig


@hookimpl
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    async def archive(event: CloudEvent) -> None:
        if event.type in NOT_ARCHIVED:
            return
        # Looked up per event: a stopped and restarted hub gets a fresh writer.
        writer = running_writer(context)
        if writer is None:
            raise ArchiveClosed("the archive is not open")
        await writer.append(event.to_json())

    register(
        Consumer(
            CONSUMER,
            tuple(context.config.patterns),
            archive,
            # An audit archive serves no purpose of its own (no marketing, no service): it
            # must see every event whatever the customer allowed, and erasure removes it.
            purposes=(),
            # Handlers only queue a line for the writer task, so many may wait at once;
            # more in flight means bigger batches per write.
            concurrency=64,
            ordered=False,
            replays=False,  # a replay to every subscriber must not archive events twice
            retry=RetryPolicy((0.5, 5.0, 30.0, 120.0, 600.0)),
        )
    )


@hookimpl
async def hub_startup(context: PluginContext) -> None:
    writer = new_writer(context)
    await writer.start()
    context.state[WRITER] = writer


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    writer: ArchiveWriter | None = context.state.pop(WRITER, None)
    if writer is not None:
        await writer.close()


@hookimpl
async def hub_health(context: PluginContext) -> Health:
    writer = running_writer(context) or new_writer(context)  # doctor asks before a start
    directory = writer.files.directory
    try:
        await asyncio.to_thread(_probe, directory)
    except OSError as exc:
        return Health(False, f"{directory} is not writable: {exc.strerror or exc}")
    if writer.last_error:
        return Health(False, f"last write failed: {writer.last_error}")
    if writer.files.gzip_error:
        return Health(False, writer.files.gzip_error)
    return Health(True, str(directory))


def _probe(directory: Path) -> None:
    while not directory.exists():  # not created yet: can it be?
        directory = directory.parent
    # ``.tmp`` so that a crash between create and delete leaves nothing the archive reads.
    with tempfile.NamedTemporaryFile(dir=directory, suffix=".tmp"):
        pass


@hookimpl
async def hub_erase_customer(request: ErasureRequest, context: PluginContext) -> ErasureReceipt:
    writer = running_writer(context) or new_writer(context)  # files need no open writer
    removed = await asyncio.to_thread(writer.files.erase, CustomerLines.of(request))
    return ErasureReceipt("done", f"{removed} archived event(s) removed", items=removed)


@hookimpl
def hub_register_commands(cli: click.Group) -> None:
    from .replay import replay

    cli.add_command(replay)
