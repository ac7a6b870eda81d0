"""What the sender costs the machine: each outbox row read once, settlements committed together.

A thousand workshops at once leave thousands of rows waiting. The sender used to read and
decrypt the whole outbox (up to a thousand rows) before every row it delivered, and to commit
each row's outcome in a transaction or two of its own (each an fsync). These tests count what
SQLite itself runs on the store's two connections (a trace callback), not the sender's own
bookkeeping.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from bot import delivery as op
from bot.offline.api import FakeBotApi
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application
from bot.telegram.sender import Sender

UNLIMITED = RateLimits(overall_per_second=1_000_000, group_per_minute=1_000_000)
FIRST_GROUP = -1_003_000_000_000


@dataclass
class Counted:
    """The statements SQLite ran on one connection."""

    seen: list[str] = field(default_factory=list)

    def __call__(self, sql: str) -> None:
        self.seen.append(sql)

    @property
    def transactions(self) -> int:
        return sum(1 for sql in self.seen if sql.startswith("BEGIN IMMEDIATE"))

    @property
    def payload_reads(self) -> int:
        return sum(1 for sql in self.seen if "payload_enc FROM outbox" in sql)


@dataclass
class World:
    api: FakeBotApi
    store: Store
    sender: Sender
    groups: list[int]
    path: Path
    before_call: list[Any] = field(default_factory=list)

    async def queue(self, *operations: op.Operation) -> list[int]:
        async with self.store.write() as tx:
            return [await tx.enqueue("s1", op.dump(o)) for o in operations]

    @asynccontextmanager
    async def counting(self) -> AsyncIterator[tuple[Counted, Counted]]:
        writer, reader = Counted(), Counted()
        await self.store._writer.set_trace_callback(writer)
        await self.store._reader.set_trace_callback(reader)
        try:
            yield writer, reader
        finally:
            await self.store._writer.set_trace_callback(None)
            await self.store._reader.set_trace_callback(None)

    def delivered(self, chat_id: int) -> list[str]:
        return [
            str(c.params.get("text"))
            for c in self.api.calls
            if c.method == "sendMessage" and c.chat_id == chat_id and c.ok
        ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    hooks: list[Any] = []

    def before_each_call(method: str) -> float:
        for hook in hooks:
            hook(method)
        return 0.0

    api = FakeBotApi(bot_username="ikiganiro_bot", latency=before_each_call)
    groups = [FIRST_GROUP - n for n in range(50)]
    for chat_id in groups:
        api.add_group(chat_id, "Hill", admins=())
    store = await Store.open(tmp_path / "bot.db", DataKey.generate())
    app = build_application("123456:TEST", request=api, limits=UNLIMITED)
    await app.initialize()
    try:
        sender = Sender(app.bot, store, budget=UNLIMITED.budget())
        yield World(api, store, sender, groups, tmp_path / "bot.db", hooks)
    finally:
        await app.shutdown()
        await store.close()


def stage(chat_id: int) -> list[op.Operation]:
    """What a stage's opening leaves waiting for one group: a prompt (its id is kept for the
    edits to come), a plain message, the prompt's progress edit."""
    return [
        op.Send(chat_id=chat_id, parts=("Stage 2",), key="prompt:2"),
        op.Send(chat_id=chat_id, parts=("Thank you",)),
        op.Edit(chat_id=chat_id, parts=("Stage 2 (3 voices)",), key="prompt:2"),
    ]


async def test_lanes_delivering_together_share_their_commits(world: World) -> None:
    """Before, 50 groups' 150 rows cost 200 write transactions (a row deleted in one, a
    message id kept in another); lanes settling together now share one."""
    await world.queue(*[o for chat in world.groups for o in stage(chat)])
    async with world.counting() as (writer, _):
        assert await world.sender.drain() == 150
    assert all(len(world.delivered(chat)) == 2 for chat in world.groups)
    assert world.api.calls_to("editMessageText") and not await world.store.outbox_pending()
    assert writer.transactions <= 150 // 5, writer.transactions


async def test_a_drain_reads_each_waiting_row_once(world: World) -> None:
    """500 rows waiting in 50 lanes: before, each delivered row re-read (and decrypted) the
    whole outbox: about 500 reads of up to 500 rows each."""
    await world.queue(
        *[
            op.Send(chat_id=chat, parts=(f"Message {n}",))
            for n in range(10)
            for chat in world.groups
        ]
    )
    async with world.counting() as (_, reader):
        assert await world.sender.drain() == 500
    assert all(len(world.delivered(chat)) == 10 for chat in world.groups)
    assert reader.payload_reads <= 2, reader.payload_reads  # the rows, then none newer

    # Woken for new rows, the sender reads those, not the 500 it has already sent.
    await world.queue(op.Send(chat_id=world.groups[0], parts=("One more",)))
    world.sender.wake()
    async with world.counting() as (_, reader):
        assert await world.sender.drain() == 1
    assert world.delivered(world.groups[0])[-1] == "One more"
    assert reader.payload_reads == 1


@contextmanager
def outbox_seen_from_outside(path: Path) -> Iterator[sqlite3.Connection]:
    """A third connection to the database file, as another process would see it."""
    conn = sqlite3.connect(path)
    try:
        yield conn
    finally:
        conn.close()


async def test_a_lane_goes_on_only_once_its_last_row_is_settled(world: World) -> None:
    """A kill repeats at most the one message each lane had in flight: when a lane posts its
    next message, the rows it posted before are gone from the outbox on disk (committed)."""
    chats = world.groups[:10]
    ids = await world.queue(
        *[op.Send(chat_id=chat, parts=(f"{chat} {n}",)) for n in range(4) for chat in chats]
    )
    order = {oid: n for n, oid in enumerate(ids)}
    waiting_at_each_post: list[set[int]] = []
    with outbox_seen_from_outside(world.path) as disk:

        def on_disk(method: str) -> None:
            if method == "sendMessage":
                rows = disk.execute("SELECT id FROM outbox").fetchall()
                waiting_at_each_post.append({row[0] for row in rows})

        world.before_call.append(on_disk)
        assert await world.sender.drain() == 40
    posts = [c for c in world.api.calls if c.method == "sendMessage" and c.ok]
    assert len(posts) == len(waiting_at_each_post) == 40
    for call, waiting in zip(posts, waiting_at_each_post, strict=True):
        chat, n = str(call.params["text"]).split()
        lane_rows = [
            oid for oid in ids if oid in waiting and order[oid] % 10 == chats.index(int(chat))
        ]
        # This lane's rows on disk: the one being posted and those after it, none before.
        assert len(lane_rows) == 4 - int(n), (call.params["text"], lane_rows)


async def test_a_row_taken_out_meanwhile_is_never_sent(world: World) -> None:
    """The sender keeps the rows it has read; another part of the bot may remove one meanwhile
    (``purge_expired`` does, for sessions ended long ago): it must not go out."""
    chat = world.groups[0]
    world.api.fail("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5,
                   chat_id=chat)  # fmt: skip
    first, second = await world.queue(
        op.Send(chat_id=chat, parts=("First",)), op.Send(chat_id=chat, parts=("Second",))
    )
    world.sender.max_wait = 1  # a longer wait is left for a later drain
    assert await world.sender.drain() == 0  # the lane waits out the flood limit
    await world.store.outbox_done(second)  # taken out while the sender still holds it
    world.sender.tries.settled(first)  # its wait is over
    assert await world.sender.drain() == 1
    assert world.delivered(chat) == ["First"]
    assert await world.store.outbox_pending() == []
