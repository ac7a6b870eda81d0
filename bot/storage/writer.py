"""The store's writing connection: a transaction's statements run inline, on the event loop.

aiosqlite hands every statement to its own thread and the answer back: about 0.1 ms a trip on
a small server, against a few microseconds for an INSERT into SQLite's page cache. An update
made some twenty such trips, so the trips, not SQLite, were most of what storing cost
(docs/performance.md). Inside a writing transaction nothing waits: the transaction holds
SQLite's write lock (``BEGIN IMMEDIATE``), and WAL readers never block a writer. So its
statements run where the transaction is, and only what may wait goes to the writer's own
thread, one at a time: ``BEGIN`` (another process may hold the lock, up to ``busy_timeout``),
``COMMIT`` (the disk sync), checkpoints, checks, migrations, opening and closing.

A statement run inline cannot be interrupted by a cancel (there is no ``await`` inside it),
so a cancelled transaction can stop only at ``BEGIN`` or ``COMMIT``, which ``bot.storage.
store`` waits for to their end. The interface is the part of aiosqlite's the store uses, so
the reader (a plain ``aiosqlite`` connection) and the writer are used alike.
"""

from __future__ import annotations

import asyncio
import functools
import re
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import aiosqlite

T = TypeVar("T")

# Statements that may wait (for another process's lock, the disk, a whole-file scan): these run
# on the writer's thread. Everything else a transaction does is inline.
_WAITS = re.compile(
    r"\s*(BEGIN|COMMIT|END|VACUUM|PRAGMA\s+(wal_checkpoint|quick_check|integrity_check"
    r"|foreign_key_check|journal_mode|optimize))",
    re.IGNORECASE,
)


@functools.lru_cache(maxsize=512)
def waits(sql: str) -> bool:
    """Whether ``sql`` may wait, and so runs on the writer's thread (the store's statements
    are a few hundred fixed strings: each is read once)."""
    return _WAITS.match(sql) is not None


class Cursor:
    """What a statement gave, read as aiosqlite's cursor is read (its rows are all there)."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()


class Statement:
    """``writer.execute(...)``: awaited for its cursor, or used as ``async with``, like
    aiosqlite's."""

    def __init__(self, writer: Writer, sql: str, params: Sequence[Any]) -> None:
        self._writer = writer
        self._sql = sql
        self._params = params
        self._cursor: Cursor | None = None

    async def _run(self) -> Cursor:
        run = partial(self._writer.sqlite.execute, self._sql, self._params)
        writer = self._writer
        cursor = await writer.run(run) if writer.offloaded or waits(self._sql) else run()
        return Cursor(cursor)

    def __await__(self) -> Generator[Any, None, Cursor]:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._cursor is not None:
            await self._cursor.close()


class Writer:
    """One SQLite connection for the store's writes; open with ``await Writer.connect(path)``.

    The store's lock lets one task at a time use it, so the inline statements and the thread's
    never overlap. ``offloaded``: every statement goes to the thread, for a transaction that
    may write a great deal (the upkeep's purge), which inline would hold the loop as long.
    """

    def __init__(self, connection: sqlite3.Connection, thread: ThreadPoolExecutor) -> None:
        self.sqlite = connection
        self._thread = thread
        self._closed = False
        self.offloaded = False

    @classmethod
    async def connect(cls, path: Path) -> Writer:
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ikiganiro-writer")
        try:
            connect = partial(sqlite3.connect, path, isolation_level=None, check_same_thread=False)
            connection = await asyncio.get_running_loop().run_in_executor(thread, connect)
        except BaseException:
            thread.shutdown(wait=False)
            raise
        return cls(connection, thread)

    async def run(self, call: Callable[[], T]) -> T:
        """Run ``call`` on the writer's thread (for what may wait)."""
        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Statement:
        return Statement(self, sql, params)

    async def execute_fetchall(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        async with self.execute(sql, params) as cursor:
            return await cursor.fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        run = partial(self.sqlite.executemany, sql, rows)
        return Cursor(await self.run(run) if self.offloaded else run())

    async def executescript(self, script: str) -> None:
        await self.run(partial(self.sqlite.executescript, script))

    async def commit(self) -> None:
        await self.run(self.sqlite.commit)

    async def rollback(self) -> None:
        """Inline (in WAL mode a rollback only drops pages not yet written), unless offloaded:
        then after the statement the thread may still be running."""
        if self.offloaded:
            await self.run(self.sqlite.rollback)
        else:
            self.sqlite.rollback()

    async def interrupt(self) -> None:
        self.sqlite.interrupt()

    async def set_trace_callback(self, callback: Callable[[str], object] | None) -> None:
        self.sqlite.set_trace_callback(callback)

    @property
    def in_transaction(self) -> bool:
        return self.sqlite.in_transaction

    @property
    def total_changes(self) -> int:
        return self.sqlite.total_changes

    async def close(self) -> None:
        """Close the connection and its thread; again, it does nothing (as aiosqlite's)."""
        if self._closed:
            return
        self._closed = True
        try:
            await self.run(self.sqlite.close)
        finally:
            self._thread.shutdown(wait=False)


# Either of the store's connections: the reader (aiosqlite) or the writer.
Connection = aiosqlite.Connection | Writer
