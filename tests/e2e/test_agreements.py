"""Agree / Not sure / Disagree on the shared vision, as a group lives it.

Each statement of the vision stage gets one message with the three buttons (a card under a
reply in the group); a vote is acknowledged in the button's popup, privately and for free, and
shown by an edit of that one message: no message per vote. Votes wait in the outbox like any
other edit, so the sender folds many into few (measured by ``bench/votes.py``).
"""

from __future__ import annotations

from pathlib import Path

from bench.votes import session
from bot.dialogues import Library
from bot.engine.state import Agreement
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import STRANGER, Bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE


async def _at_vision(bot: Bot) -> tuple[str, int]:
    script = Library.load()["community-safety"]
    await bot.open()
    for _stage in range(script.index("vision")):
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:vision")
    await bot.demo.reply(JEAN, prompt, "Officers known by name in every quarter.")
    answer = (await bot.state()).answers[-1]
    return answer.id, await bot.demo.live(f"statement:{answer.id}")


async def test_votes_are_acknowledged_in_the_popup_and_tallied_by_editing_one_message(
    bot: Bot,
) -> None:
    answer_id, card = await _at_vision(bot)
    message = bot.api.message(GROUP_ID, card)
    assert message is not None and message["reply_to_message"]["from"]["id"] == JEAN.user_id
    posted = len(bot.api.calls_to("sendMessage", GROUP_ID))

    for person, label in ((GLORIA, "👍 Agree"), (PASCAL, "👍 Agree"), (ESPERANCE, "👎 Disagree")):
        await bot.feed(bot.api.press_label(person.user_id, GROUP_ID, label, message_id=card))
    popup = bot.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert popup == "Your vote: Disagree. You can change it with the other buttons."
    await bot.feed(
        bot.api.press_label(ESPERANCE.user_id, GROUP_ID, "🤔 Not sure", message_id=card)
    )
    await bot.flush()

    assert len(bot.api.calls_to("sendMessage", GROUP_ID)) == posted  # no message per vote
    shown = bot.api.message(GROUP_ID, card)
    assert shown is not None and "Agree: 2 · Not sure: 1 · Disagree: 0" in shown["text"]
    votes = (await bot.state()).agreements[answer_id]
    assert votes == {
        GLORIA.user_id: Agreement.AGREE,
        ESPERANCE.user_id: Agreement.UNSURE,
        PASCAL.user_id: Agreement.AGREE,
    }


async def test_only_participants_vote(bot: Bot) -> None:
    _, card = await _at_vision(bot)
    await bot.feed(bot.api.press_label(STRANGER.user_id, GROUP_ID, "👍 Agree", message_id=card))
    popup = bot.api.calls_to("answerCallbackQuery")[-1].params["text"]
    assert "join" in popup.lower()
    assert (await bot.state()).agreements == {}


async def test_a_burst_of_votes_folds_into_few_edits_and_every_card_ends_exact(
    tmp_path: Path,
) -> None:
    """``bench/votes.py``'s scene, small: under Telegram's limits, more votes than the group's
    budget allows edits; the cards end showing exactly the votes kept, never one behind."""
    figures = await session(people_count=12, statements=6, directory=tmp_path)
    assert figures["votes"] == 72
    assert figures["exact"]
    assert figures["edits"] < figures["votes"]  # folded, not one edit per vote
    assert figures["refused"] == 0
