"""Omnihub's event archive: every event, appended to rotating, gzipped JSON Lines files.

A built-in plugin that registers like any third-party one (entry point ``archive`` in
``omnihub.plugins``) and uses only the public plugin API.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable

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

# The plugin module is shared by every Hub in the process (tests start several), so each
# hub's archive hangs off its own plugin context. The context is kept alongside so its id
# cannot be reused while the entry exists.
_archives: dict[int, tuple[PluginContext, ArchiveWriter]] = {}


def archive_of(context: PluginContext) -> ArchiveWriter:
    entry = _archives.get(id(context))
    if entry is None:
        config: ArchiveConfig = context.config
        files = ArchiveFiles(
            config.resolve_directory(context.data_dir),
            max_bytes=config.max_bytes,
            rotate_every=config.rotate_every,
            compress=config.compress,
            fsync=config.fsync,
        )
        entry = _archives[id(context)] = (context, ArchiveWriter(files))
    return entry[1]


@hookimpl
def hub_config_model() -> type[ArchiveConfig]:
    return ArchiveConfig


@hookimpl
def hub_register_consumers(register: Callable[[Consumer], None], context: PluginContext) -> None:
    archive_of(context)

    async def archive(event: CloudEvent) -> None:
        # Looked up per event: a stopped and restarted hub gets a fresh writer.
        entry = _archives.get(id(context))
        if entry is None:
            raise ArchiveClosed("the archive is not open")
        await entry[1].append(event.to_json())

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
            retry=RetryPolicy((0.5, 5.0, 30.0, 120.0, 600.0)),
        )
    )


@hookimpl
async def hub_startup(context: PluginContext) -> None:
    await archive_of(context).start()


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    entry = _archives.pop(id(context), None)
    if entry is not None:
        await entry[1].close()


@hookimpl
async def hub_health(context: PluginContext) -> Health:
    writer = archive_of(context)
    directory = writer.files.directory
    try:
        await asyncio.to_thread(_probe, writer.files)
    except OSError as exc:
        return Health(False, f"{directory} is not writable: {exc.strerror or exc}")
    if writer.last_error:
        return Health(False, f"last write failed: {writer.last_error}")
    if writer.files.gzip_error:
        return Health(False, writer.files.gzip_error)
    return Health(True, str(directory))


def _probe(files: ArchiveFiles) -> None:
    # ``.tmp`` so that a crash between create and delete leaves nothing the archive reads.
    with tempfile.NamedTemporaryFile(dir=files.directory, suffix=".tmp"):
        pass


@hookimpl
async def hub_erase_customer(request: ErasureRequest, context: PluginContext) -> ErasureReceipt:
    files = archive_of(context).files
    removed = await asyncio.to_thread(files.erase, CustomerLines.of(request))
    return ErasureReceipt("done", f"{removed} archived event(s) removed", items=removed)


@hookimpl
def hub_register_commands(cli: click.Group) -> None:
    from .replay import replay

    cli.add_command(replay)
