"""Which waiting operation a chat gets next, and which are no longer worth a call. Pure.

A group can take about 20 calls a minute, and Telegram counts an edit or a reaction like a new
message. So when several operations wait for one group, the one people are waiting for goes
first (``delivery.Priority``), whatever order they were queued in, with two exceptions that keep
the chat coherent: operations on one live message (one key) keep their order, so an edit never
overtakes the message it edits nor a deletion the edit; and nothing else is reordered within a
priority. Some waiting operations are settled without a call at all:

- an edit followed by a later edit of the same message: only the last is worth sending;
- an acknowledgement (a reaction, or a short answer to one person such as "this command works
  in a private chat") queued before a new prompt: its moment has passed;
- an acknowledgement while the group's budget is more than half spent: the budget is for
  what the group waits for.

And only prompts, summaries and answers someone waits for may spend the group's last calls of
a minute (``reserve``): whatever else is chosen waits until it can leave them unspent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot import delivery as op

Row = tuple[int, str | None, op.Operation]


@dataclass(frozen=True, slots=True)
class Choice:
    """The row to deliver next (None: nothing waits) and the rows to settle unsent."""

    next: Row | None
    settle: list[int] = field(default_factory=list)


def reserve(priority: op.Priority, limit: int) -> int:
    """Calls of the group's budget an operation of this priority must leave unspent.

    The next prompt must never wait behind a progress line: progress keeps a few calls in hand
    for prompts and summaries, cards a couple, and reactions half the minute's budget.
    """
    return {
        op.Priority.ESSENTIAL: 0,
        op.Priority.CARD: min(2, limit // 10),
        op.Priority.PROGRESS: min(4, limit // 5),
        op.Priority.ACK: limit // 2,
    }[priority]


def choose(rows: list[Row], *, free: int | None, limit: int) -> Choice:
    """The next row of one chat's waiting ``rows`` (in queue order).

    ``free`` is how many calls the chat's budget allows now (None: the chat has no budget to
    keep, as a private chat or a popup); ``limit`` is the budget per window.
    """
    settle = _superseded(rows) | _stale_reactions(rows)
    if free is not None and free * 2 < limit:
        settle |= {oid for oid, _, o in rows if o.priority is op.Priority.ACK}
    waiting = [row for row in rows if row[0] not in settle]
    ready = _ready(waiting)
    best = min(ready, key=lambda row: (row[2].priority, row[0]), default=None)
    return Choice(best, sorted(settle))


def _superseded(rows: list[Row]) -> set[int]:
    """Edits that a later edit of the same message (same session and key) makes pointless."""
    last: dict[tuple[str | None, str], int] = {}
    for oid, sid, operation in rows:
        if isinstance(operation, op.Edit):
            last[(sid, operation.key)] = oid
    return {
        oid
        for oid, sid, operation in rows
        if isinstance(operation, op.Edit) and last[(sid, operation.key)] != oid
    }


def _stale_reactions(rows: list[Row]) -> set[int]:
    """Acknowledgements queued before a prompt that still waits: their stage has closed."""
    prompts = [
        oid
        for oid, _, operation in rows
        if isinstance(operation, op.Send) and (operation.key or "").startswith("prompt:")
    ]
    if not prompts:
        return set()
    newest = max(prompts)
    return {oid for oid, _, o in rows if o.priority is op.Priority.ACK and oid < newest}


def _ready(rows: list[Row]) -> list[Row]:
    """Rows with no earlier row on the same live message still waiting."""
    seen: set[tuple[str | None, str]] = set()
    ready = []
    for row in rows:
        key = op.key_of(row[2])
        if key is None:
            ready.append(row)
            continue
        if (row[1], key) not in seen:
            ready.append(row)
        seen.add((row[1], key))
    return ready
