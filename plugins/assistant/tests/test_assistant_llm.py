"""The LLM path against a local fake of an OpenAI-compatible chat completions API."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from assistant_support import default_knowledge, new_assistant
from omnihub_assistant import Assistant, LlmClient, LlmConfig, LlmError, Turn
from structlog.testing import capture_logs
from tenacity import wait_none

from hub.testing import fake_http_servers

Reply = Callable[[dict[str, Any]], web.StreamResponse]


def HANG(_: dict[str, Any]) -> web.StreamResponse:
    """A reply that comes only after the test has ended."""
    return completion("too late")


QUESTION = "Em quanto tempo vocês entregam?"
DELIVERY_ANSWER, _ = default_knowledge().entry("delivery_time").answer("pt", "pt")


def completion(content: Any) -> web.Response:
    """A chat completion as the API reference describes it."""
    return web.json_response(
        {
            "id": "chatcmpl-test",
            "object": "chat.completion",
            "created": 1_700_000_000,
            "model": "test-model",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": "stop",
                }
            ],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
    )


@dataclass
class FakeLlm:
    """Answers POST /v1/chat/completions with the next scripted reply; records requests."""

    replies: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    url: str = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.requests.append(await request.json())
        self.headers.append(dict(request.headers))
        reply = self.replies.pop(0) if self.replies else (lambda _: completion("ok"))
        if reply is HANG:
            await self.release.wait()  # until the test ends: longer than any timeout
        return reply(self.requests[-1])

    def assistant(self, **llm: Any) -> Assistant:
        config = LlmConfig.model_validate({"base_url": self.url, "model": "test-model", **llm})
        return new_assistant(llm=LlmClient(config, wait=wait_none()))


@pytest.fixture
async def fake_llm() -> AsyncIterator[FakeLlm]:
    fake = FakeLlm()
    async with fake_http_servers() as serve:
        server = await serve(fake.handle, method="POST", path="/v1/chat/completions")
        fake.url = str(server.make_url("/v1"))
        yield fake
        fake.release.set()


async def ask(assistant: Assistant, text: str = QUESTION, **kwargs: Any) -> Any:
    try:
        return await assistant.answer(text, **kwargs)
    finally:
        await assistant.close()


async def test_request_carries_model_and_a_system_prompt_with_the_faq_context(
    fake_llm: FakeLlm,
) -> None:
    fake_llm.replies.append(lambda _: completion("Chega em 2 a 5 dias úteis."))

    answer = await ask(fake_llm.assistant(api_key="sk-test"))

    [body] = fake_llm.requests
    assert body["model"] == "test-model"
    system, user = body["messages"]
    assert system["role"] == "system"
    assert "[delivery_time]" in system["content"]
    assert DELIVERY_ANSWER in system["content"]
    assert "Brazilian Portuguese" in system["content"]
    assert "NO_ANSWER" in system["content"]
    assert user == {"role": "user", "content": QUESTION}
    assert fake_llm.headers[0]["Authorization"] == "Bearer sk-test"
    assert (answer.text, answer.engine, answer.entry_id) == (
        "Chega em 2 a 5 dias úteis.",
        "llm",
        "delivery_time",
    )
    assert answer.confidence >= 0.5


async def test_history_is_sent_with_roles_and_grounds_a_follow_up(fake_llm: FakeLlm) -> None:
    history = [
        Turn("customer", "Qual o prazo de entrega?"),
        Turn("assistant", "De 2 a 12 dias úteis."),
        Turn("agent", "Posso ajudar em algo mais?"),
    ]

    answer = await ask(fake_llm.assistant(), "e para Manaus?", history=history)

    [body] = fake_llm.requests
    roles = [(m["role"], m["content"]) for m in body["messages"][1:]]
    assert roles == [
        ("user", "Qual o prazo de entrega?"),
        ("assistant", "De 2 a 12 dias úteis."),
        ("assistant", "Posso ajudar em algo mais?"),
        ("user", "e para Manaus?"),
    ]
    # "e para Manaus?" alone matches nothing; with the question before it, delivery does.
    assert "[delivery_time]" in body["messages"][0]["content"]
    assert answer.engine == "llm"


async def test_429_then_200_gives_one_answer(fake_llm: FakeLlm) -> None:
    fake_llm.replies += [
        lambda _: web.json_response({"error": {"message": "slow down"}}, status=429),
        lambda _: completion("Em até 12 dias úteis."),
    ]

    answer = await ask(fake_llm.assistant())

    assert len(fake_llm.requests) == 2
    assert (answer.text, answer.engine) == ("Em até 12 dias úteis.", "llm")


async def test_retry_after_of_a_429_is_honoured(fake_llm: FakeLlm) -> None:
    fake_llm.replies += [
        lambda _: web.Response(status=429, headers={"Retry-After": "0"}),
        lambda _: completion("Em até 12 dias úteis."),
    ]
    config = LlmConfig.model_validate({"base_url": fake_llm.url, "model": "m"})
    client = LlmClient(config)  # default backoff, but the server says: now

    try:
        assert await client.complete([{"role": "user", "content": "x"}]) == "Em até 12 dias úteis."
    finally:
        await client.close()


@pytest.mark.parametrize(
    ("replies", "requests"),
    [
        pytest.param([lambda _: web.Response(status=503)] * 3, 3, id="5xx-every-attempt"),
        pytest.param([lambda _: web.Response(status=401)], 1, id="401-not-retried"),
        pytest.param([lambda _: web.json_response({"choices": []})], 1, id="no-choices"),
        pytest.param([lambda _: completion(None)], 1, id="null-content"),
        pytest.param([lambda _: web.Response(text="<html>")], 1, id="not-json"),
    ],
)
async def test_llm_failure_falls_back_to_the_faq(
    fake_llm: FakeLlm, replies: list[Reply], requests: int
) -> None:
    fake_llm.replies += replies
    assistant = fake_llm.assistant(attempts=3)

    with capture_logs() as logs:
        answer = await ask(assistant)

    assert len(fake_llm.requests) == requests
    assert (answer.engine, answer.entry_id, answer.text) == (
        "faq",
        "delivery_time",
        DELIVERY_ANSWER,
    )
    assert assistant.llm_failures == 1
    [failed] = [log for log in logs if log["event"] == "assistant.llm_failed"]
    assert QUESTION not in str(logs)
    assert failed["model"] == "test-model"


async def test_a_hanging_llm_times_out_to_the_faq(fake_llm: FakeLlm) -> None:
    fake_llm.replies.append(HANG)

    answer = await ask(fake_llm.assistant(timeout=0.2))

    assert (answer.engine, answer.entry_id) == ("faq", "delivery_time")


async def test_the_timeout_covers_the_retries(fake_llm: FakeLlm) -> None:
    fake_llm.replies += [lambda _: web.Response(status=502), HANG]
    config = LlmConfig.model_validate({"base_url": fake_llm.url, "model": "m", "timeout": 0.2})
    client = LlmClient(config, wait=wait_none())

    try:
        with pytest.raises(LlmError, match=r"^no reply within 0\.2s$"):
            await client.complete([{"role": "user", "content": "x"}])
    finally:
        await client.close()
    assert len(fake_llm.requests) == 2


async def test_no_answer_from_the_llm_is_an_i_dont_know(fake_llm: FakeLlm) -> None:
    fake_llm.replies.append(lambda _: completion("NO_ANSWER."))

    answer = await ask(fake_llm.assistant())

    assert (answer.engine, answer.entry_id, answer.confidence) == ("llm", None, 0.0)
    assert answer.text == default_knowledge().unknown_text("pt", "pt")[0]


async def test_unrelated_question_never_reaches_the_llm(fake_llm: FakeLlm) -> None:
    answer = await ask(fake_llm.assistant(), "Qual é a capital da França?")

    assert fake_llm.requests == []
    assert answer.entry_id is None
    assert answer.confidence < 0.5


async def test_the_llm_is_shown_rival_entries_and_may_answer_both(fake_llm: FakeLlm) -> None:
    fake_llm.replies.append(lambda _: completion("Frete grátis acima de R$ 199; 2 a 12 dias."))

    answer = await ask(fake_llm.assistant(), "qual o prazo de entrega e o valor do frete?")

    system = fake_llm.requests[0]["messages"][0]["content"]
    assert "[delivery_time]" in system
    assert "[shipping_cost]" in system
    assert answer.engine == "llm"


async def test_base_url_with_a_trailing_slash(fake_llm: FakeLlm) -> None:
    fake_llm.url += "/"

    answer = await ask(fake_llm.assistant())

    assert len(fake_llm.requests) == 1
    assert answer.engine == "llm"
