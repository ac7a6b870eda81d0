"""Faults of the network and of Telegram's front ends, injected at random or on demand.

Flood control and error answers are Telegram saying no on purpose; these are the other ways a
call goes wrong in production. Each :class:`FaultKind` replaces a call's normal answer:

- ``server_error``: 500 or 502 with a Bot-API-like error body; not applied.
- ``timeout``: no answer in time; not applied. PTB raises ``TimedOut``.
- ``reset``: the connection closes without an answer; not applied. PTB raises ``NetworkError``.
- ``null_result``: the call IS applied, and answered ``{"ok": true, "result": null}``: Telegram
  (or an emulator) says it did the work but returns nothing to read.
- ``malformed``: HTTP 200 with an HTML page instead of JSON (a proxy answered); not applied.
  PTB raises a bare ``TelegramError`` ("Invalid server response"), not a ``NetworkError``.
- ``lost_response``: the call IS applied (the message is sent, edited…), then the answer is
  lost and PTB raises ``TimedOut``: the case where retrying blindly posts a message twice.

So the caller cannot tell a ``timeout`` from a ``lost_response`` (both ``TimedOut``): a call
that times out may or may not have taken effect, as with Telegram.

:class:`Chaos` picks faults at random, seeded so a run can be replayed; ``FakeBotApi.glitch``
queues specific ones. Timeouts, resets and lost responses have no HTTP answer at all, so the
fake raises :class:`NoAnswer` and each transport renders it: PTB's exceptions in process,
a held or closed connection over HTTP (``tests/e2e/http_api.py``).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final

from telegram.error import NetworkError, TelegramError, TimedOut

from bot.offline.limits import COUNTED_METHODS
from bot.offline.wire import JSON, norm_chat_id

__all__ = ["Chaos", "FaultKind", "NoAnswer"]


class FaultKind(StrEnum):
    """What happens to a call instead of its normal answer (see the module docstring)."""

    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    RESET = "reset"
    NULL_RESULT = "null_result"
    MALFORMED = "malformed"
    LOST_RESPONSE = "lost_response"

    @property
    def applies(self) -> bool:
        """Whether the call still takes effect at Telegram."""
        return self in (FaultKind.LOST_RESPONSE, FaultKind.NULL_RESULT)

    @property
    def answered(self) -> bool:
        """Whether the caller gets an HTTP answer at all."""
        return self in (FaultKind.SERVER_ERROR, FaultKind.NULL_RESULT, FaultKind.MALFORMED)


HTML_ERROR_PAGE: Final = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)
_SERVER_ERRORS: Final = ((500, "Internal Server Error"), (502, "Bad Gateway"))


class NoAnswer(Exception):
    """A call that got no HTTP answer: a timeout, a reset or a lost response."""

    def __init__(self, kind: FaultKind) -> None:
        super().__init__(kind.value)
        self.kind = kind

    def ptb_error(self) -> TelegramError:
        """What PTB's ``HTTPXRequest`` raises for it."""
        if self.kind is FaultKind.RESET:
            return NetworkError(
                "httpx.RemoteProtocolError: Server disconnected without sending a response."
            )
        return TimedOut()


def answer_for(kind: FaultKind, nth: int = 0) -> tuple[int, bytes]:
    """The HTTP answer of an answered fault (server errors alternate 500, 502 by ``nth``);
    raises :class:`NoAnswer` for the others."""
    if kind is FaultKind.SERVER_ERROR:
        status, phrase = _SERVER_ERRORS[nth % len(_SERVER_ERRORS)]
        body: JSON = {"ok": False, "error_code": status, "description": phrase}
        return status, json.dumps(body).encode()
    if kind is FaultKind.NULL_RESULT:
        return 200, json.dumps({"ok": True, "result": None}).encode()
    if kind is FaultKind.MALFORMED:
        return 200, HTML_ERROR_PAGE
    raise NoAnswer(kind)


@dataclass(frozen=True)
class Chaos:
    """Faults at random: each call of ``methods`` meets one of ``kinds`` with probability
    ``rate``, drawn from a generator seeded with ``seed`` so the same calls meet the same
    faults. ``methods`` defaults to the calls flood control counts; ``getUpdates`` is only
    subject if named.
    """

    rate: float
    seed: int = 0
    kinds: tuple[FaultKind, ...] = tuple(FaultKind)
    methods: frozenset[str] = field(default=COUNTED_METHODS)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be within [0, 1], not {self.rate}")
        if not self.kinds:
            raise ValueError("no fault kinds to pick from")
        object.__setattr__(self, "kinds", tuple(FaultKind(kind) for kind in self.kinds))
        object.__setattr__(self, "methods", frozenset(self.methods))


@dataclass
class _Queued:
    method: str
    kind: FaultKind
    times: int | None
    chat_id: int | None


class Glitches:
    """The faults to inject: queued ones first (``glitch``), then :class:`Chaos`'s draws."""

    __slots__ = ("_queued", "_random", "chaos", "server_errors")

    def __init__(self, chaos: Chaos | None = None) -> None:
        self._queued: list[_Queued] = []
        self.server_errors = 0  # answered so far: they alternate 500, 502
        self.chaos = chaos
        self._random = random.Random(chaos.seed if chaos else 0)  # noqa: S311 — not crypto

    def start(self, chaos: Chaos | None) -> None:
        """Draw from ``chaos`` from now on (``None``: no random faults), freshly seeded."""
        self.chaos = chaos
        self._random = random.Random(chaos.seed if chaos else 0)  # noqa: S311 — not crypto

    def queue(
        self, method: str, kind: FaultKind, *, times: int | None, chat_id: int | None
    ) -> None:
        """The next ``times`` calls of ``method`` (``None``: all) meet ``kind``."""
        self._queued.append(_Queued(method.lower(), FaultKind(kind), times, chat_id))

    def draw(self, method: str, params: JSON) -> FaultKind | None:
        """The fault this call meets, if any."""
        queued = self._take_queued(method, params)
        if queued is not None:
            return queued
        chaos = self.chaos
        if chaos is None or method not in chaos.methods:
            return None
        if self._random.random() >= chaos.rate:
            return None
        return self._random.choice(chaos.kinds)

    def _take_queued(self, method: str, params: JSON) -> FaultKind | None:
        chat_id = norm_chat_id(params.get("chat_id"))
        for queued in self._queued:
            if queued.method != method.lower():
                continue
            if queued.chat_id is not None and queued.chat_id != chat_id:
                continue
            if queued.times is not None:
                queued.times -= 1
                if queued.times <= 0:
                    self._queued.remove(queued)
            return queued.kind
        return None
