"""The sender's settlements cost one write transaction however many rows they settle (SQLite).

What they write is checked for every backend in test_contract.py; this counts what SQLite runs.
"""

from __future__ import annotations

from bot.storage import Note, Settlement, Sighting, Store


async def test_settlements_are_written_in_one_transaction(store: Store) -> None:
    async with store.write() as tx:
        rows = [await tx.enqueue("s1", {"op": "send", "n": n}) for n in range(100)]
    seen: list[str] = []
    await store._writer.set_trace_callback(seen.append)
    await store.settle(
        [Settlement(row, (Note("s1", f"m{row}", Sighting.KNOWN, -5, row),)) for row in rows]
    )
    await store._writer.set_trace_callback(None)
    assert sum(sql.startswith("BEGIN IMMEDIATE") for sql in seen) == 1
    assert await store.outbox_pending() == []
    assert await store.message_ref("s1", f"m{rows[-1]}") == (-5, rows[-1])
