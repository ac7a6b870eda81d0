"""Builds the PTB ``Application`` the way Ikiganiro needs it, for the real bot and the demo alike.

PTB's own ``Updater`` is switched off (``updater(None)``): it tells Telegram an update was
received before a handler ran, so a crash would lose it. ``bot.telegram.intake`` fetches and
stores updates itself and hands them to ``Application.process_update``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from telegram import (
    BotCommand,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
)
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot.commands import Place
from bot.dialogues import Library
from bot.i18n.catalog import LANGUAGES, translator
from bot.service import Clock, Service, utcnow
from bot.storage import Store
from bot.telegram.admins import Administrators, Members
from bot.telegram.budget import Budget, Pace
from bot.telegram.handlers import Runtime, install
from bot.words.menus import menu

log = logging.getLogger(__name__)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


@dataclass(frozen=True)
class RateLimits:
    """Telegram's published limits by default; the offline demo may relax them.

    ``group_per_minute`` is the budget the sender keeps per group (``bot.telegram.budget``);
    PTB's limiter keeps only the overall rate and never retries by itself, so a 429 reaches
    the sender, which waits and then sends what is most awaited by then.
    """

    overall_per_second: float = 30
    group_per_minute: int = 20
    max_retries: int = 0

    def budget(self, pace: Pace | None = None) -> Budget:
        return Budget(per_minute=self.group_per_minute, pace=pace or Pace())


def build_application(
    token: str,
    *,
    base_url: str | None = None,
    base_file_url: str | None = None,
    request: BaseRequest | None = None,
    limits: RateLimits = RateLimits(),
) -> AnyApplication:
    builder = (
        ApplicationBuilder()
        .token(token)
        .updater(None)
        .defaults(Defaults(disable_notification=False))
        .rate_limiter(
            # Only the bot's overall limit: each group's budget is the sender's to spend, in
            # the order people need (bot/telegram/budget.py), which a limiter cannot know.
            AIORateLimiter(
                overall_max_rate=limits.overall_per_second,
                overall_time_period=1,
                group_max_rate=0,
                max_retries=limits.max_retries,
            )
        )
    )
    if base_url:
        builder = builder.base_url(base_url)
    if base_file_url:
        builder = builder.base_file_url(base_file_url)
    if request is None:
        tls = httpx.create_ssl_context()  # the CA bundle read once, not once per client
        builder = builder.request(
            HTTPXRequest(connection_pool_size=256, httpx_kwargs={"verify": tls})
        ).get_updates_request(HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": tls}))
    else:
        builder = builder.request(request).get_updates_request(request)
    application = builder.build()
    install(application)
    return application


async def set_command_menus(application: AnyApplication) -> bool:
    """The command menu in every language; optional, so a refusal is logged once and ignored."""
    bot = application.bot
    scopes = (
        (BotCommandScopeAllGroupChats(), Place.GROUP, False),
        (BotCommandScopeAllChatAdministrators(), Place.GROUP, True),
        (BotCommandScopeAllPrivateChats(), Place.PRIVATE, False),
    )
    try:
        for language in (None, *LANGUAGES):
            tr = translator(language)
            for scope, place, leads in scopes:
                commands = [BotCommand(*pair) for pair in menu(tr, place, leads=leads)]
                await bot.set_my_commands(commands, scope=scope, language_code=language)
    except TelegramError as error:
        log.warning("the command menu could not be set (%s); commands still work", error)
        return False
    return True


async def start_runtime(
    application: AnyApplication,
    store: Store,
    library: Library,
    *,
    default_language: str = "en",
    retention_days: int = 90,
    clock: Clock = utcnow,
    menus: bool = True,
) -> Runtime:
    """Initialise the bot (``getMe``) and attach what the handlers need; set the command
    menus too, unless ``menus`` is False (``ikiganiro run`` sets them alongside its polls:
    fifteen calls, each a round trip to Telegram, need not delay the first poll)."""
    await application.initialize()
    admins, members = Administrators(application.bot), Members(application.bot)
    service = Service(
        store,
        library,
        bot_username=application.bot.username,
        default_language=default_language,
        clock=clock,
        retention_days=retention_days,
        admins=admins,
        members=members,
    )
    runtime = Runtime(service=service, store=store, admins=admins, members=members)
    application.bot_data["runtime"] = runtime
    if menus:
        await set_command_menus(application)
    return runtime
