"""Pragmas are enforced, every schema version migrates to the same head, backups are usable."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot.storage import MIGRATIONS, DataKey, StorageError, Store
from bot.storage.cli import backup, keygen
from bot.storage.migrations import migrate
from bot.storage.store import check_pragmas, configure


def schema(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            " ORDER BY type, name"
        ).fetchall()
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    conn.close()
    return [*rows, ("version", str(version), "")]


async def test_pragmas_in_effect_on_both_connections(store: Store) -> None:
    for conn in (store._writer, store._reader):
        await check_pragmas(conn)
        async with conn.execute("PRAGMA synchronous") as cur:
            assert (await cur.fetchone()) == (2,)


async def test_missing_pragma_is_refused(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "x.db", isolation_level=None) as conn:
        await configure(conn)
        await conn.execute("PRAGMA secure_delete = OFF")
        await conn.execute("PRAGMA synchronous = NORMAL")
        with pytest.raises(StorageError, match=r"secure_delete.*synchronous"):
            await check_pragmas(conn)
    async with aiosqlite.connect(":memory:", isolation_level=None) as conn:
        await configure(conn)  # WAL is silently refused in memory
        with pytest.raises(StorageError, match="journal_mode"):
            await check_pragmas(conn)


async def test_database_file_is_owner_only(store: Store) -> None:
    assert stat.S_IMODE(os.stat(store.path).st_mode) == 0o600


@pytest.mark.parametrize("start", range(len(MIGRATIONS)))
async def test_every_version_migrates_to_head(tmp_path: Path, key: DataKey, start: int) -> None:
    fresh = await Store.open(tmp_path / "fresh.db", key)
    await fresh.close()
    old = tmp_path / "old.db"
    async with aiosqlite.connect(old, isolation_level=None) as conn:
        # Writes the header even at version 0: a 0-byte file is refused, not taken for new.
        await conn.execute("PRAGMA journal_mode = WAL")
        await migrate(conn, MIGRATIONS[:start])
        if start >= 1:  # a session written by an older version keeps its data
            await conn.execute(
                "INSERT INTO sessions (id, chat_id, script_id, language, status, stage_index,"
                " serial, created_at, updated_at)"
                " VALUES ('old', -1, 'quick-demo', 'en', 'lobby', -1, 0, 't', 't')"
            )
    store = await Store.open(old, key)
    try:
        async with store.write() as tx:
            state = await tx.load_state("old")
        assert (state is not None) == (start >= 1)
    finally:
        await store.close()
    assert schema(old) == schema(tmp_path / "fresh.db")


async def test_failed_migration_leaves_previous_version(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    broken = [*MIGRATIONS, ("9999_broken", "CREATE TABLE later (x); SELECT * FROM nowhere;")]
    async with aiosqlite.connect(path, isolation_level=None) as conn:
        with pytest.raises(StorageError, match="9999_broken"):
            await migrate(conn, broken)
    rows = schema(path)
    assert ("version", str(len(MIGRATIONS)), "") in rows
    assert not any(name == "later" for _, name, _ in rows)


async def test_newer_database_is_refused(db_path: Path, key: DataKey) -> None:
    await (await Store.open(db_path, key)).close()
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()
    with pytest.raises(StorageError, match="newer"):
        await Store.open(db_path, key)


async def test_backup_while_writing_opens_with_the_key(
    store: Store, key: DataKey, rich, tmp_path: Path
) -> None:
    final = rich().state
    async with store.write() as tx:
        await tx.save_state(final, -1, None)
    await store.backup(tmp_path / "b.db")
    with pytest.raises(StorageError, match="exists"):
        await store.backup(tmp_path / "b.db")
    assert stat.S_IMODE(os.stat(tmp_path / "b.db").st_mode) == 0o600
    copy = await Store.open(tmp_path / "b.db", key)
    try:
        assert await copy.integrity_check() == "ok"
        async with copy.write() as tx:
            assert await tx.load_state("s1") == final
    finally:
        await copy.close()
    assert await store.integrity_check() == "ok"


async def test_cli_keygen_and_backup(db_path: Path, tmp_path: Path) -> None:
    text = keygen()
    key = DataKey.from_env_value(text)
    assert keygen() != text
    store = await Store.open(db_path, key)
    await store.inbox_add(1, {"a": 1}, datetime.now(UTC))
    await backup(db_path, tmp_path / "copy.db", key)
    copy = await Store.open(tmp_path / "copy.db", key)
    try:
        assert await copy.inbox_pending() == [(1, {"a": 1})]
    finally:
        await copy.close()
        await store.close()
