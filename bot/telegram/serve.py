"""``ikiganiro run``: the real bot, long polling through the durable intake until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import InvalidToken, NetworkError

from bot.collector import settle
from bot.dialogues import Library
from bot.service import utcnow
from bot.settings import Settings
from bot.storage import DataKey, StorageError, Store
from bot.telegram.app import (
    AnyApplication,
    RateLimits,
    build_application,
    set_command_menus,
    start_runtime,
)
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender
from bot.telegram.waiting import nap, unless_stopped

log = logging.getLogger(__name__)

UPKEEP_EVERY = timedelta(hours=6)


async def _housekeeping(intake: Intake, settings: Settings, stop: asyncio.Event) -> None:
    """Reminders and retries every few seconds; idle sessions and the purge a few times a day.

    Only once the database has passed its full check: every chore writes (a failed check
    stops the bot through :func:`while_checking`)."""
    try:
        await unless_stopped(intake.store.checked(), stop)
    except StorageError:
        return
    last_upkeep = utcnow() - UPKEEP_EVERY
    while not stop.is_set():
        try:
            await intake.tick()
            if utcnow() - last_upkeep >= UPKEEP_EVERY:
                ended, purged = await intake.upkeep(
                    retention_days=settings.retention_days, idle_days=settings.idle_days
                )
                last_upkeep = utcnow()
                if ended:
                    log.info("%d session(s) ended after %d idle days", ended, settings.idle_days)
                if purged:
                    log.info("answer texts of %d ended session(s) deleted", purged)
        except Exception:
            log.exception("housekeeping failed; trying again shortly")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=15)


class TokenRefused(Exception):
    """The Bot API server does not know this token: no retry can help."""


async def _initialise(application: AnyApplication, stop: asyncio.Event) -> bool:
    """``getMe`` until it answers: a village network may be down when the host boots.

    False if stopped first. A refused token is final and raises :class:`TokenRefused`.
    """
    backoff = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
        except InvalidToken:
            raise TokenRefused from None  # PTB's message repeats the token
        except NetworkError as error:
            log.warning(
                "the Bot API server cannot be reached (%s); retrying in %.0f s", error, backoff
            )
            await nap(stop, backoff)
            backoff = min(backoff * 2, 60)
        else:
            return True
    return False


async def serve(settings: Settings, token: str, key: str, stop: asyncio.Event) -> None:
    """Open the store with its full check running alongside, and serve until ``stop``.

    Start-up does not wait for the check (it reads the whole file, about a second per
    gigabyte): the first poll goes out at once, and every write, its batch's inbox rows
    included, waits until the check has passed; so a poll's updates wait unconfirmed at
    Telegram meanwhile (docs/storage.md, "Opening").
    """
    store = await Store.open(settings.db, DataKey.from_env_value(key), check_alongside=True)
    try:
        await while_checking(store, _serve(store, settings, token, stop), stop)
    finally:
        await store.close()


async def while_checking(
    store: Store, work: Coroutine[Any, Any, None], stop: asyncio.Event
) -> None:
    """Run ``work`` while the store's full check runs. If the file fails it, stop the bot and
    raise the check's refusal (one sentence, exit 2), even if no update came to be written."""
    job = asyncio.create_task(work)
    check = asyncio.create_task(store.checked())
    try:
        await asyncio.wait({job, check}, return_when=asyncio.FIRST_COMPLETED)
        refusal = check.exception() if check.done() else None
        if refusal is not None:
            stop.set()  # the poll in flight and the chores end as on a signal
            await asyncio.wait({job})
            if not job.cancelled():
                job.exception()  # a write that met the same refusal: said once, below
            raise refusal
        await job
    finally:
        for task in (check, job):
            task.cancel()
        await asyncio.gather(check, job, return_exceptions=True)


async def _serve(store: Store, settings: Settings, token: str, stop: asyncio.Event) -> None:
    limits = RateLimits(
        overall_per_second=settings.messages_per_second,
        group_per_minute=int(settings.group_messages_per_minute),
    )
    application = build_application(
        token, base_url=settings.base_url, base_file_url=settings.base_file_url, limits=limits
    )
    try:
        if not await _initialise(application, stop):
            return
        runtime = await start_runtime(
            application,
            store,
            Library.load(),
            default_language=settings.language,
            retention_days=settings.retention_days,
            menus=False,
        )
        sender = Sender(application.bot, store, budget=limits.budget())
        intake = Intake(application, runtime, sender)
        log.info("serving as @%s", application.bot.username)
        menus = asyncio.create_task(set_command_menus(application))
        chores = asyncio.create_task(_housekeeping(intake, settings, stop))
        # Once the first poll is on its way: collecting then costs the poll nothing.
        asyncio.get_running_loop().call_soon(settle)
        try:
            await intake.poll(stop)
        finally:
            stop.set()
            await chores
            menus.cancel()
            await asyncio.gather(menus, return_exceptions=True)
    finally:
        if application.running:
            await application.stop()
        await application.shutdown()
