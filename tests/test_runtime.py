"""The process that serves a hub tunes its garbage collector for a long-running service."""

from __future__ import annotations

import gc

from hub.serve import YOUNG_GC_THRESHOLD, tune_collector


def test_the_serving_process_freezes_start_up_and_collects_young_objects_less_often() -> None:
    before = gc.get_threshold()
    gc.unfreeze()
    try:
        tune_collector()
        assert gc.get_freeze_count() > 0  # full collections skip what start-up built
        assert gc.get_threshold() == (YOUNG_GC_THRESHOLD, *before[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
