"""Whole sessions through the full bot, for the benchmarks that need them (bench/*.py).

A session of the default script with a crowd of any size, fed by the demo's scripted people to
the full bot (Application, engine, encrypted SQLite, sender) over the in-memory Bot API with no
Telegram limits: what one update costs the machine, not how fast Telegram lets a group talk.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.demo import Demo
from bot.dialogues import Library
from bot.engine.state import Role
from bot.offline.api import FakeBotApi
from bot.offline.cast import FACILITATOR, GROUP_ID, Person
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application, start_runtime
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender

UNLIMITED = RateLimits(overall_per_second=1_000_000, group_per_minute=1_000_000)
ROLES = (Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.LEADER)
TOKEN = "123456:BENCH"


def crowd(size: int, first_id: int = 5_000) -> tuple[Person, ...]:
    """``size`` participants, roles in turn as in a workshop, user ids from ``first_id`` on."""
    return tuple(
        Person(first_id + n, f"Person {n + 1}", ROLES[n % len(ROLES)]) for n in range(size)
    )


class RecordingIntake(Intake):
    """The full bot's intake, keeping each update it was fed and how long handling took."""

    updates: list[dict[str, Any]]
    latencies: list[float]

    async def feed(self, raw: dict[str, Any]) -> None:
        start = time.perf_counter()
        await super().feed(raw)
        self.latencies.append(time.perf_counter() - start)
        self.updates.append(raw)


def world(people: Sequence[Person]) -> FakeBotApi:
    api = FakeBotApi(bot_username="ikiganiro_bot")
    add_group(api, GROUP_ID, FACILITATOR, people)
    return api


def add_group(
    api: FakeBotApi, chat_id: int, facilitator: Person, people: Sequence[Person]
) -> None:
    """A group chat led by ``facilitator`` (its administrator), ``people`` in it already."""
    api.add_group(chat_id, f"Bench {chat_id}", admins=(facilitator.user_id,))
    for person in (facilitator, *people):
        api.add_user(person.user_id, person.name, language_code="en")
    api.add_members(chat_id, [p.user_id for p in people])


async def bare(updates: Iterable[dict[str, Any]], api: FakeBotApi, *, send: bool) -> float:
    """Seconds a bare PTB Application takes to process ``updates`` (one send each if ``send``).

    The least a bot can do with an update: PTB parses it and calls one handler, which does
    nothing or sends one message to the update's chat through the same in-memory Bot API.
    """

    async def nothing(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        return None

    async def one_send(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is not None:
            await context.bot.send_message(chat.id, "ok")

    app = Application.builder().token(TOKEN).request(api).updater(None).build()
    app.add_handler(TypeHandler(Update, one_send if send else nothing))
    await app.initialize()
    try:
        started = time.perf_counter()
        for raw in updates:
            await app.process_update(Update.de_json(raw, app.bot))
        return time.perf_counter() - started
    finally:
        await app.shutdown()


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else float("inf")


async def full_session(
    script_id: str, path: Path, people: tuple[Person, ...], key: DataKey | None = None
) -> tuple[list[dict[str, Any]], list[float]]:
    """One whole session through the full bot; returns the updates fed and their handling times."""
    library = Library.load()
    script = library[script_id]
    api = world(people)
    store = await Store.open(path, key or DataKey.generate())
    app = build_application(TOKEN, request=api, limits=UNLIMITED)
    try:
        runtime = await start_runtime(app, store, library)
        intake = RecordingIntake(app, runtime, Sender(app.bot, store, budget=UNLIMITED.budget()))
        intake.updates, intake.latencies = [], []
        demo = Demo(api, store, intake.feed, people=people)
        await demo.open(script.id)
        for stage in range(len(script.stages)):
            await demo.command(FACILITATOR, "/next")
            await demo.stage(script, stage)
        await demo.end(FACILITATOR)
        return intake.updates, intake.latencies
    finally:
        await app.shutdown()
        await store.close()
