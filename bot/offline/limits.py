"""Telegram's flood control, as the offline Bot API enforces it when asked.

Telegram does not publish exact numbers; its Bot FAQ gives about 20 messages a minute in a
group, about one a second in a private chat (short bursts tolerated) and about 30 a second
overall, and the TDLib maintainers say sending and editing share the per-chat budget. A call
over a limit is not applied and answers 429 ``Too Many Requests: retry after N``.

The windows slide over a *rate clock* in simulated seconds (see ``FakeBotApi``'s ``monotonic``
and ``speed``), separate from the clock that dates messages. A call takes a slot when it takes
effect; calls refused by flood control, injected failures and faults that keep a call from
reaching Telegram take none.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final

from bot.offline.faults import Failure

__all__ = ["COUNTED_METHODS", "TelegramLimits", "Window", "busiest", "too_many_requests"]

# Every call that posts or changes a message in a chat: they share one budget.
COUNTED_METHODS: Final = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "editMessageText",
        "editMessageReplyMarkup",
        "editMessageMedia",
        "deleteMessage",
        "pinChatMessage",
        "setMessageReaction",
    }
)


@dataclass(frozen=True)
class Window:
    """At most ``calls`` accepted calls in any ``seconds`` (simulated) seconds."""

    calls: int
    seconds: float


@dataclass(frozen=True)
class TelegramLimits:
    """The limits to enforce; the defaults are Telegram's published ones.

    ``private`` allows a burst of three, then one a second on average; ``counted`` names the
    methods that spend the budget (exact Bot API spelling; every other method is free).
    """

    group: Window = Window(20, 60.0)
    private: Window = Window(3, 3.0)
    overall: Window = Window(30, 1.0)
    counted: frozenset[str] = field(default=COUNTED_METHODS)


def too_many_requests(retry_after: int) -> Failure:
    """Telegram's flood-control answer."""
    return Failure(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


class RateLimiter:
    """Sliding windows of accepted calls: one per chat, one for the whole bot."""

    __slots__ = ("_chats", "_overall", "limits")

    def __init__(self, limits: TelegramLimits) -> None:
        self.limits = limits
        self._chats: dict[int | str, deque[float]] = {}
        self._overall: deque[float] = deque()

    def counts(self, method: str) -> bool:
        """Whether ``method`` spends the budget."""
        return method in self.limits.counted

    def check(self, chat_id: int | str | None, now: float) -> None:
        """Raise the 429 :class:`Failure` if a call to ``chat_id`` now would exceed a limit."""
        waits = [_wait(self._overall, self.limits.overall, now)]
        if chat_id is not None:
            times = self._chats.setdefault(chat_id, deque())
            waits.append(_wait(times, self._window(chat_id), now))
        longest = max(waits)
        if longest > 0:
            raise too_many_requests(max(1, math.ceil(longest)))

    def record(self, chat_id: int | str | None, now: float) -> None:
        """An accepted call to ``chat_id`` took a slot at ``now``."""
        self._overall.append(now)
        if chat_id is not None:
            self._chats.setdefault(chat_id, deque()).append(now)

    def _window(self, chat_id: int | str) -> Window:
        private = isinstance(chat_id, int) and chat_id > 0  # users' ids are positive
        return self.limits.private if private else self.limits.group


def _wait(times: deque[float], window: Window, now: float) -> float:
    """Seconds until ``window`` has a free slot (0: free now); drops times that slid out."""
    while times and times[0] <= now - window.seconds:
        times.popleft()
    if len(times) < window.calls:
        return 0.0
    return times[len(times) - window.calls] + window.seconds - now


def busiest(times: Iterable[float], seconds: float = 60.0) -> int:
    """The most of ``times`` that fall within any ``seconds``-long window."""
    ordered = sorted(times)
    best = start = 0
    for end, moment in enumerate(ordered):
        while moment - ordered[start] >= seconds:
            start += 1
        best = max(best, end - start + 1)
    return best
