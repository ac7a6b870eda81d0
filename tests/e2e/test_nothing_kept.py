"""Declining stores nothing; strangers leave no id.

"I keep nothing about you" must be true to the byte: after someone presses Join and then
declines, or a stranger's command is refused, their Telegram id is in no row of any table and
nowhere in the raw bytes of the database file or its write-ahead log.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.offline.cast import FACILITATOR, GROUP_ID, Person
from tests.e2e.conftest import Bot

# Distinctive enough that finding it by chance in encrypted bytes is out of the question.
MARKER = 123_456_789_012_345
VISITOR = Person(MARKER, "Visitor", None)


def _encodings(user_id: int) -> list[bytes]:
    """How SQLite or a text column could hold the id: as text, or as a big-endian integer
    (SQLite stores an integer in the fewest of 1, 2, 3, 4, 6 or 8 bytes)."""
    return [str(user_id).encode(), user_id.to_bytes(6, "big"), user_id.to_bytes(8, "big")]


def _rows_holding(path: Path, user_id: int) -> list[str]:
    found = []
    with sqlite3.connect(path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                if any(value == user_id or str(user_id) in str(value) for value in row):
                    found.append(f"{table}: {row!r}")
    conn.close()
    return found


def _bytes_holding(path: Path, user_id: int) -> list[str]:
    found = []
    for file in (path, path.with_name(path.name + "-wal")):
        data = file.read_bytes() if file.exists() else b""
        found += [f"{file.name}: {needle!r}" for needle in _encodings(user_id) if needle in data]
    return found


async def _traces(bot: Bot) -> list[str]:
    path = bot.store.path
    return _rows_holding(path, MARKER) + _bytes_holding(path, MARKER)


async def test_join_then_decline_leaves_no_id_anywhere(bot: Bot) -> None:
    bot.api.add_user(MARKER, VISITOR.name, language_code="en")
    bot.api.add_members(GROUP_ID, [MARKER])  # in the group: they may join, and decline
    await bot.open("quick-demo")
    await bot.feed(bot.api.start(MARKER, f"j_{bot.demo.session_id}"))  # Join ↗
    assert "Do you agree?" in bot.api.sent_texts(MARKER)[-1]
    await bot.demo.press_label(VISITOR, MARKER, "No, thank you")
    state = await bot.state()
    assert MARKER not in state.participants
    assert await _traces(bot) == []


async def test_a_strangers_refused_commands_leave_no_id(bot: Bot) -> None:
    bot.api.add_user(MARKER, VISITOR.name, language_code="en")
    await bot.open("quick-demo")
    await bot.feed(bot.api.start(MARKER))  # a private chat, so refusals can reach them
    await bot.demo.command(FACILITATOR, "/next")
    for command in ("/next", "/back", "/status", "/summary", "/nudge", "/end", "/pause"):
        await bot.demo.command(VISITOR, command)
    refused = "Only the session's facilitators can do that."
    assert bot.api.sent_texts(MARKER).count(refused) == 7
    assert await _traces(bot) == []
    # The refusals are still on record, without who.
    with sqlite3.connect(bot.store.path) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit WHERE actor IS NULL")]
    conn.close()
    assert "advanced.refused" in actions


async def test_the_marker_search_finds_a_participant(bot: Bot) -> None:
    """The search itself works: someone who joins is found (so the tests above mean something)."""
    bot.api.add_user(MARKER, VISITOR.name, language_code="en")
    bot.api.add_members(GROUP_ID, [MARKER])  # in the group: they may join, and decline
    await bot.open("quick-demo")
    await bot.feed(bot.api.start(MARKER, f"j_{bot.demo.session_id}"))
    await bot.demo.press_label(VISITOR, MARKER, "I agree")
    assert await _traces(bot) != []
    assert GROUP_ID  # the group is the demo's
