"""``ikiganiro charter``: a session's charter from the database, for an operator to print.

The same view as the group got (``bot.engine.machine.charter_view``), in the languages asked
for; every way it can fail is one sentence (``CharterError``), never a traceback.
"""

from __future__ import annotations

import os
from datetime import datetime

from bot.charter import charter_pdf
from bot.dialogues import Library
from bot.engine.events import PLACE_MAX
from bot.engine.machine import charter_view
from bot.i18n.catalog import LANGUAGES
from bot.storage import DataKey, Store


class CharterError(Exception):
    """The charter cannot be written as asked; the message says why in one sentence."""


def check_request(languages: tuple[str | None, ...], place: str | None) -> None:
    """Refuse what no database can fix: an unknown language, an overlong place."""
    for language in languages:
        if language is not None and language not in LANGUAGES:
            raise CharterError(f"unknown language {language!r}; available: {', '.join(LANGUAGES)}")
    if place is not None and not 0 < len(place) <= PLACE_MAX:
        raise CharterError(f"the place must be 1 to {PLACE_MAX} characters long")


async def session_charter(
    db_path: str | os.PathLike[str],
    key: DataKey,
    session_id: str,
    *,
    language: str | None = None,
    second_language: str | None = None,
    place: str | None = None,
    now: datetime,
) -> bytes:
    """The PDF of a session kept in the database (never created here), in ``language``
    (default: the session's own) and, side by side, ``second_language``."""
    check_request((language, second_language), place)
    store = await Store.open(db_path, key, create=False)
    try:
        async with store.read() as tx:
            state = await tx.load_state(session_id)
            title = await tx.chat_title(session_id) if state is not None else None
            recent = await tx.recent_sessions() if state is None else []
    finally:
        await store.close()
    if state is None:
        raise CharterError(_unknown(session_id, recent))
    script = Library.load().get(state.script_id)
    if script is None:
        raise CharterError(
            f"session {session_id} follows the dialogue {state.script_id!r}, "
            "which is no longer in dialogues/"
        )
    view = charter_view(script, state, now, place)
    languages = (language or state.language, *((second_language,) if second_language else ()))
    return charter_pdf(view, languages, group_title=title)


def _unknown(session_id: str, recent: list[tuple[str, str, str, str]]) -> str:
    """An unknown id, said with the newest sessions' ids so the operator can pick the right one."""
    if not recent:
        return f"there is no session {session_id!r} in this database; it holds no session yet"
    listed = "; ".join(f"{sid} ({script}, {status}, {day})" for sid, script, status, day in recent)
    return f"there is no session {session_id!r} in this database; the newest: {listed}"
