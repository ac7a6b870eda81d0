"""Restarts and the durable intake: what Telegram handed over is never lost or doubled."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey
from tests.e2e.conftest import new_api, start_bot, stop_bot

JEAN, GLORIA, _, PASCAL = PEOPLE


async def test_a_new_application_on_the_same_database_continues_the_session(
    tmp_path: Path, key: DataKey
) -> None:
    api = new_api()
    first = await start_bot(api, tmp_path / "bot.db", key)
    session_id = await first.open("quick-demo")
    await first.demo.command(FACILITATOR, "/next")
    await first.demo.reply(JEAN, await first.demo.live("prompt:story"), "Before the restart.")
    await stop_bot(first)

    second = await start_bot(api, tmp_path / "bot.db", key)
    second.demo.session_id = session_id
    try:
        await second.demo.reply(GLORIA, await second.demo.live("prompt:story"), "After it.")
        await second.demo.end(FACILITATOR)
        summary = api.message(GROUP_ID, await second.demo.live("summary"))
        assert summary is not None
        assert "Before the restart." in summary["text"]
        assert "After it." in summary["text"]
    finally:
        await stop_bot(second)


async def test_an_update_stored_before_a_crash_is_processed_at_start(
    tmp_path: Path, key: DataKey
) -> None:
    api = new_api()
    first = await start_bot(api, tmp_path / "bot.db", key)
    await first.open("quick-demo")
    # Stored in the inbox, then the process dies before handling it.
    assert await first.intake.accept(api.command(FACILITATOR.user_id, GROUP_ID, "/next"))
    await stop_bot(first)

    second = await start_bot(api, tmp_path / "bot.db", key)
    try:
        assert await second.intake.process_pending() == 1
        assert [t for t in api.sent_texts(GROUP_ID) if "Stage 1 of 3" in t]
        assert await second.intake.process_pending() == 0
    finally:
        await stop_bot(second)


async def test_polling_stores_then_processes_each_update_once(
    tmp_path: Path, key: DataKey
) -> None:
    api = new_api()
    bot = await start_bot(api, tmp_path / "bot.db", key)
    try:
        api.deliver(api.start(FACILITATOR.user_id))
        opening = api.command(FACILITATOR.user_id, GROUP_ID, "/newsession quick-demo")
        api.deliver(opening, opening)  # delivered twice
        # An update id far below the last one (ids restart at random after a quiet week).
        api.next_update_id = 3
        api.deliver(api.command(FACILITATOR.user_id, GROUP_ID, "/next"))
        stop = asyncio.Event()
        polling = asyncio.create_task(bot.intake.poll(stop, wait_seconds=0))
        for _ in range(200):
            if any("Stage 1 of 3" in t for t in api.sent_texts(GROUP_ID)):
                break
            await asyncio.sleep(0.01)
        stop.set()
        await asyncio.wait_for(polling, timeout=5)
        welcomes = [t for t in api.sent_texts(GROUP_ID) if "Join ↗" in t or "How we talk" in t]
        assert len(welcomes) == 1
        assert any("Stage 1 of 3" in t for t in api.sent_texts(GROUP_ID))
        assert await bot.store.inbox_pending() == []
    finally:
        await stop_bot(bot)
