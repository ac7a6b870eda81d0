"""Turns outbox rows into Bot API calls: at least once, in order, and politely.

Each row is deleted only after Telegram accepted it, so a crash can at worst repeat one
message; it never loses one. Telegram's refusals are sorted by what they mean:

- 429 (``RetryAfter``): wait as long as asked, then try the same row again;
- a group upgraded to a supergroup (``ChatMigrated``): move the session and retry there;
- 403 for one person (``Forbidden``): that person cannot be reached; the group is told how to
  open a private chat with the bot, and nothing else stops;
- optional calls (reactions, pins) that are refused: logged once, then skipped;
- "message is not modified": the edit already happened.

Edits of the same live message waiting in one batch are coalesced to the last, so a busy vote
costs one call instead of one per press.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReactionTypeEmoji,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.callbacks import StartKind, start_url
from bot.i18n.catalog import translator
from bot.storage import Store
from bot.telegram.waiting import unless_stopped
from bot.words.markup import split_message

log = logging.getLogger(__name__)

POINT_AGAIN_AFTER = 600.0  # seconds between two "open a private chat" posts in one group

# Refused optional calls are logged once per kind, not once per message.
_warned: set[str] = set()


def _warn_once(kind: str, error: Exception) -> None:
    if kind not in _warned:
        _warned.add(kind)
        log.warning("Telegram refused %s (%s); carrying on without it", kind, error)


def _markup(keys: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not keys:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(k["text"], url=k["url"])
                if "url" in k
                else InlineKeyboardButton(k["text"], callback_data=k.get("data"))
                for k in row
            ]
            for row in keys
        ]
    )


def _lane(session_id: str | None, payload: dict[str, Any]) -> str:
    """The chat a row is for; a button's answer has none and goes alone, at once."""
    if payload.get("op") == "popup":
        return f"popup:{payload.get('callback_id')}"
    chat_id = payload.get("chat_id")
    if chat_id is not None:
        return f"chat:{chat_id}"
    return f"session:{session_id}"  # rows queued before they carried their chat


def seconds(value: int | timedelta) -> float:
    """PTB gives time periods as int or timedelta, depending on ``PTB_TIMEDELTA``."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Sender:
    def __init__(self, bot: Bot, store: Store, *, max_wait: float = 60.0) -> None:
        self.bot = bot
        self.store = store
        self.max_wait = max_wait
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        # When each group was last shown the private-chat button, so a nudge round to many
        # unreachable people posts it once, not once per person.
        self._pointed: dict[int, float] = {}

    def wake(self) -> None:
        """New rows are in the outbox: a running :meth:`drain` or :meth:`run` takes them up."""
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, every: float = 5.0) -> None:
        """Send in the background until ``stop``: when woken, and every few seconds for rows
        that had to wait (a flood limit, the network)."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except Exception:
                log.exception("sending failed; trying again shortly")
            with contextlib.suppress(TimeoutError):
                await unless_stopped(asyncio.wait_for(self._wake.wait(), every), stop)

    async def drain(self) -> int:
        """Send everything that can go now; returns how many rows were delivered or settled.

        Rows run in lanes, one per chat, side by side: a group waiting out its flood limit
        holds up only itself, not the other groups nor anyone's private chat, and rows that
        arrive meanwhile start at once in their own lanes. Within a lane the order is kept,
        so an edit or a pin never overtakes the message it is about. A lane that must wait
        is left for the next drain.
        """
        async with self._lock:
            running: dict[str, asyncio.Task[tuple[int, bool]]] = {}
            try:
                return await self._drain(running)
            finally:
                for task in running.values():  # cancelled from outside: no lane outlives it
                    task.cancel()

    async def _drain(self, running: dict[str, asyncio.Task[tuple[int, bool]]]) -> int:
        settled = 0
        waiting: set[str] = set()
        while True:
            self._wake.clear()
            settled += await self._start_lanes(running, waiting)
            if not running:
                return settled
            woken = asyncio.ensure_future(self._wake.wait())
            try:
                await asyncio.wait([*running.values(), woken], return_when=asyncio.FIRST_COMPLETED)
            finally:
                woken.cancel()
            for lane, task in list(running.items()):
                if task.done():
                    del running[lane]
                    done, finished = task.result()
                    settled += done
                    if not finished:
                        waiting.add(lane)

    async def _start_lanes(
        self, running: dict[str, asyncio.Task[tuple[int, bool]]], waiting: set[str]
    ) -> int:
        """Start a task for every lane with rows that is neither running nor waiting."""
        settled = 0
        rows = await self.store.outbox_pending(limit=1000)
        last_edit = {(sid, p["key"]): oid for oid, sid, p in rows if p.get("op") == "edit"}
        lanes: dict[str, list[tuple[int, str | None, dict[str, Any]]]] = {}
        for outbox_id, session_id, payload in rows:
            lane = _lane(session_id, payload)
            if lane in running or lane in waiting:
                continue  # its task owns these rows, or they wait for the next drain
            if (
                payload.get("op") == "edit"
                and last_edit.get((session_id, payload["key"])) != outbox_id
            ):
                await self.store.outbox_done(outbox_id)  # a later edit supersedes it
                settled += 1
                continue
            lanes.setdefault(lane, []).append((outbox_id, session_id, payload))
        for lane, lane_rows in lanes.items():
            running[lane] = asyncio.create_task(self._lane(lane_rows))
        return settled

    async def _lane(self, rows: list[tuple[int, str | None, dict[str, Any]]]) -> tuple[int, bool]:
        """Deliver one chat's rows in order; stops at the first that must wait."""
        done = 0
        for outbox_id, session_id, payload in rows:
            if not await self._deliver(outbox_id, session_id, payload):
                return done, False
            await self.store.outbox_done(outbox_id)
            done += 1
        return done, True

    async def _deliver(
        self, outbox_id: int, session_id: str | None, payload: dict[str, Any]
    ) -> bool:
        """True when the row is settled (sent, or refused for good)."""
        for _attempt in range(5):
            try:
                await self._perform(session_id, payload)
            except RetryAfter as error:
                wait = seconds(error.retry_after)
                log.warning("flood control: waiting %.0f s", wait)
                await asyncio.sleep(min(wait, self.max_wait))
                continue
            except ChatMigrated as error:
                old = payload.get("chat_id")
                if isinstance(old, int):
                    async with self.store.write() as tx:
                        await tx.migrate_chat(old, error.new_chat_id)
                    payload = {**payload, "chat_id": error.new_chat_id}
                    await self.store.outbox_replace(outbox_id, payload)
                    continue
                return True
            except Forbidden as error:
                await self._unreachable(session_id, payload, error)
                return True
            except BadRequest as error:
                if "not modified" in error.message:
                    return True
                log.warning("Telegram refused %s: %s", payload.get("op"), error.message)
                return True
            except TelegramError as error:  # network trouble: keep the row, try later
                log.warning("sending failed, will retry: %s", error)
                return False
            return True
        return False

    async def _unreachable(
        self, session_id: str | None, payload: dict[str, Any], error: Forbidden
    ) -> None:
        """A person who never opened a private chat gets the link in the group, not an error."""
        fallback = payload.get("fallback")
        if payload.get("op") != "send" or not fallback:
            log.info("a chat is unreachable (%s); skipped", error.message)
            return
        now = time.monotonic()
        if now - self._pointed.get(fallback["chat_id"], -POINT_AGAIN_AFTER) < POINT_AGAIN_AFTER:
            return
        self._pointed[fallback["chat_id"]] = now
        tr = translator(fallback.get("language"))
        text = tr.gettext(
            "Some of you have not opened a private chat with me yet, so I cannot write to you. "
            "Please press the button below once."
        )
        url = start_url(self.bot.username, StartKind.HELLO, fallback["session_id"])
        try:
            await self.bot.send_message(
                fallback["chat_id"],
                text,
                message_thread_id=fallback.get("thread_id"),
                reply_markup=InlineKeyboardMarkup(
                    [[InlineKeyboardButton(tr.gettext("Open a private chat ↗"), url=url)]]
                ),
            )
        except TelegramError as second:
            log.info("could not point the group to the private chat either: %s", second)

    async def _perform(self, session_id: str | None, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        if op == "send":
            await self._send(session_id, payload)
        elif op == "edit":
            await self._edit(session_id, payload)
        elif op == "delete":
            await self._delete(session_id, payload["key"])
        elif op == "popup":
            try:
                await self.bot.answer_callback_query(
                    payload["callback_id"], text=payload.get("text") or None
                )
            except BadRequest as error:  # too old to answer: the user moved on
                log.info("callback query not answered: %s", error.message)
        elif op == "react":
            try:
                await self.bot.set_message_reaction(
                    payload["chat_id"],
                    payload["message_id"],
                    reaction=[ReactionTypeEmoji(payload.get("emoji", "👍"))],
                )
            except (BadRequest, Forbidden) as error:
                _warn_once("reactions", error)
        elif op == "pin":
            await self._pin(session_id, payload["key"])
        else:
            log.error("unknown outbox operation %r dropped", op)

    async def _post(
        self,
        session_id: str | None,
        payload: dict[str, Any],
        part: str,
        *,
        chat_id: int,
        part_key: str | None,
        keys: bool,
        reply_to: int | None = None,
    ) -> None:
        """Send one part of a message; a keyed part is remembered so later edits find it."""
        message = await self.bot.send_message(
            chat_id,
            part,
            parse_mode=ParseMode.HTML,
            message_thread_id=payload.get("thread_id"),
            reply_markup=_markup(payload.get("keys")) if keys else None,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        if part_key and session_id:
            await self.store.remember_message(
                session_id, part_key, message.chat_id, message.message_id
            )

    async def _send(self, session_id: str | None, payload: dict[str, Any]) -> None:
        parts = split_message(payload["text"])
        key = payload.get("key")
        for index, part in enumerate(parts):
            await self._post(
                session_id,
                payload,
                part,
                chat_id=payload["chat_id"],
                part_key=(key if index == 0 else f"{key}#{index}") if key else None,
                keys=index == len(parts) - 1,
                reply_to=payload.get("reply_to") if index == 0 else None,
            )

    async def _edit(self, session_id: str | None, payload: dict[str, Any]) -> None:
        key = payload["key"]
        ref = await self.store.message_ref(session_id, key) if session_id else None
        if ref is None:
            # The live message was never posted (or is gone): post it now.
            await self._send(session_id, {**payload, "op": "send", "reply_to": None})
            return
        parts = split_message(payload["text"])
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            part_key = key if index == 0 else f"{key}#{index}"
            part_ref = (
                ref if index == 0 else await self.store.message_ref(session_id or "", part_key)
            )
            if part_ref is None:
                await self._post(
                    session_id, payload, part, chat_id=ref[0], part_key=part_key, keys=last
                )
                continue
            try:
                await self.bot.edit_message_text(
                    part,
                    chat_id=part_ref[0],
                    message_id=part_ref[1],
                    parse_mode=ParseMode.HTML,
                    reply_markup=_markup(payload.get("keys")) if last else None,
                    link_preview_options=LinkPreviewOptions(is_disabled=True),
                )
            except BadRequest as error:
                if "not modified" not in error.message:
                    raise
        # A shorter text than before: remove the parts it no longer needs.
        index = len(parts)
        while session_id and (extra := await self.store.message_ref(session_id, f"{key}#{index}")):
            await self._try_delete(extra)
            await self.store.forget_message(session_id, f"{key}#{index}")
            index += 1

    async def _delete(self, session_id: str | None, key: str) -> None:
        if not session_id:
            return
        index = 0
        while True:
            part_key = key if index == 0 else f"{key}#{index}"
            ref = await self.store.message_ref(session_id, part_key)
            if ref is None:
                return
            await self._try_delete(ref)
            await self.store.forget_message(session_id, part_key)
            index += 1

    async def _try_delete(self, ref: tuple[int, int]) -> None:
        try:
            await self.bot.delete_message(ref[0], ref[1])
        except BadRequest as error:
            # Older than 48 hours or already gone: nothing more the bot can do.
            log.info("could not delete a message: %s", error.message)

    async def _pin(self, session_id: str | None, key: str) -> None:
        ref = await self.store.message_ref(session_id, key) if session_id else None
        if ref is None:
            return
        try:
            await self.bot.pin_chat_message(ref[0], ref[1], disable_notification=True)
        except (BadRequest, Forbidden) as error:
            _warn_once("pinning", error)
