"""Who administers a chat, and who is in it, asked of Telegram and remembered for a while.

Chat administrators may lead a session as facilitators do. The engine decides with what the
service tells it; this is where the service's question meets Telegram. If Telegram will not say
(the bot is not allowed to ask), nobody is assumed an administrator, and only the facilitators
lead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

from telegram import Bot, ChatMember, ChatMemberRestricted
from telegram.error import BadRequest, TelegramError

log = logging.getLogger(__name__)

CACHE_SECONDS = 600


class Administrators:
    def __init__(self, bot: Bot, *, cache_seconds: float = CACHE_SECONDS) -> None:
        self.bot = bot
        self.cache_seconds = cache_seconds
        self._known: dict[int, tuple[float, frozenset[int]]] = {}
        self._refused = False
        # Asked ahead of a batch and not answered: nobody there is taken for an administrator
        # until the batch is over, without asking again inside its transaction.
        self._unknown: set[int] = set()

    async def ahead(self, chats: Iterable[int]) -> None:
        """Ask for every chat's administrators at once, before a batch of updates; a chat
        Telegram does not answer for stays unknown until :meth:`behind`."""
        asked = list(chats)
        await asyncio.gather(*(self(chat, 0) for chat in asked))
        self._unknown = {chat for chat in asked if self._fresh(chat) is None}

    def _fresh(self, chat_id: int) -> frozenset[int] | None:
        """The chat's administrators as last asked, unless that was too long ago."""
        cached = self._known.get(chat_id)
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        return None

    def behind(self) -> None:
        """The batch is over: a chat Telegram did not answer for is asked again next time."""
        self._unknown.clear()

    async def __call__(self, chat_id: int, user_id: int) -> bool:
        if chat_id in self._unknown:
            return False
        fresh = self._fresh(chat_id)
        if fresh is not None:
            return user_id in fresh
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


MEMBER_CACHE_SECONDS = 300
_MEMBERS = (ChatMember.OWNER, ChatMember.ADMINISTRATOR, ChatMember.MEMBER)


class Members:
    """Whether a person is in a chat now, asked of Telegram (``getChatMember``) and remembered
    for a few minutes, so a burst of votes costs one call per person, not one per press.

    ``None`` when Telegram would not say (a network fault, the bot no longer in the chat): the
    service then lets the act through rather than lose an answer, and the log says so once. A
    ``chat_member`` update or a ``left_chat_member`` message makes :meth:`forget` drop what was
    remembered, so someone who just left is asked about again, not trusted for minutes.
    """

    def __init__(self, bot: Bot, *, cache_seconds: float = MEMBER_CACHE_SECONDS) -> None:
        self.bot = bot
        self.cache_seconds = cache_seconds
        self._known: dict[tuple[int, int], tuple[float, bool]] = {}
        self._failed = False
        # Asked ahead of a batch (bot.telegram.lookahead) and not answered: not asked again,
        # one by one inside the batch's transaction, until the batch is over (:meth:`behind`).
        self._unknown: set[tuple[int, int]] = set()

    async def ahead(self, pairs: Iterable[tuple[int, int]]) -> None:
        """Ask for every (chat, user) pair at once, before a batch of updates; those Telegram
        does not answer stay unknown (the acts go through) until :meth:`behind`."""
        asked = list(pairs)
        answers = await asyncio.gather(*(self(chat, user) for chat, user in asked))
        self._unknown = {
            pair for pair, answer in zip(asked, answers, strict=True) if answer is None
        }

    def behind(self) -> None:
        """The batch is over: what Telegram did not answer is asked again next time."""
        self._unknown.clear()

    async def __call__(self, chat_id: int, user_id: int) -> bool | None:
        if (chat_id, user_id) in self._unknown:
            return None
        cached = self._known.get((chat_id, user_id))
        if cached is not None and time.monotonic() - cached[0] < self.cache_seconds:
            return cached[1]
        try:
            member = await self.bot.get_chat_member(chat_id, user_id)
        except BadRequest:
            present = False  # "user not found", "participant_id_invalid": not in the chat
        except TelegramError as error:
            if not self._failed:
                self._failed = True
                log.warning("membership lookup failed (%s): acts are let through", error)
            return None
        else:
            present = member.status in _MEMBERS or bool(
                isinstance(member, ChatMemberRestricted) and member.is_member
            )
        if len(self._known) > 10_000:  # a bound: a flood of strangers cannot grow it forever
            self._known.clear()
        self._known[(chat_id, user_id)] = (time.monotonic(), present)
        return present

    def forget(self, chat_id: int, user_id: int | None = None) -> None:
        """Someone left (or the bot did): what was remembered about them is stale."""
        for key in [k for k in self._known if k[0] == chat_id and user_id in (None, k[1])]:
            del self._known[key]
