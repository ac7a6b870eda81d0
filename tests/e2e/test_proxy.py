"""Answers without a phone: a facilitator adds someone present in the room who has no Telegram
(``/addperson NAME ROLE`` in private) and gives their answers (``/for NUMBER TEXT``).

Such a person is counted in their role, their answers are shown marked as added by the
facilitator wherever their name appears, and the bot never writes to their (synthetic) id.
"""

from __future__ import annotations

from bot.callbacks import Action, button
from bot.dialogues import Library
from bot.engine.state import Agreement, Role
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


# --- voting and endorsing for them --------------------------------------------------------------


def _popup(bot: Bot) -> str:
    return str(bot.api.calls_to("answerCallbackQuery")[-1].params.get("text", ""))


async def _marie(bot: Bot) -> int:
    (marie,) = [p for p in (await bot.state()).participants.values() if p.proxy]
    return marie.user_id


async def test_a_facilitator_chooses_and_endorses_for_the_person_they_added(bot: Bot) -> None:
    """``/for N`` alone opens a private card of what is open now; each press is answered in
    its popup (free) and counts as the person's, in their role, wherever votes are counted."""
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    marie = await _marie(bot)
    await bot.demo.command(FACILITATOR, "/next")  # the choice stage
    await _private(bot, FACILITATOR.user_id, f"/for {-marie}")
    card = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "Acting for Marie" in card
    fac = FACILITATOR.user_id
    await bot.feed(bot.api.press_label(fac, fac, "Street lighting"))
    assert _popup(bot) == "For Marie: Street lighting."
    state = await bot.state()
    assert state.choices["priority"][marie] == ["lighting"]
    await bot.flush()
    prompt = bot.api.message(GROUP_ID, await bot.demo.live("prompt:priority"))
    assert prompt is not None and "Street lighting: 1 vote" in prompt["text"]
    await bot.demo.command(FACILITATOR, "/status")
    assert MARK in bot.api.sent_texts(fac)[-1].split("Not heard")[0]  # among those who chose

    await bot.demo.command(FACILITATOR, "/next")  # the commitments
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:commit"), "Light the market path.")
    await _private(bot, fac, f"/for {-marie}")
    await bot.feed(bot.api.press_label(fac, fac, "🤝 Endorse 1"))
    assert _popup(bot) == "Marie endorses this commitment now."
    (commitment,) = (await bot.state()).commitments
    assert commitment.endorsers == [marie]
    await bot.flush()
    shown = bot.api.message(GROUP_ID, await bot.demo.live(f"commitment:{commitment.id}"))
    assert shown is not None and "1 community member" in shown["text"]


async def test_a_facilitator_votes_on_the_vision_for_them_from_the_button(bot: Bot) -> None:
    script = Library.load()["community-safety"]
    await bot.open()
    for _stage in range(script.index("vision") + 1):
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:vision"), "Officers known by name.")
    (statement,) = (await bot.state()).answers
    fac = FACILITATOR.user_id
    await _private(bot, fac, "/addperson Marie umuturage")
    await bot.feed(bot.api.press_label(fac, fac, "Vote or endorse for Marie"))
    assert "Officers known by name." in bot.api.sent_texts(fac)[-1]
    await bot.feed(bot.api.press_label(fac, fac, "1 👍"))
    assert _popup(bot) == "For Marie: Agree."
    marie = await _marie(bot)
    assert (await bot.state()).agreements[statement.id] == {marie: Agreement.AGREE}
    await bot.flush()
    card = bot.api.message(GROUP_ID, await bot.demo.live(f"statement:{statement.id}"))
    assert card is not None and "Agree: 1" in card["text"]


async def test_only_a_facilitator_acts_for_an_added_person(bot: Bot) -> None:
    """The card's buttons are refused to anyone else, even pressed with the right data."""
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    marie = await _marie(bot)
    await bot.demo.command(FACILITATOR, "/next")
    data = button(Action.CHOICE_FOR, bot.demo.session_id, str(-marie), "priority", "lighting")
    await bot.feed(bot.api.press_anyway(JEAN.user_id, JEAN.user_id, data))
    assert "facilitator" in _popup(bot)
    await _private(bot, JEAN.user_id, f"/for {-marie}")
    assert "Acting for" not in bot.api.sent_texts(JEAN.user_id)[-1]
    # A participant's own id is no added person's number: nobody votes for a real person.
    data = button(Action.CHOICE_FOR, bot.demo.session_id, "0", "priority", "lighting")
    await bot.feed(bot.api.press_anyway(FACILITATOR.user_id, FACILITATOR.user_id, data))
    assert "priority" not in (await bot.state()).choices


# --- erasing them -------------------------------------------------------------------------------


async def test_a_facilitator_erases_a_person_they_added_and_all_given_for_them(bot: Bot) -> None:
    """``/forget N`` asks privately, its button erases as a person's own /forget does: the
    answer posted for them is taken back, their choice leaves the tally, the group's counts
    are redrawn."""
    await _at_story(bot)
    fac = FACILITATOR.user_id
    await _private(bot, fac, "/addperson Marie resident")
    marie = await _marie(bot)
    await _private(bot, fac, f"/for {-marie} The road by the market is dark at night.")
    (answer,) = (await bot.state()).answers
    shared = await bot.demo.live(f"share:{answer.id}")
    await bot.demo.command(FACILITATOR, "/next")
    await _private(bot, fac, f"/for {-marie}")
    await bot.feed(bot.api.press_label(fac, fac, "Street lighting"))

    await _private(bot, fac, f"/forget {-marie}")
    assert "Erase Marie" in bot.api.sent_texts(fac)[-1]
    await bot.feed(bot.api.press_label(fac, fac, "No, keep it"))
    assert _popup(bot) == "Nothing was erased."
    assert marie in (await bot.state()).participants
    await bot.feed(bot.api.press_label(fac, fac, "Erase Marie"))
    assert _popup(bot) == "Marie is erased, with everything given for them."

    state = await bot.state()
    assert marie not in state.participants and state.answers == []
    assert "priority" not in state.choices
    assert FACILITATOR.user_id in state.facilitators  # nobody else is touched
    await bot.flush()
    withdrawn = bot.api.message(GROUP_ID, shared)
    assert withdrawn is not None and withdrawn["deleted"]  # taken back from the group
    prompt = bot.api.message(GROUP_ID, await bot.demo.live("prompt:priority"))
    assert prompt is not None and "Street lighting: 0 votes" in prompt["text"]


async def test_only_a_facilitator_erases_an_added_person_and_own_forget_is_unchanged(
    bot: Bot,
) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    marie = await _marie(bot)
    await bot.feed(bot.api.text(JEAN.user_id, JEAN.user_id, "A draft of mine."))
    await _private(bot, JEAN.user_id, f"/forget {-marie}")
    data = button(Action.REMOVE, bot.demo.session_id, str(-marie), "1")
    await bot.feed(bot.api.press_anyway(JEAN.user_id, JEAN.user_id, data))
    assert marie in (await bot.state()).participants
    await _private(bot, JEAN.user_id, "/forget")  # a person's own erasure, as before
    await bot.feed(bot.api.press_label(JEAN.user_id, JEAN.user_id, "Yes, erase everything"))
    state = await bot.state()
    assert JEAN.user_id not in state.participants and marie in state.participants


async def test_an_added_person_is_erased_after_the_end_too(bot: Bot) -> None:
    """They cannot ask for it themselves: the facilitator can, as long as the session is kept."""
    await _at_story(bot)
    fac = FACILITATOR.user_id
    await _private(bot, fac, "/addperson Marie resident")
    marie = await _marie(bot)
    await _private(bot, fac, f"/for {-marie} The road by the market is dark at night.")
    await bot.demo.command(FACILITATOR, "/end")
    await bot.feed(bot.api.press_label(fac, fac, "End the session"))
    await _private(bot, fac, f"/forget {-marie}")
    await bot.feed(bot.api.press_label(fac, fac, "Erase Marie"))
    state = await bot.state()
    assert marie not in state.participants and state.answers == []


async def test_help_in_private_shows_a_facilitator_what_acts_for_someone(bot: Bot) -> None:
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/help")
    text = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert all(f"/{name} " in text for name in ("addperson", "for", "forget"))
    await _private(bot, JEAN.user_id, "/help")
    assert "/addperson" not in bot.api.sent_texts(JEAN.user_id)[-1]


async def test_the_summaries_say_how_many_took_part_through_a_facilitator(bot: Bot) -> None:
    """Their votes are counts like anyone's; the summary and the record say how many of those
    counted took part without a phone."""
    await _at_story(bot)
    await _private(bot, FACILITATOR.user_id, "/addperson Marie resident")
    await bot.demo.command(FACILITATOR, "/summary")
    record = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert "1 of them without a phone, through a facilitator" in record
    await bot.demo.command(FACILITATOR, "/end")
    await bot.feed(
        bot.api.press_label(FACILITATOR.user_id, FACILITATOR.user_id, "End the session")
    )
    summary = next(t for t in reversed(bot.api.sent_texts(GROUP_ID)) if t.startswith("Summary"))
    assert "1 of them without a phone, through a facilitator" in summary
