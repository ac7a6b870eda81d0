"""``ikiganiro run``: the real bot, long polling through the durable intake until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta

from telegram.error import InvalidToken, NetworkError

from bot.dialogues import Library
from bot.service import utcnow
from bot.settings import Settings
from bot.storage import DataKey, Store
from bot.telegram.app import AnyApplication, RateLimits, build_application, start_runtime
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender
from bot.telegram.waiting import nap

log = logging.getLogger(__name__)

UPKEEP_EVERY = timedelta(hours=6)


async def _housekeeping(intake: Intake, settings: Settings, stop: asyncio.Event) -> None:
    """Reminders and retries every few seconds; idle sessions and the purge a few times a day."""
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
    store = await Store.open(settings.db, DataKey.from_env_value(key))
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
        )
        sender = Sender(application.bot, store, budget=limits.budget())
        intake = Intake(application, runtime, sender)
        log.info("serving as @%s", application.bot.username)
        chores = asyncio.create_task(_housekeeping(intake, settings, stop))
        try:
            await intake.poll(stop)
        finally:
            stop.set()
            await chores
    finally:
        if application.running:
            await application.stop()
        await application.shutdown()
        await store.close()
