"""Answers without typing: a voice note (or a round video message) is an answer.

Only Telegram's ``file_id`` is kept (encrypted like text); nothing is downloaded. It is counted,
listed in summaries as a voice answer, played to the group only as its author chose, and a
facilitator can have it sent to them privately.
"""

from __future__ import annotations

from typing import Any

from bot.callbacks import Action, button
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE


def _voices(bot: Bot, chat_id: int) -> list[dict[str, Any]]:
    return [m for m in bot.api.messages(chat_id) if "voice" in m]


async def _at_story(bot: Bot) -> int:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    return await bot.demo.live("prompt:story")


async def test_a_voice_reply_to_the_prompt_is_an_answer(bot: Bot) -> None:
    prompt = await _at_story(bot)
    update = bot.api.voice(JEAN.user_id, GROUP_ID, "VOICE-JEAN-1", reply_to=prompt)
    await bot.feed(update)
    state = await bot.state()
    (answer,) = state.answers
    assert answer.user_id == JEAN.user_id and answer.voice == "VOICE-JEAN-1"
    assert bot.api.calls_to("setMessageReaction")  # acknowledged as a text answer is
    await bot.demo.command(FACILITATOR, "/summary")
    record = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "a voice answer" in record and "VOICE-JEAN-1" not in record


async def test_a_round_video_message_counts_too(bot: Bot) -> None:
    prompt = await _at_story(bot)
    await bot.feed(bot.api.voice(PASCAL.user_id, GROUP_ID, "VIDEO-1", reply_to=prompt, video=True))
    (answer,) = (await bot.state()).answers
    assert answer.voice == "VIDEO-1"


async def test_a_private_voice_is_shared_only_as_its_author_chooses(bot: Bot) -> None:
    prompt = await _at_story(bot)
    await bot.demo.press_label(ESPERANCE, GROUP_ID, "Answer privately", message_id=prompt)
    await bot.feed(bot.api.voice(ESPERANCE.user_id, ESPERANCE.user_id, "VOICE-ESP"))
    assert not _voices(bot, GROUP_ID)  # nothing played before the choice
    assert "I can only read text" not in bot.api.sent_texts(ESPERANCE.user_id)[-1]
    share = button(Action.SHARE, bot.demo.session_id, "anonymous")
    await bot.demo.press(ESPERANCE, ESPERANCE.user_id, bot.demo.last_private(ESPERANCE), share)
    for person in (JEAN, GLORIA, PASCAL):  # enough answers: the held one is posted
        await bot.demo.reply(person, prompt, "A story of my own to tell here.")
    (posted,) = _voices(bot, GROUP_ID)
    assert posted["voice"]["file_id"] == "VOICE-ESP"
    assert posted["from"]["is_bot"] and ESPERANCE.name not in posted.get("caption", "")


async def test_a_facilitator_plays_a_voice_answer_privately(bot: Bot) -> None:
    prompt = await _at_story(bot)
    await bot.feed(bot.api.voice(JEAN.user_id, GROUP_ID, "VOICE-JEAN-2", reply_to=prompt))
    await bot.demo.command(FACILITATOR, "/summary")
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "▶ 1")
    (played,) = _voices(bot, FACILITATOR.user_id)
    assert played["voice"]["file_id"] == "VOICE-JEAN-2"
    answer_id = (await bot.state()).answers[0].id
    play = button(Action.PLAY, bot.demo.session_id, answer_id)
    await bot.feed(bot.api.press_anyway(JEAN.user_id, JEAN.user_id, play))  # a forged button
    assert not _voices(bot, JEAN.user_id)  # only facilitators may have it played


async def test_forget_removes_the_voice_answer(bot: Bot) -> None:
    prompt = await _at_story(bot)
    await bot.feed(bot.api.voice(JEAN.user_id, GROUP_ID, "VOICE-JEAN-3", reply_to=prompt))
    await bot.feed(bot.api.command(JEAN.user_id, JEAN.user_id, "/forget"))
    await bot.demo.press(JEAN, JEAN.user_id, bot.demo.last_private(JEAN), "f|-|1")
    assert (await bot.state()).answers == []


async def test_a_voice_without_reply_is_not_seen_with_privacy_mode_on(bot: Bot) -> None:
    await _at_story(bot)
    await bot.feed(bot.api.voice(JEAN.user_id, GROUP_ID, "VOICE-PLAIN"))
    assert (await bot.state()).answers == []
