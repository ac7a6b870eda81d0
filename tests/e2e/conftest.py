"""A whole bot on a real SQLite file, driven through the in-memory Bot API.

Nothing of the project is mocked: the real Application, handlers, service, engine, storage and
sender run; only Telegram is the in-memory ``FakeBotApi``, and people are scripted with
``bot.demo.Demo``.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.demo import DEMO_LIMITS, Demo, demo_api, demo_sender, paced
from bot.dialogues import Library
from bot.engine.state import SessionState
from bot.offline.api import FakeBotApi
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE, Person
from bot.storage import DataKey, Store
from bot.telegram.app import build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake

STRANGER = Person(999, "Stranger", None)


@dataclass
class Bot:
    """One running bot: what a test needs to act and to look."""

    api: FakeBotApi
    store: Store
    demo: Demo
    intake: Intake
    app: Any

    async def feed(self, update: dict[str, Any]) -> None:
        """As Telegram would: only what privacy mode lets the bot see reaches it."""
        if self.api.visible(update):
            await self.intake.feed(update)

    async def open(self, script: str = "community-safety", *, join: bool = True) -> str:
        await self.feed(self.api.start(FACILITATOR.user_id))
        await self.demo.command(FACILITATOR, f"/newsession {script}")
        async with self.store.read() as tx:
            session_id = await tx.session_for_chat(GROUP_ID, None)
        assert session_id is not None
        self.demo.session_id = session_id
        if join:
            for person in PEOPLE:
                await self.demo.join(person)
        return session_id

    async def state(self) -> SessionState:
        found = await self.intake.runtime.service.state(self.demo.session_id)
        assert found is not None
        return found

    def nudged(self, person: Person) -> bool:
        """Whether the bot reminded this person privately (in whatever language they read)."""
        for message in self.api.messages(person.user_id):
            rows = message.get("reply_markup", {}).get("inline_keyboard", [])
            if any("start=a_" in key.get("url", "") for row in rows for key in row):
                return True
        return False

    async def flush(self) -> None:
        """Send what the group's budget deferred (pins, late progress lines), as time passes."""
        await self.intake.sender.drain(patient=True)

    def group_calls(self) -> list[Any]:
        return [c for c in self.api.calls if c.chat_id == GROUP_ID]


# Each in-memory Telegram's simulated time, shared with the sender of every bot started on it.
_PACES: weakref.WeakKeyDictionary[FakeBotApi, SimulatedPace] = weakref.WeakKeyDictionary()


async def start_bot(api: FakeBotApi, path: Path, key: DataKey, **options: Any) -> Bot:
    """``options`` go to ``start_runtime`` (``retention_days``, ``default_language`` …)."""
    store = await Store.open(path, key)
    app = build_application("123456:TEST", request=api, limits=DEMO_LIMITS)
    runtime = await start_runtime(app, store, Library.load(), **options)
    pace = _PACES[api]
    intake = Intake(app, runtime, demo_sender(app.bot, store, pace))
    return Bot(api, store, Demo(api, store, paced(pace, intake.feed)), intake, app)


async def stop_bot(bot: Bot) -> None:
    await bot.app.shutdown()
    await bot.store.close()


def new_api(*, supergroup: bool = True) -> FakeBotApi:
    pace = SimulatedPace()
    api = demo_api(pace)  # Telegram's limits on, on the demo's simulated time
    _PACES[api] = pace
    api.add_group(
        GROUP_ID,
        "Mutumba",
        supergroup=supergroup,
        admins=(FACILITATOR.user_id,),
        members=[p.user_id for p in PEOPLE],
    )
    for person in (FACILITATOR, *PEOPLE, STRANGER):
        api.add_user(person.user_id, person.name, language_code=person.language)
    return api


@pytest.fixture
def key() -> DataKey:
    return DataKey.generate()


@pytest.fixture
async def bot(tmp_path: Path, key: DataKey) -> AsyncIterator[Bot]:
    running = await start_bot(new_api(), tmp_path / "bot.db", key)
    yield running
    await stop_bot(running)


@pytest.fixture
async def basic_group_bot(tmp_path: Path, key: DataKey) -> AsyncIterator[Bot]:
    """A bot in a basic group, which Telegram may upgrade to a supergroup."""
    running = await start_bot(new_api(supergroup=False), tmp_path / "bot.db", key)
    yield running
    await stop_bot(running)
