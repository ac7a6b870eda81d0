"""Stories never reach the disk in clear, and erasure leaves no ciphertext behind."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.engine import events as ev
from bot.storage import CorruptData, DataKey, KeyFormatError, Store, WrongKey, generate_key

CHAT = -100_777
FAC, RES = 9_100_001, 9_300_003
MARKER = "ZQX-MARKER-7731"


def raw(path: Path) -> dict[str, bytes]:
    out = {}
    for suffix in ("", "-wal", "-shm"):
        p = Path(f"{path}{suffix}")
        if p.exists():
            out[p.name] = p.read_bytes()
    return out


def no_marker(path: Path, needle: bytes) -> None:
    for name, data in raw(path).items():
        assert needle not in data, f"found in {name}"


async def save(store: Store, state) -> None:
    async with store.write() as tx:
        await tx.save_state(state, CHAT, None)


def sql(path: Path, query: str, params: tuple = ()) -> list[tuple]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(query, params).fetchall()
    conn.close()
    return rows


# --- keys -------------------------------------------------------------------------------------


def test_key_parsing_gives_clear_errors() -> None:
    good = generate_key()
    assert DataKey.from_env_value(good + "\n")
    assert DataKey.from_env_value(good.rstrip("="))  # padding optional
    with pytest.raises(KeyFormatError, match="empty"):
        DataKey.from_env_value("  ")
    with pytest.raises(KeyFormatError, match="not 32"):
        DataKey.from_env_value("c2hvcnQ=")
    with pytest.raises(KeyFormatError, match="keygen"):
        DataKey.from_env_value("!!!not base64!!!")
    assert good not in repr(DataKey.from_env_value(good))


async def test_wrong_key_is_refused(db_path: Path, key: DataKey) -> None:
    store = await Store.open(db_path, key)
    await store.close()
    with pytest.raises(WrongKey, match="different data key"):
        await Store.open(db_path, DataKey.generate())
    store = await Store.open(db_path, key)  # the right key still works afterwards
    await store.close()


# --- encryption -------------------------------------------------------------------------------


async def test_marker_never_in_db_wal_or_backup(
    db_path: Path, key: DataKey, rich, tmp_path: Path
) -> None:
    needle = MARKER.encode()
    store = await Store.open(db_path, key)
    try:
        await store.inbox_add(1, {"message": {"text": MARKER}}, datetime.now(UTC))
        no_marker(db_path, needle)
        d = rich()
        for state in d.states:
            await save(store, state)
            no_marker(db_path, needle)
        async with store.write() as tx:
            await tx.enqueue("s1", {"text": MARKER})
        no_marker(db_path, needle)
        await store.backup(tmp_path / "backup.db")
        no_marker(tmp_path / "backup.db", needle)
        await store.checkpoint()
        no_marker(db_path, needle)
    finally:
        await store.close()
    no_marker(db_path, needle)
    assert any(MARKER in a.text for a in d.state.answers)  # the story was really stored


async def test_forged_ciphertext_is_refused(db_path: Path, key: DataKey, rich) -> None:
    store = await Store.open(db_path, key)
    await save(store, rich().state)
    await store.close()
    (blob,) = sql(db_path, "SELECT text_enc FROM answers WHERE id = 'a2'")[0]
    forged = blob[:-1] + bytes([blob[-1] ^ 1])
    sql(db_path, "UPDATE answers SET text_enc = ? WHERE id = 'a2'", (forged,))
    store = await Store.open(db_path, key)
    try:
        with pytest.raises(CorruptData, match="answers"):
            async with store.write() as tx:
                await tx.load_state("s1")
    finally:
        await store.close()


@pytest.mark.parametrize(
    ("table", "column", "where_a", "where_b"),
    [
        ("answers", "text_enc", "id = 'a1'", "id = 'a2'"),
        ("participants", "name_enc", f"user_id = {RES}", "user_id = 9200002"),
        ("commitments", "text_enc", "rowid = (SELECT min(rowid) FROM commitments)", None),
    ],
)
async def test_swapped_ciphertexts_are_refused(
    db_path: Path, key: DataKey, rich, table: str, column: str, where_a: str, where_b: str | None
) -> None:
    store = await Store.open(db_path, key)
    await save(store, rich().state)
    await save(store, rich("s2").state)
    await store.close()
    if where_b is None:  # same row id in another session
        a = sql(db_path, f"SELECT {column} FROM {table} WHERE session_id='s1'")[0][0]
        b = sql(db_path, f"SELECT {column} FROM {table} WHERE session_id='s2'")[0][0]
        sql(db_path, f"UPDATE {table} SET {column} = ? WHERE session_id = 's1'", (b,))
        sql(db_path, f"UPDATE {table} SET {column} = ? WHERE session_id = 's2'", (a,))
    else:
        a = sql(db_path, f"SELECT {column} FROM {table} WHERE session_id='s1' AND {where_a}")[0][0]
        b = sql(db_path, f"SELECT {column} FROM {table} WHERE session_id='s1' AND {where_b}")[0][0]
        sql(db_path, f"UPDATE {table} SET {column} = ? WHERE session_id='s1' AND {where_a}", (b,))
        sql(db_path, f"UPDATE {table} SET {column} = ? WHERE session_id='s1' AND {where_b}", (a,))
    store = await Store.open(db_path, key)
    try:
        with pytest.raises(CorruptData):
            async with store.write() as tx:
                await tx.load_state("s1")
    finally:
        await store.close()


async def test_reattributed_answer_is_refused(db_path: Path, key: DataKey, rich) -> None:
    store = await Store.open(db_path, key)
    await save(store, rich().state)
    await store.close()
    sql(db_path, "UPDATE answers SET user_id = ? WHERE id = 'a2'", (9_200_002,))
    store = await Store.open(db_path, key)
    try:
        with pytest.raises(CorruptData):
            async with store.write() as tx:
                await tx.load_state("s1")
    finally:
        await store.close()


async def test_swapped_inbox_and_outbox_payloads_are_refused(db_path: Path, key: DataKey) -> None:
    store = await Store.open(db_path, key)
    await store.inbox_add(1, {"n": 1}, datetime.now(UTC))
    await store.inbox_add(2, {"n": 2}, datetime.now(UTC))
    async with store.write() as tx:
        await tx.enqueue("s1", {"n": 1})
        await tx.enqueue("s1", {"n": 2})
    await store.close()
    for table, ident, col in (
        ("inbox", "update_id", "payload_enc"),
        ("outbox", "id", "payload_enc"),
    ):
        (_a,), (b,) = sql(db_path, f"SELECT {col} FROM {table} ORDER BY {ident}")
        sql(db_path, f"UPDATE {table} SET {col} = ? WHERE {ident} = 1", (b,))
    store = await Store.open(db_path, key)
    try:
        with pytest.raises(CorruptData):
            await store.inbox_pending()
        with pytest.raises(CorruptData):
            await store.outbox_pending()
    finally:
        await store.close()


# --- erasure, retention, audit ----------------------------------------------------------------


async def test_erasure_leaves_no_ciphertext(db_path: Path, key: DataKey, rich) -> None:
    d = rich()
    store = await Store.open(db_path, key)
    try:
        async with store.write() as tx:
            await tx.save_state(d.state, CHAT, None)
            await tx.bind_private(RES, "s1")
            await tx.audit("s1", RES, "answer.shared")
        await store.checkpoint()
        before = sql(db_path, "SELECT text_enc FROM answers WHERE user_id = ?", (RES,))
        before += sql(db_path, "SELECT text_enc FROM commitments WHERE proposer = ?", (RES,))
        before += sql(db_path, "SELECT name_enc FROM participants WHERE user_id = ?", (RES,))
        assert len(before) == 3
        blobs = [b for (b,) in before]
        for blob in blobs:
            assert any(blob in data for data in raw(db_path).values())

        d.do(ev.ParticipantErased, actor=RES)
        async with store.write() as tx:
            await tx.save_state(d.state, CHAT, None)
            await tx.forget_user(RES)
            await tx.audit("s1", None, "participant.erased")
            assert await tx.sessions_of_user(RES) == []
        await store.checkpoint()
        for table, col in (("answers", "user_id"), ("participants", "user_id")):
            assert sql(db_path, f"SELECT count(*) FROM {table} WHERE {col} = ?", (RES,)) == [(0,)]
        assert sql(db_path, "SELECT count(*) FROM audit WHERE actor = ?", (RES,)) == [(0,)]
        files = raw(db_path)
        assert files.get("ikiganiro.db-wal", b"") == b""
        for blob in blobs:
            for name, data in files.items():
                assert blob not in data, f"ciphertext still in {name}"
                assert blob[13:29] not in data, f"part of a ciphertext still in {name}"
    finally:
        await store.close()


async def test_purge_expired_keeps_numbers_and_commitments(store: Store, rich) -> None:
    d = rich()
    d.do(ev.Ended, actor=FAC, confirmed=True)
    ended = d.state.ended_at
    assert ended is not None
    async with store.write() as tx:
        await tx.save_state(d.state, CHAT, None)
        await tx.bind_private(RES, "s1")
    await store.inbox_add(1, {"x": 1}, ended)
    async with store.write() as tx:
        await tx.mark_processed(1)
    assert await store.purge_expired(ended + timedelta(days=89)) == 0
    assert await store.purge_expired(ended + timedelta(days=91)) == 1
    assert await store.purge_expired(ended + timedelta(days=92)) == 0  # once only
    async with store.write() as tx:
        state = await tx.load_state("s1")
        assert await tx.private_binding(RES) is None
        cur = await tx._exec("SELECT purged_counts_json FROM sessions WHERE id = 's1'")
        (counts,) = await cur.fetchone()
        await cur.close()
    assert state is not None
    assert state.answers == []
    assert state.drafts == {}
    assert state.commitments == d.state.commitments
    assert counts == '{"story": 2}'
    assert await store.inbox_add(1, {"x": 1}, ended)  # forgotten: too old to be redelivered


async def test_idle_sessions_are_those_no_person_acted_in(store: Store, rich) -> None:
    """Only people's actions count: the bot's own reminders do not keep a session alive."""
    now = datetime.now(UTC)
    history = {  # session: (days ago, actor) of its audit rows
        "quiet": [(40, FAC), (1, None)],  # a person long ago, then only the bot
        "lively": [(40, FAC), (1, RES)],
        "done": [(40, FAC)],  # idle, but ended already
    }
    for sid, rows in history.items():
        d = rich(sid)
        if sid == "done":
            d.do(ev.Ended, actor=FAC, confirmed=True)
        async with store.write() as tx:
            await tx.save_state(d.state, CHAT - len(sid), None)
            for days, actor in rows:
                await tx._exec(
                    "INSERT INTO audit (at, session_id, actor, action) VALUES (?, ?, ?, 'x')",
                    ((now - timedelta(days=days)).isoformat(timespec="microseconds"), sid, actor),
                )
    assert await store.idle_sessions(now, 30) == ["quiet"]
    assert await store.idle_sessions(now, 45) == []
    assert await store.idle_sessions(now + timedelta(days=30), 30) == ["lively", "quiet"]


async def test_audit_is_append_only_and_holds_no_text(store: Store, db_path: Path) -> None:
    async with store.write() as tx:
        await tx.audit("s1", FAC, "stage.advanced")
        await tx.audit(None, None, "bot.started")
        for text in ("Zawadi said the market is unsafe", "", "X" * 100, "a\nb"):
            with pytest.raises(ValueError, match="code"):
                await tx.audit("s1", FAC, text)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(db_path, "DELETE FROM audit")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        sql(db_path, "UPDATE audit SET action = 'x'")
    columns = {r[1] for r in sql(db_path, "PRAGMA table_info(audit)")}
    assert columns == {"id", "at", "session_id", "actor", "action"}
    assert [r[0] for r in sql(db_path, "SELECT action FROM audit ORDER BY id")] == [
        "stage.advanced",
        "bot.started",
    ]


async def test_purge_forgets_applied_ids_no_update_can_bring_back(store: Store, rich) -> None:
    """A session ended before the inbox's memory keeps only the applied ids of updates the
    inbox still remembers (docs/storage.md, "Applied event ids"); the rest were two fifths of
    what a finished session kept."""
    d = rich()
    d.do(ev.Ended, actor=FAC, confirmed=True)
    ended = d.state.ended_at
    assert ended is not None
    d.state.applied |= {"u5:s1", "u6:s1", "x:s1:0a1b2c", "expired:s1"}
    async with store.write() as tx:
        await tx.save_state(d.state, CHAT, None)
    await store.inbox_add(6, {"update_id": 6}, ended + timedelta(days=3))  # a late press
    async with store.write() as tx:
        await tx.mark_processed(6)

    def applied(path: Path) -> set[str]:
        with sqlite3.connect(path) as conn:
            rows = conn.execute("SELECT event_id FROM applied_events").fetchall()
        conn.close()
        return {str(row[0]) for row in rows}

    await store.purge_expired(ended + timedelta(days=1))
    assert {"u5:s1", "u6:s1"} <= applied(store.path)  # ended too recently
    await store.purge_expired(ended + timedelta(days=3, hours=1))
    left = applied(store.path)
    assert "u5:s1" not in left
    assert {"u6:s1", "x:s1:0a1b2c", "expired:s1"} <= left  # the inbox still knows update 6
    async with store.read() as tx:
        state = await tx.load_state("s1")
    assert state is not None and "u5:s1" not in state.applied  # not from memory either
