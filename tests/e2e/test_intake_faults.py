"""The intake keeps what Telegram hands over, and acknowledges an update only once its effect
is durable. Real SQLite files, the real bot, the in-memory Bot API; faults are real SQLite
conditions (a database held to its current size is a full disk), never a patched function.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey, Store
from bot.storage.faults import DatabaseDamaged
from bot.telegram.intake import MAX_UPDATE_ID, valid_update_id
from tests.e2e.conftest import Bot, new_api, start_bot, stop_bot

JEAN, GLORIA = PEOPLE[0], PEOPLE[1]


async def _poll_until(bot: Bot, done: Any, *, seconds: float = 5.0) -> None:
    stop = asyncio.Event()
    polling = asyncio.create_task(bot.intake.poll(stop, wait_seconds=0))
    try:
        for _ in range(int(seconds / 0.01)):
            if done():
                break
            await asyncio.sleep(0.01)
    finally:
        stop.set()
        await asyncio.wait_for(polling, timeout=5)


def _welcomed(bot: Bot) -> bool:
    return any("How we talk" in t for t in bot.api.sent_texts(GROUP_ID))


async def test_an_update_ptb_cannot_parse_never_blocks_the_batch(
    tmp_path: Path, key: DataKey
) -> None:
    api = new_api()
    bot = await start_bot(api, tmp_path / "bot.db", key)
    try:
        broken = api.start(FACILITATOR.user_id)  # takes an update id, then loses its content
        broken.pop("message")
        broken["callback_query"] = {  # no chat_instance: PTB would refuse to build it
            "id": "77",
            "from": {"id": JEAN.user_id, "is_bot": False, "first_name": "Jean"},
            "data": "x",
        }
        far = api.start(FACILITATOR.user_id)
        far["message"]["date"] = 2**50  # a whole number, but past the year 9999: PTB fails
        api.deliver(broken, far)
        api.deliver({"update_id": False, "message": {}}, {"update_id": -5, "message": {}})
        api.deliver(api.start(FACILITATOR.user_id))
        api.deliver(api.command(FACILITATOR.user_id, GROUP_ID, "/newsession quick-demo"))
        await _poll_until(bot, lambda: _welcomed(bot) and not api.pending_updates())
        assert _welcomed(bot)
        assert api.pending_updates() == []  # confirmed: it will not come back
        status = await bot.store.status()
        assert status.set_aside_updates == {"malformed": 1, "unparseable": 1}
        assert status.dropped_updates == 2
        assert status.unprocessed_updates == 0
    finally:
        await stop_bot(bot)


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        (0, True),
        (MAX_UPDATE_ID, True),
        (MAX_UPDATE_ID + 1, False),
        (-1, False),
        (True, False),
        (False, False),
        (1.0, False),
        ("12", False),
        (None, False),
        ({"id": 1}, False),
    ],
)
def test_an_update_id_is_checked_at_the_door(value: object, valid: bool) -> None:
    assert valid_update_id(value) is valid


async def test_a_batch_with_odd_ids_stores_the_good_and_confirms_past_them(
    bot: Bot,
) -> None:
    batch: list[object] = [
        {"update_id": 10, "message": {}},
        {"update_id": True},
        {"update_id": 2**60},
        {"update_id": "11"},
        {"no_id": 1},
        "not an object",
        {"update_id": 12, "message": {}},
    ]
    assert await bot.intake.accept_batch(batch) == 13
    assert [u for u, _ in await bot.store.inbox_pending()] == [10, 12]
    assert bot.intake.dropped == 5
    assert (await bot.store.status()).dropped_updates == 5
    assert await bot.intake.accept_batch([{"update_id": 1.5}]) is None


async def _size_limit(store: Store, pages: int | None) -> None:
    writer = store._writer
    if pages is None:
        await writer.execute("PRAGMA max_page_count = 1073741823")
        return
    async with writer.execute("PRAGMA page_count") as cur:
        row = await cur.fetchone()
    assert row is not None
    await writer.execute(f"PRAGMA max_page_count = {row[0]}")


async def test_an_answer_that_cannot_be_stored_stays_in_the_inbox(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    prompt = await bot.demo.live("prompt:story")
    await bot.demo.reply(JEAN, prompt, "😟" * 800)
    story = "Ku isoko 😟 " * 70  # a long answer (the stage takes 800 characters)
    update = bot.api.text(GLORIA.user_id, GROUP_ID, story, reply_to=prompt)
    assert await bot.intake.accept(update)
    await _size_limit(bot.store, 0)  # the disk is full from here on
    assert await bot.intake.process_pending() == 0
    pending = await bot.store.inbox_pending()
    assert [(u, p["message"]["text"]) for u, p in pending] == [(update["update_id"], story)]
    assert len((await bot.state()).answers) == 1
    assert bot.intake.retry.delay == 1.0
    await _size_limit(bot.store, None)  # space again; the retry waits for its pause
    assert await bot.intake.process_pending() == 0
    await asyncio.sleep(1.05)
    assert await bot.intake.process_pending() == 1
    answers = (await bot.state()).answers
    assert [a.text for a in answers if a.user_id == GLORIA.user_id] == [story.strip()]
    assert await bot.store.inbox_pending() == []
    assert bot.intake.retry.delay == 0


async def test_an_update_whose_handler_cannot_work_is_set_aside(bot: Bot) -> None:
    await bot.open("quick-demo")
    odd = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    odd["message"]["from"]["id"] = {"an": "object"}  # parses, but no handler can use it
    await bot.intake.feed(odd)
    await bot.demo.command(FACILITATOR, "/next")  # the next update goes through
    assert (await bot.state()).stage_index == 0
    status = await bot.store.status()
    assert sum(status.set_aside_updates.values()) == 1
    assert status.unprocessed_updates == 0


async def test_a_damaged_database_stops_the_bot_and_keeps_the_update(
    tmp_path: Path, key: DataKey
) -> None:
    api = new_api()
    bot = await start_bot(api, tmp_path / "bot.db", key)
    try:
        session_id = await bot.open("quick-demo")
        with sqlite3.connect(tmp_path / "bot.db") as conn:  # a name's ciphertext damaged
            conn.execute(
                "UPDATE participants SET name_enc = zeroblob(40) WHERE session_id = ?",
                (session_id,),
            )
        # The state in memory is not read again: damage is met where rows are read (at the
        # next start, or once the session left the cache), as here.
        bot.store.cache.clear()
        update = api.command(FACILITATOR.user_id, GROUP_ID, "/next")
        assert await bot.intake.accept(update)
        with pytest.raises(DatabaseDamaged, match=r"bot\.db is damaged .*restore"):
            await bot.intake.process_pending()
        assert [u for u, _ in await bot.store.inbox_pending()] == [update["update_id"]]
    finally:
        await stop_bot(bot)


def _mutated(update: dict[str, Any], path: str, value: object) -> dict[str, Any]:
    """``update`` with the field at ``path`` (dotted) set to ``value``, or removed (``...``)."""
    *parents, last = path.split(".")
    node = update
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return update


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("message.from.id", str(FACILITATOR.user_id)),  # "100": was taken for the facilitator
        ("message.from.id", float(FACILITATOR.user_id)),  # 100.0: so was this
        ("message.from.id", 2**64),  # SQLite cannot even bind it
        ("message.from.is_bot", "no"),
        ("message.from.first_name", 7),
        ("message.message_id", "12"),
        ("message.chat.id", str(GROUP_ID)),
        ("message.chat.type", ...),
        ("message.chat", ...),  # the handler failed on None.type
        ("message.text", 5),
        ("message.entities", "bot_command"),
    ],
)
async def test_a_field_of_the_wrong_type_is_set_aside_at_the_door(
    bot: Bot, path: str, value: object
) -> None:
    await bot.open("quick-demo")
    failures: list[BaseException] = []

    async def record(update: object, context: Any) -> None:
        failures.append(context.error)

    bot.app.add_error_handler(record)
    forged = _mutated(bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next"), path, value)
    await bot.intake.feed(forged)
    assert (await bot.state()).stage_index == -1  # nothing moved
    assert failures == []  # refused before any handler ran
    assert (await bot.store.status()).set_aside_updates == {"malformed": 1}
    await bot.demo.command(FACILITATOR, "/next")
    assert (await bot.state()).stage_index == 0


async def test_an_update_that_cannot_be_stored_is_dropped_not_raised(bot: Bot) -> None:
    await bot.open("quick-demo")
    lone = bot.api.text(JEAN.user_id, GROUP_ID, "half an emoji \ud83d")  # JSON allows "\ud83d"
    await bot.intake.feed(lone)  # the inbox encodes UTF-8: this one cannot be kept
    nested: dict[str, Any] = {}
    for _ in range(5000):
        nested = {"x": nested}
    deep = {**bot.api.text(JEAN.user_id, GROUP_ID, "deep"), "poll": nested}
    after = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    assert await bot.intake.accept_batch([lone, deep, after]) == after["update_id"] + 1
    assert [u for u, _ in await bot.store.inbox_pending()] == [after["update_id"]]
    assert bot.intake.dropped == 3
    await bot.intake.process_pending()
    assert (await bot.state()).stage_index == 0
