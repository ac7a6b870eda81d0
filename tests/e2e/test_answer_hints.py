"""Answers people actually give: the prompt says how to answer, the private chat asks the
question itself (a person who pressed "Answer privately" should not have to go back to the
group to read what was asked)."""

from __future__ import annotations

from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE
QUESTION = "Think of one moment this month when you felt safe in this community."


async def test_answer_privately_repeats_the_question(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    await bot.demo.press_label(JEAN, GROUP_ID, "Answer privately", message_id=prompt)
    asked = bot.api.sent_texts(JEAN.user_id)[-1]
    assert "A small story" in asked
    assert QUESTION in asked
    assert "how it may be shared" in asked


async def test_the_prompt_says_how_to_reply(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = bot.api.message(GROUP_ID, await bot.demo.live("prompt:story"))
    assert prompt is not None
    assert "Reply" in prompt["text"] and "“Answer privately”" in prompt["text"]
    assert "swipe" in prompt["text"]  # how to reply, for someone who never has


async def test_small_talk_is_kept_as_an_answer_only_when_its_author_says_so(bot: Bot) -> None:
    bot.api.can_read_all_group_messages = True  # privacy mode off: the bot sees every message
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    group_before = len(bot.api.sent_texts(GROUP_ID))
    await bot.feed(bot.api.text(JEAN.user_id, GROUP_ID, "Merci beaucoup"))
    await bot.feed(bot.api.text(GLORIA.user_id, GROUP_ID, "Is this about the market?"))
    assert (await bot.state()).answers == []  # not stored as answers
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before  # nothing in the group
    asked = bot.api.messages(JEAN.user_id)[-1]
    assert "Merci beaucoup" in asked["text"]
    await bot.demo.press_label(JEAN, JEAN.user_id, "Keep as my answer")
    (kept,) = (await bot.state()).answers
    assert kept.user_id == JEAN.user_id and kept.text == "Merci beaucoup"
    story = "The market felt safe when neighbours walked home together."
    await bot.feed(bot.api.text(PASCAL.user_id, GROUP_ID, story))
    assert [a.text for a in (await bot.state()).answers] == ["Merci beaucoup", story]
