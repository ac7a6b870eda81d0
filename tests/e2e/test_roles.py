"""A role is chosen once; only an explicit /role, in private, changes it.

An old role button still sits in everyone's private chat. Pressed again it once turned a
police officer who had endorsed a commitment into a "community member", and the commitment
became "endorsed by police and residents alike". Now it changes nothing and says how to change
a role; /role asks again, and the change re-counts everything the group was shown.
"""

from __future__ import annotations

from bot.callbacks import Action, button
from bot.engine.state import Role
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE


async def _role_question(bot: Bot, person_id: int) -> int:
    """The private message that asked this person for their role (its buttons stay)."""
    for message in reversed(bot.api.messages(person_id)):
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        if any(k.get("callback_data", "").startswith("r|") for row in rows for k in row):
            return int(message["message_id"])
    raise AssertionError("no role question")


async def _card_with_police_endorsement(bot: Bot) -> int:
    await bot.open("quick-demo")
    for _ in range(3):
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:commit"), "Light the river path.")
    cid = (await bot.state()).commitments[0].id
    card = await bot.demo.live(f"commitment:{cid}")
    await bot.demo.press_label(JEAN, GROUP_ID, "👍 Endorse", message_id=card)
    await bot.demo.press_label(ESPERANCE, GROUP_ID, "👍 Endorse", message_id=card)
    return card


def _card_text(bot: Bot, card: int) -> str:
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None
    return str(shown["text"])


async def test_an_old_role_button_changes_no_role(bot: Bot) -> None:
    card = await _card_with_police_endorsement(bot)
    assert "✅" in _card_text(bot, card)
    question = await _role_question(bot, JEAN.user_id)
    data = button(Action.ROLE, bot.demo.session_id, Role.RESIDENT.value)
    await bot.feed(bot.api.press(JEAN.user_id, JEAN.user_id, question, data))
    assert (await bot.state()).participants[JEAN.user_id].role is Role.POLICE
    assert "✅" in _card_text(bot, card)
    popup = bot.api.calls_to("answerCallbackQuery")[-1].params.get("text", "")
    assert "/role" in popup


async def test_the_role_command_changes_a_role_and_recounts_endorsements(bot: Bot) -> None:
    card = await _card_with_police_endorsement(bot)
    await bot.feed(bot.api.text(JEAN.user_id, JEAN.user_id, "/role"))
    question = await _role_question(bot, JEAN.user_id)
    data = button(Action.ROLE, bot.demo.session_id, Role.RESIDENT.value)
    await bot.feed(bot.api.press(JEAN.user_id, JEAN.user_id, question, data))
    assert (await bot.state()).participants[JEAN.user_id].role is Role.RESIDENT
    assert "✅" not in _card_text(bot, card)  # no police endorsement is left
    # The question answered, its buttons are spent again.
    data = button(Action.ROLE, bot.demo.session_id, Role.POLICE.value)
    await bot.feed(bot.api.press(JEAN.user_id, JEAN.user_id, question, data))
    assert (await bot.state()).participants[JEAN.user_id].role is Role.RESIDENT


async def test_the_role_command_is_refused_in_the_group(bot: Bot) -> None:
    await bot.open("quick-demo")
    before = len(bot.api.sent_texts(GROUP_ID))
    await bot.feed(bot.api.text(JEAN.user_id, GROUP_ID, "/role"))
    assert (await bot.state()).participants[JEAN.user_id].role is Role.POLICE
    assert len(bot.api.sent_texts(GROUP_ID)) == before
