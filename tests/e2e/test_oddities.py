"""Odd updates against a running bot: what Telegram never sends, or sends from odd corners,
changes nothing, raises nothing, and the session still runs to its summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import Action, button
from bot.offline.cast import GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot
from tests.e2e.trials import odd_session

A_BOT = {"id": 5_000_001, "is_bot": True, "first_name": "Helper", "username": "helper_bot"}
SEED = 2025
ODD_UPDATES = 500


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


async def test_odd_updates_in_a_session_change_nothing_and_it_still_ends(tmp_path: Path) -> None:
    figures, odds = await odd_session(tmp_path / "bot.db", count=ODD_UPDATES, seed=SEED)
    assert figures.escaped == []  # nothing raised out of the intake
    assert figures.handled == []  # nothing reached PTB's error handler
    assert figures.logged == []  # no ERROR line but the intake's "set aside"
    assert set(figures.families) == set(odds.families)
    changes = "\n".join(f"{k}: {b}\n -> {a}" for k, (b, a) in figures.changed.items())
    assert figures.changed == {}, changes
    assert figures.applied_foreign == 0  # only the odd updates' own refusals were recorded
    assert figures.dropped > 0 and figures.set_aside > 0
    assert figures.completed  # the demo's people finished it: the summary is in the group
