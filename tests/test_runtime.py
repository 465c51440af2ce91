"""The hub's lifecycle as the process sees it."""

from __future__ import annotations

import gc
from pathlib import Path

from hub.runtime import Hub
from hub.testing.harness import make_config


async def test_startup_objects_are_frozen_while_running_and_released_on_stop(
    tmp_path: Path,
) -> None:
    hub = Hub(make_config(tmp_path), discover=False)
    gc.unfreeze()
    await hub.start()
    try:
        assert gc.get_freeze_count() > 0  # full collections skip what startup built
    finally:
        await hub.stop()
    assert gc.get_freeze_count() == 0  # nothing stays uncollectable after the hub
