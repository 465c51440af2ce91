"""``omnihub replay``: re-publish archived events through the running hub's API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from hub import CloudEvent, ConfigError
from hub.cli_api import ApiClient, ApiError, CliContext

from .config import ArchiveConfig
from .segments import iter_lines, list_segments

EXAMPLE = "e.g. 2024-05-01 or 2024-05-01T12:00:00Z"


def iso_time(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """An option callback rather than a ParamType: ParamType's generics vary across click."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time ({EXAMPLE})") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)  # no zone: UTC


def topic_match(pattern: str, key: str) -> bool:
    """RabbitMQ topic matching: ``*`` is one word, ``#`` zero or more."""
    return _match(pattern.split("."), key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    return bool(words) and head in ("*", words[0]) and _match(rest, words[1:])


@dataclass
class Selection:
    since: datetime | None
    until: datetime | None
    types: tuple[str, ...]

    def wants(self, event: CloudEvent) -> bool:
        if self.since is not None and event.time < self.since:
            return False
        if self.until is not None and event.time >= self.until:
            return False
        keys = (event.type, event.routing_key)  # a bare type or a full routing-key pattern
        return not self.types or any(topic_match(p, k) for p in self.types for k in keys)


@dataclass
class Sender:
    """Posts events in batches of at most ``size`` events and ``max_bytes`` of JSON."""

    client: ApiClient | None  # None: dry run
    target: str | None
    size: int
    max_bytes: int  # the hub answers 413 to a bigger body (http.max_body_bytes)
    pending: list[Any] = field(default_factory=list)
    pending_bytes: int = 0
    sent: int = 0

    def add(self, line: bytes) -> None:
        if self.pending and self.pending_bytes + len(line) + 1 > self.max_bytes:
            self.flush()
        self.pending.append(json.loads(line))  # as archived, byte for byte
        self.pending_bytes += len(line) + 1
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        batch, self.pending, self.pending_bytes = self.pending, [], 0
        if not batch or self.client is None:
            self.sent += len(batch)
            return
        try:
            answer = self.client.post("/api/v1/replay", {"events": batch, "to": self.target})
        except ApiError as exc:
            raise click.ClickException(
                f"the hub refused a batch ({self.sent} sent): {exc}"
            ) from None
        except OSError as exc:
            raise click.ClickException(
                f"cannot reach the hub at {self.client.base_url} ({self.sent} sent): {exc}"
            ) from None
        self.sent += int(answer["replayed"])


def _cli_context() -> CliContext:
    ctx = click.get_current_context().find_object(CliContext)
    if ctx is None:
        raise click.UsageError("run this as `omnihub replay`")
    return ctx


def archive_directory(ctx: CliContext) -> Path:
    """The directory the running hub archives into, as hub.toml says."""
    try:
        table = ctx.plugin_config("archive", ArchiveConfig)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    return table.resolve_directory(ctx.plugin_data_dir("archive"))


def _check_consumer(client: ApiClient, name: str) -> None:
    try:
        known = [c["name"] for c in client.get("/api/v1/consumers")["consumers"]]
    except ApiError as exc:
        raise click.ClickException(f"cannot list the hub's consumers: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach the hub at {client.base_url}: {exc}") from None
    if name not in known:
        raise click.ClickException(f"no consumer named {name!r}; known: {', '.join(known)}")


@click.command()
@click.option(
    "--since",
    callback=iso_time,
    metavar="ISO-TIME",
    help=f"Events at or after this time ({EXAMPLE}; UTC).",
)
@click.option("--until", callback=iso_time, metavar="ISO-TIME", help="Events before this time.")
@click.option(
    "--type",
    "types",
    multiple=True,
    metavar="PATTERN",
    help="Event type, or routing-key pattern with * and # (repeatable).",
)
@click.option("--to", "target", metavar="CONSUMER", help="Only this consumer (default: all).")
@click.option(
    "--batch",
    default=100,
    show_default=True,
    type=click.IntRange(1, 500),
    help="Events per request.",
)
@click.option(
    "--directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Archive directory (default: from hub.toml).",
)
@click.option("--dry-run", is_flag=True, help="Count what would be replayed; send nothing.")
def replay(
    since: datetime | None,
    until: datetime | None,
    types: tuple[str, ...],
    target: str | None,
    batch: int,
    directory: Path | None,
    dry_run: bool,
) -> None:
    """Re-publish archived events to the running hub (to every subscriber, or --to one)."""
    if since and until and since >= until:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    ctx = _cli_context()
    directory = directory or archive_directory(ctx)
    if not directory.is_dir():
        raise click.ClickException(f"no archive at {directory}")
    try:
        client = None if dry_run else ctx.api("admin")
        max_bytes = ctx.load_config().http.max_body_bytes - 1024  # room for the envelope
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if client is not None and target is not None:
        _check_consumer(client, target)
    sender = Sender(client, target, batch, max_bytes)
    segments = list_segments(directory)
    scanned, unreadable = scan(segments, Selection(since, until, types), sender)
    verb = "would replay" if dry_run else "replayed"
    where = f"consumer {target!r}" if target else "every subscriber"
    click.echo(
        f"{verb} {sender.sent} event(s) to {where}; scanned {scanned} line(s) "
        f"in {len(segments)} file(s), {unreadable} unreadable"
    )


def scan(segments: list[Path], selection: Selection, sender: Sender) -> tuple[int, int]:
    """Hand the wanted events to ``sender``; return the lines scanned and those unreadable."""
    sizes = [_size(p) for p in segments]
    scanned = unreadable = 0
    # Progress in bytes of the files on disk: compressed files advance as they are read.
    with click.progressbar(length=max(sum(sizes), 1), label="replaying", width=30) as bar:
        for path, size in zip(segments, sizes, strict=True):
            done = 0
            for line, offset in _lines(path):
                bar.update(offset - done)
                done = offset
                scanned += 1
                try:
                    event = CloudEvent.model_validate_json(line)
                except ValidationError:
                    unreadable += 1
                    continue
                if selection.wants(event):
                    sender.add(line)
            bar.update(max(size - done, 0))
        sender.flush()
    return scanned, unreadable


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _lines(path: Path) -> Iterator[tuple[bytes, int]]:
    try:
        yield from iter_lines(path)
    except FileNotFoundError:
        return  # erased completely since it was listed
    except (OSError, EOFError) as exc:  # a damaged gzip: say so, and go on with the rest
        click.echo(f"\nskipped the rest of {path.name}: {exc}", err=True)
