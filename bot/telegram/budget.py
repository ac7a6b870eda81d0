"""How many calls each group may still take this minute, kept by the sender itself.

Telegram allows a bot about 20 messages a minute in one group and answers 429 past that; an edit
and a reaction count like a message. PTB's ``AIORateLimiter`` keeps the count too, but in
arrival order and per call, so the next prompt waits behind acknowledgements nobody needs. The
sender keeps the count instead, because only it knows what each call is for: it asks the
budget before choosing what to send (``bot.telegram.schedule``), and spends it as it sends.

``Pace`` is the sender's sense of time. In production it is the monotonic clock; the offline
demo runs it fast (together with the in-memory Bot API's rate clock), so a session that would
take Telegram's real minutes plays in seconds under the same limits.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

WINDOW = 60.0


class Pace:
    """Time as the sender counts it: the monotonic clock, ``speed`` times as fast."""

    def __init__(self, speed: float = 1.0) -> None:
        self.speed = speed

    def now(self) -> float:
        return time.monotonic() * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class SimulatedPace(Pace):
    """Time that passes only when someone waits (or ``advance`` says so): the offline demo's
    and the tests' time, so what the limits let through does not depend on how fast the
    machine is, and the demo prints the same text on every run."""

    def __init__(self, at: float = 0.0) -> None:
        super().__init__()
        self.at = at

    def now(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.at += max(0.0, seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        self.at += seconds


@dataclass
class Budget:
    """A sliding window of calls per group chat; private chats and popups are not counted."""

    per_minute: int = 20
    pace: Pace = field(default_factory=Pace)
    _spent: dict[int, deque[float]] = field(default_factory=dict)

    @staticmethod
    def counts(chat_id: int | None) -> bool:
        """Group and supergroup ids are negative; a private chat's id is the person's."""
        return chat_id is not None and chat_id < 0

    def free(self, chat_id: int) -> int:
        calls = self._window(chat_id)
        return max(0, self.per_minute - len(calls))

    def wait(self, chat_id: int, needed: int = 1) -> float:
        """Seconds (in pace time) until ``needed`` calls fit in the chat's window."""
        calls = self._window(chat_id)
        needed = min(max(needed, 1), self.per_minute)
        over = len(calls) + needed - self.per_minute
        if over <= 0:
            return 0.0
        return calls[over - 1] + WINDOW - self.pace.now()

    def spend(self, chat_id: int, calls: int = 1) -> None:
        now = self.pace.now()
        self._spent.setdefault(chat_id, deque()).extend([now] * calls)

    def _window(self, chat_id: int) -> deque[float]:
        calls = self._spent.setdefault(chat_id, deque())
        horizon = self.pace.now() - WINDOW
        while calls and calls[0] <= horizon:
            calls.popleft()
        return calls
