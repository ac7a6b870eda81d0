"""bench/scale.py's core: many groups at once, their updates interleaved, every one handled.

The benchmark's figures mean something only if the load is what it says: every group's updates
reach the bot, none is left in the inbox or at Telegram, and every group gets each prompt of the
stages run. Small here (3 groups of 4, two stages); the figures themselves are ``make bench``'s.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/ is a folder of scripts, not a package: its modules import each other by name.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

import scale

GROUPS, PEOPLE, STAGES = 3, 4, 2
# Per group: the facilitator's /start and /newsession; each person's /start, consent and role;
# one /next per stage (the first two stages only show information).
PER_GROUP = 2 + 3 * PEOPLE + STAGES


async def test_every_group_is_handled_to_the_last_stage_run(tmp_path: Path) -> None:
    async with scale.rig(tmp_path, GROUPS, PEOPLE) as rig:
        load = await scale.run_load(rig, STAGES)

        assert await rig.store.inbox_pending() == []
        assert rig.api.pending_updates() == []
        assert load.set_aside == 0
        assert load.updates == len(load.handling) == GROUPS * PER_GROUP
        assert load.batches < load.updates  # the groups' updates came in shared batches
        for group in rig.groups:
            async with rig.store.read() as tx:
                session_id = await tx.session_for_chat(group.chat_id, None)
                assert session_id is not None, f"group {group.chat_id} never opened a session"
                state = await tx.load_state(session_id)
            assert state is not None
            assert sorted(state.participants) == sorted(p.user_id for p in group.people)
            for stage in rig.script.stages[:STAGES]:
                ref = await rig.store.message_ref(session_id, f"prompt:{stage.id}")
                assert ref is not None, f"group {group.chat_id} never saw {stage.id}"
                assert ref[0] == group.chat_id
                shown = rig.api.message(group.chat_id, ref[1])
                assert shown is not None and shown["from"]["is_bot"]
