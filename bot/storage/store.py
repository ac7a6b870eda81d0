"""The durable store: one serialised writer, one reader, pragmas checked before anything else.

SQLite allows one writer at a time; an ``asyncio.Lock`` makes that explicit in the process, and
``BEGIN IMMEDIATE`` takes the write lock up front so a transaction never fails halfway with
SQLITE_BUSY. Reads that need no transaction go to a separate connection, which in WAL mode
sees the last committed state without waiting for the writer.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.storage.cache import SessionCache
from bot.storage.changes import ts
from bot.storage.check import FullCheck, check_queues, explained, quick_check
from bot.storage.crypto import CorruptData, DataKey, StorageError, WrongKey
from bot.storage.faults import check_path, explain
from bot.storage.migrations import MIGRATIONS, migrate, schema_version
from bot.storage.status import StoreStatus, read_status
from bot.storage.tx import Tx, dumps, loads, outbox_aad, utcnow
from bot.storage.writer import Connection, Writer

_KEY_CHECK = b"ikiganiro key check v1"
_KEY_CHECK_AAD = b"meta|key_check"
# Telegram keeps an unconfirmed update for at most 24 hours, so a processed id older than this
# can never be redelivered and need not be remembered for deduplication.
INBOX_MEMORY = timedelta(days=2)
# Set-aside updates (ids and reasons only) stay visible to `ikiganiro status` this long.
SET_ASIDE_MEMORY = timedelta(days=30)

# Each pragma with the value it must read back as; the store refuses to run otherwise.
REQUIRED_PRAGMAS: dict[str, object] = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "secure_delete": 1,
    "synchronous": 2,  # FULL
}
MIN_BUSY_TIMEOUT_MS = 5000

log = logging.getLogger(__name__)
T = TypeVar("T")


async def _pragma(conn: Connection, name: str) -> object:
    async with conn.execute(f"PRAGMA {name}") as cur:
        row = await cur.fetchone()
    return None if row is None else row[0]


async def configure(conn: Connection) -> None:
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = FULL")
    await conn.execute("PRAGMA foreign_keys = ON")
    await conn.execute(f"PRAGMA busy_timeout = {MIN_BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA secure_delete = ON")


async def check_pragmas(conn: Connection) -> None:
    """Read every safety pragma back: SQLite ignores some settings silently (e.g. in memory)."""
    wrong = []
    for name, expected in REQUIRED_PRAGMAS.items():
        actual = await _pragma(conn, name)
        if isinstance(actual, str):
            actual = actual.lower()
        if actual != expected:
            wrong.append(f"{name}={actual!r} (need {expected!r})")
    busy = await _pragma(conn, "busy_timeout")
    if not isinstance(busy, int) or busy < MIN_BUSY_TIMEOUT_MS:
        wrong.append(f"busy_timeout={busy!r} (need >= {MIN_BUSY_TIMEOUT_MS})")
    if wrong:
        raise StorageError("SQLite settings not in effect: " + ", ".join(wrong))


def _create_private(path: Path) -> bool:
    """Create the file owner-only before SQLite does; -wal and -shm inherit its mode.

    True if it was created now: a database this call created and could not set up is removed
    again, so a failed first start (a full disk, say) leaves no empty file to be refused later.
    """
    if path.exists():
        return False
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    return True


def _remove_new(path: Path) -> None:
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        with suppress(OSError):
            name.unlink()


def _backup_target(target: Path) -> Path:
    if target.exists():
        raise StorageError(f"{target} exists; a backup never overwrites a file.")
    if not target.parent.is_dir():
        raise StorageError(
            f"the folder {target.parent} does not exist; create it or choose another place."
        )
    return target


def _publish(partial: Path, target: Path) -> None:
    """Give the checked copy its name, durably, unless a file took that name meanwhile."""
    _backup_target(target)
    partial.rename(target)
    _sync_folder(target.parent)


def _absolute(path: Path) -> Path:
    return path.resolve()


def _sync_folder(folder: Path) -> None:
    """Make a rename durable: the folder's entry is flushed like the file's contents."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def _connect_reader(path: Path) -> aiosqlite.Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await _configured(conn)
    return conn


async def _connect_writer(path: Path) -> Writer:
    conn = await Writer.connect(path)
    await _configured(conn)
    return conn


async def _configured(conn: Connection) -> None:
    try:
        await configure(conn)
        await check_pragmas(conn)
    except BaseException:
        await conn.close()
        raise


async def _to_the_end(step: Awaitable[T]) -> T:
    """Await a step of a transaction to its end, even if the caller is cancelled meanwhile.

    A call handed to a thread (aiosqlite's for the reader, the writer's own for ``BEGIN`` and
    ``COMMIT``) runs whatever happens to the task awaiting it: a cancelled ``BEGIN`` may still
    open a transaction after the cancel. So BEGIN, COMMIT and ROLLBACK are waited for until
    SQLite has run them; a cancel that came meanwhile is raised afterwards, when the store
    knows where it stands.
    """
    task = asyncio.ensure_future(step)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        while not task.done():
            with suppress(asyncio.CancelledError):
                await asyncio.wait({task})
        if not task.cancelled():
            task.exception()  # the caller hears of the cancel; the step's own error is dropped
        raise


async def _begin(conn: Connection, begin: str) -> None:
    await _close_leftover(conn)
    await conn.execute(begin)


async def _close_leftover(conn: Connection) -> None:
    """Roll back a transaction something left open (it should not happen), and say so.

    Without this, one transaction left open would make every later ``BEGIN`` fail with
    "cannot start a transaction within a transaction", and the reader would answer every
    query from an ever older snapshot, until the process restarts.
    """
    if conn.in_transaction:
        log.error("a previous transaction was left open on %r; rolling it back", conn)
        await conn.rollback()


async def _undo(conn: Connection, savepoint: str) -> None:
    """Undo a savepoint and leave it; the enclosing transaction goes on."""
    with suppress(sqlite3.Error):
        await conn.execute(f"ROLLBACK TO {savepoint}")
        await conn.execute(f"RELEASE {savepoint}")


async def _rollback(conn: Connection) -> None:
    """Roll back if a transaction is open; Python's ``rollback`` does nothing otherwise.

    An error here is not raised over the one that led to the rollback; should the transaction
    stay open, the next ``_begin`` rolls it back.
    """
    with suppress(sqlite3.Error):
        await conn.rollback()


class Sighting(Enum):
    """What the bot knows of a live message having reached its chat (``Store.sighting``)."""

    KNOWN = "known"  # posted, its id kept
    POSTED = "posted"  # Telegram accepted it, its answer could not be read: id unknown
    PERHAPS = "perhaps"  # two tries without an answer: shown 0, 1 or 2 times
    NONE = "none"  # never posted (or forgotten)


# Message ids Telegram never gives, kept where the id of a posted message is unknown.
_POSTED_ID_UNREAD = 0
_PERHAPS_POSTED = -1

_REMEMBER = (
    "INSERT INTO messages (session_id, key, chat_id, message_id) VALUES (?, ?, ?, ?)"
    " ON CONFLICT (session_id, key) DO UPDATE SET chat_id = excluded.chat_id,"
    " message_id = excluded.message_id"
)

_REASON = re.compile(r"[A-Za-z][A-Za-z0-9_.:-]{0,63}")


@dataclass(frozen=True, slots=True)
class Note:
    """What delivering an outbox row learnt of one live message, kept when the row settles:
    where it is (``KNOWN``, at ``chat_id``/``message_id``), that it was posted with its id
    unread (``POSTED``) or may have been (``PERHAPS``), or that it is gone (``NONE``)."""

    session_id: str
    key: str
    sighting: Sighting
    chat_id: int = 0
    message_id: int = 0


@dataclass(frozen=True, slots=True)
class Settlement:
    """One outbox row's outcome, written with what its delivery learnt (``notes``).

    ``done``: the row leaves the outbox (sent, or no longer worth sending); otherwise it waits
    and only its notes are kept (a long message's first parts went out). ``reason``: the row
    is set aside with that code instead (``Store.set_aside``), ``unconfirmed`` if it may have
    gone out.
    """

    outbox_id: int
    notes: tuple[Note, ...] = ()
    done: bool = True
    reason: str | None = None
    unconfirmed: bool = False


async def _note(tx: Tx, note: Note) -> None:
    """Keep what a delivery learnt of a live message (``Note``) in ``messages``."""
    where = (note.session_id, note.key)
    if note.sighting is Sighting.NONE:
        await tx._exec("DELETE FROM messages WHERE session_id = ? AND key = ?", where)
    elif note.sighting is Sighting.KNOWN:
        await tx._exec(_REMEMBER, (*where, note.chat_id, note.message_id))
    else:  # a marker never replaces a known id: that is where the message is
        marker = _POSTED_ID_UNREAD if note.sighting is Sighting.POSTED else _PERHAPS_POSTED
        await tx._exec(
            _REMEMBER + " WHERE messages.message_id <= 0", (*where, note.chat_id, marker)
        )


# The applied ids of an update the inbox no longer remembers, in sessions that ended before
# the inbox's memory: such an update can never come again (docs/storage.md, "Applied event
# ids"), and these ids were two fifths of what a finished session keeps (docs/performance.md).
_FORGET_APPLIED = (
    "DELETE FROM applied_events WHERE session_id IN (SELECT id FROM sessions"
    " WHERE status = 'ended' AND ended_at IS NOT NULL AND ended_at <= ?)"
    " AND event_id GLOB 'u[0-9]*:*'"
    " AND CAST(substr(event_id, 2, instr(event_id, ':') - 2) AS INTEGER)"
    " NOT IN (SELECT update_id FROM inbox)"
)


async def _forget_applied(tx: Tx, now: datetime) -> None:
    cur = await tx._exec(_FORGET_APPLIED, (ts(now - INBOX_MEMORY),))
    if cur.rowcount > 0:
        tx.invalidate()  # states in memory may still hold them: read them again
    await cur.close()


def _check_reason(reason: str) -> None:
    if not _REASON.fullmatch(reason):
        raise ValueError("a reason is a short code such as 'BadRequest' or 'http_500', not text")


@dataclass
class _Batch:
    """One write transaction shared by a batch of updates (group commit, ``Store.batch``)."""

    store: Store
    root: Tx
    current: Tx
    task: asyncio.Task[Any] | None  # the task that opened it: only its writes join it
    depth: int = 0
    broken: bool = False  # SQLite rolled the transaction back: nothing of it may commit
    checkpoint: bool = False  # asked for inside: run once the batch has committed


class BatchLost(StorageError):
    """SQLite ended a batch's transaction by itself (a full disk, an I/O error): nothing of
    the batch was kept, and every update of it is still pending."""


# The batch the running task is inside, if any. Tasks started meanwhile inherit it, but only
# the batch's own task runs while it is open (handlers are awaited in turn).
_batch: ContextVar[_Batch | None] = ContextVar("ikiganiro_batch", default=None)


class Store:
    """Open with ``await Store.open(path, key)``; close with ``await store.close()``."""

    def __init__(
        self,
        path: Path,
        key: DataKey,
        writer: Writer,
        reader: aiosqlite.Connection,
        check: FullCheck | None = None,
    ) -> None:
        self.path = path
        self._key = key
        self._check = check
        self._writer = writer
        self._reader = reader
        self._lock = asyncio.Lock()
        self._read_lock = asyncio.Lock()
        self.cache = SessionCache()

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        key: DataKey,
        *,
        create: bool = True,
        check_alongside: bool = False,
    ) -> Store:
        """Open (or, with ``create``, make) the database; every refusal is one sentence.

        A folder, a missing folder, a 0-byte or foreign file, a read-only place, a full disk,
        a damaged file (``PRAGMA quick_check``) and a wrong key each raise a
        :class:`StorageError` that names the file and the fix (docs/storage.md, "Opening").

        ``check_alongside`` (``ikiganiro run``): when the schema is current, only the bot's
        queue tables are checked here and the full check runs on its own connection while the
        caller goes on; every write waits until it has passed (:meth:`checked`), so a damaged
        file is still never written to. Otherwise (a new file, a migration to run, every other
        command) the full check runs first, as it always did.
        """
        db = Path(path)
        check_path(db, create=create)
        try:
            created = _create_private(db)
        except OSError as error:
            raise explain(error, db) from None
        try:
            return await cls._open(db, key, check_alongside)
        except BaseException as error:
            if created:
                _remove_new(db)
            if isinstance(error, StorageError) and isinstance(error.__cause__, sqlite3.Error):
                error = error.__cause__  # a migration that failed: say why, not which
            if isinstance(error, sqlite3.Error | OSError):
                raise explained(error, db) from None
            raise

    @classmethod
    async def _open(cls, db: Path, key: DataKey, check_alongside: bool) -> Store:
        writer = await _connect_writer(db)
        reader: aiosqlite.Connection | None = None
        check: FullCheck | None = None
        try:
            if check_alongside and await schema_version(writer) == len(MIGRATIONS):
                await check_queues(writer, db)
                check = FullCheck(db)
            else:  # a migration writes: the whole file is checked before it
                await quick_check(writer, db)
                await migrate(writer)
            reader = await _connect_reader(db)
            await reader.execute("PRAGMA query_only = ON")
            store = cls(db, key, writer, reader, check)
            await store._check_key()
        except BaseException:
            if check is not None:
                await check.stop()
            if reader is not None:
                await reader.close()
            await writer.close()
            raise
        return store

    async def checked(self) -> None:
        """Return once the full check started at open has passed (at once if none runs);
        raise its refusal, the sentence ``open`` would have given, if it failed. Every write
        waits here first: a damaged file is never written to."""
        if self._check is not None:
            await self._check.passed()
            self._check = None

    async def _check_key(self) -> None:
        rows = await self._read("SELECT value FROM meta WHERE key = 'key_check'")
        if rows:  # read on the reader: a key that opens it is known without writing
            self._confirm_key(rows[0][0])
            return
        async with self.write() as tx:
            self.cache.next_outbox_id = await tx.first_outbox_id()
            cur = await tx._exec("SELECT value FROM meta WHERE key = 'key_check'")
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                blob = self._key.seal(_KEY_CHECK, _KEY_CHECK_AAD)
                await tx._exec("INSERT INTO meta (key, value) VALUES ('key_check', ?)", (blob,))
                return
        self._confirm_key(row[0])

    def _confirm_key(self, blob: bytes) -> None:
        try:
            ok = self._key.open(blob, _KEY_CHECK_AAD) == _KEY_CHECK
        except CorruptData:
            ok = False
        if not ok:
            raise WrongKey(
                f"{self.path} was created with a different data key; set IKIGANIRO_DATA_KEY "
                "to the key it was created with (a new key cannot read existing data)"
            )

    async def close(self) -> None:
        if self._check is not None:
            await self._check.stop()
        await self._reader.close()
        await self._writer.close()

    def write(self, *, offload: bool = False) -> AbstractAsyncContextManager[Tx]:
        """One serialised transaction: committed on success, rolled back on any exception.

        Its statements run inline, on the event loop (``bot.storage.writer``); ``offload``
        sends every one to the writer's thread instead, for a transaction that may write a
        great deal (the upkeep's purge). Inside a batch it does nothing.

        A cancel anywhere, during BEGIN included, rolls it back and leaves the connection ready
        for the next write; a cancel that comes once COMMIT is in SQLite's hands is raised after
        the commit, which stands (docs/storage.md, "Cancellation"). Inside :meth:`batch` it is
        a savepoint of the batch's transaction instead: undone alone on an exception, committed
        with the batch. Outside one it is not re-entrant: calling another writing method of the
        store inside it deadlocks.
        """
        batch = self._current()
        return self._savepoint(batch) if batch is not None else self._transaction(offload)

    def _current(self) -> _Batch | None:
        """The batch this task is in. A task started inside a batch inherits the context
        variable, but not the batch: its writes are transactions of their own."""
        batch = _batch.get()
        if batch is None or batch.store is not self or batch.task is not asyncio.current_task():
            return None
        return batch

    @asynccontextmanager
    async def _transaction(self, offload: bool = False) -> AsyncIterator[Tx]:
        await self.checked()
        async with self._lock:
            tx = Tx(self._writer, self._key, cache=self.cache)
            self._writer.offloaded = offload
            try:
                await _to_the_end(_begin(self._writer, "BEGIN IMMEDIATE"))
                yield tx
                tx._close()
                await _to_the_end(self._writer.commit())
            except BaseException:
                # Also after a cancel during BEGIN or COMMIT: the statement has run by now, so
                # this rollback undoes a transaction BEGIN opened after the cancel, and does
                # nothing after a COMMIT (which cannot be taken back once SQLite has it).
                tx._close()
                await _to_the_end(_rollback(self._writer))
                raise
            finally:
                self._writer.offloaded = False
            self._committed(tx)

    def _committed(self, tx: Tx) -> None:
        """The states a transaction saved or read are the database's now: cache them."""
        self.cache.titles.update(tx.titles)
        if tx.invalidated:
            self.cache.clear()
            return
        for state in (*tx.loaded.values(), *tx.saved.values()):
            self.cache.put(state)
        self.cache.places.update(tx.places)
        self.cache.languages.update(tx.languages)

    def batch(self) -> AbstractAsyncContextManager[None]:
        """Group commit: every ``write()`` made by this task until the block ends is a
        savepoint of one transaction, committed once at the end (one disk sync for the lot).

        An exception in one ``write()`` undoes that write alone; the batch goes on. Reads inside
        the batch see what it wrote. Inside a batch already, this adds nothing.
        """
        return self._batched()

    @asynccontextmanager
    async def _batched(self) -> AsyncIterator[None]:
        if self._current() is not None:
            yield
            return
        async with self._transaction() as root:
            batch = _Batch(self, root, root, asyncio.current_task())
            token = _batch.set(batch)
            try:
                yield
                if batch.broken:
                    raise BatchLost("the database rolled the batch back; it is tried again")
            finally:
                _batch.reset(token)
        if batch.checkpoint:
            await self.checkpoint()

    @asynccontextmanager
    async def _savepoint(self, batch: _Batch) -> AsyncIterator[Tx]:
        if batch.broken:
            raise BatchLost("the database rolled the batch back; it is tried again")
        batch.depth += 1
        name = f"u{batch.depth}"
        parent = batch.current
        tx = Tx(self._writer, self._key, cache=self.cache, parent=parent)
        # Inline statements (bot.storage.writer): a cancel cannot land inside them.
        await self._writer.execute(f"SAVEPOINT {name}")
        batch.current = tx
        try:
            yield tx
            tx._close()
            await self._writer.execute(f"RELEASE {name}")
            parent.absorb(tx)
        except BaseException:
            tx._close()
            if self._writer.in_transaction:
                await _undo(self._writer, name)
            else:  # SQLite ended the whole transaction (a full disk, an I/O error)
                batch.broken = True
            raise
        finally:
            batch.current = parent

    def read(self) -> AbstractAsyncContextManager[Tx]:
        """A consistent snapshot for lookups, on the reader: it never waits for the writer.

        The reader connection is ``query_only``, so a writing method called on this ``Tx``
        fails instead of slipping a change outside the serialised writer. Inside a batch,
        reads see what the batch wrote: they run in its transaction.
        """
        batch = self._current()
        return self._in_batch(batch) if batch is not None else self._snapshot()

    @asynccontextmanager
    async def _in_batch(self, batch: _Batch) -> AsyncIterator[Tx]:
        tx = Tx(self._writer, self._key, cache=self.cache, parent=batch.current, readonly=True)
        try:
            yield tx
        finally:
            tx._close()

    @asynccontextmanager
    async def _snapshot(self) -> AsyncIterator[Tx]:
        async with self._read_lock:
            tx = Tx(self._reader, self._key, cache=self.cache, readonly=True)
            try:
                await _to_the_end(_begin(self._reader, "BEGIN"))
                yield tx
            finally:
                tx._close()
                await _to_the_end(_rollback(self._reader))

    async def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        if self._current() is not None:  # inside a batch: what it wrote counts
            return list(await self._writer.execute_fetchall(sql, params))
        # The lock keeps a one-off read out of an open snapshot, which could be older than a
        # row the sender has just deleted, and so send a message twice.
        # One call on aiosqlite's thread runs the query and reads it to the end, so a cancel
        # cannot leave a half-read statement holding an old snapshot open on the reader.
        async with self._read_lock:
            await _to_the_end(_close_leftover(self._reader))
            return list(await self._reader.execute_fetchall(sql, params))

    # --- intake ----------------------------------------------------------------------------------

    async def inbox_add(
        self, update_id: int, payload: dict[str, Any], received_at: datetime
    ) -> bool:
        """Keep an update before Telegram is told it arrived; False if the id was ever seen."""
        return await self.inbox_add_many([(update_id, payload)], received_at) == 1

    async def inbox_add_many(
        self, updates: list[tuple[int, dict[str, Any]]], received_at: datetime
    ) -> int:
        """Keep a batch of updates in one transaction (one disk sync for a whole
        ``getUpdates``); returns how many were new (an id ever seen is not kept again)."""
        at = ts(received_at)
        rows = [
            (update_id, at, self._key.seal(dumps(payload), f"inbox|{update_id}|payload".encode()))
            for update_id, payload in updates
        ]
        async with self.write() as tx:
            before = tx._conn.total_changes
            await tx._many(
                "INSERT INTO inbox (update_id, received_at, payload_enc) VALUES (?, ?, ?)"
                " ON CONFLICT (update_id) DO NOTHING",
                rows,
            )
            return tx._conn.total_changes - before

    async def processed(self, update_id: int) -> None:
        """Mark an update processed, unless the batch it is in has marked it already."""
        batch = self._current()
        if batch is not None and update_id in batch.root.marked:
            return
        async with self.write() as tx:
            await tx.mark_processed(update_id)

    async def inbox_pending(self) -> list[tuple[int, dict[str, Any]]]:
        rows = await self._read(
            "SELECT update_id, payload_enc FROM inbox WHERE processed_at IS NULL ORDER BY seq"
        )
        pending = []
        for update_id, blob in rows:
            if blob is None:
                raise CorruptData(f"inbox update {update_id} is unprocessed but has no payload")
            aad = f"inbox|{update_id}|payload".encode()
            pending.append((int(update_id), loads(self._key.open(blob, aad))))
        return pending

    async def inbox_set_aside(self, update_id: int, *, reason: str) -> None:
        """An update that can never be processed (it does not parse, or is invalid): marked
        processed with the reason, its payload wiped, so it neither blocks nor repeats."""
        _check_reason(reason)
        async with self.write() as tx:
            await tx._exec(
                "UPDATE inbox SET processed_at = ?, payload_enc = NULL, set_aside = ?"
                " WHERE update_id = ? AND processed_at IS NULL",
                (ts(utcnow()), reason, update_id),
            )

    async def count_dropped(self, count: int) -> None:
        """Updates refused at the door (no usable ``update_id``): counted, never stored."""
        async with self.write() as tx:
            row = await tx._one("SELECT value FROM meta WHERE key = 'dropped_updates'")
            total = count + (0 if row is None else int(bytes(row[0]).decode()))
            await tx._exec(
                "INSERT INTO meta (key, value) VALUES ('dropped_updates', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(total).encode(),),
            )

    # --- outbox ----------------------------------------------------------------------------------

    async def outbox_pending(
        self, limit: int = 100
    ) -> list[tuple[int, str | None, dict[str, Any]]]:
        """The first ``limit`` rows of the outbox in queue order, decrypted."""
        return await self.outbox_after(0, limit)

    async def outbox_after(
        self, after: int, limit: int = 1000
    ) -> list[tuple[int, str | None, dict[str, Any]]]:
        """The rows queued after row ``after``, in queue order, at most ``limit``, decrypted.

        Row ids only grow (``AUTOINCREMENT``, one writer), so the sender reads and decrypts
        each row once, however many wait behind it, by asking for those after the last it saw.
        """
        rows = await self._read(
            "SELECT id, session_id, payload_enc FROM outbox WHERE id > ? ORDER BY id LIMIT ?",
            (after, limit),
        )
        return self._opened(rows)

    async def outbox_of(self, session_id: str) -> list[tuple[int, str | None, dict[str, Any]]]:
        """One session's rows still waiting, in queue order, decrypted (only those): whether
        its prompt is on its way, however many other groups' rows wait before it."""
        rows = await self._read(
            "SELECT id, session_id, payload_enc FROM outbox WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return self._opened(rows)

    def _opened(self, rows: list[Any]) -> list[tuple[int, str | None, dict[str, Any]]]:
        """Outbox rows ``(id, session, sealed payload)`` with their payloads decrypted."""
        return [
            (int(oid), sid, loads(self._key.open(blob, outbox_aad(oid, sid))))
            for oid, sid, blob in rows
        ]

    async def outbox_count(self, through: int) -> int:
        """How many rows up to id ``through`` are in the outbox (nothing decrypted)."""
        rows = await self._read("SELECT count(*) FROM outbox WHERE id <= ?", (through,))
        return int(rows[0][0])

    async def outbox_ids(self, through: int) -> set[int]:
        """The ids of the rows up to ``through`` still in the outbox (nothing decrypted)."""
        return {
            int(r[0]) for r in await self._read("SELECT id FROM outbox WHERE id <= ?", (through,))
        }

    async def outbox_done(self, outbox_id: int) -> None:
        await self.settle([Settlement(outbox_id)])

    async def set_aside(self, outbox_id: int, *, reason: str, unconfirmed: bool = False) -> None:
        """Take a row out of the outbox for good, keeping what ``ikiganiro status`` shows.

        ``reason`` is a code (an error class or code such as ``BadRequest`` or ``http_500``),
        never an error's text, which could quote a person. ``unconfirmed``: the message may
        have gone out (its answer could not be read), so it must not be sent again. The
        payload is not kept. A row already gone is a no-op.
        """
        await self.settle([Settlement(outbox_id, reason=reason, unconfirmed=unconfirmed)])

    async def settle(self, settlements: Sequence[Settlement]) -> None:
        """Several rows' outcomes in ONE write transaction, so one durable commit (one fsync)
        serves every lane that delivered meanwhile: each row's notes (``messages``), then the
        row deleted, set aside, or left waiting. A row already gone is a no-op."""
        for settlement in settlements:
            if settlement.reason is not None:
                _check_reason(settlement.reason)
        async with self.write() as tx:
            for settlement in settlements:
                for note in settlement.notes:
                    await _note(tx, note)
                if settlement.reason is not None:
                    await self._set_aside(tx, settlement)
            gone = [(s.outbox_id,) for s in settlements if s.done and s.reason is None]
            if gone:
                await tx._many("DELETE FROM outbox WHERE id = ?", gone)

    async def _set_aside(self, tx: Tx, settlement: Settlement) -> None:
        outbox_id = settlement.outbox_id
        row = await tx._one(
            "SELECT session_id, payload_enc FROM outbox WHERE id = ?", (outbox_id,)
        )
        if row is None:
            return
        session_id, blob = row
        try:
            op = str(loads(self._key.open(blob, outbox_aad(outbox_id, session_id)))["op"])
        except (CorruptData, StorageError, KeyError, ValueError):
            op = "unreadable"
        await tx._exec(
            "INSERT INTO set_aside (outbox_id, session_id, op, reason, unconfirmed, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                outbox_id,
                session_id,
                op[:64],
                settlement.reason,
                int(settlement.unconfirmed),
                ts(utcnow()),
            ),
        )
        await tx._exec("DELETE FROM outbox WHERE id = ?", (outbox_id,))

    async def status(self, now: datetime | None = None) -> StoreStatus:
        """Pending and set-aside work, for ``ikiganiro status`` (docs/storage.md)."""
        async with self.read() as tx:
            found = await read_status(tx, now or utcnow())
        return found.with_disk(self.path.parent)

    async def outbox_replace(self, outbox_id: int, payload: dict[str, Any]) -> None:
        async with self.write() as tx:
            cur = await tx._exec("SELECT session_id FROM outbox WHERE id = ?", (outbox_id,))
            row = await cur.fetchone()
            await cur.close()
            if row is None:
                raise StorageError(f"outbox row {outbox_id} does not exist")
            blob = self._key.seal(dumps(payload), outbox_aad(outbox_id, row[0]))
            await tx._exec("UPDATE outbox SET payload_enc = ? WHERE id = ?", (blob, outbox_id))

    # --- reminders and live messages -------------------------------------------------------------

    async def due_reminders(self, now: datetime) -> list[tuple[str, str, dict[str, Any]]]:
        rows = await self._read(
            "SELECT session_id, name, event_json FROM reminders WHERE due_at <= ?"
            " ORDER BY due_at, session_id, name",
            (ts(now),),
        )
        return [(str(sid), str(name), loads(event)) for sid, name, event in rows]

    async def message_ref(self, session_id: str, key: str) -> tuple[int, int] | None:
        """Where the live message ``key`` is, if its id is known."""
        rows = await self._read(
            "SELECT chat_id, message_id FROM messages"
            " WHERE session_id = ? AND key = ? AND message_id > 0",
            (session_id, key),
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else None

    async def sighting(self, session_id: str, key: str) -> Sighting:
        """What is known of the live message ``key`` having reached its chat."""
        rows = await self._read(
            "SELECT message_id FROM messages WHERE session_id = ? AND key = ?",
            (session_id, key),
        )
        if not rows:
            return Sighting.NONE
        message_id = int(rows[0][0])
        if message_id > 0:
            return Sighting.KNOWN
        return Sighting.POSTED if message_id == _POSTED_ID_UNREAD else Sighting.PERHAPS

    async def unsure(self, session_id: str, key: str) -> bool:
        """Whether ``key`` may be on screen though its id is unknown (never post it again)."""
        return await self.sighting(session_id, key) in (Sighting.POSTED, Sighting.PERHAPS)

    async def remember_unsure(
        self, session_id: str, key: str, chat_id: int, *, posted: bool
    ) -> None:
        """``key`` was posted with an answer that could not be read (``posted``), or may have
        been (two tries without an answer): its id is unknown. Kept in ``messages`` with a
        message id Telegram never gives (0 or -1), so a later edit does not post it again and
        the facilitator's next move knows whether the group saw it; a later post of the same
        key replaces it with the real id."""
        sighting = Sighting.POSTED if posted else Sighting.PERHAPS
        async with self.write() as tx:
            await _note(tx, Note(session_id, key, sighting, chat_id))

    async def message_key(self, chat_id: int, message_id: int) -> tuple[str, str] | None:
        rows = await self._read(
            "SELECT session_id, key FROM messages WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        )
        return (str(rows[0][0]), str(rows[0][1])) if rows else None

    async def remember_message(
        self, session_id: str, key: str, chat_id: int, message_id: int
    ) -> None:
        async with self.write() as tx:
            await _note(tx, Note(session_id, key, Sighting.KNOWN, chat_id, message_id))

    async def forget_message(self, session_id: str, key: str) -> None:
        async with self.write() as tx:
            await _note(tx, Note(session_id, key, Sighting.NONE))

    # --- maintenance -----------------------------------------------------------------------------

    async def checkpoint(self) -> None:
        """Fold the WAL into the file and truncate it, so deleted text leaves the WAL too.
        Inside a batch it runs once the batch has committed (the text is in its transaction)."""
        if (batch := self._current()) is not None:
            batch.checkpoint = True
            return
        await self.checked()
        async with (
            self._lock,
            self._writer.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cur,
        ):
            row = await cur.fetchone()
        if row is not None and row[0] != 0:
            raise StorageError("WAL checkpoint was blocked by an open reader; try again")

    async def integrity_check(self) -> str:
        rows = await self._read("PRAGMA integrity_check")
        problems = [str(r[0]) for r in rows]
        fk = await self._read("PRAGMA foreign_key_check")
        problems += [f"foreign key: {tuple(r)}" for r in fk]
        return "\n".join(problems) if problems else "ok"

    async def backup(self, dest: str | os.PathLike[str]) -> None:
        """A consistent copy through SQLite's online backup; never copy the live file.

        The copy is written to a hidden ``.<name>.partial-<pid>`` file beside ``dest``, checked
        (it must open with this key and pass ``integrity_check``) and only then renamed to
        ``dest``: a backup cut short leaves no file under the name asked for, so nothing that
        looks like a good, empty backup. It never overwrites a file. Its place and time are
        noted in the database, for the refusal to start on a damaged file to point to it.
        """
        target = _backup_target(Path(dest))
        partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
        try:
            await self._copy_to(partial)
            await self._verify_copy(partial)
            _publish(partial, target)
        except (sqlite3.Error, OSError) as error:
            raise explain(error, target) from None
        finally:
            _remove_new(partial)
        await self._note_backup(target)

    async def _copy_to(self, partial: Path) -> None:
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        copy = sqlite3.connect(partial, check_same_thread=False)
        try:
            await self._reader.backup(copy)
        finally:
            copy.close()
        fd = os.open(partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    async def _verify_copy(self, partial: Path) -> None:
        copy = await Store.open(partial, self._key, create=False)
        try:
            result = await copy.integrity_check()
        finally:
            await copy.close()
        if result != "ok":
            raise StorageError(f"the copy failed its integrity check ({result}); try again.")

    async def _note_backup(self, target: Path) -> None:
        note = f"{_absolute(target)}, written {ts(datetime.now(UTC))}".encode()
        async with self.write() as tx:
            await tx._exec(
                "INSERT INTO meta (key, value) VALUES ('last_backup', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (note,),
            )

    async def idle_sessions(self, now: datetime, days: int) -> list[str]:
        """Open sessions in which no person has done anything for ``days`` days.

        The audit log is the clock: it records every person's event, while reminders and
        other events of the bot's own leave ``actor`` empty and do not count as activity.
        """
        rows = await self._read(
            "SELECT s.id FROM sessions s WHERE s.status != 'ended' AND s.opened_at IS NOT NULL"
            " AND COALESCE((SELECT MAX(a.at) FROM audit a"
            "   WHERE a.session_id = s.id AND a.actor IS NOT NULL), s.created_at) <= ?"
            " ORDER BY s.id",
            (ts(now - timedelta(days=days)),),
        )
        return [str(row[0]) for row in rows]

    async def purge_expired(self, now: datetime, days: int = 90) -> int:
        """Drop stories of sessions ended long ago, keeping per-stage counts and commitments."""
        cutoff = ts(now - timedelta(days=days))
        async with self.write(offload=True) as tx:
            cur = await tx._exec(
                "SELECT id FROM sessions WHERE status = 'ended' AND ended_at IS NOT NULL"
                " AND ended_at <= ? AND purged_at IS NULL",
                (cutoff,),
            )
            expired = [str(r[0]) for r in await cur.fetchall()]
            await cur.close()
            if expired:
                tx.invalidate()  # their answers go behind the states' back
            for sid in expired:
                cur = await tx._exec(
                    "SELECT stage_id, COUNT(*) FROM answers WHERE session_id = ?"
                    " GROUP BY stage_id ORDER BY stage_id",
                    (sid,),
                )
                counts = {str(stage): int(n) for stage, n in await cur.fetchall()}
                await cur.close()
                # Votes on the vision go with the statements they were cast on.
                for table in ("answers", "agreements", "drafts", "private_bindings", "outbox"):
                    await tx._exec(f"DELETE FROM {table} WHERE session_id = ?", (sid,))  # noqa: S608
                # Commitments outlive the stories: their due-date reminders (ids, no text) stay.
                await tx._exec(
                    "DELETE FROM reminders WHERE session_id = ? AND name NOT LIKE 'due:%'", (sid,)
                )
                await tx._exec(
                    "UPDATE sessions SET purged_at = ?, purged_counts_json = ? WHERE id = ?",
                    (ts(now), json.dumps(counts), sid),
                )
            await tx._exec(
                "DELETE FROM inbox WHERE processed_at IS NOT NULL AND received_at <= ?"
                " AND (set_aside IS NULL OR received_at <= ?)",
                (ts(now - INBOX_MEMORY), ts(now - SET_ASIDE_MEMORY)),
            )
            await _forget_applied(tx, now)
        await self.checkpoint()
        return len(expired)
