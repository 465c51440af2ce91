"""Helpers for the shared tests: run them against each installed Meta channel plugin."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from omnihub_meta.testing import config_table

from hub.testing import HubHarness

ACCOUNT_KEYS = {"whatsapp": "phone_number_id", "instagram": "ig_id", "messenger": "page_id"}


def channel_params() -> list[Any]:
    """One param per channel; a channel whose distribution is not installed is skipped."""
    return [pytest.param(channel, id=channel) for channel in ACCOUNT_KEYS]


def plugin_of(channel: str) -> Any:
    try:
        return importlib.import_module(f"omnihub_{channel}").plugin
    except ImportError:
        pytest.skip(f"omnihub-{channel} is not installed")


async def start(
    hub_factory: Any, channel: str, broker_url: str = "memory://", **table: Any
) -> HubHarness:
    config = config_table(**{ACCOUNT_KEYS[channel]: "100200300", **table})
    harness: HubHarness = await hub_factory(
        plugins={channel: plugin_of(channel)}, config={channel: config}, broker_url=broker_url
    )
    return harness


def samples(channel: str) -> list[dict[str, Any]]:
    """The channel plugin's real webhook samples (its tests/fixtures)."""
    folder = Path(__file__).parents[2] / channel / "tests" / "fixtures"
    return [json.loads(path.read_text()) for path in sorted(folder.glob("*.json"))]
