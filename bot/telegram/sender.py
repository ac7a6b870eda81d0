"""Turns outbox rows into Bot API calls: at least once, in order, and politely.

Each row is deleted only after Telegram accepted it, so a crash can at worst repeat the one
message each lane had in flight; it never loses one. The rows waiting are read once and kept in
memory, and the lanes' settlements are committed together (``bot.telegram.outbox``).
Telegram's refusals are sorted by what they mean:

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
import base64
import contextlib
import functools
import logging
import time
from collections.abc import Awaitable
from datetime import timedelta
from typing import TypeVar

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChatMember,
    InputFile,
    InputMediaDocument,
    Message,
    ReactionTypeEmoji,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot import delivery as op
from bot.storage import Note, Settlement, Sighting, Store
from bot.storage.faults import storage_fault
from bot.telegram.budget import Budget
from bot.telegram.calls import Posted, edit_text, markup, send_text
from bot.telegram.outbox import Outbox
from bot.telegram.retry import MayHavePosted, Tries, classify, kind_of, may_have_posted
from bot.telegram.schedule import choose, reserve
from bot.telegram.waiting import unless_stopped

log = logging.getLogger(__name__)

T = TypeVar("T")

POINT_AGAIN_AFTER = 600.0  # seconds between two "open a private chat" posts in one group

# Refused optional calls are logged once per kind, not once per message.
_warned: set[str] = set()


def _warn_once(kind: str, error: Exception) -> None:
    if kind not in _warned:
        _warned.add(kind)
        log.warning("Telegram refused %s (%s); carrying on without it", kind, error)


async def accepted(call: Awaitable[T]) -> T | None:
    """Await a Bot API call; ``None`` when Telegram accepted it (``"ok": true``) but PTB could
    not read its result (a ``null`` where an object was due): the call took effect all the
    same. Telegram's refusals and the network's failures (``TelegramError``) pass through."""
    try:
        return await call
    except TelegramError:
        raise
    except Exception as error:  # PTB building an object from what is not one
        log.warning("Telegram accepted a call but its answer could not be read (%s)", error)
        return None


def seconds(value: int | timedelta) -> float:
    """PTB gives time periods as int or timedelta, depending on ``PTB_TIMEDELTA``."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Sender:
    def __init__(
        self,
        bot: Bot,
        store: Store,
        *,
        max_wait: float = 60.0,
        budget: Budget | None = None,
        tries: Tries | None = None,
    ) -> None:
        self.bot = bot
        self.store = store
        self.max_wait = max_wait  # in pace seconds: a lane that must wait longer tries later
        self.budget = budget or Budget()
        self.tries = tries or Tries()
        self.outbox = Outbox(store)  # the rows waiting, read once each
        self._news = True  # rows may have been queued since the outbox was last read
        # Parts of a long message already sent, so a retry does not post them again.
        self._parts_sent: dict[int, int] = {}
        # What each live message shows now, as this process last set it: an edit that would
        # change nothing costs the group a call (and a 400) for nothing, so it is skipped.
        self._shown: dict[tuple[str, str], tuple[str, op.Keyboard]] = {}
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()
        # When each group was last shown the private-chat button, so a nudge round to many
        # unreachable people posts it once, not once per person.
        self._pointed: dict[int, float] = {}

    def wake(self) -> None:
        """New rows are in the outbox: a running :meth:`drain` or :meth:`run` takes them up."""
        self._news = True
        self._wake.set()

    async def run(self, stop: asyncio.Event, *, every: float = 5.0) -> None:
        """Send in the background until ``stop``: when woken, and every few seconds for rows
        that had to wait (a flood limit, the network)."""
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain()
            except Exception as error:
                if storage_fault(error) is None:
                    log.exception("sending failed; trying again shortly")
                else:  # the disk or the file: said in one line (the intake stops on damage)
                    log.warning("sending paused: the database failed (%s)", error)
            with contextlib.suppress(TimeoutError):
                await unless_stopped(asyncio.wait_for(self._wake.wait(), every), stop)

    async def drain(self, *, patient: bool = False) -> int:
        """Send everything that can go now; returns how many rows were delivered or settled.

        Rows run in lanes, one per chat, side by side: a group waiting out its flood limit
        holds up only itself, not the other groups nor anyone's private chat, and rows that
        arrive meanwhile start at once in their own lanes. Within a lane the most awaited row
        goes first (``bot.telegram.schedule``). A lane waits for its group's budget only for
        what people wait for; other rows are left for the next drain, unless ``patient`` (the
        demo's last drain, which leaves nothing behind).
        """
        self.wake()  # a drain already running reads what was queued since it started
        async with self._lock:
            running: dict[str, asyncio.Task[tuple[int, bool]]] = {}
            try:
                return await self._drain(running, patient)
            finally:
                for task in running.values():  # cancelled from outside: no lane outlives it
                    task.cancel()
                await self.outbox.settled()  # nor a commit of what the lanes delivered

    async def _drain(
        self, running: dict[str, asyncio.Task[tuple[int, bool]]], patient: bool
    ) -> int:
        settled = 0
        waiting: set[str] = set()
        ended: list[str] = []
        while True:
            self._wake.clear()
            if self._news:  # read only the rows queued since the last look
                self._news = False
                settled += await self.outbox.refresh()
            for lane in self.outbox.lanes():
                if lane not in running and lane not in waiting:
                    running[lane] = task = asyncio.create_task(self._lane(lane, patient))
                    task.add_done_callback(functools.partial(self._ended, ended, lane))
            if not running:
                return settled
            await self._wake.wait()  # new rows, or a lane that ended
            while ended:
                lane = ended.pop()
                done, finished = running.pop(lane).result()
                settled += done
                if not finished:
                    waiting.add(lane)

    def _ended(self, ended: list[str], lane: str, _task: object) -> None:
        """A lane's task ended: the drain collects its result."""
        ended.append(lane)
        self._wake.set()

    async def _lane(self, lane: str, patient: bool) -> tuple[int, bool]:
        """Deliver one chat's rows, the most awaited first (``schedule.choose``), within the
        chat's budget. It waits for budget only for what people wait for (unless ``patient``),
        and never longer than ``max_wait``; the rest is left for a later drain.

        Each row's settlement (and those of rows no longer worth sending) is committed before
        the lane goes on, together with the other lanes' (``Outbox.settle``)."""
        done = 0
        while True:
            rows = self.outbox.rows(lane)
            chat = getattr(rows[0][2], "chat_id", None) if rows else None
            counted = chat is not None and Budget.counts(chat)
            free = self.budget.free(chat) if counted and chat is not None else None
            choice = choose(rows, free=free, limit=self.budget.per_minute)
            unsent = [Settlement(outbox_id) for outbox_id in choice.settle]
            done += len(unsent)
            if choice.next is None:
                await self.outbox.settle(unsent)
                return done, True
            outbox_id, session_id, operation = choice.next
            wait = self.tries.wait(outbox_id, self.budget.pace.now())
            if counted and chat is not None:
                need = op.calls(operation) + reserve(operation.priority, self.budget.per_minute)
                wait = max(wait, self.budget.wait(chat, need))
            awaited = patient or operation.priority is op.Priority.ESSENTIAL
            if wait > self.max_wait or (wait > 0 and not awaited):
                await self.outbox.settle(unsent)
                return done, False  # the next drain (woken, or a few seconds on) tries again
            if wait > 0:
                await self.outbox.settle(unsent)
                await self.budget.pace.sleep(wait)
                continue  # something more awaited may have arrived meanwhile
            settlement = await self._deliver(outbox_id, session_id, operation)
            await self.outbox.settle([*unsent, settlement])
            if settlement.done:
                done += 1
            else:
                self.outbox.relane(outbox_id)  # moved to another chat: it waits there

    async def _deliver(
        self, outbox_id: int, session_id: str | None, operation: op.Operation
    ) -> Settlement:
        """The row's settlement: ``done`` when it is sent, set aside, or no longer wanted;
        otherwise it must wait (its pause is recorded in ``self.tries``), and only what its
        delivery learnt is kept. Nothing raised by one row leaves this method but a
        cancellation, and what was learnt before one is committed all the same."""
        notes: list[Note] = []
        try:
            return await self._attempts(outbox_id, session_id, operation, notes)
        except asyncio.CancelledError:
            self.outbox.keep(Settlement(outbox_id, tuple(notes), done=False))
            raise

    async def _attempts(
        self, outbox_id: int, session_id: str | None, operation: op.Operation, notes: list[Note]
    ) -> Settlement:
        moves: ChatMigrated | None = None
        for _attempt in range(3):
            try:
                await self._perform(outbox_id, session_id, operation, notes)
            except RetryAfter as error:
                wait = seconds(error.retry_after)
                log.warning("flood control: waiting %.0f s", wait)
                self.tries.hold(outbox_id, self.budget.pace.now() + wait)
                return Settlement(outbox_id, tuple(notes), done=False)
            except ChatMigrated as error:
                if isinstance(operation, op.Popup | op.Menu):
                    return self._settled(outbox_id, notes)
                operation = await self._migrate(outbox_id, operation, error.new_chat_id)
                moves = error
                continue
            except Forbidden as error:
                await self._unreachable(operation, error)
                return self._settled(outbox_id, notes)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # every fault stays with its row
                return self._failed(outbox_id, session_id, operation, error, notes)
            return self._settled(outbox_id, notes)
        # Moved three times in a row: a server answering oddly; counted like any failure, so
        # the row pauses and is set aside in the end instead of looping.
        assert moves is not None
        return self._failed(outbox_id, session_id, operation, moves, notes)

    def _failed(
        self,
        outbox_id: int,
        session_id: str | None,
        operation: op.Operation,
        error: Exception,
        notes: list[Note],
    ) -> Settlement:
        if isinstance(error, BadRequest) and "not modified" in error.message:
            return self._settled(outbox_id, notes)  # the edit had already happened
        failure = classify(error)
        kind = kind_of(error)
        if not self.tries.failed(outbox_id, failure, self.budget.pace.now()):
            log.warning(
                "outbox row %s: %s (%s); trying again later", outbox_id, kind, failure.value
            )
            return Settlement(outbox_id, tuple(notes), done=False)
        unconfirmed = self.tries.unconfirmed(outbox_id)
        if isinstance(error, MayHavePosted) and error.key and session_id:
            # Perhaps on screen, id unknown: no later edit may post it again.
            notes.append(Note(session_id, error.key, Sighting.PERHAPS, error.chat_id))
        log.error("outbox row %s set aside after %s (%s)", outbox_id, kind, failure.value)
        self._settled(outbox_id, notes)
        return Settlement(outbox_id, tuple(notes), reason=kind, unconfirmed=unconfirmed)

    def _settled(self, outbox_id: int, notes: list[Note]) -> Settlement:
        self.tries.settled(outbox_id)
        self._parts_sent.pop(outbox_id, None)
        return Settlement(outbox_id, tuple(notes))

    async def _migrate(
        self, outbox_id: int, operation: op.Operation, new_chat_id: int
    ) -> op.Operation:
        """A group became a supergroup: move the session, and this row, to its new id."""
        old = getattr(operation, "chat_id", None)
        if isinstance(old, int):
            async with self.store.write() as tx:
                await tx.migrate_chat(old, new_chat_id)
        moved = operation.model_copy(update={"chat_id": new_chat_id})
        await self.store.outbox_replace(outbox_id, op.dump(moved))
        self.outbox.replace(outbox_id, moved)
        return moved

    async def _unreachable(self, operation: op.Operation, error: Forbidden) -> None:
        """A person who never opened a private chat gets the link in the group, not an error."""
        fallback = operation.fallback if isinstance(operation, op.Send) else None
        if fallback is None:
            log.info("a chat is unreachable (%s); skipped", error.message)
            return
        now = time.monotonic()
        if now - self._pointed.get(fallback.chat_id, -POINT_AGAIN_AFTER) < POINT_AGAIN_AFTER:
            return
        self._pointed[fallback.chat_id] = now
        try:
            self._spend(fallback.chat_id)
            await accepted(
                send_text(
                    self.bot,
                    fallback.chat_id,
                    fallback.text,
                    thread_id=fallback.thread_id,
                    keyboard=markup(fallback.keys),
                    reply_to=None,
                )
            )
        except TelegramError as second:
            log.info("could not point the group to the private chat either: %s", second)

    async def _perform(
        self, outbox_id: int, session_id: str | None, operation: op.Operation, notes: list[Note]
    ) -> None:
        """Make the calls ``operation`` needs; what they teach of live messages goes to
        ``notes``, committed with the row's settlement."""
        match operation:
            case op.Send():
                await self._send(session_id, operation, notes, outbox_id)
            case op.Edit():
                await self._edit(session_id, operation, notes)
            case op.Delete():
                await self._delete(session_id, operation.key, notes)
            case op.Popup():
                await self._popup(operation)
            case op.React():
                await self._react(operation)
            case op.Pin():
                await self._pin(session_id, operation.key)
            case op.Document():
                await self._document(session_id, operation, notes)
            case op.Voice():
                await self._voice(session_id, operation, notes)
            case op.Menu():
                await self._menu(operation)

    def _spend(self, chat_id: int) -> None:
        """Count a call against a group's budget, refused or not: better early than 429."""
        if Budget.counts(chat_id):
            self.budget.spend(chat_id)

    async def _menu(self, operation: op.Menu) -> None:
        try:
            await accepted(
                self.bot.set_my_commands(
                    [BotCommand(name, text) for name, text in operation.commands],
                    scope=BotCommandScopeChatMember(operation.group_id, operation.user_id),
                )
            )
        except (BadRequest, Forbidden) as error:
            _warn_once("a facilitator's command menu", error)

    async def _popup(self, operation: op.Popup) -> None:
        try:
            await accepted(
                self.bot.answer_callback_query(operation.callback_id, text=operation.text or None)
            )
        except BadRequest as error:  # too old to answer: the user moved on
            log.info("callback query not answered: %s", error.message)

    async def _react(self, operation: op.React) -> None:
        try:
            self._spend(operation.chat_id)
            await accepted(
                self.bot.set_message_reaction(
                    operation.chat_id,
                    operation.message_id,
                    reaction=[ReactionTypeEmoji(operation.emoji)],
                )
            )
        except (BadRequest, Forbidden) as error:
            _warn_once("reactions", error)

    async def _document(
        self, session_id: str | None, operation: op.Document, notes: list[Note]
    ) -> None:
        """Post a file; a keyed one takes the place of the one before it (deleted), and a
        replacement puts its content into the one posted, or does nothing if none was."""
        key = operation.key if session_id else None
        ref = await self.store.message_ref(session_id or "", key) if key else None
        content = base64.b64decode(operation.content_b64)
        if operation.replace:
            if ref is not None:
                self._spend(ref[0])
                # Given bytes, PTB attaches the file under a name of its own (attach://…).
                media = InputMediaDocument(
                    content, caption=operation.caption, filename=operation.filename
                )
                try:
                    await self.bot.edit_message_media(media, chat_id=ref[0], message_id=ref[1])
                except BadRequest as error:  # deleted by an administrator, say: nothing to redraw
                    log.info("a document was not replaced: %s", error.message)
            return
        if key and ref is not None:
            await self._try_delete(ref)
            notes.append(Note(session_id or "", key, Sighting.NONE))
        self._spend(operation.chat_id)
        message = await _posting(
            self.bot.send_document(
                operation.chat_id,
                InputFile(content, filename=operation.filename),
                caption=operation.caption,
                message_thread_id=operation.thread_id,
            ),
            operation.chat_id,
            key,
        )
        if key:  # posted, its id perhaps unread: then neither replaced nor sent twice
            notes.append(_posted(session_id or "", key, operation.chat_id, message))

    async def _voice(self, session_id: str | None, operation: op.Voice, notes: list[Note]) -> None:
        """A voice answer sent again by its file id; a keyed one is remembered, so the bot can
        delete it if its author asks to be forgotten."""
        key = operation.key if session_id else None
        self._spend(operation.chat_id)
        message = await _posting(
            self.bot.send_voice(
                operation.chat_id,
                operation.file_id,
                caption=operation.caption,
                parse_mode=ParseMode.HTML,
                message_thread_id=operation.thread_id,
            ),
            operation.chat_id,
            key,
        )
        if key:
            notes.append(_posted(session_id or "", key, operation.chat_id, message))

    async def _post(
        self,
        session_id: str | None,
        part: str,
        notes: list[Note],
        *,
        chat_id: int,
        thread_id: int | None,
        part_key: str | None,
        keys: op.Keyboard = (),
        reply_to: int | None = None,
    ) -> None:
        """Send one part of a message; a keyed part is remembered so later edits find it."""
        self._spend(chat_id)
        message = await _posting(
            send_text(
                self.bot,
                chat_id,
                part,
                thread_id=thread_id,
                keyboard=markup(keys),
                reply_to=reply_to,
            ),
            chat_id,
            part_key,
        )
        if part_key and session_id:  # its id unread: it can be neither edited nor repeated
            notes.append(_posted(session_id, part_key, chat_id, message))
            if message is not None:
                self._shown[(session_id, part_key)] = (part, keys)

    async def _send(
        self,
        session_id: str | None,
        operation: op.Send,
        notes: list[Note],
        outbox_id: int | None = None,
    ) -> None:
        key, last = operation.key, len(operation.parts) - 1
        first = self._parts_sent.get(outbox_id, 0) if outbox_id is not None else 0
        for index, part in enumerate(operation.parts):
            if index < first:
                continue  # sent before a failure of a later part
            await self._post(
                session_id,
                part,
                notes,
                chat_id=operation.chat_id,
                thread_id=operation.thread_id,
                part_key=_part_key(key, index) if key else None,
                keys=operation.keys if index == last else (),
                reply_to=operation.reply_to if index == 0 else None,
            )
            if outbox_id is not None:
                self._parts_sent[outbox_id] = index + 1

    async def _edit(self, session_id: str | None, operation: op.Edit, notes: list[Note]) -> None:
        key = operation.key
        ref = await self.store.message_ref(session_id, key) if session_id else None
        if ref is None:
            if session_id and await self.store.unsure(session_id, key):
                log.info("an edit of a message whose id is unknown is skipped")
                return  # perhaps on screen: posting it again could show it a third time
            # The live message was never posted (or is gone): post it now.
            await self._send(session_id, op.Send(**operation.model_dump(exclude={"op"})), notes)
            return
        last = len(operation.parts) - 1
        for index, part in enumerate(operation.parts):
            part_ref = (
                ref
                if index == 0
                else await self.store.message_ref(session_id or "", _part_key(key, index))
            )
            keys = operation.keys if index == last else ()
            shown = (session_id or "", _part_key(key, index))
            if self._shown.get(shown) == (part, keys):
                continue  # this part already shows exactly that
            if part_ref is None:
                if await self.store.unsure(session_id or "", _part_key(key, index)):
                    continue  # perhaps on screen already, id unknown
                await self._post(
                    session_id,
                    part,
                    notes,
                    chat_id=ref[0],
                    thread_id=operation.thread_id,
                    part_key=_part_key(key, index),
                    keys=keys,
                )
                continue
            try:
                self._spend(part_ref[0])
                await edit_text(self.bot, *part_ref, part, keyboard=markup(keys))
            except BadRequest as error:
                if "not modified" not in error.message:
                    raise
            self._shown[shown] = (part, keys)
        await self._delete(session_id, key, notes, start=len(operation.parts))

    async def _delete(
        self, session_id: str | None, key: str, notes: list[Note], *, start: int = 0
    ) -> None:
        """Delete the parts of a keyed message from ``start`` on (a shorter edit, or all)."""
        index = start
        while session_id and (
            ref := await self.store.message_ref(session_id, _part_key(key, index))
        ):
            await self._try_delete(ref)
            notes.append(Note(session_id, _part_key(key, index), Sighting.NONE))
            self._shown.pop((session_id, _part_key(key, index)), None)
            index += 1

    async def _try_delete(self, ref: tuple[int, int]) -> None:
        try:
            self._spend(ref[0])
            await accepted(self.bot.delete_message(ref[0], ref[1]))
        except BadRequest as error:
            # Older than 48 hours or already gone: nothing more the bot can do.
            log.info("could not delete a message: %s", error.message)

    async def _pin(self, session_id: str | None, key: str) -> None:
        ref = await self.store.message_ref(session_id, key) if session_id else None
        if ref is None:
            return
        try:
            self._spend(ref[0])
            await accepted(self.bot.pin_chat_message(ref[0], ref[1], disable_notification=True))
        except (BadRequest, Forbidden) as error:
            _warn_once("pinning", error)


def _posted(session_id: str, key: str, chat_id: int, message: Posted | None) -> Note:
    """Where a keyed message just posted is; ``None``: Telegram accepted it but its answer
    could not be read, so it is on screen, its id unknown."""
    if message is None:
        return Note(session_id, key, Sighting.POSTED, chat_id)
    return Note(session_id, key, Sighting.KNOWN, message.chat_id, message.message_id)


def _part_key(key: str, index: int) -> str:
    """The key of a message's ``index``-th part: the first keeps the message's own key."""
    return key if index == 0 else f"{key}#{index}"


async def _posting(
    call: Awaitable[Posted | Message | None], chat_id: int, key: str | None
) -> Posted | None:
    """Await a call that posts a message. ``None``: Telegram accepted it but its answer could
    not be read, so it is posted and its id unknown. A failure that may mean it was posted all
    the same is raised as :class:`MayHavePosted` (one more try at most); others pass through."""
    try:
        message = await accepted(call)
    except TelegramError as error:
        if may_have_posted(error):
            raise MayHavePosted(error, chat_id, key) from error
        raise
    if isinstance(message, Message):  # a document or a voice note, read by PTB
        return Posted(message.chat_id, message.message_id)
    return message
