"""Odd updates against a running bot: what Telegram never sends, or sends from odd corners,
changes nothing, raises nothing, and the session still runs to its summary."""

from __future__ import annotations

from typing import Any

from bot.callbacks import Action, button
from bot.offline.cast import GROUP_ID
from tests.e2e.conftest import Bot

A_BOT = {"id": 5_000_001, "is_bot": True, "first_name": "Helper", "username": "helper_bot"}


def _pressed_by(bot: Bot, user: dict[str, Any], message_id: int, data: str) -> dict[str, Any]:
    """A button press as Telegram would send it, whoever ``user`` is and whatever ``data``."""
    message = bot.api.message(GROUP_ID, message_id)
    update = {"update_id": bot.api.next_update_id, "callback_query": {
        "id": f"77{bot.api.next_update_id}", "from": user, "message": message,
        "chat_instance": "42", "data": data}}  # fmt: skip
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
