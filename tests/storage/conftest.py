"""Fixtures for storage tests: a real SQLite file per test and sessions built by the real engine.

Nothing here is mocked: states come from ``step`` on the quick-demo script, and every test opens
a ``Store`` on a file in ``tmp_path``. Helpers are handed out as fixtures because this directory
is not a package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import Effect
from bot.engine.machine import new_session, step
from bot.engine.script import Channel, Script
from bot.engine.state import Due, Owner, Role, SessionState, Visibility
from bot.storage import DataKey, Store
from tests.storage.backends import BACKENDS, BackendStore

T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
FAC, POL, RES, LEAD, GONE = 9_100_001, 9_200_002, 9_300_003, 9_400_004, 9_500_005
CHAT = -100_777
MARKER = "ZQX-MARKER-7731"

_SCRIPT = Library.load()["quick-demo"]


class Driver:
    """Runs engine events with numbered ids and a clock that moves a minute per event."""

    def __init__(self, script: Script, session_id: str = "s1") -> None:
        self.script = script
        self.state = new_session(session_id, script)
        self.now = T0
        self.n = 0
        self.effects: list[Effect] = []
        self.log: list[tuple[Any, datetime]] = []  # (event, now), to replay elsewhere
        self.states: list[SessionState] = []  # the state after each event

    def do(self, event_type: type[Any], **fields: Any) -> SessionState:
        self.n += 1
        self.now += timedelta(minutes=1)
        event = event_type(event_id=f"{self.state.session_id}:e{self.n}", **fields)
        self.log.append((event, self.now))
        self.state, effects = step(self.script, self.state, event, self.now)
        self.effects += effects
        self.states.append(self.state)
        return self.state

    def join(self, user: int, name: str, role: Role) -> None:
        self.do(ev.Joined, actor=user)
        self.do(ev.Consented, actor=user, accept=True, name=name)
        self.do(ev.RoleChosen, actor=user, role=role)


def rich_events(d: Driver, story: str = f"Private story {MARKER}") -> list[SessionState]:
    """Every kind of row storage must hold; returns the state after each event."""

    def run(event_type: type[Any], **fields: Any) -> None:
        d.do(event_type, **fields)

    run(ev.Opened, actor=FAC)
    for user, name, role in (
        (POL, "Officer Kwizera", Role.POLICE),
        (RES, "Zawadi Quill", Role.RESIDENT),
        (LEAD, "Elder Ntwari", Role.LEADER),
        (GONE, "Aline Bizimana", Role.RESIDENT),
    ):
        for event_type, fields in (
            (ev.Joined, {}),
            (ev.Consented, {"accept": True, "name": name}),
            (ev.RoleChosen, {"role": role}),
        ):
            run(event_type, actor=user, **fields)
    run(ev.Advanced, actor=FAC)  # story
    run(ev.Answered, actor=POL, stage_id="story", text="We walked the market together.")
    run(ev.Answered, actor=RES, stage_id="story", text=story, channel=Channel.PRIVATE)
    run(ev.ShareChosen, actor=RES, visibility=Visibility.ANONYMOUS)
    run(ev.Answered, actor=GONE, stage_id="story", text="Gone's story.", channel=Channel.PRIVATE)
    run(ev.ShareChosen, actor=GONE, visibility=Visibility.NAMED)
    run(ev.Answered, actor=LEAD, stage_id="story", text="Still a draft.", channel=Channel.PRIVATE)
    run(ev.Advanced, actor=FAC)  # priority
    run(ev.ChoiceToggled, actor=POL, stage_id="priority", option_id="patrols")
    run(ev.ChoiceToggled, actor=RES, stage_id="priority", option_id="lighting")
    run(ev.ChoiceToggled, actor=GONE, stage_id="priority", option_id="meetings")
    run(ev.Advanced, actor=FAC)  # commit
    run(ev.Answered, actor=RES, stage_id="commit", text="Light the path by the school.")
    cid = d.state.commitments[-1].id
    run(ev.CommitmentOwnerSet, actor=RES, commitment_id=cid, owner=Owner.BOTH)
    run(ev.CommitmentDueSet, actor=RES, commitment_id=cid, due=Due.ONE_MONTH)
    run(ev.EndorsementToggled, actor=POL, commitment_id=cid)
    run(ev.EndorsementToggled, actor=GONE, commitment_id=cid)
    run(ev.Answered, actor=GONE, stage_id="commit", text="Gone's proposal.")
    run(ev.ParticipantErased, actor=GONE)
    return d.states


@pytest.fixture
def script() -> Script:
    return _SCRIPT


def make_driver(session_id: str = "s1") -> Driver:
    return Driver(_SCRIPT, session_id)


def make_rich(session_id: str = "s1", story: str = f"Private story {MARKER}") -> Driver:
    """A driver that has run the rich session; ``states`` holds the state after each event."""
    d = make_driver(session_id)
    rich_events(d, story)
    return d


@pytest.fixture
def driver() -> Callable[..., Driver]:
    return make_driver


@pytest.fixture
def rich() -> Callable[..., Driver]:
    return make_rich


@pytest.fixture
def key() -> DataKey:
    return DataKey.generate()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "ikiganiro.db"


@pytest.fixture
async def store(db_path: Path, key: DataKey) -> AsyncIterator[Store]:
    s = await Store.open(db_path, key)
    yield s
    await s.close()


@pytest.fixture(
    params=[
        pytest.param(b, id=b.name, marks=[pytest.mark.skip(reason=b.skip)] if b.skip else [])
        for b in BACKENDS
    ]
)
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[BackendStore]:
    """An open store of each registered backend in turn (tests/storage/backends.py)."""
    opened = BackendStore(request.param, tmp_path / request.param.name, DataKey.generate())
    opened.folder.mkdir()
    await opened.open()
    yield opened
    await opened.close()
