"""``ikiganiro status``: what is waiting, what was set aside, and the last trouble of each kind.

Counts and codes only: no payload, no text and no user id is read for it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from bot.storage.tx import Tx, parse_ts

NEARLY_FULL = 8 * 2**20  # bytes: a session's writes need a few MiB of room


@dataclass(frozen=True)
class LastError:
    reason: str
    at: datetime


@dataclass(frozen=True)
class StoreStatus:
    pending_outbox: int
    set_aside_outbox: dict[str, int]  # reason -> rows
    unconfirmed_outbox: int  # set aside although the message may have gone out
    unprocessed_updates: int
    oldest_unprocessed_age: timedelta | None
    set_aside_updates: dict[str, int]  # reason -> updates
    dropped_updates: int  # refused at the door: no usable update id
    last_errors: dict[str, LastError] = field(default_factory=dict)  # "outbox", "update"
    disk_free: int | None = None  # bytes free on the disk holding the database

    def with_disk(self, folder: Path) -> StoreStatus:
        """This status, with the free space of the disk holding ``folder``."""
        try:
            free = shutil.disk_usage(folder).free
        except OSError:
            return self
        return replace(self, disk_free=free)

    def table(self) -> str:
        """The short table ``ikiganiro status`` prints."""
        rows = [
            ("outbox: pending", str(self.pending_outbox)),
            ("outbox: set aside", _by_reason(self.set_aside_outbox)),
            ("outbox: set aside, maybe delivered", str(self.unconfirmed_outbox)),
            ("updates: unprocessed", str(self.unprocessed_updates)),
            ("updates: oldest unprocessed", _age(self.oldest_unprocessed_age)),
            ("updates: set aside", _by_reason(self.set_aside_updates)),
            ("updates: dropped at the door", str(self.dropped_updates)),
        ]
        if self.disk_free is not None:
            rows.append(("disk: free", _free(self.disk_free)))
        rows += [
            (f"last error: {kind}", f"{e.reason} at {e.at:%Y-%m-%d %H:%M:%S} UTC")
            for kind, e in sorted(self.last_errors.items())
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def _free(free: int) -> str:
    """Free space, and what it means when there is (nearly) none left."""
    text = f"{free / 2**20:.1f} MiB"
    if free < NEARLY_FULL:
        text += " - nearly full: updates wait, unacknowledged, until space is freed"
    return text


def _by_reason(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    return f"{total} (" + ", ".join(f"{r}: {n}" for r, n in sorted(counts.items())) + ")"


def _age(age: timedelta | None) -> str:
    if age is None:
        return "-"
    seconds = int(age.total_seconds())
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


async def read_status(tx: Tx, now: datetime) -> StoreStatus:
    pending = await tx._one("SELECT count(*) FROM outbox")
    aside = await tx._all("SELECT reason, count(*) FROM set_aside GROUP BY reason")
    unconfirmed = await tx._one("SELECT count(*) FROM set_aside WHERE unconfirmed = 1")
    inbox = await tx._one(
        "SELECT count(*), min(received_at) FROM inbox WHERE processed_at IS NULL"
    )
    updates_aside = await tx._all(
        "SELECT set_aside, count(*) FROM inbox WHERE set_aside IS NOT NULL GROUP BY set_aside"
    )
    dropped = await tx._one("SELECT value FROM meta WHERE key = 'dropped_updates'")
    last: dict[str, LastError] = {}
    for kind, sql in (
        ("outbox", "SELECT reason, at FROM set_aside ORDER BY at DESC LIMIT 1"),
        (
            "update",
            "SELECT set_aside, processed_at FROM inbox WHERE set_aside IS NOT NULL"
            " ORDER BY processed_at DESC LIMIT 1",
        ),
    ):
        row = await tx._one(sql)
        if row is not None:
            last[kind] = LastError(str(row[0]), parse_ts(row[1]))
    return StoreStatus(
        pending_outbox=int(pending[0]),
        set_aside_outbox={str(r): int(n) for r, n in aside},
        unconfirmed_outbox=int(unconfirmed[0]),
        unprocessed_updates=int(inbox[0]),
        oldest_unprocessed_age=None if inbox[1] is None else now - parse_ts(inbox[1]),
        set_aside_updates={str(r): int(n) for r, n in updates_aside},
        dropped_updates=0 if dropped is None else int(bytes(dropped[0]).decode()),
        last_errors=last,
    )
