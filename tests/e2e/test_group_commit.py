"""Group commit: what one ``getUpdates`` hands over is kept in one transaction and handled in
one, each update still undone alone if it fails (docs/storage.md, "Connections and
transactions"). The real bot, a real SQLite file; the statements are read from SQLite's own
trace of the writer connection.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import pytest

from bot.offline.cast import ANSWERS, FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.conftest import Bot


@pytest.fixture
async def answering(bot: Bot) -> list[dict[str, Any]]:
    """Everyone's answer to the open story prompt, as Telegram would hand them over at once."""
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    return [
        bot.api.text(person.user_id, GROUP_ID, story, reply_to=prompt)
        for person, story in zip(PEOPLE, ANSWERS["story"], strict=True)
    ]


async def traced(bot: Bot, statements: list[str]) -> None:
    await bot.store._writer.set_trace_callback(statements.append)


async def test_a_poll_of_answers_is_kept_in_one_transaction_and_handled_in_one(
    bot: Bot, answering: list[dict[str, Any]]
) -> None:
    bot.intake.slice_seconds = math.inf  # however slow the machine: one slice
    statements: list[str] = []
    await traced(bot, statements)
    await bot.intake.accept_batch(answering)
    kept = statements.count("BEGIN IMMEDIATE")
    assert await bot.intake._process_stored() == len(PEOPLE)
    await bot.store._writer.set_trace_callback(None)
    assert (kept, statements.count("BEGIN IMMEDIATE"), statements.count("COMMIT")) == (1, 2, 2)
    assert len((await bot.state()).answers) == len(PEOPLE)
    assert await bot.store.inbox_pending() == []


async def test_an_update_no_handler_can_use_is_set_aside_alone_inside_the_batch(
    bot: Bot, answering: list[dict[str, Any]]
) -> None:
    odd = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    odd["message"]["from"]["id"] = {"an": "object"}  # parses, but no handler can use it
    bot.intake.slice_seconds = math.inf
    statements: list[str] = []
    await bot.intake.accept_batch([*answering[:2], odd, *answering[2:]])
    await traced(bot, statements)
    assert await bot.intake._process_stored() == len(PEOPLE)
    await bot.store._writer.set_trace_callback(None)
    assert statements.count("COMMIT") == 1
    assert len((await bot.state()).answers) == len(PEOPLE)
    status = await bot.store.status()
    assert sum(status.set_aside_updates.values()) == 1
    assert status.unprocessed_updates == 0
    await bot.intake.process_pending()  # the answers' acknowledgements go out after
    assert (await bot.state()).stage_index == 0  # the odd /next moved nothing


async def test_a_poll_is_committed_in_slices_once_a_slice_has_had_its_time(
    bot: Bot, answering: list[dict[str, Any]]
) -> None:
    """A transaction closes once its updates have taken ``slice_seconds``: nobody's answer
    waits for a whole poll of a hundred updates to be handled."""
    bot.intake.slice_seconds = 0.0  # every update is past the time: a slice each
    await bot.intake.accept_batch(answering)
    statements: list[str] = []
    await traced(bot, statements)
    assert await bot.intake._process_stored() == len(PEOPLE)
    await bot.store._writer.set_trace_callback(None)
    assert statements.count("COMMIT") == len(PEOPLE)
    assert len((await bot.state()).answers) == len(PEOPLE)
    assert await bot.store.inbox_pending() == []


async def test_while_polling_a_slice_goes_out_before_the_next_slice_is_handled(bot: Bot) -> None:
    """The sender hears of each slice as it commits: the first people to join are asked for
    their consent while the others' joins are still being handled."""
    session_id = await bot.open("quick-demo", join=False)
    bot.intake.slice_seconds = 0.0  # a slice per update
    seen: list[str] = []  # the writer's statements and Telegram's calls, in the order they came

    def latency(method: str) -> float:
        seen.append(method)
        return 0.0

    bot.api._latency = latency
    await bot.store._writer.set_trace_callback(seen.append)
    bot.api.deliver(*(bot.api.start(p.user_id, f"j_{session_id}") for p in PEOPLE))
    stop = asyncio.Event()
    polling = asyncio.create_task(bot.intake.poll(stop, wait_seconds=0))
    try:
        for _ in range(1_000):  # ten seconds at most
            if all(bot.api.sent_texts(p.user_id) for p in PEOPLE):
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(polling, timeout=5)
        await bot.store._writer.set_trace_callback(None)
    slices = [i for i, said in enumerate(seen) if said == "SAVEPOINT u1"]
    assert len(slices) == len(PEOPLE)
    assert seen.index("sendMessage") < slices[-1]


async def test_an_answer_reads_nothing_the_store_already_holds(
    bot: Bot, answering: list[dict[str, Any]]
) -> None:
    """The session's state, its chat and the people's languages are in memory once
    committed: handling answers queries none of them again."""
    await bot.intake.accept_batch(answering)
    statements: list[str] = []
    await traced(bot, statements)
    assert await bot.intake._process_stored() == len(PEOPLE)
    await bot.store._writer.set_trace_callback(None)
    reads = [s for s in statements if s.startswith("SELECT")]
    known = ("FROM sessions WHERE id", "FROM languages", "FROM answers", "FROM participants")
    assert not [s for s in reads if any(k in s for k in known)], reads
