"""Who administers a chat, asked of Telegram and remembered for a while.

Chat administrators may lead a session as facilitators do. The engine decides with what the
service tells it; this is where the service's question meets Telegram. If Telegram will not say
(the bot is not allowed to ask), nobody is assumed an administrator, and only the facilitators
lead.
"""

from __future__ import annotations

import logging
import time

from telegram import Bot
from telegram.error import TelegramError

log = logging.getLogger(__name__)

CACHE_SECONDS = 600


class Administrators:
    def __init__(self, bot: Bot, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.bot = bot
        self.cache_seconds = cache_seconds
        self._known: dict[int, tuple[float, frozenset[int]]] = {}
        self._refused = False

    async def __call__(self, chat_id: int, user_id: int) -> bool:
        cached = self._known.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return user_id in cached[1]
        try:
            members = await self.bot.get_chat_administrators(chat_id)
        except TelegramError as error:
            if not self._refused:
                self._refused = True
                log.warning("administrator lookup refused (%s): only facilitators lead", error)
            return False
        ids = frozenset(m.user.id for m in members)
        self._known[chat_id] = (time.monotonic(), ids)
        return user_id in ids

    def forget(self, chat_id: int) -> None:
        """The bot left the chat: what it knew of its administrators is stale."""
        self._known.pop(chat_id, None)
