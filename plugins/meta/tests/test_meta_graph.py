"""The Graph API client: bounded retries for 429/5xx and rate-limit codes, 4xx is permanent."""

from __future__ import annotations

import aiohttp
import pytest
from omnihub_meta import GraphClient, GraphError, MetaChannelConfig, TransientGraphError
from omnihub_meta.testing import FakeGraph, config_table

BODY = {"messaging_product": "whatsapp", "to": "5511988887777", "type": "text"}


class AccountConfig(MetaChannelConfig):
    account: str

    @property
    def account_id(self) -> str:
        return self.account


def config(graph: FakeGraph, **extra: object) -> AccountConfig:
    return AccountConfig.model_validate(config_table(graph.url, account="555", **extra))


async def post(graph: FakeGraph, **extra: object) -> object:
    settings = config(graph, **extra)
    async with aiohttp.ClientSession() as session:
        return await GraphClient(session, settings).post(settings.messages_url, BODY)


async def test_retries_429_and_5xx_then_succeeds() -> None:
    async with FakeGraph() as graph:
        graph.reply(429, {"error": {"message": "Too many calls", "code": 4}})
        graph.reply(503, {})
        answer = await post(graph)
    assert answer.attempts == 3  # type: ignore[attr-defined]
    assert [c.path for c in graph.calls] == ["/v25.0/555/messages"] * 3
    assert graph.calls[0].headers["Authorization"] == "Bearer test-access-token"
    assert graph.calls[0].body == BODY


async def test_a_rate_limit_code_in_a_400_is_retried() -> None:
    async with FakeGraph() as graph:
        graph.reply(400, {"error": {"message": "(#131056) pair rate limit hit", "code": 131056}})
        answer = await post(graph)
    assert answer.attempts == 2  # type: ignore[attr-defined]


async def test_other_4xx_is_permanent_with_metas_code_and_message() -> None:
    error = {"message": "(#100) Invalid parameter", "code": 100, "error_data": {"details": "to"}}
    async with FakeGraph() as graph:
        graph.reply(400, {"error": error})
        with pytest.raises(GraphError) as raised:
            await post(graph)
    assert not isinstance(raised.value, TransientGraphError)
    assert (raised.value.code, raised.value.title, raised.value.detail) == (
        "100",
        "(#100) Invalid parameter",
        "to",
    )
    assert "Graph API error 100" in str(raised.value)
    assert len(graph.calls) == 1


async def test_retries_are_bounded() -> None:
    async with FakeGraph(default=(500, {"error": {"message": "boom", "code": 2}})) as graph:
        with pytest.raises(TransientGraphError) as raised:
            await post(graph, send_attempts=3)
    assert len(graph.calls) == 3
    assert raised.value.attempts == 3
