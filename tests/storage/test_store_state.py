"""Sessions round-trip exactly, survive restarts, and transactions commit or roll back whole."""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.engine import events as ev
from bot.engine.machine import new_session, step
from bot.engine.script import Script
from bot.engine.state import SessionState
from bot.storage import DataKey, StorageError, Store

CHAT = -100_777
FAC, POL, RES, GONE = 9_100_001, 9_200_002, 9_300_003, 9_500_005


async def save(
    store: Store, state: SessionState, chat: int = CHAT, thread: int | None = None
) -> None:
    async with store.write() as tx:
        await tx.save_state(state, chat, thread)


async def load(store: Store, session_id: str = "s1") -> SessionState | None:
    async with store.write() as tx:
        return await tx.load_state(session_id)


async def test_rich_session_round_trips_exactly(store: Store, rich) -> None:
    final = rich().state
    assert final.answers
    assert final.drafts
    assert final.commitments[0].endorsers
    assert any(a.via_private for a in final.answers)
    await save(store, final)
    assert await load(store) == final


async def test_every_intermediate_state_round_trips(store: Store, rich) -> None:
    for state in rich().states:
        await save(store, state)
        assert await load(store) == state


async def test_empty_tally_round_trips(store: Store, driver) -> None:
    d = driver()
    d.do(ev.Opened, actor=FAC)
    d.join(POL, "Officer", "police")
    d.do(ev.Advanced, actor=FAC)
    d.do(ev.Advanced, actor=FAC)
    d.do(ev.ChoiceToggled, actor=POL, stage_id="priority", option_id="patrols")
    d.do(ev.ChoiceToggled, actor=POL, stage_id="priority", option_id="patrols")
    assert d.state.choices == {"priority": {}}
    await save(store, d.state)
    assert await load(store) == d.state


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    cut=st.integers(min_value=0, max_value=40),
    story=st.text(min_size=1, max_size=300).filter(lambda t: t.strip()),
    name=st.text(min_size=1, max_size=64).filter(lambda t: t.strip()),
)
def test_hypothesis_round_trip(rich, cut: int, story: str, name: str) -> None:
    d = rich(story=story)
    state = d.states[min(cut, len(d.states) - 1)]
    if state.participants:
        first = next(iter(state.participants.values()))
        state = state.model_copy(deep=True)
        state.participants[first.user_id] = first.model_copy(update={"name": name[:64]})

    async def run(path: Path) -> SessionState | None:
        store = await Store.open(path, DataKey.generate())
        try:
            await save(store, state)
            return await load(store)
        finally:
            await store.close()

    with tempfile.TemporaryDirectory() as tmp:
        assert asyncio.run(run(Path(tmp) / "h.db")) == state


async def test_restart_between_steps(db_path: Path, key: DataKey, rich, script: Script) -> None:
    """Close and reopen after every event; each step starts from what was read back."""
    reference = rich()
    for i, (event, now) in enumerate(reference.log):
        store = await Store.open(db_path, key)
        try:
            async with store.write() as tx:
                state = await tx.load_state("s1") or new_session("s1", script)
                state, _ = step(script, state, event, now)
                await tx.save_state(state, CHAT, None)
        finally:
            await store.close()
        assert state == reference.states[i]
    store = await Store.open(db_path, key)
    try:
        assert await load(store) == reference.state
    finally:
        await store.close()


async def test_lookups_by_chat_user_and_migration(store: Store, rich) -> None:
    await save(store, rich().state, CHAT, 42)
    async with store.write() as tx:
        assert await tx.session_for_chat(CHAT, 42) == "s1"
        assert await tx.session_for_chat(CHAT, None) is None
        assert await tx.session_chat("s1") == (CHAT, 42)
        assert await tx.session_chat("nope") is None
        assert await tx.sessions_of_user(RES) == ["s1"]
        assert await tx.sessions_of_user(FAC) == ["s1"]
        assert await tx.sessions_of_user(GONE) == []  # erased by the engine
        await tx.bind_private(GONE, "s1")
        assert await tx.private_binding(GONE) == "s1"
        assert await tx.sessions_of_user(GONE) == ["s1"]
        await tx.migrate_chat(CHAT, -100_999)
        assert await tx.session_chat("s1") == (-100_999, 42)
    await store.remember_message("s1", "welcome", -100_999, 5)
    async with store.write() as tx:
        await tx.migrate_chat(-100_999, -100_123)
    assert await store.message_ref("s1", "welcome") == (-100_123, 5)
    assert await store.message_key(-100_123, 5) == ("s1", "welcome")


async def test_ended_session_is_not_the_chat_session(store: Store, rich) -> None:
    d = rich()
    d.do(ev.Ended, actor=FAC, confirmed=True)
    await save(store, d.state)
    async with store.write() as tx:
        assert await tx.session_for_chat(CHAT, None) is None


async def test_exception_rolls_back_everything(store: Store, rich) -> None:
    final = rich().state

    async def fail_halfway() -> None:
        async with store.write() as tx:
            await tx.save_state(final, CHAT, None)
            await tx.enqueue("s1", {"x": 1})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        await fail_halfway()
    assert await load(store) is None
    assert await store.outbox_pending() == []


async def test_tx_is_dead_after_its_block(store: Store) -> None:
    async with store.write() as tx:
        pass
    with pytest.raises(StorageError, match="ended"):
        await tx.private_binding(1)


async def test_concurrent_writers_are_serialised(store: Store) -> None:
    async def add(i: int) -> int:
        async with store.write() as tx:
            return await tx.enqueue(None, {"i": i})

    ids = await asyncio.gather(*(add(i) for i in range(40)))
    assert sorted(ids) == list(range(1, 41))
    assert len(await store.outbox_pending()) == 40


async def test_read_snapshot_sees_committed_state_and_refuses_writes(store: Store, rich) -> None:
    final = rich().state
    await save(store, final)
    async with store.read() as tx:
        assert await tx.load_state("s1") == final
        assert await tx.session_for_chat(CHAT, None) == "s1"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await tx.enqueue("s1", {"x": 1})
    assert await store.outbox_pending() == []
    with pytest.raises(StorageError, match="ended"):
        await tx.load_state("s1")


async def test_read_snapshot_does_not_wait_for_the_writer(store: Store, rich) -> None:
    final = rich().state
    await save(store, final)
    writing, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with store.write() as tx:
            await tx.enqueue("s1", {"x": 1})
            writing.set()
            await release.wait()

    task = asyncio.create_task(slow_writer())
    await writing.wait()
    async with store.read() as tx:  # would deadlock if reads went through the writer
        assert await tx.load_state("s1") == final
    assert await store.outbox_pending() == []  # the uncommitted row is not visible
    release.set()
    await task
    assert len(await store.outbox_pending()) == 1


async def test_one_off_reads_never_run_inside_an_open_snapshot(store: Store) -> None:
    """A snapshot older than the sender's last delete must not make it send a message twice."""
    async with store.write() as tx:
        oid = await tx.enqueue(None, {"x": 1})
    snapshot_open, done_reading = asyncio.Event(), asyncio.Event()

    async def old_snapshot() -> None:
        async with store.read() as tx:
            await tx.private_binding(1)  # the snapshot starts here
            snapshot_open.set()
            await done_reading.wait()

    task = asyncio.create_task(old_snapshot())
    await snapshot_open.wait()
    await store.outbox_done(oid)
    pending = asyncio.create_task(store.outbox_pending())
    await asyncio.sleep(0.05)
    assert not pending.done()  # waits for the snapshot to close rather than read inside it
    done_reading.set()
    await task
    assert await pending == []
