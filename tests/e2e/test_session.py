"""A whole facilitated session, end to end, as a Telegram group lives it."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from bot.callbacks import Action, button
from bot.dialogues import Library
from bot.engine.state import Due, Role, Status
from bot.offline.cast import ANSWERS, FACILITATOR, GROUP_ID, PEOPLE, PRIVATE_TELLER
from bot.storage import DataKey
from tests.e2e.conftest import STRANGER, Bot, new_api, start_bot, stop_bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE


async def test_a_whole_session_of_the_default_script_ends_with_its_summary(bot: Bot) -> None:
    script = Library.load()["community-safety"]
    await bot.open()
    for index in range(len(script.stages)):
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.stage(script, index)
    await bot.demo.end(FACILITATOR)
    await bot.flush()  # pinning waits for the group's budget, behind the summary itself

    summary_id = await bot.demo.live("summary")
    summary = bot.api.message(GROUP_ID, summary_id)
    assert summary is not None and summary["pinned"]
    text = summary["text"]
    # Two of each role: fewer than 3 in any role, so no summary count names a role.
    assert "Taking part: 4 people\n" in text and "2 police officers" not in text
    assert "— anonymous" in text  # the private story, shared without a name
    assert "✅" in text  # a commitment endorsed by police and residents
    # Gloria said no to quoting: her safe-place story is counted, not quoted.
    assert ANSWERS["safe_story"][1] not in text
    assert ANSWERS["safe_story"][0] in text
    state = await bot.state()
    assert state is not None and state.status is Status.ENDED
    assert len([a for a in state.answers if a.stage_id == "safe_story"]) == 4


async def test_an_anonymous_share_carries_no_identity_to_the_group(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    before = len(bot.api.calls)
    story = "The boy was beaten near the river and nobody came."
    await bot.demo.answer_privately(PRIVATE_TELLER, story, "anonymous")
    held = [c for c in bot.api.calls[before:] if c.chat_id == GROUP_ID]
    assert [c for c in held if c.method == "sendMessage"] == []  # fewer than 3 have answered
    prompt = await bot.demo.live("prompt:story")
    for person in (JEAN, GLORIA):  # the third answer lets it out, with no sign of whose it is
        await bot.demo.reply(person, prompt, f"{person.name} answers in the group.")

    group_calls = [c for c in bot.api.calls[before:] if c.chat_id == GROUP_ID]
    posted = [c for c in group_calls if c.method == "sendMessage"]
    assert len(posted) == 1 and story in posted[0].params["text"]
    for call in group_calls:
        dumped = json.dumps(call.params, ensure_ascii=False)
        assert PRIVATE_TELLER.name not in dumped
        assert str(PRIVATE_TELLER.user_id) not in dumped
        assert "reply_parameters" not in call.params
    # Her private chat got the share question, then the thanks.
    assert any(
        "How may the group see it?" in t for t in bot.api.sent_texts(PRIVATE_TELLER.user_id)
    )


async def test_a_newcomer_joins_and_shares_by_pressing_what_they_see(bot: Bot) -> None:
    await bot.open("quick-demo", join=False)
    me = STRANGER.user_id
    bot.api.add_members(GROUP_ID, [me])  # in the group, new to the session
    await bot.demo.press_label(STRANGER, GROUP_ID, "Join")  # a link: "Join ↗"
    await bot.demo.press_label(STRANGER, me, "I agree")
    await bot.demo.press_label(STRANGER, me, "community member")
    state = await bot.state()
    assert state.participants[me].role is Role.RESIDENT

    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.press_label(STRANGER, GROUP_ID, "Answer privately")
    story = "The path by the river has no light at night."
    await bot.feed(bot.api.text(me, me, story))
    assert "/start a_" in bot.api.transcript(me)  # the link opened this private chat
    await bot.demo.press_label(STRANGER, me, "Share without any name")
    assert not any(story in t for t in bot.api.sent_texts(GROUP_ID))  # held: too few answers
    await bot.demo.command(FACILITATOR, "/next")  # the stage closes: it is posted
    (shared,) = [t for t in bot.api.sent_texts(GROUP_ID) if story in t]
    assert STRANGER.name not in shared


async def test_votes_edit_one_tally_message_instead_of_posting(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:priority")
    sent_before = len(bot.api.calls_to("sendMessage", GROUP_ID))
    for person in PEOPLE:
        await bot.demo.press_label(person, GROUP_ID, "Joint night patrols")
    assert len(bot.api.calls_to("sendMessage", GROUP_ID)) == sent_before
    tally = bot.api.message(GROUP_ID, prompt)
    assert tally is not None and "Joint night patrols: 4 votes" in tally["text"]
    # Pressing again takes the vote back.
    await bot.demo.press_label(JEAN, GROUP_ID, "Joint night patrols")
    tally = bot.api.message(GROUP_ID, prompt)
    assert tally is not None and "Joint night patrols: 3 votes" in tally["text"]


async def test_a_commitment_endorsed_by_both_sides_is_marked_shared(bot: Bot) -> None:
    await bot.open("quick-demo")
    for _ in range(3):
        await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:commit")
    await bot.demo.reply(JEAN, prompt, "Light the river path together.")
    state = await bot.state()
    assert state is not None
    cid = state.commitments[0].id
    card = await bot.demo.live(f"commitment:{cid}")
    # A commitment at once, with who and when chosen for now: one tap to endorse it.
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None and "Who acts: police and residents together" in shown["text"]
    keys = [k["text"] for row in shown["reply_markup"]["inline_keyboard"] for k in row]
    assert keys == ["👍 Endorse"]
    # Its proposer alone is asked, privately, and changes the date there.
    asked = bot.api.sent_texts(JEAN.user_id)[-1]
    assert "For now I wrote who acts: police and residents together; by when:" in asked
    await bot.demo.press_label(JEAN, JEAN.user_id, "in two weeks")
    await bot.demo.press_label(JEAN, GROUP_ID, "👍 Endorse")
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None and "✅" not in shown["text"]
    await bot.demo.press_label(ESPERANCE, GROUP_ID, "👍 Endorse", message_id=card)
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None
    assert "police and residents together" in shown["text"]
    assert "✅" in shown["text"]
    state = await bot.state()
    assert state.commitments[0].due is Due.TWO_WEEKS


async def test_pause_holds_answers_until_resume(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    await bot.demo.command(FACILITATOR, "/pause")
    assert any("The session is paused" in t for t in bot.api.sent_texts(GROUP_ID))
    await bot.demo.reply(JEAN, prompt, "Said while paused.")
    state = await bot.state()
    assert state is not None and state.status is Status.PAUSED and not state.answers
    await bot.demo.command(FACILITATOR, "/resume")
    await bot.demo.reply(JEAN, prompt, "Said after resuming.")
    state = await bot.state()
    assert state is not None and [a.text for a in state.answers] == ["Said after resuming."]


async def test_every_facilitator_command_is_refused_to_a_participant(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    before = await bot.state()
    commands = ["/next", "/back", "/pause", "/resume", "/status", "/summary", "/end", "/nudge"]
    group_before = len(bot.api.sent_texts(GROUP_ID))
    for command in commands:
        sent = len(bot.api.sent_texts(JEAN.user_id))
        await bot.demo.command(JEAN, command)
        told = bot.api.sent_texts(JEAN.user_id)[sent:]  # privately, not in the group
        assert told == ["Only the session's facilitators can do that."], command
    assert len(bot.api.sent_texts(GROUP_ID)) == group_before
    after = await bot.state()
    assert before is not None and after is not None
    assert (after.status, after.stage_index, after.facilitators) == (
        before.status,
        before.stage_index,
        before.facilitators,
    )


async def test_a_chat_administrator_may_co_facilitate(bot: Bot) -> None:
    await bot.open("quick-demo", join=False)
    bot.api.add_group(-100777, "Other", admins=(STRANGER.user_id,))
    await bot.demo.command(JEAN, "/next")
    state = await bot.state()
    assert state is not None and state.stage_index == -1
    # The facilitator names Jean co-facilitator by replying to one of his messages.
    update = bot.api.text(JEAN.user_id, GROUP_ID, "I can help lead.")
    await bot.feed(update)
    await bot.feed(
        bot.api.command(
            FACILITATOR.user_id,
            GROUP_ID,
            "/cofacilitate",
            reply_to=update["message"]["message_id"],
        )
    )
    await bot.demo.command(JEAN, "/next")
    state = await bot.state()
    assert state is not None and state.stage_index == 0


async def test_a_removed_bot_pauses_the_session_and_tells_the_facilitator(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.feed(bot.api.bot_removed(GROUP_ID, FACILITATOR.user_id))
    state = await bot.state()
    assert state is not None and state.status is Status.PAUSED
    assert any(
        "I was removed from the group" in t for t in bot.api.sent_texts(FACILITATOR.user_id)
    )


async def test_a_group_upgraded_to_a_supergroup_keeps_its_session(basic_group_bot: Bot) -> None:
    bot = basic_group_bot
    await bot.open("quick-demo")
    new_id = -1009998887776
    old_update, new_update = bot.api.migrate(GROUP_ID, new_id)
    await bot.feed(old_update)
    await bot.feed(new_update)
    await bot.feed(bot.api.command(FACILITATOR.user_id, new_id, "/next"))
    assert any("Stage 1 of 3" in t for t in bot.api.sent_texts(new_id))


async def test_a_send_refused_as_migrated_moves_the_session_and_retries(
    basic_group_bot: Bot,
) -> None:
    bot = basic_group_bot
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    new_id = -1009998887775
    bot.api.migrate(GROUP_ID, new_id)  # the service messages never reach the bot
    await bot.demo.answer_privately(PRIVATE_TELLER, "Shared after the upgrade.", "named")
    assert any("Shared after the upgrade." in t for t in bot.api.sent_texts(new_id))
    async with bot.store.write() as tx:
        assert await tx.session_chat(bot.demo.session_id) == (new_id, None)


async def test_flood_control_is_waited_out_and_nothing_is_lost(bot: Bot) -> None:
    await bot.open("quick-demo")
    bot.api.fail("sendMessage", 429, "Too Many Requests: retry after 1", times=1, retry_after=1)
    await bot.demo.command(FACILITATOR, "/next")
    prompts = [t for t in bot.api.sent_texts(GROUP_ID) if "Stage 1 of 3" in t]
    assert len(prompts) == 1
    assert await bot.store.outbox_pending() == []


async def test_one_unreachable_person_does_not_stop_the_group(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    bot.api.block(JEAN.user_id)
    await bot.demo.command(FACILITATOR, "/nudge")
    # Everyone else was reminded; the session went on.
    assert bot.nudged(PASCAL)
    await bot.demo.command(FACILITATOR, "/next")
    assert any("Stage 2 of 3" in t for t in bot.api.sent_texts(GROUP_ID))


async def test_a_stale_or_forged_button_changes_nothing(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:priority")
    pressed = bot.api.press(
        JEAN.user_id,
        GROUP_ID,
        prompt,
        button(Action.CHOICE, bot.demo.session_id, "priority", "lighting"),
    )
    await bot.demo.command(FACILITATOR, "/next")  # the choice stage closes
    before = await bot.state()
    stale = json.loads(json.dumps(pressed))
    stale["update_id"] = bot.api.next_update_id
    bot.api.next_update_id += 1
    await bot.feed(stale)
    forged = json.loads(json.dumps(stale))
    forged["update_id"] = bot.api.next_update_id
    bot.api.next_update_id += 1
    forged["callback_query"]["data"] = "c|zz|../../etc|x" + "y" * 80
    await bot.feed(forged)
    after = await bot.state()
    assert before is not None and after is not None
    assert after.choices == before.choices
    popups = [c.params.get("text") for c in bot.api.calls_to("answerCallbackQuery")][-2:]
    assert popups == ["That stage is not open for answers now.", "This button is no longer valid."]


async def test_refused_optional_calls_do_not_stop_a_session(bot: Bot) -> None:
    for method in ("pinChatMessage", "setMessageReaction", "getChatAdministrators"):
        bot.api.refuse(method)
    await bot.open("quick-demo")
    prompt_stage = "prompt:story"
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live(prompt_stage), "A reply nobody reacts to.")
    await bot.demo.end(FACILITATOR)
    assert any("Summary: Try Ikiganiro" in t for t in bot.api.sent_texts(GROUP_ID))


async def test_user_text_is_escaped_and_long_texts_are_split(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    await bot.demo.reply(JEAN, prompt, "<b>bold</b> & <script>")
    await bot.demo.command(FACILITATOR, "/summary")
    texts = bot.api.sent_texts(FACILITATOR.user_id)
    assert any("<b>bold</b> & <script>" in t for t in texts)  # shown literally, not as markup
    for call in bot.api.calls_to("sendMessage"):
        assert len(call.params["text"]) <= 4096


async def test_forget_erases_a_person_and_takes_back_their_shared_answer(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    for person in (JEAN, GLORIA):
        await bot.demo.reply(person, prompt, f"{person.name} answers in the group.")
    await bot.demo.answer_privately(PRIVATE_TELLER, "A story to take back later.", "anonymous")
    state = await bot.state()
    assert state is not None
    mine = [a for a in state.answers if a.user_id == PRIVATE_TELLER.user_id]
    share = await bot.demo.live(f"share:{mine[0].id}")

    me = PRIVATE_TELLER.user_id
    await bot.feed(bot.api.command(me, me, "/mydata"))
    assert "A story to take back later." in bot.api.sent_texts(me)[-1]
    await bot.feed(bot.api.command(me, me, "/forget"))
    await bot.demo.press_label(PRIVATE_TELLER, me, "Yes, erase everything")

    shown = bot.api.message(GROUP_ID, share)
    assert shown is not None and shown["deleted"]
    state = await bot.state()
    assert state is not None and me not in state.participants
    assert all(a.user_id != me for a in state.answers)
    await bot.feed(bot.api.command(me, me, "/mydata"))
    assert bot.api.sent_texts(me)[-1] == "I keep nothing about you."


async def test_someone_who_never_started_the_bot_gets_the_link_not_an_error(bot: Bot) -> None:
    await bot.demo.command(FACILITATOR, "/newsession quick-demo")  # never opened a private chat
    await bot.demo.command(FACILITATOR, "/status")
    last = bot.api.messages(GROUP_ID)[-1]
    assert "not opened a private chat with me" in last["text"]
    urls = [k.get("url", "") for row in last["reply_markup"]["inline_keyboard"] for k in row]
    assert urls and urls[0].startswith("https://t.me/ikiganiro_bot?start=h_")


async def test_what_is_kept_states_the_configured_retention(tmp_path: Path, key: DataKey) -> None:
    """The welcome and the consent request promise what the purge will actually do."""
    bot = await start_bot(new_api(), tmp_path / "bot.db", key, retention_days=30)
    try:
        await bot.open(join=False)
        person = PEOPLE[0]
        await bot.demo._feed(bot.api.start(person.user_id, f"j_{bot.demo.session_id}"))
        welcome = bot.api.sent_texts(GROUP_ID)[0]
        consent = bot.api.sent_texts(person.user_id)[-1]
    finally:
        await stop_bot(bot)
    for text in (welcome, consent):
        assert "deleted 30 days after the session ends" in text
        assert "90" not in text


async def test_a_forgotten_session_ends_by_itself_and_its_stories_expire(bot: Bot) -> None:
    """Nobody ends it, so the bot does after the idle days; the purge then follows as promised."""
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    story = "A story nobody would want kept for ever."
    await bot.demo.reply(PEOPLE[0], prompt, story)
    service = bot.intake.runtime.service
    start = service.clock()

    service.clock = lambda: start + timedelta(days=29)
    assert await bot.intake.upkeep(retention_days=90, idle_days=30) == (0, 0)

    service.clock = lambda: start + timedelta(days=31)
    assert await bot.intake.upkeep(retention_days=90, idle_days=30) == (1, 0)
    state = await bot.state()
    assert state.status is Status.ENDED
    group = bot.api.sent_texts(GROUP_ID)
    assert any("for 30 days, so it has ended by itself" in text for text in group)
    assert await bot.store.message_ref(bot.demo.session_id, "summary") is not None

    bot.intake.clock = lambda: start + timedelta(days=31 + 91)
    assert await bot.intake.upkeep(retention_days=90, idle_days=30) == (0, 1)
    assert story not in (await bot.state()).model_dump_json()


async def test_the_final_summary_replaces_the_draft_and_the_record_goes_to_the_facilitator(
    bot: Bot,
) -> None:
    """One summary in the group: /end edits the draft posted at the review into the final
    summary instead of posting a second long message; the per-stage record goes privately."""
    script = Library.load()["community-safety"]
    await bot.open()
    for index in range(len(script.stages)):
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.stage(script, index)
    draft_id = await bot.demo.live("summary")
    posted = len(bot.api.calls_to("sendMessage"))
    await bot.demo.end(FACILITATOR)
    await bot.flush()

    assert await bot.demo.live("summary") == draft_id
    final = bot.api.message(GROUP_ID, draft_id)
    assert final is not None and final["pinned"] and final["text"].startswith("Summary: ")
    group_posts = [c for c in bot.api.calls_to("sendMessage")[posted:] if c.chat_id == GROUP_ID]
    assert group_posts == []  # no second summary in the group
    private = "\n".join(bot.api.sent_texts(FACILITATOR.user_id))
    assert "Full record for the facilitators" in private
    assert "Voices at each stage" in private
