"""A page of the database damaged while ``ikiganiro run`` leads a session.

The bot process keeps its connections open; the test damages a table page of the real file
under it (after folding the WAL into the file, so the page is read from disk), then a
participant answers. The bot must stop with one sentence that points at the last backup, exit
2, print no traceback, and lose nothing Telegram was told it had: the answer is either still
unconfirmed at Telegram or waiting, unprocessed, in the inbox.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.demo import Demo
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from tests.e2e.test_run_process import ikiganiro_run


def damage_table(path: Path, table: str) -> None:
    """Overwrite the root page of ``table`` with bytes no b-tree page starts with."""
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
        query = "SELECT rootpage FROM sqlite_master WHERE name = ?"
        (root,) = conn.execute(query, (table,)).fetchone()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    with path.open("r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)


def pending_in_inbox(path: Path, update_id: int) -> bool:
    """Whether ``update_id`` waits, unprocessed, in the (damaged) file's inbox."""
    try:
        with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as conn:
            row = conn.execute(
                "SELECT processed_at FROM inbox WHERE update_id = ?", (update_id,)
            ).fetchone()
        conn.close()
    except sqlite3.DatabaseError:
        return False
    return row is not None and row[0] is None


@pytest.mark.parametrize("table", ["answers", "inbox"])
async def test_a_page_damaged_while_running_stops_the_bot_in_one_sentence(
    tmp_path: Path, table: str
) -> None:
    """``answers``: the update is kept in the inbox, then its answer cannot be stored;
    ``inbox``: the update cannot even be kept, so Telegram is not told it arrived."""
    async with ikiganiro_run(tmp_path) as bot:
        demo = Demo(bot.api, bot.store, bot.deliver)
        await bot.deliver(bot.api.start(FACILITATOR.user_id))
        await demo.command(FACILITATOR, "/newsession community-safety en")
        async with bot.store.read() as tx:
            demo.session_id = str(await tx.session_for_chat(GROUP_ID, None))
        for person in PEOPLE[:2]:
            await demo.join(person)
        for _ in range(3):  # welcome, ground rules, introductions: the first to take answers
            await demo.command(FACILITATOR, "/next")
        prompt = await demo.live("prompt:introductions")
        backup = tmp_path / "before.db"
        await bot.store.backup(backup)
        await bot.store.checkpoint()  # the WAL folded into the file: pages are read from disk
        await bot.store.close()
        db = tmp_path / "data" / "bot.db"
        damage_table(db, table)

        answer = bot.api.text(PEOPLE[0].user_id, GROUP_ID, "I am Jean.", reply_to=prompt)
        bot.api.deliver(answer)
        _, err = await asyncio.wait_for(bot.process.communicate(), timeout=30)
        log = err.decode()

    assert bot.process.returncode == 2, log
    last = log.strip().splitlines()[-1]
    assert "bot.db is damaged" in last
    assert f"restore the last backup ({backup}" in last
    assert "Traceback" not in log, log
    update_id = answer["update_id"]
    unconfirmed = any(u["update_id"] == update_id for u in bot.api.pending_updates())
    if table == "inbox":
        assert unconfirmed  # Telegram still holds it and hands it out again
    else:
        assert pending_in_inbox(db, update_id)  # kept, never marked processed
