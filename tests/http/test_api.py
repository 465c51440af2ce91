"""/api/v1, /healthz, /readyz, /metrics and mounted plugin routes."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from hub import BrokerUnavailable, Consumer, RetryPolicy, hookimpl
from hub.testing import HubFactory, eventually
from tests.support import AcmePlugin, ping_json

PLUGINS = {"acme": AcmePlugin()}


async def test_health_and_readiness(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    response = await harness.client.get("/healthz")
    assert response.status == 200
    ready = await harness.client.get("/readyz")
    body = await ready.json()
    assert ready.status == 200, body
    assert body["checks"]["broker"]["ok"]
    assert body["checks"]["store"]["ok"]


async def test_readyz_fails_when_the_store_is_gone(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    await harness.hub.store.close()
    response = await harness.client.get("/readyz")
    assert response.status == 503
    assert not (await response.json())["checks"]["store"]["ok"]


async def test_publish_one_event_and_a_batch(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    one = await harness.client.post("/api/v1/events", json=ping_json(1), headers=harness.auth)
    assert one.status == 202
    assert (await one.json()) == {"accepted": ["ping-1"]}
    batch = await harness.client.post(
        "/api/v1/events", json=[ping_json(2), ping_json(3)], headers=harness.auth
    )
    assert (await batch.json())["accepted"] == ["ping-2", "ping-3"]
    assert len(await seen.wait_for(3)) == 3


async def test_invalid_events_answer_400_naming_each_field(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    bad = [ping_json(1), ping_json(2, data={"n": "two"}), {**ping_json(3), "type": "nope.nope"}]
    response = await harness.client.post("/api/v1/events", json=bad, headers=harness.auth)
    assert response.status == 400
    assert response.content_type == "application/problem+json"
    errors = (await response.json())["errors"]
    assert {(e["index"], e["field"]) for e in errors} == {(1, "data.n"), (2, "type")}
    await asyncio.sleep(0.05)
    assert seen.events == []  # all or nothing: the valid one was not published either


async def test_malformed_json_and_missing_fields(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    response = await harness.client.post("/api/v1/events", data=b"{not json", headers=harness.auth)
    assert response.status == 400
    assert "malformed JSON" in (await response.json())["errors"][0]["message"]
    response = await harness.client.post(
        "/api/v1/events", json={"type": "acme.ping", "data": {"n": 1}}, headers=harness.auth
    )
    assert [e["field"] for e in (await response.json())["errors"]] == ["source"]


async def test_tokens_and_scopes(hub_factory: HubFactory, broker_url: str) -> None:
    tokens = [
        {"name": "reader", "token": "reader-token-0123456789", "scopes": ["dlq:read"]},
    ]
    harness = await hub_factory(broker_url=broker_url, plugins=PLUGINS, api={"tokens": tokens})
    url = "/api/v1/events"
    assert (await harness.client.post(url, json=ping_json(1))).status == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    response = await harness.client.post(url, json=ping_json(1), headers=wrong)
    assert response.status == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    reader = {"Authorization": "Bearer reader-token-0123456789"}
    assert (await harness.client.post(url, json=ping_json(1), headers=reader)).status == 403
    assert (await harness.client.get("/api/v1/dead-letters", headers=reader)).status == 200


async def test_body_over_the_limit_is_413(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(
        broker_url=broker_url, plugins=PLUGINS, http={"max_body_bytes": 2048, "max_batch": 2}
    )
    big = ping_json(1, data={"n": 1, "note": "x" * 4096})
    response = await harness.client.post("/api/v1/events", json=big, headers=harness.auth)
    assert response.status == 413
    assert response.content_type == "application/problem+json"
    three = [ping_json(1), ping_json(2), ping_json(3)]
    response = await harness.client.post("/api/v1/events", json=three, headers=harness.auth)
    assert response.status == 413


async def test_broker_down_answers_503_with_retry_after(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise BrokerUnavailable("down")

    harness.hub.broker.publish = refuse  # type: ignore[method-assign]
    response = await harness.client.post("/api/v1/events", json=ping_json(1), headers=harness.auth)
    assert response.status == 503
    assert int(response.headers["Retry-After"]) > 0


async def test_partly_accepted_batch_names_the_ids_to_resend(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    real_publish = harness.hub.broker.publish

    async def flaky(exchange: str, message: Any, **kwargs: Any) -> None:
        if message.message_id == "ping-2":
            raise BrokerUnavailable("connection lost")
        await real_publish(exchange, message, **kwargs)

    harness.hub.broker.publish = flaky  # type: ignore[method-assign]
    batch = [{k: v for k, v in ping_json(n).items() if k != "id"} for n in (1, 2, 3)]
    batch[1]["id"] = "ping-2"
    response = await harness.client.post("/api/v1/events", json=batch, headers=harness.auth)
    assert response.status == 503
    body = await response.json()
    assert len(body["ids"]) == 3
    assert body["ids"][1] == "ping-2"
    assert set(body["confirmed"]) == {body["ids"][0], body["ids"][2]}
    harness.hub.broker.publish = real_publish  # type: ignore[method-assign]
    resend = [{**event, "id": event_id} for event, event_id in zip(batch, body["ids"], strict=True)]
    response = await harness.client.post("/api/v1/events", json=resend, headers=harness.auth)
    assert response.status == 202
    await seen.wait_for(3)
    await eventually(
        lambda: (
            'omnihub_events_duplicate_total{source="/tests"} 2.0'
            in harness.hub.metrics.render()[0].decode()
        )
    )
    assert sorted(e.data.n for e in seen.events) == [1, 2, 3]  # each exactly once


async def test_dead_letters_listed_and_replayed(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    healthy = asyncio.Event()
    handled: list[str] = []

    async def handler(event: Any) -> None:
        if not healthy.is_set():
            raise TimeoutError("CRM timed out")
        handled.append(event.id)

    await harness.hub.add_consumer(
        Consumer("crm", ("acme.#",), handler, retry=RetryPolicy((0.01,)))
    )
    await harness.client.post("/api/v1/events", json=ping_json(1), headers=harness.auth)

    async def listed() -> list[Any]:
        answer = await harness.client.get("/api/v1/dead-letters?consumer=crm", headers=harness.auth)
        return (await answer.json())["dead_letters"]  # type: ignore[no-any-return]

    [letter] = await eventually(listed)
    assert letter["id"] == "ping-1"
    assert letter["attempts"] == 2
    assert letter["exception"].endswith("TimeoutError")
    healthy.set()
    replay = await harness.client.post(
        "/api/v1/dead-letters/crm/replay", json={}, headers=harness.auth
    )
    assert (await replay.json())["replayed"] == 1
    await eventually(lambda: handled)
    assert handled == ["ping-1"]
    unknown = await harness.client.get("/api/v1/dead-letters?consumer=nope", headers=harness.auth)
    assert unknown.status == 404


class WebhookPlugin:
    @hookimpl
    def hub_register_routes(self, router: Any, context: Any) -> None:
        async def receive(request: web.Request) -> web.Response:
            body = await request.json()
            ids = await context.publish([ping_json(body["n"])])
            return web.json_response({"ids": ids})

        router.post("/inbound", receive)


async def test_plugin_routes_are_mounted_under_webhooks(
    hub_factory: HubFactory, broker_url: str
) -> None:
    harness = await hub_factory(
        plugins={**PLUGINS, "hooky": WebhookPlugin()}, broker_url=broker_url
    )
    seen = await harness.collect("seen", "acme.#")
    response = await harness.client.post("/webhooks/hooky/inbound", json={"n": 5})
    assert response.status == 200
    assert (await seen.wait_for(1))[0].data.n == 5
    assert (await harness.client.get("/webhooks/hooky/inbound")).status == 405


async def test_metrics_are_prometheus_text(hub_factory: HubFactory, broker_url: str) -> None:
    harness = await hub_factory(plugins=PLUGINS, broker_url=broker_url)
    seen = await harness.collect("seen", "acme.#")
    await harness.client.post("/api/v1/events", json=ping_json(1), headers=harness.auth)
    await seen.wait_for(1)

    async def scrape() -> str:
        response = await harness.client.get("/metrics")
        assert response.status == 200
        text = await response.text()
        return text if 'outcome="ok"' in text else ""

    text = await eventually(scrape)
    assert 'omnihub_events_in_total{type="acme.ping"} 1.0' in text
    assert 'omnihub_deliveries_total{consumer="seen",outcome="ok"} 1.0' in text
    assert "omnihub_queue_depth" in text
    assert "omnihub_handler_seconds_bucket" in text
