"""The plugin in a running hub: config, the Assistant in context.state, health."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import omnihub_assistant
import pytest
from assistant_support import case_id, questions

from hub import ConfigError

PLUGINS = {"assistant": omnihub_assistant}


def context_of(harness: Any) -> Any:
    return harness.hub.contexts["assistant"]


def test_registered_under_the_omnihub_plugins_entry_point() -> None:
    [entry] = [e for e in entry_points(group="omnihub.plugins") if e.name == "assistant"]
    assert entry.load() is omnihub_assistant
    assert entry.dist is not None
    assert entry.dist.name == "omnihub-assistant"


async def test_starts_with_no_config_and_answers_from_the_shipped_faq(hub_factory: Any) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    assistant = omnihub_assistant.running_assistant(context_of(harness))
    assert assistant is not None
    case = questions()["paraphrases"][0]

    answer = await assistant.answer(case["text"])

    assert answer.entry_id == case["entry"], case_id(case)
    ready = await harness.client.get("/readyz")
    assert ready.status == 200
    checks = await harness.hub.readiness()
    assert checks["plugin:assistant"].ok
    assert checks["plugin:assistant"].detail == "7 FAQ entries"


async def test_config_reaches_the_assistant(hub_factory: Any, tmp_path: Path) -> None:
    config = {
        "assistant": {
            "min_confidence": 0.8,
            "language": "en-GB",
            "llm": {"base_url": "http://127.0.0.1:9/v1", "model": "tiny", "api_key": "k"},
            "escalation": {"human_phrases": {"pt": ["gerente"]}},
        }
    }
    harness = await hub_factory(plugins=PLUGINS, config=config)
    assistant = omnihub_assistant.running_assistant(context_of(harness))
    assert assistant is not None

    assert (assistant.min_confidence, assistant.default_language) == (0.8, "en")
    assert assistant.llm is not None
    assert assistant.llm.url == "http://127.0.0.1:9/v1/chat/completions"
    signals = (await assistant.answer("quero o gerente")).signals
    assert signals.human_requested
    checks = await harness.hub.readiness()
    assert checks["plugin:assistant"].detail == "7 FAQ entries; LLM tiny, 0 failure(s)"


async def test_shutdown_removes_the_assistant(hub_factory: Any) -> None:
    harness = await hub_factory(plugins=PLUGINS)
    context = context_of(harness)

    await harness.hub.stop()

    assert omnihub_assistant.running_assistant(context) is None


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"language": "fr"}, r"plugins\.assistant\.language: Value error, language 'fr'"),
        ({"min_confidence": 2}, r"plugins\.assistant\.min_confidence: Input should be less"),
        ({"llm": {"model": "m"}}, r"plugins\.assistant\.llm\.base_url: Field required"),
        ({"knowlege_file": "x"}, r"plugins\.assistant\.knowlege_file: Extra inputs"),
    ],
)
async def test_bad_config_names_the_field(
    hub_factory: Any, table: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        await hub_factory(plugins=PLUGINS, config={"assistant": table})


async def test_a_broken_knowledge_file_stops_the_start(hub_factory: Any, tmp_path: Path) -> None:
    broken = tmp_path / "faq.yaml"
    broken.write_text("entries: []", encoding="utf-8")

    with pytest.raises(omnihub_assistant.KnowledgeError, match=r"faq\.yaml: entries"):
        await hub_factory(plugins=PLUGINS, config={"assistant": {"knowledge_file": str(broken)}})


async def test_health_before_start_checks_the_knowledge_file(tmp_path: Path) -> None:
    """`omnihub doctor` asks before the hub starts."""
    broken = tmp_path / "faq.yaml"
    broken.write_text("entries: []", encoding="utf-8")
    context: Any = type("Context", (), {})()
    context.state = {}

    context.config = omnihub_assistant.AssistantConfig(knowledge_file=broken)
    bad = omnihub_assistant.hub_health(context)
    context.config = omnihub_assistant.AssistantConfig()
    good = omnihub_assistant.hub_health(context)

    assert not bad.ok
    assert "faq.yaml: entries" in bad.detail
    assert (good.ok, good.detail) == (True, "7 FAQ entries")
