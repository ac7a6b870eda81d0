"""What a failed delivery means, and how long it waits before the next try.

Every exception from one outbox row stays with that row: it is classed here, the row is tried
again a bounded number of times with a growing, jittered pause, and then set aside (with its
error class, never its text) so the chat's lane moves on. The classes:

- **definite**: the call did not happen (a 5xx, a refused connection): try again, up to
  ``MAX_TRIES`` times, pausing 1, 2, 4 … seconds (at most a minute), each pause jittered so
  many rows do not come back at the same instant;
- **ambiguous**: the call may have happened (a timeout after sending; an answer that cannot be
  read, such as a ``null`` result or an HTML error page from a proxy). A message is not re-sent
  blindly: it gets one more try, and if that is ambiguous too it is set aside as
  *unconfirmed* (``ikiganiro status`` shows it), so nothing is ever posted more than twice;
- **permanent**: Telegram refused the request itself (400): set aside at once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

from telegram.error import BadRequest, NetworkError, TelegramError, TimedOut

MAX_TRIES = 6
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0


class Failure(Enum):
    DEFINITE = "definite"
    AMBIGUOUS = "ambiguous"
    PERMANENT = "permanent"


def classify(error: Exception) -> Failure:
    """How sure we are that a failed call did not take effect."""
    if isinstance(error, TimedOut):
        return Failure.AMBIGUOUS  # sent, perhaps; the answer did not come back in time
    if isinstance(error, BadRequest):
        return Failure.PERMANENT
    if isinstance(error, NetworkError):
        return Failure.DEFINITE
    if isinstance(error, TelegramError):
        return Failure.AMBIGUOUS  # e.g. "Invalid server response": the body was not JSON
    return Failure.AMBIGUOUS  # PTB could not read a result (a null where a message was due)


@dataclass
class Tries:
    """The failures of rows still in the outbox, and when each may be tried again."""

    rng: random.Random = field(default_factory=random.Random)
    _count: dict[int, int] = field(default_factory=dict)
    _ambiguous: set[int] = field(default_factory=set)
    _not_before: dict[int, float] = field(default_factory=dict)

    def failed(self, outbox_id: int, failure: Failure, now: float) -> bool:
        """Record a failure; True when the row should be set aside instead of tried again."""
        if failure is Failure.PERMANENT:
            return True
        if failure is Failure.AMBIGUOUS:
            if outbox_id in self._ambiguous:
                return True
            self._ambiguous.add(outbox_id)
        count = self._count.get(outbox_id, 0) + 1
        self._count[outbox_id] = count
        if count >= MAX_TRIES:
            return True
        pause = min(FIRST_PAUSE * 2 ** (count - 1), LONGEST_PAUSE)
        self._not_before[outbox_id] = now + pause * self.rng.uniform(0.5, 1.0)
        return False

    def hold(self, outbox_id: int, until: float) -> None:
        """Telegram asked to wait (429): not a failure, only a later start."""
        self._not_before[outbox_id] = max(until, self._not_before.get(outbox_id, until))

    def unconfirmed(self, outbox_id: int) -> bool:
        """Whether the row may already have been delivered once."""
        return outbox_id in self._ambiguous

    def wait(self, outbox_id: int, now: float) -> float:
        return max(0.0, self._not_before.get(outbox_id, now) - now)

    def settled(self, outbox_id: int) -> None:
        self._count.pop(outbox_id, None)
        self._ambiguous.discard(outbox_id)
        self._not_before.pop(outbox_id, None)
