"""One group's flood limit holds up only that group.

Several workshops may run at once, each in its own group. Telegram allows about twenty
messages a minute per group; a busy group that reaches it must wait, and the bot must go on
reading and answering everyone else meanwhile.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.dialogues import Library
from bot.offline.api import FakeBotApi
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application, start_runtime
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender

BUSY, CALM = -1001000000001, -1001000000002
FACILITATOR = 100
UNLIMITED = RateLimits(overall_per_second=10_000, group_per_minute=100_000, max_retries=0)


def _prompt_posted(api: FakeBotApi, chat_id: int) -> bool:
    return any("Stage 1 of" in text for text in api.sent_texts(chat_id))


def _refused_for_flood(api: FakeBotApi, chat_id: int) -> bool:
    calls = api.calls_to("sendMessage", chat_id)
    return bool(calls) and calls[-1].error is not None


async def _owed(store: Store) -> set[int]:
    """The chats the outbox still owes messages to."""
    return {payload["chat_id"] for _, _, payload in await store.outbox_pending()}


async def _owed_only_busy(store: Store) -> bool:
    return await _owed(store) == {BUSY}


async def eventually(check: Callable[[], bool | Awaitable[bool]]) -> None:
    """Until ``check`` holds; what it watches happens in the polling task."""
    async with asyncio.timeout(5):
        while True:
            result = check()
            if result if isinstance(result, bool) else await result:
                return
            await asyncio.sleep(0.01)


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[tuple[FakeBotApi, Intake, Store]]:
    api = FakeBotApi(bot_username="ikiganiro_bot")
    api.add_user(FACILITATOR, "Amani", language_code="en")
    for chat_id, title in ((BUSY, "Busy hill"), (CALM, "Calm hill")):
        api.add_group(chat_id, title, admins=(FACILITATOR,))
    store = await Store.open(tmp_path / "bot.db", DataKey.generate())
    app = build_application("123456:TEST", request=api, limits=UNLIMITED)
    try:
        runtime = await start_runtime(app, store, Library.load())
        # A flood wait of up to 30 s is honoured, as in production.
        intake = Intake(
            app, runtime, Sender(app.bot, store, max_wait=30, budget=UNLIMITED.budget())
        )
        for chat_id in (BUSY, CALM):
            await intake.feed(api.command(FACILITATOR, chat_id, "/newsession quick-demo"))
        yield api, intake, store
    finally:
        await app.shutdown()
        await store.close()


async def test_a_group_waiting_out_a_429_does_not_delay_another_group(world) -> None:
    api, intake, _ = world
    api.fail("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=BUSY)
    intake.sender.max_wait = 2  # the busy lane waits its second out, then sends
    await intake.accept(api.command(FACILITATOR, BUSY, "/next"))
    await intake.accept(api.command(FACILITATOR, CALM, "/next"))
    await intake.process_pending()

    sent = [
        call.chat_id
        for call in api.calls
        if call.method == "sendMessage" and call.ok and call.chat_id in (BUSY, CALM)
    ]
    # Both prompts went out, the calm group's first although its command came second.
    assert sent[-2:] == [CALM, BUSY]
    assert _prompt_posted(api, BUSY)


async def test_polling_goes_on_while_a_group_waits_out_its_limit(world) -> None:
    api, intake, store = world
    api.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30, chat_id=BUSY)
    stop = asyncio.Event()
    polling = asyncio.create_task(intake.poll(stop, wait_seconds=1))
    try:
        api.deliver(api.command(FACILITATOR, BUSY, "/next"))
        await eventually(lambda: _refused_for_flood(api, BUSY))  # now in a 30-second wait
        api.deliver(api.command(FACILITATOR, CALM, "/next"))
        await eventually(lambda: _prompt_posted(api, CALM))
        assert not _prompt_posted(api, BUSY)  # still waiting, and still owed
        # The calm group's rows leave the outbox once sent; the busy group's stay.
        await eventually(lambda: _owed_only_busy(store))
    finally:
        stop.set()
        async with asyncio.timeout(5):  # a stop does not wait the 30 seconds out
            await polling
    assert await _owed(store) == {BUSY}  # kept for the next start


async def test_the_background_sender_outlives_quiet_spells(world) -> None:
    """Between workshops nothing is sent for hours; the sender must still be there after."""
    api, intake, store = world
    stop = asyncio.Event()
    running = asyncio.create_task(intake.sender.run(stop, every=0.02))
    try:
        await asyncio.sleep(0.2)  # ten quiet spells
        assert not running.done()
        async with store.write() as tx:
            await tx.enqueue(None, {"op": "send", "chat_id": CALM, "text": "After the quiet."})
        intake.sender.wake()
        await eventually(lambda: "After the quiet." in api.sent_texts(CALM))
    finally:
        stop.set()
        await running
