"""The memory of applied event ids is bounded: no volume of refused presses slows a write."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from bot.engine import events as ev
from bot.engine.machine import step
from bot.engine.script import Script
from bot.engine.state import Role
from bot.storage import Store
from bot.storage.tx import APPLIED_MEMORY

CHAT = -100_777
FAC, POL, STRANGER = 9_100_001, 9_200_002, 9_900_009


async def test_a_save_after_20000_refused_presses_touches_a_few_rows(
    store: Store, driver: Callable[..., Any], script: Script
) -> None:
    d = driver()
    d.do(ev.Opened, actor=FAC)
    d.join(POL, "Officer Kwizera", Role.POLICE)
    state = d.state
    # What 20,000 strangers' presses leave: each refused, each remembered as applied.
    state.applied |= {f"u{n}:s1" for n in range(20_000)}
    async with store.write() as tx:
        await tx.save_state(state, CHAT, None)

    async with store.write() as tx:
        loaded = await tx.load_state("s1")
        assert loaded is not None
        assert len(loaded.applied) == APPLIED_MEMORY
        press = ev.ChoiceToggled(
            event_id="u99999:s1", actor=STRANGER, stage_id="priority", option_id="patrols"
        )
        after, _ = step(script, loaded, press, d.now + timedelta(minutes=1))
        assert "u99999:s1" in after.applied
        before = tx._conn.total_changes
        await tx.save_state(after, CHAT, None)
        changed = tx._conn.total_changes - before
    # The session row, the facilitator and the participant rewritten, one id in, one out.
    assert changed <= 12, changed

    store.cache.clear()  # as the database holds it: the state in memory may remember more
    async with store.read() as tx:
        again = await tx.load_state("s1")
    assert again is not None
    assert "u99999:s1" in again.applied
    assert len(again.applied) == APPLIED_MEMORY
