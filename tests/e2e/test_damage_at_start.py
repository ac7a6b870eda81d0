"""A damaged file is refused before anything is written, though its full check runs alongside
the first poll (``serve``: ``Store.open(check_alongside=True)``, docs/storage.md "Opening").

The damage is in a page of the audit log, a table start-up never reads, so only the full check
can find it; the file carries enough audit rows (about 50 MB) that the check is still reading
when the first poll brings an update. That update must not reach the inbox (a write into a
damaged file could lose it) and Telegram must not be told it arrived: it waits, unconfirmed,
for the restored file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.demo import DEMO_LIMITS, demo_sender
from bot.dialogues import Library
from bot.offline.api import FakeBotApi
from bot.settings import load, require_for_run
from bot.storage import DataKey, Store, generate_key
from bot.storage.faults import DatabaseDamaged
from bot.telegram.app import build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake
from bot.telegram.serve import serve, while_checking
from tests.e2e.http_api import serve_over_http

AUDIT_ROWS = 12_000  # about 40 MB: the full check takes a while, start-up to the poll does not
WAITING = 7


async def damaged_file(db: Path, key: str) -> Path:
    """A database with a backup, then a page in the middle of its audit log overwritten."""
    store = await Store.open(db, DataKey.from_env_value(key))
    backup = db.with_name("monday.db")
    await store.backup(backup)
    await store.close()
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO audit (at, action) VALUES ('2026-11-27', ?)",
            ((f"filler {n} " + "x" * 3000,) for n in range(AUDIT_ROWS)),
        )
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute(
            "SELECT pageno FROM dbstat WHERE name = 'audit' AND pagetype = 'leaf' ORDER BY pageno"
        ).fetchall()
        (page_size,) = conn.execute("PRAGMA page_size").fetchone()
    conn.close()
    (page,) = pages[len(pages) // 2]
    with db.open("r+b") as file:
        file.seek((page - 1) * page_size)
        file.write(b"\xff" * page_size)
    return backup


def inbox_rows(db: Path) -> int:
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        (count,) = conn.execute("SELECT COUNT(*) FROM inbox").fetchone()
    conn.close()
    return int(count)


def waiting_api() -> tuple[FakeBotApi, int]:
    """A Bot API holding one update; its id."""
    api = FakeBotApi(bot_username="ikiganiro_bot")
    api.add_user(WAITING, "Waiting", language_code="en")
    update = api.start(WAITING)
    api.deliver(update)
    return api, int(update["update_id"])


async def test_the_first_poll_goes_out_while_the_check_runs_and_its_update_waits_unstored(
    tmp_path: Path,
) -> None:
    """The intake's first poll, right after the store opened: the check is still reading."""
    key = generate_key()
    db = tmp_path / "bot.db"
    backup = await damaged_file(db, key)
    api, update_id = waiting_api()
    library = Library.load()
    app = build_application("123456:TEST", request=api, limits=DEMO_LIMITS)
    store = await Store.open(db, DataKey.from_env_value(key), check_alongside=True)
    try:
        runtime = await start_runtime(app, store, library, menus=False)
        intake = Intake(app, runtime, demo_sender(app.bot, store, SimulatedPace()))
        stop = asyncio.Event()
        with pytest.raises(DatabaseDamaged) as refused:
            await asyncio.wait_for(while_checking(store, intake.poll(stop), stop), 20)
    finally:
        await app.shutdown()
        await store.close()

    assert api.calls_to("getUpdates")  # the poll went out, and brought the update
    assert f"restore the last backup ({backup}" in str(refused.value)
    assert inbox_rows(db) == 0  # not kept in the damaged file
    assert [u["update_id"] for u in api.pending_updates()] == [update_id]  # nor confirmed


async def test_ikiganiro_run_stops_with_the_check_s_sentence_having_written_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``serve`` as ``ikiganiro run`` calls it: whichever comes first, the poll or the end of
    the check, the bot stops with the sentence ``Store.open`` gives and nothing is written."""
    key = generate_key()
    db = tmp_path / "bot.db"
    backup = await damaged_file(db, key)
    api, update_id = waiting_api()
    async with serve_over_http(api) as url:
        for name, value in {
            "IKIGANIRO_TOKEN": f"{api.bot_id}:TESTDAMAGE",
            "IKIGANIRO_API_URL": url,
            "IKIGANIRO_DB": str(db),
            "IKIGANIRO_DATA_KEY": key,
        }.items():
            monkeypatch.setenv(name, value)
        settings = load()
        token, data_key = require_for_run(settings)
        with pytest.raises(DatabaseDamaged) as refused:
            await asyncio.wait_for(serve(settings, token, data_key, asyncio.Event()), 60)

    with pytest.raises(DatabaseDamaged) as at_open:  # what every other command says
        await Store.open(db, DataKey.from_env_value(key))
    assert str(refused.value) == str(at_open.value)
    assert f"{db} is damaged" in str(refused.value)
    assert f"restore the last backup ({backup}" in str(refused.value)
    assert inbox_rows(db) == 0
    assert [u["update_id"] for u in api.pending_updates()] == [update_id]
    assert not api.calls_to("sendMessage")
