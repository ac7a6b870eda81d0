"""Durable intake: an update is on disk before Telegram hears it was received.

Telegram forgets an update once ``getUpdates`` is called with a higher offset. So each batch is
fetched as raw JSON and written to the inbox first (a set of seen ids, not a high-water mark:
ids may jump or go back after a quiet week), before PTB parses anything, and only then is the
offset advanced. An update without a usable ``update_id`` (an ``int``, not a ``bool``, within
0..2**53), or one the inbox cannot keep as UTF-8 JSON (half a surrogate pair, nesting past the
recursion limit), is dropped at the door and counted. Processing reads the inbox, parses each
update and hands it to PTB's ``Application.process_update``; the service marks it done in the
same transaction as its state change.

An update is acknowledged (marked processed) only when its effect is durable:

* its shape is not Telegram's (a user id that is a string, a message without a chat:
  :mod:`bot.telegram.shapes`), it does not parse, or its handler fails for a reason that
  cannot pass (a validation error, a bug): it is *set aside*, marked processed with the
  reason, counted and logged by id;
* its handler fails for a reason that may pass (the disk is full, the database is locked): it
  stays in the inbox with its payload, processing stops there, and the inbox is tried again
  after a growing pause (1 s, doubling, at most 60 s). Stopping at the first such update keeps
  arrival order, and so each chat's order: a later answer never overtakes a ``/next``;
* the database is damaged (a corrupt page, a ciphertext that no longer opens): the intake
  raises :class:`~bot.storage.faults.DatabaseDamaged` and the bot stops with one sentence.

At start, whatever was stored but not processed is processed first.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import warnings
from enum import Enum
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut
from telegram.warnings import PTBUserWarning

from bot.service import Clock, utcnow
from bot.storage import StorageError, Store
from bot.storage.check import last_backup
from bot.storage.faults import DatabaseDamaged, Fault, damaged, storage_fault
from bot.storage.store import BatchLost
from bot.telegram.app import AnyApplication
from bot.telegram.handlers import Context, Runtime
from bot.telegram.lookahead import prefetch
from bot.telegram.sender import Sender, seconds
from bot.telegram.shapes import MalformedUpdate, malformed
from bot.telegram.waiting import nap, unless_stopped

log = logging.getLogger(__name__)

STOP_GRACE = 2.0  # seconds the sender may finish what it is sending after a stop
MAX_UPDATE_ID = 2**53  # JSON numbers beyond this lose precision in other clients
# Updates looked ahead for at once, and at most handled in one transaction (group commit: one
# disk sync shared by up to this many).
BATCH = 100
# A transaction closes once its updates have taken this long, short of BATCH if need be: its
# first update waits for its last before it commits, and nobody hears back before then
# (docs/storage.md, "Group commit"). A disk sync costs a few ms: a few per cent of the time.
SLICE_SECONDS = 0.025
READ_MARGIN = 10.0  # seconds a long poll may take beyond its own timeout before it is given up


def valid_update_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_UPDATE_ID


def storable(raw: dict[str, Any]) -> bool:
    """Whether the inbox can keep this update as UTF-8 JSON: not with half a surrogate pair
    (JSON can say ``"\\ud83d"``, UTF-8 cannot) nor nested past Python's recursion limit."""
    try:
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        return False
    return True


def fault(error: BaseException) -> Fault | None:
    """Whether a handler's failure may pass (retry), means damage (stop), or neither."""
    if isinstance(error, NetworkError | RetryAfter):  # TimedOut is a NetworkError
        return Fault.TRANSIENT
    return storage_fault(error)


class Outcome(Enum):
    DONE = "done"
    SET_ASIDE = "set aside"
    RETRY = "retry"


class BadAnswer(Exception):
    """``getUpdates`` answered something that is not a list of updates."""


class Backoff:
    """A growing pause after each failure, reset by a success."""

    def __init__(self, base: float, cap: float) -> None:
        self.base, self.cap = base, cap
        self.delay = 0.0
        self.until = 0.0

    def ready(self) -> bool:
        return time.monotonic() >= self.until

    def remaining(self) -> float:
        return max(0.0, self.until - time.monotonic())

    def failed(self) -> float:
        self.delay = min(self.cap, self.delay * 2 if self.delay else self.base)
        self.until = time.monotonic() + self.delay
        return self.delay

    def reset(self) -> None:
        self.delay, self.until = 0.0, 0.0


class Intake:
    def __init__(
        self,
        application: AnyApplication,
        runtime: Runtime,
        sender: Sender,
        *,
        clock: Clock = utcnow,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        slice_seconds: float = SLICE_SECONDS,
    ) -> None:
        self.application = application
        self.runtime = runtime
        self.store: Store = runtime.store
        self.sender = sender
        self.clock = clock
        self.retry = Backoff(retry_base, retry_cap)
        self.slice_seconds = slice_seconds
        self.dropped = 0  # updates refused at the door since start
        self.set_aside = 0  # updates set aside since start
        self._background_sending = False
        # PTB routes a handler's exception to the error handlers and carries on; this one
        # records it, so the update is not taken for done (all error handlers are called).
        self._failures: dict[int, BaseException] = {}
        application.add_error_handler(self._record_failure)

    async def _record_failure(self, update: object, context: Context) -> None:
        if isinstance(update, Update) and context.error is not None:
            self._failures[update.update_id] = context.error

    # --- the door --------------------------------------------------------------------------------

    async def accept(self, raw: dict[str, Any]) -> bool:
        """Store one raw update; False if it was seen before or has no usable id."""
        update_id = raw.get("update_id") if isinstance(raw, dict) else None
        if not valid_update_id(update_id) or not storable(raw):
            await self._drop(1)
            return False
        assert isinstance(update_id, int)
        return await self.store.inbox_add(update_id, raw, self.clock())

    async def accept_batch(self, batch: list[object]) -> int | None:
        """Store a batch as ``getUpdates`` gave it; the offset that confirms it, if any.

        The offset goes past the highest valid id, so an update dropped at the door is
        confirmed with the rest whenever Telegram's order allows it.
        """
        highest: int | None = None
        dropped = 0
        kept: list[tuple[int, dict[str, Any]]] = []
        for raw in batch:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if not isinstance(raw, dict) or not valid_update_id(update_id):
                dropped += 1
                continue
            assert isinstance(update_id, int)
            if storable(raw):
                kept.append((update_id, raw))
            else:  # confirmed with the rest, or it would come back at every poll
                dropped += 1
            highest = update_id if highest is None else max(highest, update_id)
        if kept:  # one transaction for the batch: one disk sync, not one per update
            await self.store.inbox_add_many(kept, self.clock())
        if dropped:
            await self._drop(dropped)
        return None if highest is None else highest + 1

    async def _drop(self, count: int) -> None:
        self.dropped += count
        log.warning("%d update(s) without a usable update_id, or unstorable, dropped", count)
        await self.store.count_dropped(count)

    # --- processing ------------------------------------------------------------------------------

    async def process_pending(self) -> int:
        """Process every stored, unprocessed update in arrival order, then send what is due.

        Returns how many were processed. While a transient failure is being waited out
        (:attr:`retry`), nothing is processed. While :meth:`poll` runs, sending happens in the
        background (the sender's own task), so a group held up by its flood limit never delays
        reading the next updates; otherwise (the demo, the tests) this returns once everything
        that can go has gone.
        """
        done = await self._process_stored() if self.retry.ready() else 0
        await self._send()
        return done

    async def _process_stored(self) -> int:
        done = 0
        try:
            pending = await self.store.inbox_pending()
            for start in range(0, len(pending), BATCH):
                processed, finished = await self._process_chunk(pending[start : start + BATCH])
                done += processed
                if not finished:
                    return done
        except Exception as error:  # the store itself failed: reading, marking, committing
            self._transient_or_raise(error, "the inbox could not be read or updated")
            return done
        if done:  # an empty inbox proves nothing: a batch that could not be kept still waits
            self.retry.reset()
        return done

    async def _process_chunk(self, chunk: list[tuple[int, dict[str, Any]]]) -> tuple[int, bool]:
        """Up to :data:`BATCH` updates: their lookups asked at once, then the updates handled
        in slices, a transaction each (:meth:`_process_slice`). While the bot polls, the
        sender hears of each slice as it commits, so the first people's answers go out while
        the rest are handled. Returns how many were processed, and whether all were tried."""
        done = 0
        began = time.perf_counter()  # the first slice's time includes the look-ahead's
        try:
            await self._look_ahead(chunk)
            while chunk:
                processed, tried, finished = await self._process_slice(chunk, began)
                done += processed
                if not finished:
                    return done, False
                chunk, began = chunk[tried:], time.perf_counter()
                if self._background_sending:
                    self.sender.wake()
        finally:
            self.runtime.members.behind()
            self.runtime.admins.behind()
        return done, True

    async def _process_slice(
        self, batch: list[tuple[int, dict[str, Any]]], began: float
    ) -> tuple[int, int, bool]:
        """Process updates in turn in one transaction (group commit: one disk sync for the
        slice), until they are done or :attr:`slice_seconds` have passed since ``began`` (a
        ``time.perf_counter`` reading; at least one is); each update's writes are a savepoint,
        undone alone if its handler fails. Returns how many were processed once the slice
        committed, how many were tried, and whether the slice ended well: a failure that may
        pass stops it there (arrival order is kept), committing the updates before it."""
        done = tried = 0
        stopped = False
        try:
            async with self.store.batch():
                for update_id, raw in batch:
                    outcome = await self._process_one(update_id, raw)
                    if outcome is Outcome.RETRY:
                        stopped = True
                        break
                    tried += 1
                    done += outcome is Outcome.DONE
                    if time.perf_counter() - began >= self.slice_seconds:
                        break
        except BatchLost:
            if not stopped:
                raise
            return 0, tried, False  # the failure that ended it was said already; all still wait
        return done, tried, not stopped

    async def _look_ahead(self, batch: list[tuple[int, dict[str, Any]]]) -> None:
        """Ask Telegram, all at once and before the batch's transaction opens, the lookups its
        updates will want (``bot.telegram.lookahead``); should that fail, they are asked
        inside, one by one, as before."""
        runtime = self.runtime
        raws = [raw for _, raw in batch]
        try:
            await prefetch(raws, self.store, runtime.members, runtime.admins)
        except Exception as error:  # only the caches stay cold: the batch goes on
            log.warning(
                "looking ahead failed (%s); lookups are asked in turn", type(error).__name__
            )

    async def _process_one(self, update_id: int, raw: dict[str, Any]) -> Outcome:
        odd = malformed(raw)
        if odd is not None:  # a shape Telegram never sends: nothing of it may be acted on
            return await self._set_aside(update_id, "malformed", MalformedUpdate(odd))
        try:
            update = Update.de_json(raw, self.application.bot)
        except Exception as error:  # an update PTB cannot read must not block the queue
            return await self._set_aside(update_id, "unparseable", error)
        self._failures.pop(update_id, None)
        try:
            await self.application.process_update(update)
        except Exception as error:  # PTB's own bookkeeping failed (a user id that is a dict)
            self._failures[update_id] = error
        failure = self._failures.pop(update_id, None)
        if failure is None:
            # Handlers mark their update in their own transaction; this catches the ones that
            # changed nothing (ordinary chatter), so none is replayed forever.
            await self.runtime.service.done(update_id)
            log.debug("update %s processed", update_id)  # by id: never what it said
            return Outcome.DONE
        if fault(failure) is None:
            return await self._set_aside(update_id, type(failure).__name__, failure)
        self._transient_or_raise(failure, f"update {update_id} could not be processed")
        return Outcome.RETRY

    def _transient_or_raise(
        self, error: BaseException, what: str, kept: str = "it stays in the inbox"
    ) -> None:
        """Wait out a failure that may pass; stop the bot, in one sentence, on damage."""
        if isinstance(error, DatabaseDamaged):
            raise error
        if fault(error) is Fault.DAMAGED:
            detail = f"{type(error).__name__}: {error}"
            raise DatabaseDamaged(damaged(self.store.path, detail, last_backup(self.store.path)))
        if fault(error) is None:
            raise error
        delay = self.retry.failed()
        log.warning(
            "%s (%s: %s); %s, trying again in %.1f s",
            what,
            type(error).__name__,
            error,
            kept,
            delay,
        )

    async def _set_aside(self, update_id: int, reason: str, error: BaseException) -> Outcome:
        self.set_aside += 1
        log.error(
            "update %s set aside: it can never be processed (%s)",
            update_id,
            reason,
            exc_info=(type(error), error, error.__traceback__),
        )
        await self.store.inbox_set_aside(update_id, reason=reason)
        return Outcome.SET_ASIDE

    async def feed(self, raw: dict[str, Any]) -> None:
        """One update as if it had just arrived: stored, processed, answered."""
        await self.accept(raw)
        await self.process_pending()

    async def tick(self) -> None:
        """Housekeeping between polls: reminders that came due, and anything left to send."""
        await self.runtime.service.fire_reminders()
        await self._send()

    async def upkeep(self, *, retention_days: int, idle_days: int) -> tuple[int, int]:
        """The slow chores, a few times a day: end the sessions nobody acts in any more, then
        delete the answer texts whose retention period is over. Returns (ended, purged)."""
        ended = await self.runtime.service.expire_idle(idle_days)
        purged = await self.store.purge_expired(self.clock(), retention_days)
        await self._send()
        return ended, purged

    async def _send(self) -> None:
        if self._background_sending:
            self.sender.wake()
        else:
            await self.sender.drain()

    # --- long polling ----------------------------------------------------------------------------

    async def poll(self, stop: asyncio.Event, *, wait_seconds: int = 25) -> None:
        """Long polling until ``stop`` is set.

        A stop cuts short the poll in flight and any wait: ``docker stop`` allows ten seconds.
        Nothing is lost by that: updates Telegram handed out but the inbox did not yet keep
        are not confirmed, so they come again.
        """
        self._background_sending = True
        sending = asyncio.create_task(self._send_once_checked(stop))
        try:
            await self._poll(stop, wait_seconds)
        finally:
            stop.set()
            # A send cut short stays in the outbox and goes at the next start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending, timeout=STOP_GRACE)
            self._background_sending = False

    async def _send_once_checked(self, stop: asyncio.Event) -> None:
        """The sender, once the database has passed its full check (``Store.checked``):
        nothing is sent from, nor settled in, a file that may be damaged."""
        try:
            await unless_stopped(self.store.checked(), stop)
        except StorageError:
            return  # the poll stops the bot with the check's sentence
        await self.sender.run(stop)

    async def _poll(self, stop: asyncio.Event, wait_seconds: int) -> None:
        offset: int | None = None
        # Left over from the last run. Nothing left, nothing written: the first poll does not
        # wait for the database's full check (``Store.checked``), which leftovers' writes do.
        await self.process_pending()
        backoff = 1.0
        while not stop.is_set():
            try:
                batch = await unless_stopped(self._fetch(offset, self._wait(wait_seconds)), stop)
                if batch is None:
                    return
                offset = await self._keep(batch, offset, stop)
            except RetryAfter as error:
                await nap(stop, seconds(error.retry_after))
                continue
            except Conflict:
                log.error("another process polls this bot token; waiting")
                await nap(stop, 30)
                continue
            except (TimedOut, NetworkError, BadAnswer) as error:
                log.warning("polling failed (%s); retrying in %.0f s", error, backoff)
                await nap(stop, backoff)
                backoff = min(backoff * 2, 60)
                continue
            backoff = 1.0
            await self.process_pending()
            await self._tick_in_poll()

    def _wait(self, wait_seconds: int) -> int:
        """The long poll's timeout: shorter while a failed update waits for its retry."""
        if self.retry.ready() and self.retry.delay == 0:
            return wait_seconds
        return min(wait_seconds, math.ceil(self.retry.remaining()))

    async def _fetch(self, offset: int | None, wait: int) -> list[object]:
        """One ``getUpdates``, as raw JSON: nothing is parsed before it is in the inbox."""
        kwargs: dict[str, Any] = {"timeout": wait, "allowed_updates": list(Update.ALL_TYPES)}
        if offset is not None:
            kwargs["offset"] = offset
        with warnings.catch_warnings():
            # PTB suggests bot.get_updates, which parses (and raises) before we can store.
            warnings.filterwarnings("ignore", r".*getUpdates", PTBUserWarning)
            result = await self.application.bot.do_api_request(
                "getUpdates", api_kwargs=kwargs, read_timeout=wait + READ_MARGIN
            )
        if not isinstance(result, list):
            raise BadAnswer(f"getUpdates answered {type(result).__name__}, not a list")
        return result

    async def _keep(
        self, batch: list[object], offset: int | None, stop: asyncio.Event
    ) -> int | None:
        """Store the batch; the new offset, or the old one if the store could not keep it
        (then Telegram keeps the updates and hands them out again)."""
        try:
            confirmed = await self.accept_batch(batch)
        except Exception as error:
            self._transient_or_raise(
                error, f"{len(batch)} update(s) could not be stored", "Telegram keeps them"
            )
            await nap(stop, self.retry.remaining())
            return offset
        if batch:
            self.retry.reset()  # the store keeps updates again
        return offset if confirmed is None else confirmed

    async def _tick_in_poll(self) -> None:
        try:
            await self.tick()
        except Exception as error:
            if fault(error) is None:
                raise
            log.warning("reminders could not be fired (%s); trying again later", error)
