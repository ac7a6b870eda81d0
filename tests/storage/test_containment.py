"""Set-aside outbox rows and updates, and what ``status`` reports of them (real files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.storage import Store

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


async def test_a_row_set_aside_leaves_the_outbox_and_is_counted(store: Store) -> None:
    async with store.write() as tx:
        first = await tx.enqueue("s1", {"op": "send", "text": "a story"})
        second = await tx.enqueue("s1", {"op": "edit", "text": "another"})
        third = await tx.enqueue(None, {"op": "popup", "text": "hi"})
    await store.set_aside(first, reason="BadRequest")
    await store.set_aside(second, reason="AttributeError", unconfirmed=True)
    await store.set_aside(second, reason="AttributeError")  # already gone: nothing happens
    assert [row[0] for row in await store.outbox_pending()] == [third]
    status = await store.status()
    assert status.pending_outbox == 1
    assert status.set_aside_outbox == {"BadRequest": 1, "AttributeError": 1}
    assert status.unconfirmed_outbox == 1
    assert status.last_errors["outbox"].reason in {"BadRequest", "AttributeError"}
    async with store.read() as tx:
        rows = await tx._all(
            "SELECT outbox_id, session_id, op, reason, unconfirmed FROM set_aside ORDER BY 1"
        )
    assert [tuple(r) for r in rows] == [
        (first, "s1", "send", "BadRequest", 0),
        (second, "s1", "edit", "AttributeError", 1),
    ]


@pytest.mark.parametrize("reason", ["", "message is too long: Amani said…", "a b", "x" * 65])
async def test_a_reason_is_a_code_never_text(store: Store, reason: str) -> None:
    async with store.write() as tx:
        oid = await tx.enqueue("s1", {"op": "send"})
    with pytest.raises(ValueError, match="short code"):
        await store.set_aside(oid, reason=reason)
    assert len(await store.outbox_pending()) == 1


async def test_status_counts_waiting_and_set_aside_updates(store: Store) -> None:
    for update_id in (5, 6, 7):
        await store.inbox_add(update_id, {"update_id": update_id}, T0)
    await store.inbox_set_aside(6, reason="unparseable")
    await store.count_dropped(2)
    await store.count_dropped(1)
    status = await store.status(now=T0 + timedelta(minutes=3))
    assert status.unprocessed_updates == 2
    assert status.oldest_unprocessed_age == timedelta(minutes=3)
    assert status.set_aside_updates == {"unparseable": 1}
    assert status.dropped_updates == 3
    assert [u for u, _ in await store.inbox_pending()] == [5, 7]
    async with store.read() as tx:
        row = await tx._one("SELECT payload_enc, processed_at FROM inbox WHERE update_id = 6")
    assert row[0] is None  # nothing of a set-aside update's content is kept
    assert row[1] is not None
    table = status.table()
    assert "unparseable: 1" in table
    assert "3 min" in table


async def test_set_aside_updates_are_remembered_longer_than_processed_ones(store: Store) -> None:
    await store.inbox_add(1, {"update_id": 1}, T0)
    await store.inbox_add(2, {"update_id": 2}, T0)
    await store.inbox_set_aside(1, reason="unparseable")
    async with store.write() as tx:
        await tx.mark_processed(2)
    await store.purge_expired(T0 + timedelta(days=3))
    assert (await store.status(now=T0)).set_aside_updates == {"unparseable": 1}
    assert not await store.inbox_add(1, {"update_id": 1}, T0)  # still known: not taken again
    await store.purge_expired(T0 + timedelta(days=31))
    assert (await store.status(now=T0)).set_aside_updates == {}
