"""The sender's settlements: many rows' outcomes in one transaction, and reading only new rows."""

from __future__ import annotations

import pytest

from bot.storage import Note, Settlement, Sighting, Store


async def _queue(store: Store, count: int) -> list[int]:
    async with store.write() as tx:
        return [await tx.enqueue("s1", {"op": "send", "n": n}) for n in range(count)]


async def test_settlements_are_written_in_one_transaction(store: Store) -> None:
    sent, waits, refused, gone = await _queue(store, 4)
    await store.remember_message("s1", "card", -5, 70)
    await store.remember_message("s1", "old", -5, 60)
    seen: list[str] = []
    await store._writer.set_trace_callback(seen.append)
    await store.settle(
        [
            Settlement(sent, (Note("s1", "prompt", Sighting.KNOWN, -5, 71),)),
            # a long message's first part went out, the rest waits
            Settlement(waits, (Note("s1", "long", Sighting.POSTED, -5),), done=False),
            Settlement(
                refused,
                (Note("s1", "card", Sighting.PERHAPS, -5), Note("s1", "old", Sighting.NONE)),
                reason="TimedOut",
                unconfirmed=True,
            ),
            Settlement(gone),
            Settlement(gone),  # settled twice: harmless
        ]
    )
    await store._writer.set_trace_callback(None)
    assert sum(sql.startswith("BEGIN IMMEDIATE") for sql in seen) == 1
    assert [row[0] for row in await store.outbox_pending()] == [waits]
    assert await store.message_ref("s1", "prompt") == (-5, 71)
    assert await store.sighting("s1", "long") is Sighting.POSTED
    assert await store.message_ref("s1", "card") == (-5, 70)  # a marker never hides a known id
    assert await store.sighting("s1", "old") is Sighting.NONE
    status = await store.status()
    assert status.set_aside_outbox == {"TimedOut": 1}
    assert status.unconfirmed_outbox == 1


async def test_a_reason_that_is_text_writes_nothing(store: Store) -> None:
    (row,) = await _queue(store, 1)
    with pytest.raises(ValueError, match="code"):
        await store.settle(
            [
                Settlement(row, (Note("s1", "prompt", Sighting.KNOWN, -5, 71),)),
                Settlement(row, reason="Amani said: the road is unsafe"),
            ]
        )
    assert [r[0] for r in await store.outbox_pending()] == [row]
    assert await store.sighting("s1", "prompt") is Sighting.NONE


async def test_the_outbox_is_read_from_where_the_reader_left_off(store: Store) -> None:
    ids = await _queue(store, 5)
    assert [r[0] for r in await store.outbox_after(0, 2)] == ids[:2]
    assert [(r[0], r[2]["n"]) for r in await store.outbox_after(ids[1], 10)] == [
        (ids[2], 2),
        (ids[3], 3),
        (ids[4], 4),
    ]
    assert await store.outbox_after(ids[4]) == []
    await store.outbox_done(ids[1])
    assert await store.outbox_count(ids[3]) == 3
    assert await store.outbox_ids(ids[3]) == {ids[0], ids[2], ids[3]}
