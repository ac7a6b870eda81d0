"""What a batch of updates will ask Telegram, asked before the batch's transactions open.

Whether a person is in the session's group (``getChatMember``) and who administers a group
(``getChatAdministrators``) are round trips to Telegram: tens to hundreds of milliseconds each,
and each counted in the token's overall rate. The service asks them outside its transaction,
but the intake handles a batch of up to a hundred updates in a few transactions (group commit,
in slices of 25 ms): asked inside, every new person's first act held a transaction, its write
lock and with it the sender's settlements, for one round trip after another (a hundred people
joining at once: a hundred round trips in a row).

So before a batch's first slice opens, :func:`prefetch` reads its raw updates for who will act
in which session, finds the sessions' groups in the store, and asks the shell's caches
(``bot.telegram.admins``) for all of them at once; inside the batch the service finds them
remembered. It is a guess that only warms the caches: a lookup it misses is asked inside, as
before, and one it asks for nothing costs a call, remembered for minutes anyway. What
Telegram does not answer (a 5xx, a timeout) is not asked again inside the batch, where it
would hold the batch for another timeout: a membership is then unknown (the act goes through),
an administrator list empty (only the facilitators lead), as whenever Telegram cannot say.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.callbacks import NO_SESSION, StartKind, decode, parse_start
from bot.storage import Store
from bot.telegram.admins import Administrators, Members


@dataclass
class Wanted:
    """The lookups a batch will want, as far as its raw updates tell."""

    sessions: set[tuple[str, int]] = field(default_factory=set)  # (session, user): chat to find
    bound: set[int] = field(default_factory=set)  # people writing privately: their binding
    admins: set[int] = field(default_factory=set)  # groups where a command came


def wanted(batch: Iterable[object]) -> Wanted:
    """Read each raw update for the lookups its handling will want; anything odd is skipped
    (the intake sets malformed updates aside on its own)."""
    want = Wanted()
    for raw in batch:
        if isinstance(raw, dict):
            _want(raw, want)
    return want


def _want(raw: dict[str, Any], want: Wanted) -> None:
    query, message = raw.get("callback_query"), raw.get("message")
    if isinstance(query, dict):
        user = _id(query.get("from"))
        data = query.get("data")
        pressed = decode(data) if isinstance(data, str) else None
        if user is not None and pressed is not None and pressed.session_id != NO_SESSION:
            want.sessions.add((pressed.session_id, user))
    elif isinstance(message, dict):
        user, chat, text = _id(message.get("from")), _id(message.get("chat")), message.get("text")
        if user is None or chat is None:
            return
        if chat < 0:  # writing in the group shows membership; a command may need its leads
            if isinstance(text, str) and text.startswith("/"):
                want.admins.add(chat)
        elif isinstance(text, str) and text.startswith("/start"):
            link = parse_start(text.removeprefix("/start").strip())
            if link is not None and link.kind is not StartKind.HELLO:
                want.sessions.add((link.session_id, user))
        elif not (isinstance(text, str) and text.startswith("/")):
            want.bound.add(user)  # an answer or a voice note, to the session they joined


def _id(value: object) -> int | None:
    found = value.get("id") if isinstance(value, dict) else None
    return found if isinstance(found, int) and not isinstance(found, bool) else None


async def prefetch(
    batch: Iterable[object], store: Store, members: Members, admins: Administrators
) -> None:
    """Ask, all at once, the lookups ``batch`` will want (see the module's docstring)."""
    want = wanted(batch)
    pairs: set[tuple[int, int]] = set()  # (group chat, user)
    if want.sessions or want.bound:
        async with store.read() as tx:
            sessions = set(want.sessions)
            for user in want.bound:
                if (bound := await tx.private_binding(user)) is not None:
                    sessions.add((bound, user))
            for session_id, user in sessions:
                if (located := await tx.session_chat(session_id)) is not None:
                    pairs.add((located[0], user))
    await asyncio.gather(members.ahead(pairs), admins.ahead(want.admins))
