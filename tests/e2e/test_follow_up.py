"""/newsession follow-up goes through the group's earlier commitments, card by card, in the
same database: the side that acts reports where each stands (carried back to the session that
made it), replies to a card say what helped, and the summary shows each one's history."""

from __future__ import annotations

from bot.callbacks import Action, button
from bot.engine.state import Progress
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot
from tests.e2e.test_commitments_live import PROMISE, popups, session_with_a_police_commitment

JEAN, _, ESPERANCE, PASCAL = PEOPLE
HELPED = "The market committee gave us the board at once."


async def test_a_follow_up_goes_through_the_earlier_commitments(bot: Bot) -> None:
    cid = await session_with_a_police_commitment(bot)
    first = bot.demo.session_id
    follow = await bot.open("follow-up")
    assert follow != first
    for _ in range(2):  # welcome back, then the earlier commitments
        await bot.demo.command(FACILITATOR, "/next")
    card = await bot.demo.live("earlier:e1")
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None
    assert PROMISE in shown["text"] and "Commitment 1 of 1" in shown["text"]

    wrong = button(Action.PROGRESS, follow, "e1", "done")
    await bot.demo.press(ESPERANCE, GROUP_ID, card, wrong)  # a resident; the police act
    assert "Only those who act on this commitment (the police)" in popups(bot.api)[-1]
    await bot.demo.press_label(JEAN, GROUP_ID, "in progress", message_id=card)
    assert popups(bot.api)[-1] == "Saved: in progress. Thank you."
    edited = bot.api.message(GROUP_ID, card)
    assert edited is not None and "Where it stands: in progress (since" in edited["text"]
    await bot.demo.reply(ESPERANCE, card, HELPED)

    made = await bot.intake.runtime.service.state(first)
    assert made is not None
    (kept,) = made.commitments
    assert (kept.id, kept.status) == (cid, Progress.IN_PROGRESS)  # carried back
    await bot.demo.command(PASCAL, "/commitments")
    assert f"“{PROMISE}” — who: the police" in bot.api.sent_texts(GROUP_ID)[-1]
    assert "in progress" in bot.api.sent_texts(GROUP_ID)[-1]

    for _ in range(3):  # anything else, next steps, the review
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.press_label(ESPERANCE, GROUP_ID, "Quote my stories")  # the note is a story
    await bot.demo.end(FACILITATOR)
    summary = bot.api.message(GROUP_ID, await bot.demo.live("summary"))
    assert summary is not None
    text = summary["text"]
    assert "Our earlier commitments" in text
    assert f"“{PROMISE}” — who: the police" in text
    assert "open → in progress (" in text
    assert f"“{HELPED}” — Espérance (community member)" in text


async def test_a_follow_up_without_earlier_commitments_says_so(bot: Bot) -> None:
    await bot.open("follow-up")
    for _ in range(2):
        await bot.demo.command(FACILITATOR, "/next")
    assert "no earlier commitments to look at yet" in bot.api.sent_texts(GROUP_ID)[-1]
