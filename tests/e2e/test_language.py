"""Languages are chosen by people, not read off their phones.

A session has a language (``/newsession … rn``, or a facilitator's ``/language rn`` in the
group); a person has one only if they chose it (``/language`` in private). Telegram's
``language_code`` decides nothing: nobody's app is in Kirundi, so it would put a Kirundi
session's participants in English.
"""

from __future__ import annotations

from typing import Any

from bot.callbacks import Action, button
from bot.engine.effects import Notice
from bot.i18n.catalog import translator
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.words.notices import NOTICES
from tests.e2e.conftest import Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE  # Jean's app is in English, Gloria's in French
RN, FR, EN = translator("rn"), translator("fr"), translator("en")


def _keys(message: dict[str, Any]) -> list[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [key["text"] for row in rows for key in row]


def _bot_texts(bot: Bot, user_id: int) -> list[str]:
    return bot.api.sent_texts(user_id)


async def _open(bot: Bot, language: str) -> None:
    await bot.open(f"quick-demo {language}", join=False)  # script and language, as typed


async def test_an_english_phone_in_a_kirundi_session_reads_kirundi(bot: Bot) -> None:
    await _open(bot, "rn")
    await bot.demo.join(JEAN)
    consent, role_question, joined = bot.api.messages(JEAN.user_id)[-3:]
    template = NOTICES[Notice.CONSENT_REQUEST].template
    assert consent["text"] == RN.gettext(template).format(days=90) != template.format(days=90)
    assert _keys(consent) == [RN.gettext("I agree"), RN.gettext("No, thank you")]
    assert RN.gettext("I agree") != "I agree"
    assert role_question["text"] == RN.gettext(
        "Thank you. How would you like to be counted? The group sees only the number of "
        "people in each role; the facilitators see your role."
    )
    assert "police" not in " ".join(_keys(role_question)).lower()
    assert "joined" not in joined["text"].lower()


async def test_bare_session_language_argument(bot: Bot) -> None:
    await bot.feed(bot.api.start(FACILITATOR.user_id))
    await bot.demo.command(FACILITATOR, "/newsession fr")
    welcome = next(m for m in bot.api.messages(GROUP_ID) if m.get("reply_markup"))
    assert _keys(welcome) == [FR.gettext("Join ↗")]


async def test_a_person_chooses_their_language_privately(bot: Bot) -> None:
    await _open(bot, "rn")
    await bot.feed(bot.api.command(GLORIA.user_id, GLORIA.user_id, "/language"))
    offer = bot.api.messages(GLORIA.user_id)[-1]
    assert _keys(offer) == ["Ikirundi", "Français", "Kiswahili", "English"]
    await bot.demo.press_label(GLORIA, GLORIA.user_id, "Français")
    popup = bot.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert popup == FR.gettext("I will write to you in {language}.").format(language="Français")
    await bot.demo.join(GLORIA)
    consent = bot.api.messages(GLORIA.user_id)[-3]
    assert _keys(consent) == [FR.gettext("I agree"), FR.gettext("No, thank you")]
    # The group still reads the session's language.
    welcome = next(m for m in bot.api.messages(GROUP_ID) if m.get("reply_markup"))
    assert _keys(welcome) == [RN.gettext("Join ↗")]


async def test_language_with_a_code_answers_in_that_language(bot: Bot) -> None:
    await bot.feed(bot.api.command(PASCAL.user_id, PASCAL.user_id, "/language fr"))
    assert _bot_texts(bot, PASCAL.user_id)[-1] == FR.gettext(
        "I will write to you in {language}."
    ).format(language="Français")
    await bot.feed(bot.api.command(PASCAL.user_id, PASCAL.user_id, "/language xx"))
    assert "Ikirundi" in _bot_texts(bot, PASCAL.user_id)[-1]  # the choices, in French words


async def test_forget_drops_the_language_choice(bot: Bot) -> None:
    await bot.feed(bot.api.command(PASCAL.user_id, PASCAL.user_id, "/language fr"))
    await bot.feed(bot.api.command(PASCAL.user_id, PASCAL.user_id, "/forget"))
    question = bot.demo.last_private(PASCAL)
    await bot.demo.press(PASCAL, PASCAL.user_id, question, button(Action.FORGET, "-", "1"))
    async with bot.store.read() as tx:
        assert await tx.user_language(PASCAL.user_id) is None


async def test_a_facilitator_sets_the_session_language_in_the_group(bot: Bot) -> None:
    await _open(bot, "en")
    await bot.demo.command(FACILITATOR, "/language rn")
    assert (await bot.state()).language == "rn"
    welcome = next(m for m in bot.api.messages(GROUP_ID) if m.get("reply_markup"))
    assert _keys(welcome) == [RN.gettext("Join ↗")]
    await bot.demo.join(JEAN)
    assert _keys(bot.api.messages(JEAN.user_id)[-3]) == [
        RN.gettext("I agree"),
        RN.gettext("No, thank you"),
    ]


async def test_a_participant_cannot_set_the_session_language(bot: Bot) -> None:
    await _open(bot, "en")
    await bot.demo.join(JEAN)
    await bot.demo.command(JEAN, "/language fr")
    assert (await bot.state()).language == "en"
    refusal = NOTICES[Notice.NOT_FACILITATOR].template
    assert _bot_texts(bot, JEAN.user_id)[-1] == refusal  # told privately, not silence


async def test_an_unknown_command_in_private_is_answered(bot: Bot) -> None:
    await bot.feed(bot.api.command(PASCAL.user_id, PASCAL.user_id, "/langue"))
    assert "/help" in _bot_texts(bot, PASCAL.user_id)[-1]
