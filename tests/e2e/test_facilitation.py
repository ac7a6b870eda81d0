"""The facilitator's tools and the smaller paths of a session."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.engine.state import Status
from bot.i18n.catalog import translator
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.service import utcnow
from bot.storage import DataKey
from tests.e2e.conftest import STRANGER, Bot, new_api, start_bot, stop_bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE


async def test_status_goes_privately_to_the_facilitator_and_offers_a_nudge(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:story"), "My answer.")
    group_before = len(bot.api.sent_texts(GROUP_ID))
    await bot.demo.command(FACILITATOR, "/status")
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before  # nothing in the group
    status = bot.api.messages(FACILITATOR.user_id)[-1]
    assert "Answered with their name (1):\n• Jean (police officer)" in status["text"]
    assert "• Pascal (community member)" in status["text"]
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "Nudge them privately")
    assert all(bot.nudged(quiet) for quiet in (GLORIA, ESPERANCE, PASCAL))
    assert not bot.nudged(JEAN)


async def test_the_nudge_delay_reminds_the_quiet_by_itself(bot: Bot) -> None:
    await bot.open("community-safety")
    for _ in range(3):  # welcome, ground rules, introductions (a text stage with a nudge)
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:introductions"), "Jean, police.")
    await bot.intake.tick()
    assert not bot.nudged(PASCAL)
    bot.intake.runtime.service.clock = lambda: utcnow() + timedelta(minutes=30)
    await bot.intake.tick()
    assert bot.nudged(PASCAL)
    assert not bot.nudged(JEAN)


async def test_an_edited_reply_updates_its_answer(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    message_id = await bot.demo.reply(JEAN, await bot.demo.live("prompt:story"), "Frist draft")
    await bot.feed(bot.api.edit(JEAN.user_id, GROUP_ID, message_id, "First draft, fixed"))
    state = await bot.state()
    assert state is not None
    assert [a.text for a in state.answers] == ["First draft, fixed"]


async def test_a_participant_who_has_not_joined_is_asked_to_join_privately(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.feed(bot.api.start(STRANGER.user_id))  # they have a private chat with the bot
    await bot.demo.command(FACILITATOR, "/next")
    group_before = len(bot.api.sent_texts(GROUP_ID))
    await bot.demo.reply(STRANGER, await bot.demo.live("prompt:story"), "Hello")
    assert bot.api.sent_texts(STRANGER.user_id)[-1].startswith("Please join the session first")
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before
    state = await bot.state()
    assert state is not None and not state.answers


async def test_unusable_replies_and_strangers_commands_post_nothing_in_the_group(
    bot: Bot,
) -> None:
    await bot.open("community-safety")
    await bot.feed(bot.api.start(STRANGER.user_id))
    await bot.demo.command(FACILITATOR, "/next")  # the welcome: an info stage
    prompt = await bot.demo.live("prompt:welcome")
    group_before = len(bot.api.sent_texts(GROUP_ID))
    for person in (*PEOPLE, STRANGER):
        await bot.demo.reply(person, prompt, "Thank you!")
    for command in ("/next", "/back", "/pause", "/status", "/summary", "/nudge", "/end"):
        await bot.demo.command(STRANGER, command)
    await bot.demo.command(FACILITATOR, "/back")  # already at the first stage
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before
    refused = "Only the session's facilitators can do that."
    assert bot.api.sent_texts(STRANGER.user_id).count(refused) == 7
    assert bot.api.sent_texts(FACILITATOR.user_id)[-1] == "This is already the first stage."


async def test_declining_consent_keeps_nothing(bot: Bot) -> None:
    await bot.open("quick-demo", join=False)
    bot.api.add_members(GROUP_ID, [STRANGER.user_id])  # in the group, new to the session
    await bot.feed(bot.api.start(STRANGER.user_id, f"j_{bot.demo.session_id}"))
    consent = bot.demo.last_private(STRANGER)
    assert "Do you agree?" in bot.api.message(STRANGER.user_id, consent)["text"]  # type: ignore[index]
    await bot.demo.press_label(STRANGER, STRANGER.user_id, "No, thank you")
    state = await bot.state()
    assert state is not None and STRANGER.user_id not in state.participants


async def test_plain_messages_count_only_where_the_bot_can_read_them(
    tmp_path: Path, key: DataKey
) -> None:
    for can_read, expected in ((False, []), (True, ["Just talking in the group."])):
        api = new_api()
        api.can_read_all_group_messages = can_read
        bot = await start_bot(api, tmp_path / f"bot-{can_read}.db", key)
        try:
            await bot.open("quick-demo")
            await bot.demo.command(FACILITATOR, "/next")
            await bot.feed(api.text(JEAN.user_id, GROUP_ID, "Just talking in the group."))
            await bot.feed(api.text(STRANGER.user_id, GROUP_ID, "Not a participant."))
            state = await bot.state()
            assert state is not None
            assert [a.text for a in state.answers] == expected
        finally:
            await stop_bot(bot)


async def test_help_says_what_the_caller_may_do(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(JEAN, "/help")
    participant_help = bot.api.sent_texts(GROUP_ID)[-1]
    await bot.demo.command(FACILITATOR, "/help")
    facilitator_help = bot.api.sent_texts(GROUP_ID)[-1]
    assert "/next" not in participant_help
    assert "/next" in facilitator_help and "/end" in facilitator_help
    await bot.feed(bot.api.command(JEAN.user_id, JEAN.user_id, "/help"))
    assert "/mydata" in bot.api.sent_texts(JEAN.user_id)[-1]


async def test_one_session_per_group_and_unknown_scripts_are_named(bot: Bot) -> None:
    await bot.open("quick-demo", join=False)
    await bot.demo.command(FACILITATOR, "/newsession")
    told = bot.api.sent_texts(FACILITATOR.user_id)  # said to them privately, not the group
    assert told[-1].startswith("A session is already open here")
    await bot.demo.end(FACILITATOR)
    await bot.demo.command(FACILITATOR, "/newsession no-such-script")
    assert "no-such-script" in bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "community-safety" in bot.api.sent_texts(FACILITATOR.user_id)[-1]


async def test_the_command_menu_is_set_in_every_language(bot: Bot) -> None:
    scope = {"type": "all_chat_administrators"}
    assert any(c["command"] == "next" for c in bot.api.commands(scope=scope))
    french = bot.api.commands(scope=scope, language_code="fr")
    assert any(c["command"] == "next" for c in french)
    assert any(c["description"] == "ouvrir l'étape suivante" for c in french)


async def test_a_session_language_is_used_for_the_group(bot: Bot) -> None:
    await bot.feed(bot.api.start(FACILITATOR.user_id))
    await bot.demo.command(FACILITATOR, "/newsession quick-demo fr")
    welcome = next(m for m in bot.api.messages(GROUP_ID) if m.get("reply_markup"))
    keys = [k["text"] for row in welcome["reply_markup"]["inline_keyboard"] for k in row]
    french = translator("fr")
    assert french.has_catalog
    assert keys == [french.gettext("Join ↗")] != ["Join ↗"]


async def test_private_text_without_a_session_gets_a_short_answer(bot: Bot) -> None:
    await bot.feed(bot.api.text(STRANGER.user_id, STRANGER.user_id, "Hello?"))
    assert bot.api.sent_texts(STRANGER.user_id)[-1].startswith("I do not know which session")


async def test_end_asks_privately_first_and_not_yet_keeps_the_session(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.answer_privately(PASCAL, "Pas encore partagé.", "anonymous")
    await bot.feed(bot.api.start(PASCAL.user_id, f"a_{bot.demo.session_id}"))
    await bot.feed(bot.api.text(PASCAL.user_id, PASCAL.user_id, "Un brouillon gardé."))
    group_before = len(bot.api.sent_texts(GROUP_ID))
    await bot.demo.command(FACILITATOR, "/end")
    question = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert question.startswith("End the session?")
    assert "“A small story” is open; answers so far: 1 of 4." in question
    assert "Private answers not yet shared by their authors: 1." in question
    assert PASCAL.name not in question
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "Not yet")
    assert bot.api.calls_to("answerCallbackQuery")[-1].params["text"] == "The session goes on."
    state = await bot.state()
    assert state.status is Status.RUNNING
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before  # the group saw nothing of it
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "End the session")
    assert (await bot.state()).status is Status.ENDED
    assert any("Summary: Try Ikiganiro" in t for t in bot.api.sent_texts(GROUP_ID))
