"""Messages sent on behalf of a chat never act as a person.

Telegram lets a group administrator post anonymously, as the group itself, and anyone post as
a channel they own. Such a message carries ``sender_chat`` and, in ``from``, a stand-in bot
every such poster shares (GroupAnonymousBot, Channel_Bot): nothing says who wrote it. So it
opens nothing, leads nothing and answers nothing; whoever sent a command or a reply to the
bot is told once, in one sentence, how to take part as themself.
"""

from __future__ import annotations

from bot.engine.state import Status
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot

JEAN = PEOPLE[0]
CHANNEL = {"id": -1_009_999_999_999, "type": "channel", "title": "Radio Mutumba"}
REFUSAL = "write as yourself"


def _refusals(bot: Bot) -> list[str]:
    return [t for t in bot.api.sent_texts(GROUP_ID) if REFUSAL in t]


async def test_an_anonymous_administrator_opens_nothing_and_is_told_how_to_lead(bot: Bot) -> None:
    await bot.feed(bot.api.as_chat(GROUP_ID, "/newsession"))
    async with bot.store.read() as tx:
        assert await tx.session_for_chat(GROUP_ID, None) is None
    [refusal] = _refusals(bot)
    assert "Remain anonymous" in refusal


async def test_a_channel_neither_leads_nor_ends_a_session(bot: Bot) -> None:
    await bot.open("quick-demo")
    before = await bot.state()
    for command in ("/next", "/end", "/pause", "/newsession"):
        await bot.feed(bot.api.as_chat(GROUP_ID, command, channel=CHANNEL))
    after = await bot.state()
    assert (after.stage_index, after.status) == (before.stage_index, Status.LOBBY)
    assert after.facilitators == [FACILITATOR.user_id]
    assert len(_refusals(bot)) == 1  # told once: a channel cannot spend the group's budget


async def test_a_forged_sender_chat_does_not_act_as_the_person_in_from(bot: Bot) -> None:
    await bot.open("quick-demo")
    update = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    update["message"]["sender_chat"] = CHANNEL
    await bot.feed(update)
    assert (await bot.state()).stage_index == -1


async def test_a_reply_on_behalf_of_a_chat_is_no_answer(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    await bot.feed(bot.api.as_chat(GROUP_ID, "Our story, as the group.", reply_to=prompt))
    await bot.feed(bot.api.as_chat(GROUP_ID, "And the channel's.", channel=CHANNEL))
    assert (await bot.state()).answers == []
    assert len(_refusals(bot)) == 1  # the reply to the bot is told; plain chatter is not


async def test_an_edited_command_never_runs(bot: Bot) -> None:
    """An edit is never a command, even one that becomes a command by the edit."""
    await bot.open("quick-demo")
    said = bot.api.text(JEAN.user_id, GROUP_ID, "hello")
    await bot.feed(said)
    await bot.feed(bot.api.edit(JEAN.user_id, GROUP_ID, said["message"]["message_id"], "/end"))
    update = bot.api.text(FACILITATOR.user_id, GROUP_ID, "soon")
    await bot.feed(update)
    await bot.feed(
        bot.api.edit(FACILITATOR.user_id, GROUP_ID, update["message"]["message_id"], "/next")
    )
    state = await bot.state()
    assert (state.stage_index, state.status) == (-1, Status.LOBBY)
