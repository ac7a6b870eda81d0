"""Durable intake: an update is on disk before Telegram hears it was received.

Telegram forgets an update once ``getUpdates`` is called with a higher offset. So each batch is
written to the inbox first (a set of seen ids, not a high-water mark: ids may jump or go back
after a quiet week), and only then is the offset advanced. Processing reads the inbox, hands
each update to PTB's ``Application.process_update`` and relies on the service to mark it done
in the same transaction as its state change. At start, whatever was stored but not processed
is processed first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import Conflict, NetworkError, RetryAfter, TimedOut

from bot.service import Clock, utcnow
from bot.storage import Store
from bot.telegram.app import AnyApplication
from bot.telegram.handlers import Runtime
from bot.telegram.sender import Sender, seconds
from bot.telegram.waiting import nap, unless_stopped

log = logging.getLogger(__name__)

STOP_GRACE = 2.0  # seconds the sender may finish what it is sending after a stop


class Intake:
    def __init__(
        self,
        application: AnyApplication,
        runtime: Runtime,
        sender: Sender,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.application = application
        self.runtime = runtime
        self.store: Store = runtime.store
        self.sender = sender
        self.clock = clock
        self._background_sending = False

    async def accept(self, raw: dict[str, Any]) -> bool:
        """Store one raw update; False if this update id was seen before."""
        update_id = raw.get("update_id")
        if not isinstance(update_id, int):
            log.warning("an update without an id was dropped")
            return False
        return await self.store.inbox_add(update_id, raw, self.clock())

    async def process_pending(self) -> int:
        """Process every stored, unprocessed update in arrival order, then send what is due.

        While :meth:`poll` runs, sending happens in the background (the sender's own task), so
        a group held up by its flood limit never delays reading the next updates; otherwise
        (the demo, the tests) this returns once everything that can go has gone.
        """
        done = 0
        for update_id, raw in await self.store.inbox_pending():
            try:
                update = Update.de_json(raw, self.application.bot)
            except Exception:  # an update PTB cannot read must not block the queue
                log.exception("update %s could not be read and is skipped", update_id)
                await self.runtime.service.done(update_id)
                continue
            await self.application.process_update(update)
            # Handlers mark their update in their own transaction; this catches the ones that
            # changed nothing (ordinary chatter) or failed, so none is replayed forever.
            await self.runtime.service.done(update_id)
            done += 1
        await self._send()
        return done

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

    async def poll(self, stop: asyncio.Event, *, wait_seconds: int = 25) -> None:
        """Long polling until ``stop`` is set.

        A stop cuts short the poll in flight and any wait: ``docker stop`` allows ten seconds.
        Nothing is lost by that: updates Telegram handed out but the inbox did not yet keep
        are not confirmed, so they come again.
        """
        self._background_sending = True
        sending = asyncio.create_task(self.sender.run(stop))
        try:
            await self._poll(stop, wait_seconds)
        finally:
            stop.set()
            # A send cut short stays in the outbox and goes at the next start.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(sending, timeout=STOP_GRACE)
            self._background_sending = False

    async def _poll(self, stop: asyncio.Event, wait_seconds: int) -> None:
        bot = self.application.bot
        offset: int | None = None
        await self.process_pending()  # left over from the last run
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await unless_stopped(
                    bot.get_updates(
                        offset=offset,
                        timeout=timedelta(seconds=wait_seconds),
                        allowed_updates=Update.ALL_TYPES,
                    ),
                    stop,
                )
            except RetryAfter as error:
                await nap(stop, seconds(error.retry_after))
                continue
            except Conflict:
                log.error("another process polls this bot token; waiting")
                await nap(stop, 30)
                continue
            except (TimedOut, NetworkError) as error:
                log.warning("polling failed (%s); retrying in %.0f s", error, backoff)
                await nap(stop, backoff)
                backoff = min(backoff * 2, 60)
                continue
            if updates is None:
                return
            backoff = 1.0
            for update in updates:
                await self.accept(update.to_dict())
            if updates:
                # Only now, with every update of the batch on disk, may Telegram forget them.
                offset = updates[-1].update_id + 1
            await self.process_pending()
            await self.tick()
