"""The inbox deduplicates by set membership; the outbox holds each message until it is sent."""

from __future__ import annotations

import asyncio
import random
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from bot.engine.events import Event
from bot.engine.machine import new_session, step
from bot.engine.script import Script
from bot.storage import DataKey, Store

T = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
EVENT = TypeAdapter(Event)


def updates_of(driver: Any, first_id: int = 900_000) -> list[tuple[int, dict[str, Any]]]:
    """Telegram-like updates with ids that run backwards, as after a week of silence."""
    return [
        (first_id - 7 * i, {"event": event.model_dump(mode="json"), "at": now.isoformat()})
        for i, (event, now) in enumerate(driver.log)
    ]


async def handle(store: Store, script: Script, update_id: int, payload: dict[str, Any]) -> None:
    """What the service layer does with one inbox row: one transaction, marked processed."""
    event = EVENT.validate_python(payload["event"])
    async with store.write() as tx:
        state = await tx.load_state("s1") or new_session("s1", script)
        state, effects = step(script, state, event, datetime.fromisoformat(payload["at"]))
        await tx.save_state(state, -1, None)
        for effect in effects:
            await tx.enqueue("s1", effect.model_dump(mode="json"))
        await tx.mark_processed(update_id)


async def deliver(store: Store, script: Script, update_id: int, payload: dict[str, Any]) -> None:
    if await store.inbox_add(update_id, payload, T):
        await handle(store, script, update_id, payload)


async def snapshot(store: Store) -> tuple[Any, ...]:
    async with store.write() as tx:
        state = await tx.load_state("s1")
        cur = await tx._exec(
            "SELECT update_id, payload_enc IS NULL, processed_at IS NOT NULL FROM inbox"
            " ORDER BY update_id"
        )
        inbox = await cur.fetchall()
        await cur.close()
    outbox = [(sid, payload) for _, sid, payload in await store.outbox_pending(limit=10_000)]
    return state, inbox, outbox


def _with_duplicates(
    updates: list[tuple[int, dict[str, Any]]], rnd: random.Random
) -> list[tuple[int, dict[str, Any]]]:
    """Each update 1-3 times; copies land anywhere after the first delivery."""
    sequence = list(updates)
    for update in updates:
        for _ in range(rnd.randint(0, 2)):
            first = sequence.index(update)
            sequence.insert(rnd.randint(first + 1, len(sequence)), update)
    return sequence


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rnd=st.randoms(use_true_random=False))
def test_redelivery_changes_nothing(rich, script: Script, rnd: random.Random) -> None:
    updates = updates_of(rich())

    async def run(path: Path, sequence: list[tuple[int, dict[str, Any]]]) -> tuple[Any, ...]:
        store = await Store.open(path, DataKey.generate())
        try:
            for update_id, payload in sequence:
                await deliver(store, script, update_id, payload)
            return await snapshot(store)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as tmp:
        once = asyncio.run(run(Path(tmp) / "once.db", updates))
        many = asyncio.run(run(Path(tmp) / "many.db", _with_duplicates(updates, rnd)))
    assert once == many
    assert once[0] == rich().state


async def test_inbox_is_a_set_not_a_watermark(store: Store) -> None:
    assert await store.inbox_add(500, {"n": 1}, T)
    assert await store.inbox_add(3, {"n": 2}, T)  # lower id after a higher one: still new
    assert not await store.inbox_add(500, {"n": 1}, T)
    assert await store.inbox_pending() == [(500, {"n": 1}), (3, {"n": 2})]  # arrival order
    async with store.write() as tx:
        await tx.mark_processed(500)
    assert await store.inbox_pending() == [(3, {"n": 2})]
    assert not await store.inbox_add(500, {"n": 1}, T)  # seen before, even once processed


async def test_processed_inbox_rows_keep_no_payload(store: Store) -> None:
    await store.inbox_add(7, {"text": "a story"}, T)
    async with store.write() as tx:
        await tx.mark_processed(7)
        cur = await tx._exec("SELECT payload_enc, processed_at FROM inbox WHERE update_id = 7")
        row = await cur.fetchone()
        await cur.close()
    assert row is not None
    assert row[0] is None
    assert row[1] is not None


async def test_pending_inbox_survives_restart(db_path: Path, key: DataKey) -> None:
    store = await Store.open(db_path, key)
    await store.inbox_add(11, {"a": 1}, T)
    await store.close()
    store = await Store.open(db_path, key)
    try:
        assert await store.inbox_pending() == [(11, {"a": 1})]
    finally:
        await store.close()


async def test_outbox_is_at_least_once(db_path: Path, key: DataKey) -> None:
    store = await Store.open(db_path, key)
    async with store.write() as tx:
        first = await tx.enqueue("s1", {"send": 1})
        second = await tx.enqueue(None, {"send": 2})
    assert [r[0] for r in await store.outbox_pending()] == [first, second]
    # a crash between sending and recording: the row is still there after restart
    await store.close()
    store = await Store.open(db_path, key)
    try:
        assert await store.outbox_pending() == [
            (first, "s1", {"send": 1}),
            (second, None, {"send": 2}),
        ]
        await store.outbox_replace(second, {"send": 2, "chat_id": -42})
        await store.outbox_done(first)
        await store.outbox_done(first)  # recording twice is harmless
        assert await store.outbox_pending() == [(second, None, {"send": 2, "chat_id": -42})]
        assert await store.outbox_pending(limit=0) == []
        await store.outbox_done(second)
        assert await store.outbox_pending() == []
    finally:
        await store.close()


async def test_reminders_upsert_cancel_and_fall_due(store: Store) -> None:
    async with store.write() as tx:
        await tx.schedule("s1", "nudge:story", T + timedelta(minutes=5), {"v": 1})
        await tx.schedule("s1", "nudge:story", T + timedelta(minutes=10), {"v": 2})
        await tx.schedule("s1", "timebox:story", T + timedelta(minutes=20), {"v": 3})
        await tx.schedule("s2", "x", T + timedelta(minutes=1, microseconds=1), {"v": 4})
    assert await store.due_reminders(T) == []
    assert await store.due_reminders(T + timedelta(minutes=1)) == []
    assert await store.due_reminders(T + timedelta(minutes=10)) == [
        ("s2", "x", {"v": 4}),
        ("s1", "nudge:story", {"v": 2}),
    ]
    async with store.write() as tx:
        await tx.cancel("s1", "nudge:story")
    assert [r[1] for r in await store.due_reminders(T + timedelta(days=1))] == [
        "x",
        "timebox:story",
    ]


async def test_live_messages(store: Store) -> None:
    assert await store.message_ref("s1", "welcome") is None
    await store.remember_message("s1", "welcome", -5, 100)
    await store.remember_message("s1", "welcome", -5, 101)  # re-posted: upsert
    assert await store.message_ref("s1", "welcome") == (-5, 101)
    assert await store.message_key(-5, 101) == ("s1", "welcome")
    assert await store.message_key(-5, 100) is None
    await store.forget_message("s1", "welcome")
    assert await store.message_ref("s1", "welcome") is None
