"""Omnihub's customer-service assistant: answers from a FAQ in pt/es/en with a calibrated
confidence, optionally through an OpenAI-compatible LLM, and reports the signals the
conversation core needs to hand a conversation to a person.

A built-in plugin (entry point ``assistant`` in ``omnihub.plugins``) using only the public
plugin API. Its consumer (``bot.py``) answers the conversations the bot controls and hands
the others to a person through ``context.conversations``.
"""

from __future__ import annotations

from typing import Any

from hub import Health, PluginContext, hookimpl

from .assistant import Answer, Assistant, Turn
from .bot import Bot
from .config import AssistantConfig, EscalationConfig, LlmConfig
from .knowledge import Knowledge, KnowledgeError
from .llm import LlmClient, LlmError
from .signals import SignalRules, Signals

__version__ = "0.1.0"

__all__ = [
    "Answer",
    "Assistant",
    "AssistantConfig",
    "EscalationConfig",
    "Knowledge",
    "KnowledgeError",
    "LlmClient",
    "LlmConfig",
    "LlmError",
    "SignalRules",
    "Signals",
    "Turn",
    "running_assistant",
]

ASSISTANT = "assistant"  # key of the running hub's Assistant in context.state


def running_assistant(context: PluginContext) -> Assistant | None:
    assistant: Assistant | None = context.state.get(ASSISTANT)
    return assistant


@hookimpl
def hub_config_model() -> type[AssistantConfig]:
    return AssistantConfig


@hookimpl
def hub_register_consumers(register: Any, context: PluginContext) -> None:
    config: AssistantConfig = context.config
    if config.bot.enabled:
        register(Bot(context, config.bot).consumer())


@hookimpl
def hub_startup(context: PluginContext) -> None:
    config: AssistantConfig = context.config
    # A broken knowledge file stops the start with a message naming file and field.
    assistant = Assistant.from_config(config, log=context.log)
    context.state[ASSISTANT] = assistant
    context.log.info(
        "assistant.started",
        entries=len(assistant.knowledge.entries),
        engine="llm" if assistant.llm is not None else "faq",
    )


@hookimpl
async def hub_shutdown(context: PluginContext) -> None:
    assistant: Assistant | None = context.state.pop(ASSISTANT, None)
    if assistant is not None:
        await assistant.close()


@hookimpl
def hub_health(context: PluginContext) -> Health:
    assistant = running_assistant(context)
    if assistant is None:  # `omnihub doctor` asks before a start: can the knowledge load?
        config: AssistantConfig = context.config
        try:
            knowledge = Knowledge.load(config.knowledge_file)
        except KnowledgeError as exc:
            return Health(False, str(exc))
        return Health(True, f"{len(knowledge.entries)} FAQ entries")
    detail = f"{len(assistant.knowledge.entries)} FAQ entries"
    if assistant.llm is not None:
        # The FAQ answers while the LLM fails: degraded, not down.
        detail += f"; LLM {assistant.llm.config.model}, {assistant.llm_failures} failure(s)"
    return Health(True, detail)
