"""Every fault stays with its outbox row: bounded tries, growing pauses, then set aside.

A third-party Bot API server once answered ``editMessageText`` with ``"result": null``: PTB raised
``AttributeError`` in one lane, the sender re-raised it, and the same row was retried for ever
while a welcome message went into the group twenty times. Here each odd answer is injected by
the in-memory Bot API and the sender must contain it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot import delivery as op
from bot.offline.api import FakeBotApi
from bot.offline.chaos import FaultKind
from bot.storage import DataKey, Sighting, Store
from bot.telegram.app import RateLimits, build_application
from bot.telegram.budget import Budget, SimulatedPace
from bot.telegram.retry import MAX_TRIES
from bot.telegram.sender import Sender

GROUP, OTHER = -1001000000011, -1001000000012


@dataclass
class World:
    api: FakeBotApi
    store: Store
    sender: Sender
    pace: SimulatedPace
    before_call: list[Callable[[str], None]] = field(default_factory=list)

    async def queue(self, *operations: op.Operation) -> None:
        async with self.store.write() as tx:
            for operation in operations:
                await tx.enqueue("s1", op.dump(operation))

    def applied(self, chat_id: int, text: str) -> int:
        return sum(
            1
            for c in self.api.calls
            if c.method == "sendMessage" and c.chat_id == chat_id and c.ok
            and c.params.get("text") == text
        )  # fmt: skip


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    pace = SimulatedPace()
    hooks: list[Callable[[str], None]] = []

    def before_each_call(method: str) -> float:
        """The fake asks before answering each call: a test may inject a fault just then."""
        for hook in hooks:
            hook(method)
        return 0.0

    api = FakeBotApi(bot_username="ikiganiro_bot", monotonic=pace.now, latency=before_each_call)
    api.add_user(100, "Amani", language_code="en")
    for chat_id in (GROUP, OTHER):
        api.add_group(chat_id, "Hill", admins=(100,))
    store = await Store.open(tmp_path / "bot.db", DataKey.generate())
    app = build_application("123456:TEST", request=api, limits=RateLimits(1_000_000))
    await app.initialize()
    budget = Budget(per_minute=1_000, pace=pace)
    try:
        sender = Sender(app.bot, store, max_wait=3_600, budget=budget)
        yield World(api, store, sender, pace, hooks)
    finally:
        await app.shutdown()
        await store.close()


def text(words: str) -> op.Send:
    return op.Send(chat_id=GROUP, parts=(words,))


async def test_a_null_result_means_posted_and_it_is_never_posted_again(world: World) -> None:
    """``"ok": true`` with a ``null`` result: Telegram posted it; its id is unknown. Before, the
    sender took it as a failure and tried again (posting it twice); a later edit, finding no
    id, posted it a third time."""
    world.api.glitch("sendMessage", FaultKind.NULL_RESULT, times=None, chat_id=GROUP)
    prompt = op.Send(chat_id=GROUP, parts=("Stage 2",), key="prompt:two")
    await world.queue(prompt, op.Send(chat_id=OTHER, parts=("Elsewhere",)))
    await world.sender.drain()  # returns: nothing escapes a lane
    assert world.applied(OTHER, "Elsewhere") == 1
    assert world.applied(GROUP, "Stage 2") == 1
    status = await world.store.status()
    assert status.pending_outbox == 0
    assert status.set_aside_outbox == {}
    assert await world.store.sighting("s1", "prompt:two") is Sighting.POSTED
    await world.queue(op.Edit(chat_id=GROUP, parts=("Stage 2, 3 voices",), key="prompt:two"))
    await world.sender.drain()
    sends = [c for c in world.api.calls if c.method == "sendMessage" and c.chat_id == GROUP]
    assert len(sends) == 1  # the edit cannot reach it, and does not post it again


async def test_an_edit_without_an_answer_is_tried_again_like_any_failure(world: World) -> None:
    """Editing twice changes nothing the first edit did not: only posts need the "at most
    twice" care. Before, two timeouts set the edit aside and the prompt kept its old text."""
    await world.queue(op.Send(chat_id=GROUP, parts=("Stage 2",), key="prompt:two"))
    await world.sender.drain()
    world.api.glitch("editMessageText", FaultKind.TIMEOUT, times=3, chat_id=GROUP)
    await world.queue(op.Edit(chat_id=GROUP, parts=("Stage 2, closed",), key="prompt:two"))
    await world.sender.drain(patient=True)  # an edit waits out its pauses only when patient
    ref = await world.store.message_ref("s1", "prompt:two")
    assert ref is not None
    assert world.api.message(GROUP, ref[1])["text"] == "Stage 2, closed"
    assert (await world.store.status()).set_aside_outbox == {}


async def test_a_message_whose_answer_is_lost_is_posted_at_most_twice(world: World) -> None:
    world.api.glitch("sendMessage", FaultKind.LOST_RESPONSE, times=None, chat_id=GROUP)
    await world.queue(
        op.Send(chat_id=GROUP, parts=("Stage 2 of 9",), key="prompt:two"), text("After it")
    )
    await world.sender.drain()
    assert world.applied(GROUP, "Stage 2 of 9") == 2
    assert (await world.store.status()).unconfirmed_outbox == 2
    assert await world.store.sighting("s1", "prompt:two") is Sighting.PERHAPS
    world.api.calm()
    await world.queue(op.Edit(chat_id=GROUP, parts=("Stage 2 of 9",), key="prompt:two"))
    await world.sender.drain()
    assert world.applied(GROUP, "Stage 2 of 9") == 2  # a later edit does not post a third


async def test_server_errors_are_retried_with_growing_pauses_then_set_aside(world: World) -> None:
    world.api.glitch("sendMessage", FaultKind.SERVER_ERROR, times=None, chat_id=GROUP)
    await world.queue(text("Poison"), op.Send(chat_id=OTHER, parts=("Fine",)))
    await world.sender.drain()
    tries = [c.at for c in world.api.calls if c.method == "sendMessage" and c.chat_id == GROUP]
    assert len(tries) == MAX_TRIES
    pauses = [b - a for a, b in itertools.pairwise(tries)]
    assert all(later > earlier for earlier, later in itertools.pairwise(pauses))
    assert pauses[0] >= 0.5  # never a tight loop
    assert (await world.store.status()).set_aside_outbox == {"NetworkError": 1}
    assert world.applied(OTHER, "Fine") == 1


async def test_a_passing_fault_is_retried_and_delivered_once(world: World) -> None:
    world.api.glitch("sendMessage", FaultKind.SERVER_ERROR, times=2, chat_id=GROUP)
    world.api.glitch("sendMessage", FaultKind.TIMEOUT, times=1, chat_id=OTHER)
    await world.queue(text("Stage 3"), op.Send(chat_id=OTHER, parts=("Stage 3 too",)))
    await world.sender.drain()
    assert world.applied(GROUP, "Stage 3") == 1
    assert world.applied(OTHER, "Stage 3 too") == 1
    assert (await world.store.status()).pending_outbox == 0


async def test_a_long_message_cut_short_resumes_where_it_stopped(world: World) -> None:
    sends = 0

    def fail_the_second_part(method: str) -> None:
        nonlocal sends
        sends += method == "sendMessage"
        if method == "sendMessage" and sends == 2:
            world.api.glitch("sendMessage", FaultKind.SERVER_ERROR, chat_id=GROUP)

    world.before_call.append(fail_the_second_part)
    await world.queue(op.Send(chat_id=GROUP, parts=("part one", "part two", "part three")))
    await world.sender.drain()
    sent = [c.params.get("text") for c in world.api.calls if c.method == "sendMessage" and c.ok]
    assert sent == ["part one", "part two", "part three"]
    assert len([c for c in world.api.calls if c.method == "sendMessage"]) == 4


async def test_a_server_that_keeps_moving_the_chat_cannot_loop_the_sender(world: World) -> None:
    """An odd server answering 'upgraded to a supergroup' for ever: tried, paused, set aside."""
    world.api.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        times=None,
        migrate_to_chat_id=OTHER,
    )
    await world.queue(text("Welcome"))
    async with asyncio.timeout(10):
        await world.sender.drain()
    status = await world.store.status()
    assert status.pending_outbox == 0
    assert status.set_aside_outbox == {"ChatMigrated": 1}
