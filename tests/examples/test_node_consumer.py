"""examples/node-consumer: a Node.js program reads an external-consumer queue as a CRM would.

The queue is declared here the way the hub declares ``omnihub.external.<name>`` (same
topology functions), in this run's virtual host; the lead's CLI test covers the hub side.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import NoReturn

import aio_pika
import pytest
from aio_pika.abc import AbstractChannel
from omnihub_contracts import CloudEvent, Identifier, core_registry
from omnihub_contracts.customer import CustomerMerged, CustomerUpdated, Trait
from omnihub_contracts.message import MessageReceived, Sender

from hub.broker.amqp_topology import dead_letter_arguments, queue_arguments
from hub.broker.base import DEAD_LETTER_EXCHANGE, H_ORDER_KEY, QueueSpec
from hub.testing import IN_CI, HubFactory
from tests.identity.events import identified, ids, received
from tests.test_cli import invoke

pytestmark = [pytest.mark.rabbitmq, pytest.mark.slow]

EXAMPLE = Path(__file__).parents[2] / "examples" / "node-consumer"
SCHEMAS = Path(__file__).parents[2] / "contracts" / "schemas"
CLOUDEVENTS_JSON = "application/cloudevents+json"


def _unavailable(reason: str) -> NoReturn:
    if IN_CI:
        pytest.fail(f"{reason}: the Node example test is mandatory when CI=true")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def node_example() -> Path:
    """examples/node-consumer with its locked dependencies installed (``npm ci``)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed (Node.js 20+)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True)
    if int(version.stdout.strip().lstrip("v").split(".")[0]) < 20:
        _unavailable(f"Node.js 20+ is needed, found {version.stdout.strip()}")
    installed = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=180,
    )
    if installed.returncode != 0:
        pytest.fail(f"npm ci failed in {EXAMPLE}:\n{installed.stderr[-2000:]}")
    return EXAMPLE


def _typed(event: CloudEvent) -> CloudEvent:
    """As the hub publishes it: ``data`` checked and ``dataschema`` set by the registry."""
    return core_registry().type_data(event)


def valid_events() -> list[CloudEvent]:
    customer = f"cus_{uuid.uuid4().hex[:12]}"
    whatsapp = Identifier(kind="whatsapp", value="5511999990000")
    return [
        _typed(
            CloudEvent(
                source="/plugins/crm-test",
                type="customer.updated",
                customerid=customer,
                consent="service",
                data=CustomerUpdated(
                    traits={"language": Trait(value="pt-BR", source="crm:test")},
                    changed=["language"],
                ),
            )
        ),
        _typed(
            CloudEvent(
                source="/plugins/whatsapp",
                type="message.received",
                channel="whatsapp",
                customerid=customer,
                consent="service",
                data=MessageReceived(
                    kind="text",
                    channel_message_id=f"wamid.{uuid.uuid4().hex}",
                    sender=Sender(identifiers=[whatsapp]),
                    text="Oi, meu pedido chegou?",
                ),
            )
        ),
        _typed(
            CloudEvent(
                source="/hub/identity",
                type="customer.merged",
                customerid=customer,
                data=CustomerMerged(
                    merge_id=f"mrg_{uuid.uuid4().hex[:8]}",
                    surviving_id=customer,
                    merged_ids=[f"cus_{uuid.uuid4().hex[:12]}"],
                    rule="manual",
                ),
            )
        ),
    ]


def invalid_event() -> CloudEvent:
    """A ``customer.updated`` whose ``data`` breaks the schema: ``changed`` must not be empty."""
    return CloudEvent(
        source="/plugins/crm-test",
        type="customer.updated",
        dataschema="urn:omnihub:schema:customer.updated:v1",
        data={"traits": {"language": {"value": "pt-BR", "source": "crm:test"}}, "changed": []},
    )


def amqp_message(event: CloudEvent) -> aio_pika.Message:
    """What the hub's relay puts on ``omnihub.external.<name>``."""
    return aio_pika.Message(
        event.to_json(),
        message_id=event.id,
        content_type=CLOUDEVENTS_JSON,
        type=event.type,
        headers={H_ORDER_KEY: event.customerid or event.id},
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


@pytest.fixture
async def external_queue(amqp_session_url: str) -> AsyncIterator[tuple[AbstractChannel, str]]:
    """``omnihub.external.nodetest-<random>`` and its DLQ, declared as the hub does."""
    spec = QueueSpec(f"omnihub.external.nodetest-{uuid.uuid4().hex[:8]}", retry_delays=())
    connection = await aio_pika.connect(amqp_session_url)
    try:
        channel = await connection.channel()
        dlx = await channel.declare_exchange(
            DEAD_LETTER_EXCHANGE, aio_pika.ExchangeType.DIRECT, durable=True
        )
        await channel.declare_queue(spec.name, durable=True, arguments=queue_arguments(spec))
        dlq = await channel.declare_queue(
            spec.dead_letter_queue, durable=True, arguments=dead_letter_arguments()
        )
        await dlq.bind(dlx, routing_key=spec.name)
        try:
            yield channel, spec.name
        finally:
            for name in (spec.name, spec.dead_letter_queue):
                await channel.queue_delete(name)
    finally:
        await connection.close()


async def run_consumer(example: Path, url: str, queue: str, count: int) -> list[dict[str, object]]:
    process = await asyncio.create_subprocess_exec(
        "node",
        "consumer.js",
        "--queue",
        queue,
        "--count",
        str(count),
        "--timeout",
        "30",
        cwd=example,
        env={**os.environ, "AMQP_URL": url, "OMNIHUB_SCHEMAS": str(SCHEMAS)},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=45)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, stderr.decode()[-2000:]
    return [json.loads(line) for line in stdout.decode().splitlines()]


async def test_node_consumer_acks_valid_events_and_dead_letters_the_invalid_one(
    node_example: Path,
    amqp_session_url: str,
    external_queue: tuple[AbstractChannel, str],
) -> None:
    channel, queue = external_queue
    valid, invalid = valid_events(), invalid_event()
    for event in [valid[0], invalid, *valid[1:]]:
        await channel.default_exchange.publish(amqp_message(event), routing_key=queue)

    lines = await run_consumer(node_example, amqp_session_url, queue, count=4)

    assert [line["id"] for line in lines] == [valid[0].id, invalid.id, valid[1].id, valid[2].id]
    by_id = {line["id"]: line for line in lines}
    for event in valid:
        assert by_id[event.id] == {
            "id": event.id,
            "type": event.type,
            "valid": True,
            "errors": [],
            "outcome": "ack",
        }
    rejected = by_id[invalid.id]
    assert (rejected["type"], rejected["valid"], rejected["outcome"]) == (
        "customer.updated",
        False,
        "dlq",
    )
    assert rejected["errors"] == ["/data/changed must NOT have fewer than 1 items"]
    stdout_text = json.dumps(lines)
    for personal in ("5511999990000", "Oi, meu pedido", "pt-BR"):
        assert personal not in stdout_text

    dlq = await channel.get_queue(f"{queue}.dlq")
    dead = None
    for _ in range(100):  # dead-lettering is asynchronous on the broker
        dead = await dlq.get(fail=False)
        if dead is not None:
            break
        await asyncio.sleep(0.1)
    assert dead is not None, "the invalid event did not reach the DLQ"
    assert dead.message_id == invalid.id
    assert json.loads(dead.body)["id"] == invalid.id
    await dead.ack()
    remaining = await channel.declare_queue(queue, passive=True)
    assert remaining.declaration_result.message_count == 0


async def test_node_consumer_reads_a_queue_declared_by_the_cli(
    node_example: Path, amqp_session_url: str, hub_factory: HubFactory
) -> None:
    """The issue's done-when: `omnihub consumers add`, then events, then the Node program."""
    harness = await hub_factory(broker_url=amqp_session_url)
    added = await invoke(
        harness, "consumers", "add", "nodecli",
        "--bind", "customer.#", "--bind", "message.received.*", "--purpose", "service",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    phone = ids(("whatsapp", "5511966665555"), ("phone", "+5511966665555"))
    await harness.publish(received("whatsapp", phone, minutes=0, text="oi"))
    crm = ids(("phone", "+5511966665555"), ("crm:hubspot", "9001"))
    await harness.publish(identified(crm, minutes=1))
    # message.received, customer.identified (the new profile), customer.identified (CRM)
    lines = await run_consumer(node_example, amqp_session_url, "omnihub.external.nodecli", 3)
    assert all(line["valid"] and line["outcome"] == "ack" for line in lines), lines
    assert sorted(str(line["type"]) for line in lines) == [
        "customer.identified",
        "customer.identified",
        "message.received",
    ]
    removed = await invoke(harness, "consumers", "remove", "nodecli")
    assert removed.exit_code == 0, removed.output
