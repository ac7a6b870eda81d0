"""The sessions' states as last committed, kept in memory so an update need not read them back.

Every update of a session used to load the whole session (eight SELECTs, every answer
decrypted) although the store had just written it. The engine never changes a state it was
given (``bot.engine.machine.step`` copies on write), so the object the last commit saved can be
handed to the next update as it is, and compared with the one that update saves to write only
what changed (``bot.storage.changes``).

The cache holds committed states only: a transaction's saves reach it after its COMMIT, and a
rollback leaves it as it was. Anything that changes a session's rows other than by saving its
state (erasing a person, purging old stories) empties it, and the next update reads from disk.
It is bounded (least recently used first out), so memory stays flat however many sessions the
database holds.
"""

from __future__ import annotations

from collections import OrderedDict

from bot.engine.state import SessionState

# Sessions kept: a live workshop is one session; a thousand at once is a national programme's
# busiest week on one server (docs/performance.md).
DEFAULT_SESSIONS = 1200


class SessionCache:
    """Committed session states by id, the least recently used dropped beyond ``limit``."""

    def __init__(self, limit: int = DEFAULT_SESSIONS, *, applied_limit: int = 2000) -> None:
        self.limit = limit
        # A state remembers every event id applied since it was loaded, while the database
        # keeps the newest thousand: one that has grown past this is read again from disk.
        self.applied_limit = applied_limit
        self._states: OrderedDict[str, SessionState] = OrderedDict()
        # The group's name as last committed, per session (the charter shows it; every
        # update in a group carries it, and it is written only when it changed).
        self.titles: dict[str, str] = {}
        # Where each session is (chat, forum topic), and the language each person chose
        # (None: chose none), as committed: asked for by nearly every update.
        self.places: dict[str, tuple[int, int | None]] = {}
        self.languages: dict[int, str | None] = {}
        # The next outbox row id this process hands out: a row is then one INSERT, its
        # payload sealed with its id before it is written (one writer process per file).
        self.next_outbox_id: int | None = None

    def __len__(self) -> int:
        return len(self._states)

    def get(self, session_id: str) -> SessionState | None:
        state = self._states.get(session_id)
        if state is not None:
            self._states.move_to_end(session_id)
        return state

    def put(self, state: SessionState) -> None:
        if self.limit <= 0 or len(state.applied) > self.applied_limit:
            self._states.pop(state.session_id, None)
            return
        self._states[state.session_id] = state
        self._states.move_to_end(state.session_id)
        while len(self._states) > self.limit:
            self._states.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()
        self.places.clear()
        self.languages.clear()
