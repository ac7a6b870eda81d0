"""The outbox as the sender sees it: read once, settled together.

The sender used to read (and decrypt) the whole outbox before every row it delivered, and to
commit each row's outcome on its own: with a thousand groups' rows waiting, a drain cost the
square of the rows, and every message a durable commit or two (each an fsync). Here:

- **Each row is read once.** The rows waiting are kept in memory by lane (one per chat, in
  queue order); a refresh reads only the rows queued since the last one (``Store.outbox_after``;
  at start-up, all of them) and checks by a count that nothing else took rows away meanwhile
  (``purge_expired`` does, for sessions ended long ago): if something did, the ids still there
  are read, and the rows gone are forgotten, never sent.
- **Settlements are committed together** (group commit). A lane that delivered a row hands
  its settlement here and waits until it is committed before it goes on, so a kill repeats at
  most the one message each lane had in flight; but the settlements of all the lanes that
  delivered meanwhile go in one write transaction: the first starts a commit, those that
  arrive while it runs wait for the next one, which takes them all.

A settled row leaves memory only once its settlement is committed, and no refresh runs while
a commit does, so what is in memory is exactly what is in the outbox (but rows queued since).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Sequence

from pydantic import ValidationError

from bot import delivery as op
from bot.storage import Settlement, Store
from bot.telegram.schedule import Row

log = logging.getLogger(__name__)

PAGE = 1000  # rows read and decrypted at a time


class Outbox:
    def __init__(self, store: Store, *, page: int = PAGE) -> None:
        self.store = store
        self.page = page
        self._lane_of: dict[int, str] = {}  # every row in memory → the lane it waits in
        self._lanes: dict[str, dict[int, Row]] = {}  # lane → its rows, in queue order
        self._seen = 0  # the last row id read
        self._queue: list[tuple[list[Settlement], asyncio.Future[None]]] = []
        self._committing: asyncio.Task[None] | None = None
        # A refresh and a commit never overlap, so a count of the outbox can be compared with
        # what is in memory.
        self._turn = asyncio.Lock()

    def lanes(self) -> list[str]:
        """The lanes that have rows waiting, the one whose first row is oldest first."""
        return sorted(self._lanes, key=lambda lane: next(iter(self._lanes[lane])))

    def rows(self, lane: str) -> list[Row]:
        """A lane's rows, in queue order."""
        return list(self._lanes.get(lane, {}).values())

    async def refresh(self) -> int:
        """Read the rows queued since the last refresh (at the first, every row); returns how
        many were set aside because they are no delivery operation (logged by id, never by
        content)."""
        refused = 0
        async with self._turn:
            while True:
                fresh = await self.store.outbox_after(self._seen, self.page)
                if fresh:
                    self._seen = fresh[-1][0]
                refused += await self._take(fresh)
                if len(fresh) < self.page:
                    break
            if await self.store.outbox_count(self._seen) != len(self._lane_of):
                present = await self.store.outbox_ids(self._seen)
                self._drop([oid for oid in self._lane_of if oid not in present])
        return refused

    async def _take(self, fresh: list[tuple[int, str | None, dict[str, object]]]) -> int:
        invalid = []
        for outbox_id, session_id, payload in fresh:
            try:
                operation = op.parse(payload)
            except ValidationError as error:
                log.error("outbox row %s is no delivery operation (%s)", outbox_id, error.title)
                invalid.append(Settlement(outbox_id, reason="invalid_operation"))
                continue
            self._place((outbox_id, session_id, operation))
        if invalid:
            await self.store.settle(invalid)
        return len(invalid)

    def _place(self, row: Row) -> None:
        lane = op.lane(row[2])
        rows = self._lanes.setdefault(lane, {})
        rows[row[0]] = row
        self._lane_of[row[0]] = lane
        if next(reversed(rows)) != row[0]:  # placed behind rows queued after it: re-sort
            self._lanes[lane] = dict(sorted(rows.items()))

    def _drop(self, ids: Sequence[int]) -> None:
        for outbox_id in ids:
            lane = self._lane_of.pop(outbox_id, None)
            if lane is None:
                continue
            rows = self._lanes[lane]
            del rows[outbox_id]
            if not rows:
                del self._lanes[lane]

    def replace(self, outbox_id: int, operation: op.Operation) -> None:
        """A row's operation changed (its group moved): it stays in its lane, which is
        delivering it, until :meth:`relane` moves it where it now belongs."""
        lane = self._lane_of.get(outbox_id)
        if lane is None:  # taken out meanwhile (a refresh found it gone)
            return
        _, session_id, _ = self._lanes[lane][outbox_id]
        self._lanes[lane][outbox_id] = (outbox_id, session_id, operation)

    def relane(self, outbox_id: int) -> None:
        """Move a waiting row to the lane its operation is for now (after :meth:`replace`)."""
        lane = self._lane_of.get(outbox_id)
        if lane is None:
            return
        row = self._lanes[lane][outbox_id]
        if op.lane(row[2]) != lane:
            self._drop([outbox_id])
            self._place(row)

    async def settle(self, settlements: list[Settlement]) -> None:
        """Commit these rows' settlements, with those of every lane that settles meanwhile,
        and forget the rows settled; returns once they are committed."""
        committed = self._enqueue(settlements)
        if committed is not None:
            await committed

    def keep(self, settlement: Settlement) -> None:
        """Commit a settlement without waiting for it (a lane cancelled mid-row keeps what its
        delivery learnt: the id of a part already posted)."""
        committed = self._enqueue([settlement])
        if committed is not None:  # a failure is logged by the lanes' own commits
            committed.add_done_callback(lambda f: f.cancelled() or f.exception())

    def _enqueue(self, settlements: list[Settlement]) -> asyncio.Future[None] | None:
        settlements = [s for s in settlements if s.done or s.notes]
        if not settlements:
            return None
        committed = asyncio.get_running_loop().create_future()
        self._queue.append((settlements, committed))
        if self._committing is None or self._committing.done():
            # A context of its own: a settlement is its own transaction, never a part of the
            # intake's group commit (``Store.batch``) that a drain happened to start in.
            self._committing = asyncio.create_task(self._commit(), context=contextvars.Context())
        return committed

    async def settled(self) -> None:
        """Wait until no commit is running (a drain leaves none behind it)."""
        while self._committing is not None and not self._committing.done():
            await asyncio.wait({self._committing})

    async def _commit(self) -> None:
        """The group commit: every settlement queued goes in one transaction, while the next
        ones queue up for the transaction after it."""
        while self._queue:
            batch, self._queue = self._queue, []
            settlements = [s for group, _ in batch for s in group]
            try:
                async with self._turn:
                    await self.store.settle(settlements)
                    self._drop([s.outbox_id for s in settlements if s.done])
            except Exception as error:  # the disk: each lane hears it, as from its own write
                for _, committed in batch:
                    if not committed.done():
                        committed.set_exception(error)
                continue
            except BaseException:  # cancelled (the loop closing): the waiting lanes are too
                for _, committed in [*batch, *self._queue]:
                    committed.cancel()
                self._queue = []
                raise
            for _, committed in batch:
                if not committed.done():
                    committed.set_result(None)
