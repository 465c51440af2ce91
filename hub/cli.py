"""The ``omnihub`` command."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

import click

from .cli_api import DEFAULT_CONFIG, ApiError, CliContext, echo_list
from .config import ConfigError
from .serve import doctor_checks, run_loop, serve
from .workers import Supervisor


def _context() -> CliContext:
    obj = click.get_current_context().find_object(CliContext)
    if obj is None:  # pragma: no cover - the group always sets it
        raise click.UsageError("no CLI context")
    return obj


@click.group()
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(path_type=Path),
    default=DEFAULT_CONFIG,
    envvar="OMNIHUB_CONFIG",
    show_default=True,
    help="hub.toml to use (env OMNIHUB_CONFIG).",
)
@click.option("--token", envvar="OMNIHUB_API_TOKEN", help="API token (default: from hub.toml).")
@click.option("--api-url", envvar="OMNIHUB_API_URL", help="Hub API base URL.")
@click.version_option(package_name="omnihub")
@click.pass_context
def main(ctx: click.Context, config_path: Path, token: str | None, api_url: str | None) -> None:
    """Omnihub: canonical customer events between channels, CRMs, bots and surveys."""
    ctx.obj = CliContext(config_path, token, api_url)


@main.command()
@click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="hub.toml to use (same as the group option).",
)
@click.option("--host", default=None, help="Bind address (overrides http.host).")
@click.option("--port", type=int, default=None, help="Port (overrides http.port).")
@click.option("--strict", is_flag=True, help="Refuse to start if any enabled plugin fails to load.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Hub processes behind the port (overrides hub.workers).",
)
def run(
    config_path: Path | None, host: str | None, port: int | None, strict: bool, workers: int | None
) -> None:
    """Run the hub: HTTP API, webhooks, pipeline and consumers."""
    ctx = _context()
    if config_path is not None:
        ctx.config_path = config_path
    config = _load(ctx)
    if host is not None:
        config.http.host = host
    if port is not None:
        config.http.port = port
    if workers is not None:
        config.hub.workers = workers
        if problem := config.workers_problem():
            raise click.ClickException(problem.replace("hub.workers", "--workers"))
    strict = strict or config.hub.strict
    try:
        if config.hub.worker_count() > 1:
            sys.exit(Supervisor(config, strict, config.hub.worker_count()).run())
        run_loop(serve(config, strict=strict), config.hub.event_loop)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _load(ctx: CliContext) -> Any:
    try:
        return ctx.load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins(as_json: bool) -> None:
    """Installed plugins: enabled or not, version, subscriptions."""
    from .runtime import Hub

    config = _load(_context())
    try:
        hub = Hub(config)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    rows: list[dict[str, Any]] = []
    for name, info in sorted(hub.plugins.plugins.items()):
        subs = [
            {
                "consumer": r.consumer.name,
                "patterns": list(r.consumer.patterns),
                "purposes": list(r.consumer.purposes),
            }
            for r in hub.runners.values()
            if r.plugin == name
        ]
        state = "broken" if info.error else ("enabled" if info.enabled else "disabled")
        rows.append(
            {
                "name": name,
                "version": info.version,
                "distribution": info.dist,
                "state": state,
                "error": info.error,
                "subscriptions": subs,
            }
        )
    echo_list(rows, as_json=as_json, empty="no plugins installed", lines=_plugin_lines)


def _plugin_lines(row: dict[str, Any]) -> list[str]:
    lines = [f"{row['name']:<16} {row['version']:<10} {row['state']:<9} {row['distribution']}"]
    if row["error"]:
        lines.append(f"    error: {row['error']}")
    lines += [
        f"    {sub['consumer']}: {', '.join(sub['patterns'])}"
        f"  [purposes: {', '.join(sub['purposes']) or 'none'}]"
        for sub in row["subscriptions"]
    ]
    return lines


@main.group()
def contracts() -> None:
    """The canonical contracts: JSON Schemas and the AsyncAPI document."""


@contracts.command("export")
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path),
    default=Path("contracts"),
    show_default=True,
)
@click.option("--check", is_flag=True, help="Only report stale files; exit 1 if any.")
def contracts_export(directory: Path, check: bool) -> None:
    """Regenerate contracts/schemas/*.json and contracts/asyncapi.yaml from the models."""
    from omnihub_contracts import core_registry

    from .contracts_export import export, stale

    registry = core_registry()
    if check:
        outdated = stale(directory, registry)
        for name in outdated:
            click.echo(f"stale: {name}")
        sys.exit(1 if outdated else 0)
    for written in export(directory, registry):
        click.echo(f"wrote {written}")


@main.command()
def doctor() -> None:
    """Check config, plugins, broker and store; the exit code says whether all is well."""
    ctx = _context()
    results = asyncio.run(doctor_checks(ctx))
    for name, ok, detail in results:
        click.echo(f"{'ok ' if ok else 'FAIL'} {name:<22} {detail}")
    sys.exit(0 if all(ok for _, ok, _ in results) else 1)


def _api_call(scope: str, method: str, path: str, body: Any = None) -> Any:
    client = _context().api(scope)
    try:
        return client.request(method, path, body)
    except ApiError as exc:
        raise click.ClickException(f"{exc}\n{json.dumps(exc.body, indent=2)}") from None
    except OSError as exc:
        raise click.ClickException(f"cannot reach the hub at {client.base_url}: {exc}") from None


@main.group()
def events() -> None:
    """Publish events to a running hub."""


def read_events(stream: Any) -> list[Any]:
    """A JSON object, a JSON array, or JSON Lines."""
    text = stream.read()
    try:
        parsed = json.loads(text)
        return parsed if isinstance(parsed, list) else [parsed]
    except json.JSONDecodeError:
        pass
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                items.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise click.ClickException(f"line {number}: malformed JSON: {exc}") from None
    return items


@events.command("publish")
@click.argument("source", type=click.File("r"))
@click.option("--batch", default=100, show_default=True, help="Events per request.")
def events_publish(source: Any, batch: int) -> None:
    """Publish the events in SOURCE (a file or - for stdin)."""
    items = read_events(source)
    accepted = 0
    for start in range(0, len(items), batch):
        answer = _api_call("events:write", "POST", "/api/v1/events", items[start : start + batch])
        accepted += len(answer["accepted"])
    click.echo(f"accepted {accepted} event(s)")


@main.group()
def dlq() -> None:
    """Dead letters: what consumers could not handle, and why."""


@dlq.command("list")
@click.option(
    "--consumer",
    default=None,
    help="Only this consumer ('pipeline' for ingress, 'external.NAME' for an external queue).",
)
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def dlq_list(consumer: str | None, limit: int, as_json: bool) -> None:
    """List dead letters with their failure reason."""
    query = f"?limit={limit}" + (f"&consumer={consumer}" if consumer else "")
    letters = _api_call("dlq:read", "GET", f"/api/v1/dead-letters{query}")["dead_letters"]
    echo_list(
        letters,
        as_json=as_json,
        empty="no dead letters",
        lines=lambda d: [
            f"{d['consumer']:<20} {d['id']}  {d['routing_key']}  attempts={d['attempts']}"
            f"  {d['exception']}: {d['error']}  last={d['last_failure']}"
        ],
    )


@dlq.command("replay")
@click.argument("consumer")
@click.option("--id", "ids", multiple=True, help="Only these event ids (default: all).")
def dlq_replay(consumer: str, ids: tuple[str, ...]) -> None:
    """Put a consumer's dead letters back on its queue."""
    body = {"ids": list(ids)} if ids else {}
    answer = _api_call("dlq:write", "POST", f"/api/v1/dead-letters/{consumer}/replay", body)
    click.echo(f"replayed {answer['replayed']} dead letter(s) to {consumer}")


def _add_plugin_commands() -> None:
    """Commands of every installed plugin, enabled or not (``hub_register_commands``)."""
    from .plugins import PluginSet, discover_plugins, new_manager, register_plugin

    plugin_set = PluginSet(new_manager(), discover_plugins())
    for info in plugin_set.plugins.values():
        if info.obj is None or not register_plugin(plugin_set.manager, info):
            continue
        try:
            plugin_set.call("hub_register_commands", info, cli=main)
        except Exception as exc:
            click.echo(f"plugin {info.name}: cannot add its commands: {exc}", err=True)


from . import cli_consumers  # noqa: E402,F401  # registers `omnihub consumers`

_add_plugin_commands()
