"""A real full disk (a 16 MiB tmpfs filled to the last byte) in the middle of a session.

Needs root to mount; elsewhere it is skipped, saying why. ``make soak`` runs the same trial
with ``ikiganiro run``'s own pauses (``bench/full_disk.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.full_disk import CannotMount, full_disk_session, tmpfs


async def test_a_full_disk_holds_updates_back_until_space_is_freed(tmp_path: Path) -> None:
    try:
        with tmpfs(tmp_path / "disk", "16m") as disk:
            figures = await full_disk_session(disk, full_for=1.2, retry_base=0.1, retry_cap=0.4)
    except CannotMount as why:
        pytest.skip(f"no small disk to fill: {why}")
    assert figures.failure == ""
    # While the disk was full: nothing acknowledged, said why, tried again with growing pauses.
    assert figures.held_back == 4  # Telegram still held every answer given meanwhile
    assert "disk is full" in figures.said_why and "Telegram keeps them" in figures.said_why
    assert "nearly full" in figures.status_says  # and `ikiganiro status` says it too
    assert len(figures.pauses) >= 3
    assert figures.pauses[1] > figures.pauses[0]  # backoff, not a steady knock
    # Once freed: the session went on to its end, every answer kept exactly once.
    assert figures.completed
    assert figures.answers_stored == figures.answers_expected
    assert figures.duplicated_answers == 0
    assert figures.integrity == "ok"
