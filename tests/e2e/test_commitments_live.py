"""Commitments live on after their session: one reminder when the date comes, with status
buttons for the side that acts, kept in the database through a restart and past the purge of
the session's stories; ``/commitments`` lists what is still open, at any time."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from bot.callbacks import Action, button
from bot.demo import DEMO_MOMENT
from bot.offline.api import FakeBotApi
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey
from tests.e2e.conftest import Bot, new_api, start_bot, stop_bot

JEAN, _, ESPERANCE, PASCAL = PEOPLE
PROMISE = "Light the market path before the rains."


class Clock:
    """A fake clock the test moves; the bot reads it wherever it asks the time."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


async def session_with_a_police_commitment(bot: Bot) -> str:
    """quick-demo to its end, with one commitment the police act on, due in two weeks."""
    await bot.open("quick-demo")
    for _ in range(3):
        await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.reply(JEAN, await bot.demo.live("prompt:commit"), PROMISE)
    cid = await bot.demo.last_commitment()
    await bot.demo.settle(JEAN, cid, "police", "2w")
    await bot.demo.end(FACILITATOR)
    return cid


def reminders(api: FakeBotApi) -> list[str]:
    return [t for t in api.sent_texts(GROUP_ID) if "The date has come" in t]


def popups(api: FakeBotApi) -> list[str]:
    return [str(c.params.get("text")) for c in api.calls_to("answerCallbackQuery")]


async def test_one_reminder_comes_after_a_restart_and_the_owners_report_its_status(
    tmp_path: Path, key: DataKey
) -> None:
    api, clock = new_api(), Clock(DEMO_MOMENT)
    first = await start_bot(api, tmp_path / "bot.db", key, clock=clock)
    cid = await session_with_a_police_commitment(first)
    session_id = first.demo.session_id
    clock.now += timedelta(days=13)
    await first.intake.tick()
    await stop_bot(first)
    assert reminders(api) == []  # not yet due

    clock.now += timedelta(days=2)
    second = await start_bot(api, tmp_path / "bot.db", key, clock=clock)
    second.demo.session_id = session_id
    try:
        await second.intake.tick()
        await second.intake.tick()
        (reminder,) = reminders(api)
        assert PROMISE in reminder
        assert "Who acts: the police" in reminder
        message_id = await second.demo.live(f"due:{cid}")
        edits = len(api.calls_to("editMessageText", GROUP_ID))
        done = button(Action.PROGRESS, session_id, cid, "done")
        await second.demo.press(ESPERANCE, GROUP_ID, message_id, done)  # a resident: not theirs
        assert "Only those who act on this commitment (the police)" in popups(api)[-1]
        assert len(api.calls_to("editMessageText", GROUP_ID)) == edits
        await second.demo.press_label(JEAN, GROUP_ID, "done", message_id=message_id)
        assert popups(api)[-1] == "Saved: done. Thank you."
        (edit,) = api.calls_to("editMessageText", GROUP_ID)[edits:]
        assert "Where it stands: done (since" in edit.params["text"]
        (c,) = (await second.state()).commitments
        assert [(h.status.value, h.at) for h in c.history] == [("done", clock.now)]
        assert len(reminders(api)) == 1
    finally:
        await stop_bot(second)


async def test_a_reminder_outlives_the_purge_of_the_sessions_stories(
    tmp_path: Path, key: DataKey
) -> None:
    api, clock = new_api(), Clock(DEMO_MOMENT)
    bot = await start_bot(api, tmp_path / "bot.db", key, clock=clock, retention_days=7)
    try:
        await session_with_a_police_commitment(bot)
        clock.now += timedelta(days=8)
        bot.intake.clock = clock
        assert await bot.intake.upkeep(retention_days=7, idle_days=30) == (0, 1)
        clock.now += timedelta(days=7)
        await bot.intake.tick()
        (reminder,) = reminders(api)
        assert PROMISE in reminder
    finally:
        await stop_bot(bot)


async def test_commitments_lists_the_open_ones_in_one_message(
    tmp_path: Path, key: DataKey
) -> None:
    api, clock = new_api(), Clock(DEMO_MOMENT)
    bot = await start_bot(api, tmp_path / "bot.db", key, clock=clock)
    try:
        cid = await session_with_a_police_commitment(bot)
        before = len(api.sent_texts(GROUP_ID))
        await bot.demo.command(PASCAL, "/commitments")
        (listing,) = api.sent_texts(GROUP_ID)[before:]
        assert "Our open commitments (1)" in listing
        assert f"“{PROMISE}” — who: the police" in listing
        clock.now += timedelta(days=15)
        await bot.intake.tick()
        message_id = await bot.demo.live(f"due:{cid}")
        await bot.demo.press_label(JEAN, GROUP_ID, "done", message_id=message_id)
        await bot.demo.command(PASCAL, "/commitments")
        assert api.sent_texts(GROUP_ID)[-1] == "This group has no open commitments."
    finally:
        await stop_bot(bot)
