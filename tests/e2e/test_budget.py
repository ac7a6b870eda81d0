"""A whole session under Telegram's limits: the group's budget is kept, and spent on prompts.

The in-memory Bot API refuses as Telegram does (429 past 20 calls a minute in a group); the
demo's people act a few seconds apart on one simulated clock. The sender must never make
Telegram say no in the group, and every prompt must still arrive.
"""

from __future__ import annotations

from bot.demo import play
from bot.dialogues import Library
from bot.offline.cast import GROUP_ID

from .conftest import Bot


async def test_a_whole_session_never_exceeds_the_group_limit(bot: Bot) -> None:
    script = Library.load().get("community-safety")
    assert script is not None
    await play(bot.demo, script, "en")
    group = bot.group_calls()
    assert [c for c in group if c.error is not None and c.error.status == 429] == []
    assert 0 < bot.api.busiest_minute(GROUP_ID) <= 20
    prompts = [t for t in bot.api.sent_texts(GROUP_ID) if t.startswith("Stage ")]
    assert len(prompts) == len(script.stages)
