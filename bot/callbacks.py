"""The one codec for button data and start links, so nothing else parses what users can forge.

Telegram carries at most 64 bytes of ``callback_data`` and 64 characters of ``/start`` payload
(``[A-Za-z0-9_-]``). Everything a button says is re-checked by the engine against the session's
state, so a stale or forged button can at worst be refused; this module only guarantees that
what reaches the engine is well-formed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_CALLBACK_BYTES = 64
MAX_START_PAYLOAD = 64

_SESSION = r"[a-z0-9]{4,16}"
_SLUG = r"[a-z0-9][a-z0-9_-]{0,39}"


class Action(StrEnum):
    """What a button asks for; the single letters keep data short."""

    CONSENT = "k"  # k|sid|1 or k|sid|0
    ROLE = "r"  # r|sid|police
    CHOICE = "c"  # c|sid|stage|option
    SHARE = "v"  # v|sid|anonymous
    OWNER = "o"  # o|sid|c3|both
    DUE = "d"  # d|sid|c3|1m
    ENDORSE = "e"  # e|sid|c3
    AGREE = "a"  # a|sid|a12|agree: a vote on a statement of the shared vision
    QUOTE = "q"  # q|sid|1
    NUDGE = "n"  # n|sid|stage
    END = "x"  # x|sid|1 ends the session, x|sid|0 keeps it going
    PROGRESS = "p"  # p|sid|c3|done: where a commitment stands
    FORGET = "f"  # f|-|1 confirms erasure, f|-|0 keeps everything
    LANGUAGE = "l"  # l|-|fr: the presser's own language, in every session
    SESSION_LANGUAGE = "g"  # g|sid|rn: the session's language (facilitators)
    PLAY = "y"  # y|sid|a12: send this voice answer to me privately (facilitators)
    KEEP = "m"  # m|sid|1: my group message taken for conversation was my answer
    # A facilitator acting for someone they added without Telegram (their number N), from the
    # private card ``/for N`` opens: the capital letter is the person's own button, for them.
    PROXY_CARD = "w"  # w|sid|N: open that card
    CHOICE_FOR = "C"  # C|sid|N|stage|option
    AGREE_FOR = "A"  # A|sid|N|a12|agree
    ENDORSE_FOR = "E"  # E|sid|N|c3
    REMOVE = "z"  # z|sid|N|1 erases that person, z|sid|N|0 keeps them


# How many arguments follow the session id, per action.
_ARITY: dict[Action, int] = {
    Action.CONSENT: 1,
    Action.ROLE: 1,
    Action.CHOICE: 2,
    Action.SHARE: 1,
    Action.OWNER: 2,
    Action.DUE: 2,
    Action.ENDORSE: 1,
    Action.AGREE: 2,
    Action.QUOTE: 1,
    Action.NUDGE: 1,
    Action.END: 1,
    Action.PROGRESS: 2,
    Action.FORGET: 1,
    Action.LANGUAGE: 1,
    Action.SESSION_LANGUAGE: 1,
    Action.PLAY: 1,
    Action.KEEP: 1,
    Action.PROXY_CARD: 1,
    Action.CHOICE_FOR: 3,
    Action.AGREE_FOR: 3,
    Action.ENDORSE_FOR: 2,
    Action.REMOVE: 2,
}

# The buttons about a person rather than a session: their session id is always NO_SESSION.
PERSONAL = (Action.FORGET, Action.LANGUAGE)

_PART = re.compile(_SLUG)
_SESSION_RE = re.compile(_SESSION)
NO_SESSION = "-"


@dataclass(frozen=True, slots=True)
class Button:
    action: Action
    session_id: str
    args: tuple[str, ...]

    def encode(self) -> str:
        data = "|".join([self.action.value, self.session_id, *self.args])
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback data longer than {MAX_CALLBACK_BYTES} bytes: {data!r}")
        if decode(data) != self:
            raise ValueError(f"callback data would not parse back: {data!r}")
        return data


def button(action: Action, session_id: str, *args: str) -> str:
    """Encoded callback data; raises if it could not be read back (a programming error)."""
    return Button(action, session_id, tuple(args)).encode()


def decode(data: str | None) -> Button | None:
    """The button, or None for anything malformed, too long or unknown."""
    if not data or len(data.encode()) > MAX_CALLBACK_BYTES:
        return None
    head, *rest = data.split("|")
    try:
        action = Action(head)
    except ValueError:
        return None
    if len(rest) != 1 + _ARITY[action]:
        return None
    session_id, *args = rest
    if session_id != NO_SESSION and not _SESSION_RE.fullmatch(session_id):
        return None
    if (session_id == NO_SESSION) != (action in PERSONAL):
        return None
    if not all(_PART.fullmatch(arg) for arg in args):
        return None
    return Button(action, session_id, tuple(args))


class StartKind(StrEnum):
    JOIN = "j"  # join a session: consent, then role
    ANSWER = "a"  # answer the open stage privately
    HELLO = "h"  # just open the private chat (to receive facilitator messages)


_START_RE = re.compile(rf"([jah])_({_SESSION})")


@dataclass(frozen=True, slots=True)
class StartLink:
    kind: StartKind
    session_id: str

    def payload(self) -> str:
        return f"{self.kind.value}_{self.session_id}"


def start_url(bot_username: str, kind: StartKind, session_id: str) -> str:
    payload = StartLink(kind, session_id).payload()
    assert len(payload) <= MAX_START_PAYLOAD
    return f"https://t.me/{bot_username}?start={payload}"


def parse_start(payload: str | None) -> StartLink | None:
    if not payload:
        return None
    match = _START_RE.fullmatch(payload.strip())
    if match is None:
        return None
    return StartLink(StartKind(match.group(1)), match.group(2))
