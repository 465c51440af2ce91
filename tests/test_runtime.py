"""The hub's lifecycle as the process sees it."""

from __future__ import annotations

import gc
from pathlib import Path

from hub.runtime import YOUNG_GC_THRESHOLD, Hub
from hub.testing.harness import make_config


async def test_collector_is_tuned_while_running_and_given_back_on_stop(tmp_path: Path) -> None:
    hub = Hub(make_config(tmp_path), discover=False)
    gc.unfreeze()
    before = gc.get_threshold()
    await hub.start()
    try:
        assert gc.get_freeze_count() > 0  # full collections skip what startup built
        assert gc.get_threshold()[0] == YOUNG_GC_THRESHOLD
    finally:
        await hub.stop()
    assert gc.get_freeze_count() == 0  # nothing stays uncollectable after the hub
    assert gc.get_threshold() == before
