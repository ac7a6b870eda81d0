"""Telegram's error answers, and the faults a test injects on purpose.

:class:`ApiError` is one error answer as Telegram sends it. Method handlers raise
:class:`Failure` (usually through :func:`bad`) to answer with one. :class:`Faults` holds what a
test asked for: the next calls of a method failing (``FakeBotApi.fail``) or an optional feature
refused for good (``FakeBotApi.refuse``); both are checked before any handler runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from bot.offline.wire import JSON, norm_chat_id

QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
# What Telegram answers when a chat's settings or the bot's rights forbid an optional feature.
REFUSALS: Final[dict[str, str]] = {
    "pinchatmessage": "Bad Request: not enough rights to manage pinned messages in the chat",
    "unpinchatmessage": "Bad Request: not enough rights to manage pinned messages in the chat",
    "unpinallchatmessages": "Bad Request: not enough rights to manage pinned messages in the chat",
    "setmessagereaction": "Bad Request: REACTION_INVALID",
    "setmycommands": "Bad Request: BOT_COMMAND_INVALID",
    "deletemycommands": "Bad Request: BOT_COMMAND_INVALID",
    "getchatadministrators": "Bad Request: member list is inaccessible",
    "getchatmember": "Bad Request: member list is inaccessible",
    "deletemessage": "Bad Request: message can't be deleted",
    "editmessagetext": "Bad Request: message can't be edited",
    "editmessagereplymarkup": "Bad Request: message can't be edited",
    "sendmessage": "Bad Request: not enough rights to send text messages to the chat",
    "answercallbackquery": QUERY_INVALID,
}
DEFAULT_REFUSAL: Final = "Bad Request: not enough rights to perform this action"


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status, Telegram's description and optional ResponseParameters."""

    status: int
    description: str
    parameters: JSON = field(default_factory=dict)

    def body(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            data["parameters"] = dict(self.parameters)
        return data


class Failure(Exception):
    """Raised inside method handlers to answer with an :class:`ApiError`."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.error = ApiError(status, description, parameters)


def bad(description: str, **parameters: Any) -> Failure:
    """A 400 answer: ``Bad Request: <description>``."""
    return Failure(400, f"Bad Request: {description}", **parameters)


@dataclass
class _Injected:
    method: str
    error: ApiError
    times: int | None
    chat_id: int | None


class Faults:
    """The failures a test asked for, per method (lower-cased) and optionally per chat."""

    __slots__ = ("_injected", "_refused")

    def __init__(self) -> None:
        self._injected: list[_Injected] = []
        self._refused: dict[tuple[str, int | None], str] = {}

    def fail(
        self,
        method: str,
        error: ApiError,
        *,
        times: int | None = 1,
        chat_id: int | None = None,
    ) -> None:
        """The next ``times`` calls of ``method`` (``None``: all) answer ``error``."""
        self._injected.append(_Injected(method.lower(), error, times, chat_id))

    def refuse(
        self, method: str, *, chat_id: int | None = None, description: str | None = None
    ) -> None:
        """``method`` always fails, with the description Telegram gives for it by default."""
        key = method.lower()
        self._refused[(key, chat_id)] = description or REFUSALS.get(key, DEFAULT_REFUSAL)

    def allow(self, method: str, *, chat_id: int | None = None) -> None:
        """Undo :meth:`refuse`."""
        self._refused.pop((method.lower(), chat_id), None)

    def check(self, method: str, params: JSON) -> None:
        """Raise the :class:`Failure` this call was asked to meet, if any: injected first."""
        self._check_injected(method, params)
        self._check_refused(method, params)

    def _check_injected(self, method: str, params: JSON) -> None:
        chat_id = norm_chat_id(params.get("chat_id"))
        for injected in self._injected:
            if injected.method != method.lower():
                continue
            if injected.chat_id is not None and injected.chat_id != chat_id:
                continue
            if injected.times is not None:
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
            raise Failure(
                injected.error.status, injected.error.description, **injected.error.parameters
            )

    def _check_refused(self, method: str, params: JSON) -> None:
        chat_id = norm_chat_id(params.get("chat_id"))
        key = method.lower()
        description = self._refused.get((key, None))
        if isinstance(chat_id, int):
            description = self._refused.get((key, chat_id), description)
        if description is not None:
            raise Failure(400, description)
