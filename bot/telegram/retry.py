"""What a failed delivery means, and how long it waits before the next try.

Every exception from one outbox row stays with that row: it is classed here, the row is tried
again a bounded number of times with a growing, jittered pause, and then set aside (with its
error class, never its text) so the chat's lane moves on. What matters is whether trying again
could show people something twice, and only a call that **posts** a message can:

- **transient**: the call did not happen (a 5xx, a refused connection), or repeating it does no
  harm (an edit, a deletion, a pin, a reaction, a button's answer: the second time changes
  nothing the first did not): try again, up to ``MAX_TRIES`` times, pausing 1, 2, 4 … seconds
  (at most a minute), each pause jittered so many rows do not come back at the same instant;
- **ambiguous**: a call that posts a message may have done so (a timeout; an HTML page from a
  proxy instead of Telegram's answer): :class:`MayHavePosted`. It gets one more try, and if
  that is ambiguous too the row is set aside as *unconfirmed* (``ikiganiro status`` shows it),
  so the bot never posts one message more than twice. The message's key is kept as "perhaps
  shown" (``Store.remember_unsure``): it is never posted again by a later edit, and the
  facilitator's next move shows a prompt again only if nobody acted on it;
- **permanent**: Telegram refused the request itself (400): set aside at once.

An answer that says ``"ok": true`` but whose result cannot be read (a ``null`` where a message
was due) is no failure at all: Telegram did the work. The sender takes it as done (a posted
message is kept as "posted, id unknown"), so it is never tried again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from enum import Enum

from telegram.error import BadRequest, TelegramError, TimedOut

MAX_TRIES = 6
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0


class Failure(Enum):
    TRANSIENT = "transient"
    AMBIGUOUS = "ambiguous"
    PERMANENT = "permanent"


class MayHavePosted(Exception):
    """A call posting a message failed in a way that may mean it was posted all the same."""

    def __init__(self, cause: TelegramError, chat_id: int, key: str | None) -> None:
        super().__init__(type(cause).__name__)
        self.cause = cause
        self.chat_id = chat_id
        self.key = key  # the part's key in the messages table, if it is a live message


def may_have_posted(error: TelegramError) -> bool:
    """Whether a call that failed so may have taken effect: a timeout after sending, or an
    answer that was not Telegram's JSON (a proxy's error page: the request may have passed)."""
    return isinstance(error, TimedOut) or type(error) is TelegramError


def classify(error: Exception) -> Failure:
    """Whether trying again may show people something twice, or cannot help."""
    if isinstance(error, MayHavePosted):
        return Failure.AMBIGUOUS
    if isinstance(error, BadRequest):
        return Failure.PERMANENT
    return Failure.TRANSIENT


def kind_of(error: Exception) -> str:
    """The error class recorded for a set-aside row (never its text)."""
    return type(error.cause if isinstance(error, MayHavePosted) else error).__name__


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
