"""Answers without a phone: a facilitator adds someone present in the room who has no Telegram
(``/addperson NAME ROLE`` in private) and gives their answers (``/for NUMBER TEXT``).

Such a person is counted in their role, their answers are shown marked as added by the
facilitator wherever their name appears, and the bot never writes to their (synthetic) id.
"""

from __future__ import annotations

from bot.engine.state import Role
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE
MARK = "Marie (added by the facilitator)"


async def _private(bot: Bot, user_id: int, text: str) -> None:
    await bot.feed(bot.api.command(user_id, user_id, text))


async def _at_story(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")


async def test_a_facilitator_adds_a_person_and_answers_for_them(bot: Bot) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    added = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "number 1" in added and "agreed aloud" in added
    await _private(bot, FACILITATOR.user_id, "/for 1 The road by the market is dark at night.")
    state = await bot.state()
    (marie,) = [p for p in state.participants.values() if p.proxy]
    assert marie.user_id < 0 and marie.role is Role.RESIDENT and marie.active
    (answer,) = state.answers
    assert answer.user_id == marie.user_id and "market" in answer.text
    assert MARK in bot.api.sent_texts(GROUP_ID)[-1]  # shown in the group, marked
    await bot.demo.command(FACILITATOR, "/summary")
    record = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert MARK in record and "market" in record
    await bot.demo.command(FACILITATOR, "/status")
    assert MARK in bot.api.sent_texts(FACILITATOR.user_id)[-1]
    await bot.demo.command(FACILITATOR, "/nudge")
    assert all(call.chat_id is None or call.chat_id > 0 or call.chat_id == GROUP_ID
               for call in bot.api.calls)  # fmt: skip
    assert not [c for c in bot.api.calls if c.chat_id == marie.user_id]


async def test_the_added_person_counts_in_their_role(bot: Bot) -> None:
    await _at_story(bot)
    before = (await bot.state()).participants
    residents = sum(p.role is Role.RESIDENT and p.active for p in before.values())
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    after = (await bot.state()).participants
    assert sum(p.role is Role.RESIDENT and p.active for p in after.values()) == residents + 1


async def test_a_participant_cannot_add_or_answer_for_anyone(bot: Bot) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    await _private(bot, JEAN.user_id, "/addperson Paul police")
    await _private(bot, JEAN.user_id, "/for 1 Not my words to give.")
    state = await bot.state()
    assert sum(p.proxy for p in state.participants.values()) == 1
    assert state.answers == []


async def test_bad_words_get_one_sentence_on_how(bot: Bot) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie")
    assert "/addperson Marie resident" in bot.api.sent_texts(FACILITATOR.user_id)[-1]
    await _private(bot, FACILITATOR.user_id, "/for 7 Someone nobody added.")
    assert "number 7" in bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert (await bot.state()).answers == []


# --- role words in every language ---------------------------------------------------------------


async def _added(bot: Bot) -> list[tuple[str, Role | None]]:
    state = await bot.state()
    return [(p.name.split(":", 1)[1], p.role) for p in state.participants.values() if p.proxy]


async def test_the_role_may_be_said_in_any_shipped_language(bot: Bot) -> None:
    """As the role buttons and the glossary say it: case and accents do not matter, and a role
    of several words ("membre de la communauté") is read whole after the name."""
    await _at_story(bot)
    for line in (
        "/addperson Marie habitant",
        "/addperson Jeanne Umuturage",
        "/addperson Paul autorite locale",
        "/addperson Anne Claire membre de la communauté",
        "/addperson Musa polisi",
        "/addperson Neza Sinshaka kubivuga",
        "/addperson Ali resident",
    ):
        await _private(bot, FACILITATOR.user_id, line)
    assert await _added(bot) == [
        ("Marie", Role.RESIDENT),
        ("Jeanne", Role.RESIDENT),
        ("Paul", Role.LEADER),
        ("Anne Claire", Role.RESIDENT),
        ("Musa", Role.POLICE),
        ("Neza", Role.UNSAID),
        ("Ali", Role.RESIDENT),
    ]


async def test_an_unknown_role_is_answered_with_the_roles_in_the_readers_language(
    bot: Bot,
) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/language fr")
    await _private(bot, FACILITATOR.user_id, "/addperson Marie boulangère")
    refusal = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "police, habitant, autorité, non précisé" in refusal
    assert "/addperson Marie habitant" in refusal
    assert await _added(bot) == []
