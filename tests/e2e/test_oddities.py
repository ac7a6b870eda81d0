"""Odd updates against a running bot: what Telegram never sends, or sends from odd corners,
changes nothing, raises nothing, and the session still runs to its summary."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.callbacks import Action, button
from bot.dialogues import Library
from bot.engine.state import Status
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.offline.oddities import Odd, Oddities, Scene
from tests.e2e.conftest import _PACES, STRANGER, Bot

A_BOT = {"id": 5_000_001, "is_bot": True, "first_name": "Helper", "username": "helper_bot"}
SEED = 2025
ODD_UPDATES = 500
MIDDLE = 3  # the odd updates come once the demo's people have told their safe-place stories


def _pressed_by(bot: Bot, user: dict[str, Any], message_id: int, data: str) -> dict[str, Any]:
    """A button press as Telegram would send it, whoever ``user`` is and whatever ``data``."""
    message = bot.api.message(GROUP_ID, message_id)
    update = {
        "update_id": bot.api.next_update_id,
        "callback_query": {
            "id": f"77{bot.api.next_update_id}",
            "from": user,
            "message": message,
            "chat_instance": "42",
            "data": data,
        },
    }
    bot.api.next_update_id += 1
    return update


async def test_a_bot_pressing_a_consent_button_joins_nothing(bot: Bot) -> None:
    session_id = await bot.open("quick-demo", join=False)
    welcome = await bot.demo.live("welcome")
    await bot.intake.feed(
        _pressed_by(bot, A_BOT, welcome, button(Action.CONSENT, session_id, "1"))
    )
    assert (await bot.state()).participants == {}
    assert (await bot.store.status()).unprocessed_updates == 0


@pytest.mark.parametrize("value", ["2", "yes", "true", "01"])
async def test_a_consent_or_quote_button_saying_neither_yes_nor_no_changes_nobody(
    bot: Bot, value: str
) -> None:
    session_id = await bot.open("quick-demo")
    welcome = await bot.demo.live("welcome")
    jean = bot.api._users[PEOPLE[0].user_id]
    before = await bot.state()
    for action in (Action.CONSENT, Action.QUOTE):  # "k|sid|2" was taken for "no": erased
        await bot.intake.feed(_pressed_by(bot, jean, welcome, f"{action}|{session_id}|{value}"))
    after = await bot.state()
    assert after.participants == before.participants
    assert after.answers == before.answers


@dataclass
class Watch:
    """What went wrong while odd updates were fed: PTB's error handler, ERROR log lines other
    than the intake's set-aside line, and exceptions that escaped the intake."""

    handled: list[BaseException] = field(default_factory=list)
    escaped: list[tuple[str, str]] = field(default_factory=list)
    families: Counter[str] = field(default_factory=Counter)

    async def record(self, update: object, context: Any) -> None:
        self.handled.append(context.error)

    @staticmethod
    def unexpected(caplog: pytest.LogCaptureFixture) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()}"
            for r in caplog.records
            if r.levelno >= logging.ERROR
            and not (r.name == "bot.telegram.intake" and "set aside" in r.getMessage())
        ]


async def feed_odd(bot: Bot, odd: Odd, watch: Watch) -> None:
    """One odd update, straight into the intake (privacy mode would hide some: not here)."""
    watch.families[odd.family] += 1
    _PACES[bot.api].advance(2.0)  # a couple of seconds pass between odd updates
    try:
        await bot.intake.feed(odd.update)
    except Exception as error:  # reported at the end, with its family
        watch.escaped.append((odd.family, repr(error)[:200]))


async def scene_of(bot: Bot, stage_id: str) -> Scene:
    state = await bot.state()
    answers = tuple(
        (a.user_id, int(a.source_ref.split(":")[1]))
        for a in state.answers
        if a.source_ref and a.source_ref.startswith(f"{GROUP_ID}:")
    )
    return Scene(
        group_id=GROUP_ID,
        session_id=bot.demo.session_id,
        facilitator=FACILITATOR.user_id,
        members=tuple(p.user_id for p in PEOPLE),
        stranger=STRANGER.user_id,
        prompt=await bot.demo.live(f"prompt:{stage_id}"),
        answers=answers,
    )


async def snapshot(bot: Bot) -> tuple[dict[str, Any], set[str], Any]:
    """The session as stored, the ids of the events it applied, and where it lives.

    ``applied`` is compared apart: a refused event is recorded there too (so its redelivery
    does not repeat the refusal), which is its purpose, not a change of the session.
    """
    state = (await bot.state()).model_dump(mode="json")
    applied = set(state.pop("applied"))
    async with bot.store.read() as tx:
        where = await tx.session_chat(bot.demo.session_id)
    return state, applied, where


async def test_odd_updates_in_a_session_change_nothing_and_it_still_ends(
    bot: Bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    script = Library.load()["community-safety"]
    watch = Watch()
    bot.app.add_error_handler(watch.record)
    await bot.open()
    for index in range(MIDDLE + 1):
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.stage(script, index)
    scene = await scene_of(bot, script.stages[MIDDLE].id)
    assert scene.answers  # edits of real answers are among the odd updates
    (state, applied, where) = await snapshot(bot)
    odds = Oddities(bot.api, scene, seed=SEED)
    for odd in odds.take(ODD_UPDATES):
        await feed_odd(bot, odd, watch)

    assert watch.escaped == []
    assert watch.handled == []
    assert Watch.unexpected(caplog) == []
    assert set(watch.families) == set(odds.families)
    (state_after, applied_after, where_after) = await snapshot(bot)
    changed = {k: (state[k], state_after[k]) for k in state if state[k] != state_after[k]}
    assert changed == {}, "\n".join(f"{k}: {b}\n -> {a}" for k, (b, a) in changed.items())
    assert where_after == where
    odd_ids = {o for o in odds.issued}
    assert {int(i[1:].split(":")[0]) for i in applied_after - applied} <= odd_ids
    status = await bot.store.status()
    assert status.unprocessed_updates == 0
    assert bot.intake.dropped > 0 and bot.intake.set_aside > 0

    for index in range(MIDDLE + 1, len(script.stages)):
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.stage(script, index)
    await bot.demo.end(FACILITATOR)
    summary = bot.api.message(GROUP_ID, await bot.demo.live("summary"))
    assert summary is not None and "4 people" in summary["text"]
    assert (await bot.state()).status is Status.ENDED
    assert watch.handled == [] and Watch.unexpected(caplog) == []
