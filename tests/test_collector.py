"""``bot.collector.settle``: what ``ikiganiro run`` does with the garbage collector after
start-up (bench/scale.py does the same before its load)."""

from __future__ import annotations

import gc

from bot.collector import THRESHOLDS, settle


def test_settle_freezes_what_start_up_built_and_collects_rarely() -> None:
    before = gc.get_threshold()
    try:
        settle()
        assert gc.get_threshold() == THRESHOLDS
        assert gc.get_freeze_count() > 10_000  # the imports at least
        assert gc.get_count()[0] < THRESHOLDS[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
