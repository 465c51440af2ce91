"""``omnihub consumers add|list|remove``: queues for systems that read RabbitMQ directly."""

from __future__ import annotations

import click

from .cli import _api_call, main
from .cli_api import echo_list


@main.group()
def consumers() -> None:
    """External consumers: a durable queue (and its DLQ) of their own, fed by the hub."""


@consumers.command("add")
@click.argument("name")
@click.option("--bind", "patterns", multiple=True, required=True, help="e.g. 'customer.#'")
@click.option("--purpose", "purposes", multiple=True, help="Consent purposes served.")
@click.option("--field", "fields", multiple=True, help="Only these data fields (minimise).")
def consumers_add(
    name: str, patterns: tuple[str, ...], purposes: tuple[str, ...], fields: tuple[str, ...]
) -> None:
    """Declare omnihub.external.NAME and start feeding it the events bound."""
    body = {"bind": list(patterns), "purposes": list(purposes or ("service",))}
    if fields:
        body["fields"] = list(fields)
    answer = _api_call("admin", "PUT", f"/api/v1/external-consumers/{name}", body)
    queue, dlq = answer["queue"], answer["dead_letter_queue"]
    click.echo(f"{answer['name']}: read {queue} (dead letters: {dlq})")


@consumers.command("list")
@click.option("--json", "as_json", is_flag=True)
def consumers_list(as_json: bool) -> None:
    """External consumers with their bindings, purposes and queue depths."""
    items = _api_call("dlq:read", "GET", "/api/v1/external-consumers")["external_consumers"]
    echo_list(
        items,
        as_json=as_json,
        empty="no external consumers",
        lines=lambda c: [
            f"{c['name']:<16} {c['queue']}  bind={','.join(c['patterns'])}  "
            f"purposes={','.join(c['purposes'])}  ready={c['ready']}  dlq={c['dead_letters']}"
        ],
    )


@consumers.command("remove")
@click.argument("name")
def consumers_remove(name: str) -> None:
    """Stop feeding NAME and delete its queues."""
    _api_call("admin", "DELETE", f"/api/v1/external-consumers/{name}")
    click.echo(f"removed {name}")
