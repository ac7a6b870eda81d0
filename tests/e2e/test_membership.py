"""Joining, answering, voting and endorsing need current membership of the session's group.

Telegram is asked (``getChatMember``), and its answer remembered for a few minutes; someone who
leaves the group (the ``left_chat_member`` message every bot sees, or the ``chat_member``
update an administrator bot asked for) is out of the live session and its nudges at once. What
they said before stays, as their consent says.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey
from tests.e2e.conftest import STRANGER, Bot, new_api, start_bot, stop_bot
from tests.e2e.test_nothing_kept import MARKER, VISITOR, _traces

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE
NOT_A_MEMBER = "Only members of the group can take part in its session; join the group first."


async def test_someone_never_in_the_group_cannot_join_through_a_forwarded_link(bot: Bot) -> None:
    bot.api.add_user(MARKER, VISITOR.name, language_code="en")
    await bot.open("quick-demo")
    await bot.feed(bot.api.start(MARKER, f"j_{bot.demo.session_id}"))  # a forwarded Join ↗
    assert NOT_A_MEMBER in bot.api.sent_texts(MARKER)[-1]
    assert not any("Do you agree?" in t for t in bot.api.sent_texts(MARKER))
    assert MARKER not in (await bot.state()).participants
    assert await _traces(bot) == []  # the refusal keeps no id either


async def test_a_consent_button_kept_from_before_leaving_does_not_join(bot: Bot) -> None:
    await bot.open("quick-demo", join=False)
    await bot.feed(bot.api.start(JEAN.user_id, f"j_{bot.demo.session_id}"))
    for update in bot.api.leave(GROUP_ID, JEAN.user_id):
        await bot.feed(update)
    await bot.demo.press_label(JEAN, JEAN.user_id, "I agree")
    assert JEAN.user_id not in (await bot.state()).participants


async def _leave(bot: Bot, person_id: int, via: str) -> None:
    service, change = bot.api.leave(GROUP_ID, person_id)
    await bot.feed(service if via == "left_chat_member" else change)


@pytest.mark.parametrize("via", ["left_chat_member", "chat_member"])
async def test_someone_who_left_is_out_of_the_live_session(tmp_path: Path, via: str) -> None:
    api = new_api()
    if via == "chat_member":  # Telegram tells only an administrator bot of others' changes
        api.chat(GROUP_ID).bot_status = "administrator"  # type: ignore[union-attr]
    bot = await start_bot(api, tmp_path / "bot.db", DataKey.generate())
    try:
        await _out_of_the_session(bot, via)
    finally:
        await stop_bot(bot)


async def _out_of_the_session(bot: Bot, via: str) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:story"), "Said before leaving.")
    await _leave(bot, JEAN.user_id, via)
    await _leave(bot, PASCAL.user_id, via)
    state = await bot.state()
    assert state.participants[PASCAL.user_id].left
    assert [a.text for a in state.answers] == ["Said before leaving."]  # what was said stays
    # Not nudged, and no longer counted as taking part.
    await bot.demo.command(FACILITATOR, "/nudge")
    assert bot.nudged(GLORIA) and not bot.nudged(PASCAL)
    # A private answer is refused, and nothing of it is kept.
    await bot.feed(bot.api.start(PASCAL.user_id, f"a_{bot.demo.session_id}"))
    await bot.feed(bot.api.text(PASCAL.user_id, PASCAL.user_id, "Written after leaving."))
    assert bot.api.sent_texts(PASCAL.user_id)[-1] == NOT_A_MEMBER  # the session's language
    state = await bot.state()
    assert PASCAL.user_id not in state.drafts and len(state.answers) == 1
    # A vote with a button they still see (a public group's history) counts for nothing.
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.press_label(PASCAL, GROUP_ID, "Street lighting")
    assert (await bot.state()).choices.get("priority", {}) == {}


async def test_membership_is_asked_once_in_a_while_not_at_every_press(bot: Bot) -> None:
    await bot.open("quick-demo")
    for _ in range(2):
        await bot.demo.command(FACILITATOR, "/next")
    for label in ("Street lighting", "Joint night patrols", "Street lighting"):
        await bot.demo.press_label(JEAN, GROUP_ID, label)
    asked = [c for c in bot.api.calls_to("getChatMember") if c.params["user_id"] == JEAN.user_id]
    assert len(asked) == 1  # joining asked; the votes that followed were remembered


async def test_a_participant_who_comes_back_takes_part_again(bot: Bot) -> None:
    await bot.open("quick-demo")
    await _leave(bot, ESPERANCE.user_id, "left_chat_member")
    await bot.feed(bot.api.new_chat_members(GROUP_ID, ESPERANCE.user_id, [ESPERANCE.user_id]))
    await bot.feed(bot.api.start(ESPERANCE.user_id, f"j_{bot.demo.session_id}"))
    assert "Your role: community member" in bot.api.sent_texts(ESPERANCE.user_id)[-1]
    assert not (await bot.state()).participants[ESPERANCE.user_id].left


async def test_a_stranger_is_not_a_member(bot: Bot) -> None:
    """The offline Telegram answers getChatMember as Telegram does: "left" for a stranger."""
    await bot.open("quick-demo")
    member = await bot.app.bot.get_chat_member(GROUP_ID, STRANGER.user_id)
    assert member.status == "left"
    member = await bot.app.bot.get_chat_member(GROUP_ID, JEAN.user_id)
    assert member.status == "member"


async def test_a_left_notice_for_someone_still_in_the_group_changes_nothing(bot: Bot) -> None:
    """Telegram is asked before anyone is taken out: a replayed or odd notice moves nobody."""
    await bot.open("quick-demo")
    service, _ = bot.api.leave(GROUP_ID, JEAN.user_id)
    bot.api.add_members(GROUP_ID, [JEAN.user_id])  # back already when the notice is read
    await bot.feed(service)
    assert not (await bot.state()).participants[JEAN.user_id].left
