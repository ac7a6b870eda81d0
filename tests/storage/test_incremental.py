"""A save writes what changed, a load reads nothing it already holds, and neither goes stale.

The store keeps each session's committed state in memory and writes only the rows that differ
from it (docs/storage.md, "Writing only what changed"). Every check of what the database holds
reads it through a second ``Store`` on the same file with no cache, so a state that is right in
memory and wrong on disk cannot pass.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.engine import events as ev
from bot.engine.state import Answer, Role, SessionState, Visibility
from bot.storage import DataKey, StorageError, Store
from bot.storage.cache import SessionCache

CHAT = -100_777
FAC, POL = 9_100_001, 9_200_002


@pytest.fixture
async def disk(db_path: Path, key: DataKey, store: Store) -> AsyncIterator[Store]:
    """The same database through a store that keeps nothing in memory: what is on disk."""
    other = await Store.open(db_path, key)
    other.cache = SessionCache(limit=0)
    yield other
    await other.close()


async def save(store: Store, state: SessionState) -> None:
    async with store.write() as tx:
        await tx.save_state(state, CHAT, None)


async def on_disk(disk: Store, session_id: str = "s1") -> SessionState | None:
    async with disk.read() as tx:
        return await tx.load_state(session_id)


def share(before: SessionState, after: SessionState) -> SessionState:
    """``after`` with every inner model equal to one of ``before`` replaced by that very
    object, as the engine's copy-on-write leaves them (bot.engine.machine.step)."""
    kept_answers = {a.id: a for a in before.answers}
    kept_commitments = {c.id: c for c in before.commitments}
    return after.model_copy(
        update={
            "participants": {
                uid: before.participants[uid] if before.participants.get(uid) == p else p
                for uid, p in after.participants.items()
            },
            "answers": [
                kept_answers[a.id] if kept_answers.get(a.id) == a else a for a in after.answers
            ],
            "drafts": {
                uid: before.drafts[uid] if before.drafts.get(uid) == d else d
                for uid, d in after.drafts.items()
            },
            "commitments": [
                kept_commitments[c.id] if kept_commitments.get(c.id) == c else c
                for c in after.commitments
            ],
        }
    )


async def save_then_fail(store: Store, state: SessionState) -> None:
    async with store.write() as tx:
        await tx.save_state(state, CHAT, None)
        raise RuntimeError("the handler failed after saving")


async def batch_then_fail(store: Store, state: SessionState) -> None:
    async with store.batch():
        await save(store, state)
        raise RuntimeError("the commit did not happen")


async def save_after_sqlite_rolled_back(store: Store, state: SessionState) -> None:
    async with store.write() as tx:
        await tx._conn.execute("ROLLBACK")  # as SQLite does on SQLITE_FULL
        await tx.save_state(state, CHAT, None)


async def batch_sqlite_rolled_back(store: Store, state: SessionState) -> None:
    async with store.batch():
        with pytest.raises(StorageError):
            await save_after_sqlite_rolled_back(store, state)
        await save(store, state)


def crowd_state(driver: Callable[..., Any], people: int) -> SessionState:
    d = driver()
    d.do(ev.Opened, actor=FAC)
    for n in range(people):
        d.join(POL + n, f"Person {n}", Role.POLICE if n % 2 else Role.RESIDENT)
    d.do(ev.Advanced, actor=FAC)  # the story stage
    for n in range(people):
        d.do(ev.Answered, actor=POL + n, stage_id="story", text=f"Story number {n}.")
    return d.state


def one_more_answer(state: SessionState) -> SessionState:
    """The next state after one more answer, sharing everything else with ``state``."""
    first = state.answers[0]
    answer = Answer(
        id="a-new",
        stage_id="story",
        user_id=first.user_id,
        text="One more thing.",
        visibility=Visibility.NAMED,
        created_at=first.created_at + timedelta(minutes=5),
    )
    return state.model_copy(
        update={"answers": [*state.answers, answer], "applied": state.applied | {"e-new"}}
    )


async def test_one_answer_in_a_60_person_session_writes_three_rows(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    state = crowd_state(driver, 60)
    await save(store, state)
    after = one_more_answer(state)
    async with store.write() as tx:
        before = tx._conn.total_changes
        await tx.save_state(after, CHAT, None)
        changed = tx._conn.total_changes - before
    assert changed == 3, changed  # the session row, the answer, the event id
    assert await on_disk(disk) == after


async def test_a_session_in_memory_is_not_read_again(
    store: Store, driver: Callable[..., Any]
) -> None:
    state = crowd_state(driver, 20)
    await save(store, state)
    statements: list[str] = []
    await store._writer.set_trace_callback(statements.append)
    try:
        async with store.write() as tx:
            assert await tx.load_state("s1") is state
    finally:
        await store._writer.set_trace_callback(None)
    assert not [s for s in statements if "answers" in s or "participants" in s], statements


async def test_every_state_of_a_session_saved_in_turn_is_what_the_disk_holds(
    store: Store, disk: Store, rich: Callable[..., Any]
) -> None:
    """Answers added, edited and erased, drafts, choices, votes, endorsements, a person
    erased: each save written as the difference from the one before."""
    states = rich().states
    before = states[0]
    await save(store, before)
    for next_state in states[1:]:
        state = share(before, next_state)
        await save(store, state)
        assert await on_disk(disk) == state
        before = state


async def test_a_write_rolled_back_leaves_memory_as_the_disk(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    state = crowd_state(driver, 4)
    await save(store, state)
    with pytest.raises(RuntimeError):
        await save_then_fail(store, one_more_answer(state))
    async with store.write() as tx:
        assert await tx.load_state("s1") == state
    assert await on_disk(disk) == state


async def test_a_batch_commits_once_and_undoes_only_the_write_that_failed(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    first = crowd_state(driver, 4)
    second = one_more_answer(first)
    third = second.model_copy(update={"applied": second.applied | {"e-third"}})
    statements: list[str] = []
    await store._writer.set_trace_callback(statements.append)
    try:
        async with store.batch():
            await save(store, first)
            with pytest.raises(RuntimeError):
                await save_then_fail(store, second)
            async with store.read() as tx:  # reads in the batch see what it wrote
                assert await tx.load_state("s1") == first
            await save(store, third)
    finally:
        await store._writer.set_trace_callback(None)
    assert [s for s in statements if s.startswith(("BEGIN", "COMMIT"))] == [
        "BEGIN IMMEDIATE",
        "COMMIT",
    ]
    assert await on_disk(disk) == third


async def test_a_batch_rolled_back_leaves_nothing_in_memory(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    state = crowd_state(driver, 4)
    with pytest.raises(RuntimeError):
        await batch_then_fail(store, state)
    async with store.write() as tx:
        assert await tx.load_state("s1") is None
    assert await on_disk(disk) is None


async def test_a_batch_the_database_rolled_back_commits_nothing_after(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    """A full disk can make SQLite end the whole transaction: what follows must not be
    written statement by statement outside it."""
    state = crowd_state(driver, 4)
    with pytest.raises(StorageError):
        await batch_sqlite_rolled_back(store, state)
    assert await on_disk(disk) is None


async def test_erasing_a_person_is_never_undone_by_memory(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    state = crowd_state(driver, 4)
    await save(store, state)
    async with store.write() as tx:
        await tx.forget_user(POL)
    async with store.write() as tx:
        loaded = await tx.load_state("s1")
    assert loaded is not None
    assert POL not in loaded.participants
    assert POL not in {a.user_id for a in loaded.answers}
    assert loaded == await on_disk(disk)


async def test_purged_stories_are_not_served_from_memory(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    d = driver()
    d.do(ev.Opened, actor=FAC)
    d.join(POL, "Officer", Role.POLICE)
    d.do(ev.Advanced, actor=FAC)
    d.do(ev.Answered, actor=POL, stage_id="story", text="A story to purge.")
    d.do(ev.Ended, actor=FAC, confirmed=True)
    await save(store, d.state)
    assert await store.purge_expired(d.now + timedelta(days=365), days=90) == 1
    async with store.write() as tx:
        loaded = await tx.load_state("s1")
    assert loaded is not None
    assert loaded.answers == []
    assert loaded == await on_disk(disk)


async def test_a_checkpoint_asked_for_in_a_batch_waits_for_its_commit(
    store: Store, driver: Callable[..., Any]
) -> None:
    async with asyncio.timeout(10):  # it used to wait for the batch's own lock
        async with store.batch():
            await save(store, crowd_state(driver, 2))
            await store.checkpoint()


async def test_an_outbox_row_is_one_statement_and_its_id_never_reused(
    db_path: Path, key: DataKey, store: Store
) -> None:
    statements: list[str] = []
    await store._writer.set_trace_callback(statements.append)
    async with store.write() as tx:
        first = await tx.enqueue("s1", {"op": "send", "n": 1})
    await store._writer.set_trace_callback(None)
    writes = [s for s in statements if "outbox" in s and not s.startswith("SELECT")]
    assert len(writes) == 1, writes
    assert writes[0].startswith("INSERT INTO outbox")
    with pytest.raises(RuntimeError):
        await enqueue_then_fail(store)
    async with store.write() as tx:
        second = await tx.enqueue("s1", {"op": "send", "n": 2})
    await store.outbox_done(second)
    again = await Store.open(db_path, key)  # as a new process: ids go on past every one given
    try:
        async with again.write() as tx:
            third = await tx.enqueue("s1", {"op": "send", "n": 3})
        assert first < second < third
        assert [(oid, p["n"]) for oid, _, p in await again.outbox_pending()] == [
            (first, 1),
            (third, 3),
        ]
    finally:
        await again.close()


async def enqueue_then_fail(store: Store) -> None:
    async with store.write() as tx:
        await tx.enqueue("s1", {"op": "send", "n": 0})
        raise RuntimeError("rolled back")


async def test_a_task_started_inside_a_batch_writes_in_a_transaction_of_its_own(
    store: Store, disk: Store, driver: Callable[..., Any]
) -> None:
    """A task inherits the batch's context variable, not the batch: its write waits for the
    batch and commits on its own, whatever becomes of the batch."""
    state = crowd_state(driver, 2).model_copy(update={"session_id": "t1"})
    started: list[asyncio.Task[None]] = []
    with pytest.raises(RuntimeError):
        await batch_starting_a_write(store, state, started)
    await asyncio.wait_for(started[0], timeout=10)
    assert await on_disk(disk, "t1") == state


async def batch_starting_a_write(
    store: Store, state: SessionState, started: list[asyncio.Task[None]]
) -> None:
    async with store.batch():
        started.append(asyncio.create_task(save(store, state)))
        for _ in range(20):  # let it run as far as it can while the batch is open
            await asyncio.sleep(0)
        raise RuntimeError("the batch is rolled back")


async def test_a_read_inside_a_batch_refuses_to_write_as_the_reader_does(
    store: Store, driver: Callable[..., Any]
) -> None:
    async with store.batch():
        await save(store, crowd_state(driver, 2))
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await enqueue_through_a_read(store)


async def enqueue_through_a_read(store: Store) -> None:
    async with store.read() as tx:
        await tx.enqueue("s1", {"op": "send"})
