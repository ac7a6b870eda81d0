"""Is the file whole? ``PRAGMA quick_check`` before anything is written (docs/storage.md).

A damaged page must stop the bot before it writes: a write into a damaged b-tree can lose what
it was given, and the inbox would then acknowledge an update it no longer holds. The full check
reads every page of the file, about a second per gigabyte, so a start-up that waited for it
would grow with every session ever kept. ``ikiganiro run`` therefore opens the store with the
full check *running alongside* (:class:`FullCheck`, on a connection and thread of its own) and
every write waits for it to pass; what runs at open is the check of the few tables the bot's own
queues live in, so the commonest damage is still refused before Telegram is called at all.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import suppress
from pathlib import Path

import aiosqlite

from bot.storage.crypto import StorageError
from bot.storage.faults import DatabaseDamaged, damaged, explain
from bot.storage.writer import Connection

# The bot's own queues and settings: small whatever the number of sessions, and what start-up
# reads first (meta, the inbox's leftovers, the outbox). Checked at open, before anything else.
QUEUE_TABLES = ("meta", "inbox", "outbox", "reminders", "set_aside", "messages")


def last_backup(path: Path) -> str | None:
    """Where and when the last backup of this database went, if it can still be read."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'last_backup'").fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return None if row is None else bytes(row[0]).decode("utf-8", "replace")


def explained(error: BaseException, path: Path) -> StorageError:
    """The operator's sentence for ``error``; damage names the last backup."""
    sentence = explain(error, path)
    if isinstance(sentence, DatabaseDamaged):
        return DatabaseDamaged(damaged(path, str(error), last_backup(path)))
    return sentence


async def quick_check(conn: Connection, path: Path, table: str | None = None) -> None:
    """Refuse a damaged file (or ``table`` and its indexes): every later write could drop what
    it was given."""
    pragma = "PRAGMA quick_check" if table is None else f"PRAGMA quick_check({table})"
    rows = await conn.execute_fetchall(pragma)
    problems = [str(row[0]) for row in rows]
    if problems != ["ok"]:
        detail = f"quick_check: {problems[0] if problems else 'no answer'}"
        raise DatabaseDamaged(damaged(path, detail, last_backup(path)))


async def check_queues(conn: Connection, path: Path) -> None:
    """The quick check of :data:`QUEUE_TABLES` (milliseconds), for an opening that leaves the
    rest of the file to :class:`FullCheck`."""
    for table in QUEUE_TABLES:
        await quick_check(conn, path, table)


class FullCheck:
    """``PRAGMA quick_check`` of the whole file on its own connection, started at once.

    :meth:`passed` returns once it has passed and raises the refusal (the same sentence
    ``Store.open`` gives) if it did not; :meth:`stop` interrupts it (a stop before it ends).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: aiosqlite.Connection | None = None
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="ikiganiro-full-check")

    async def _run(self) -> None:
        try:
            self._conn = await aiosqlite.connect(self.path, isolation_level=None)
            try:
                await self._conn.execute("PRAGMA query_only = ON")
                if self._stopping:
                    raise StorageError("the check was stopped before it ended")
                await quick_check(self._conn, self.path)
            finally:
                await self._conn.close()
        except (sqlite3.Error, OSError) as error:
            raise explained(error, self.path) from None

    def done(self) -> bool:
        """Whether it has ended, passed or not."""
        return self._task.done()

    async def passed(self) -> None:
        """Wait for the check; a cancelled waiter leaves it running for the others."""
        try:
            await asyncio.shield(self._task)
        except StorageError as error:  # a fresh one each time: the same sentence, no chain
            raise type(error)(str(error)) from None

    async def stop(self) -> None:
        """Interrupt the check if it still runs, and wait until its connection is closed."""
        self._stopping = True
        if not self._task.done() and self._conn is not None:
            with suppress(sqlite3.Error):
                await self._conn.interrupt()
        with suppress(Exception, asyncio.CancelledError):
            await self._task
