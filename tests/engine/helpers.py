"""Builders for engine tests: scripts, a session driver and effect filters.

Every test drives the real ``step`` function; the driver only supplies event ids and the clock.
User ids and names are deliberately distinctive so a test can search a JSON dump for them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine import events as ev
from bot.engine.effects import (
    Delete,
    Edit,
    Effect,
    Group,
    Notice,
    NoticeView,
    Person,
    Pin,
    Reply,
    Send,
)
from bot.engine.machine import new_session, step
from bot.engine.script import Channel, Option, Script, Stage, StageKind
from bot.engine.state import Role, SessionState

NOW = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

FAC = 7_100_001  # opens the session; not a participant
POL = 7_200_002
RES = 7_300_003
LEAD = 7_400_004
RES2 = 7_500_005
ADMIN = 7_600_006  # a chat administrator who is not a facilitator
STRANGER = 7_700_007  # never joins

NAMES = {
    POL: "Officer Kwizera",
    RES: "Zawadi Quill",
    LEAD: "Elder Ntwari",
    RES2: "Aline Bizimana",
    FAC: "Facilitator Uwase",
}
ROLES = {POL: Role.POLICE, RES: Role.RESIDENT, LEAD: Role.LEADER, RES2: Role.RESIDENT}


# --- scripts -------------------------------------------------------------------------------------


def stage(stage_id: str, kind: StageKind | str, **fields: Any) -> Stage:
    kind = StageKind(kind)
    if kind in (StageKind.CHOICE, StageKind.MULTI_CHOICE) and "options" not in fields:
        fields["options"] = tuple(
            Option(id=o, label=o.title()) for o in ("alpha", "beta", "gamma", "delta")
        )
    if "answer_in" in fields and fields["answer_in"] is not None:
        fields["answer_in"] = frozenset(Channel(c) for c in fields["answer_in"])
    return Stage(
        id=stage_id, kind=kind, title=stage_id.title(), prompt=f"Prompt {stage_id}", **fields
    )


def make_script(*stages: Stage, script_id: str = "test-script", **fields: Any) -> Script:
    return Script(
        id=script_id,
        schema_version=1,
        title="Test script",
        description="A script for tests.",
        stages=stages,
        **fields,
    )


def full_script() -> Script:
    """One stage of every kind, with limits small enough to test."""
    return make_script(
        stage("intro", "info"),
        stage(
            "story",
            "text",
            answer_in=["group", "private", "anonymous"],
            min_length=3,
            max_length=50,
            nudge_after_minutes=10,
            timebox_minutes=30,
        ),
        stage("vision", "text", quote_with_consent=True, agree=True),
        stage("pick", "choice"),
        stage("multi", "multi_choice", max_choices=2),
        stage("commit", "commitment", max_length=100),
        stage("review", "review"),
        stage("outro", "info"),
    )


# --- the driver ----------------------------------------------------------------------------------


class Driver:
    """A session under test: ``do`` builds an event with a fresh id and steps the engine."""

    def __init__(self, script: Script, session_id: str = "sess") -> None:
        self.script = script
        self.state: SessionState = new_session(session_id, script)
        self.now = NOW
        self._serial = 0

    def next_id(self) -> str:
        self._serial += 1
        return f"ev{self._serial}"

    def event(self, cls: type[Any], **fields: Any) -> Any:
        fields.setdefault("event_id", self.next_id())
        return cls(**fields)

    def apply(self, event: Any) -> list[Effect]:
        self.state, effects = step(self.script, self.state, event, self.now)
        return effects

    def do(self, cls: type[Any], **fields: Any) -> list[Effect]:
        return self.apply(self.event(cls, **fields))

    def tick(self, minutes: int = 1) -> None:
        self.now += timedelta(minutes=minutes)

    # shortcuts --------------------------------------------------------------------------------

    def open(self, actor: int = FAC) -> list[Effect]:
        return self.do(ev.Opened, actor=actor)

    def join(self, user: int, role: Role | None = None, name: str | None = None) -> None:
        self.do(ev.Joined, actor=user)
        self.do(ev.Consented, actor=user, accept=True, name=name or NAMES.get(user, f"U{user}"))
        role = role or ROLES.get(user)
        if role is not None:
            self.do(ev.RoleChosen, actor=user, role=role)

    def advance(self, actor: int = FAC) -> list[Effect]:
        return self.do(ev.Advanced, actor=actor)

    def goto(self, stage_id: str) -> list[Effect]:
        """Advance from wherever the session is until ``stage_id`` is open."""
        target = self.script.index(stage_id)
        effects: list[Effect] = []
        while self.state.stage_index < target:
            effects = self.advance()
        assert self.current == stage_id
        return effects

    def answer(
        self,
        user: int,
        stage_id: str,
        text: str,
        channel: str = "group",
        ref: str | None = None,
    ) -> list[Effect]:
        return self.do(
            ev.Answered,
            actor=user,
            stage_id=stage_id,
            text=text,
            channel=Channel(channel),
            source_ref=ref,
        )

    def share(self, user: int, visibility: str) -> list[Effect]:
        return self.do(ev.ShareChosen, actor=user, visibility=visibility)

    @property
    def current(self) -> str | None:
        if 0 <= self.state.stage_index < len(self.script.stages):
            return self.script.stages[self.state.stage_index].id
        return None


# --- effect filters ------------------------------------------------------------------------------


def replies(effects: Iterable[Effect]) -> list[Notice]:
    """Notice codes replied to the actor."""
    return [
        e.view.code for e in effects if isinstance(e, Reply) and isinstance(e.view, NoticeView)
    ]


def told(effects: Iterable[Effect], user_id: int) -> list[Notice]:
    """Notice codes for one person alone, in order: in the popup of the button they pressed or
    where they acted privately (``Reply``), or sent to them privately (``Send`` to ``Person``).
    Either way not in the group: ``test_quiet`` checks which events may ``Reply`` at all."""
    codes = []
    for e in effects:
        mine = isinstance(e, Reply) or (isinstance(e, Send) and e.to == Person(user_id=user_id))
        view = e.view if isinstance(e, Reply | Send) and mine else None
        if isinstance(view, NoticeView):
            codes.append(view.code)
    return codes


def notices_to(effects: Iterable[Effect], user_id: int) -> list[Notice]:
    return [
        e.view.code
        for e in effects
        if isinstance(e, Send)
        and isinstance(e.to, Person)
        and e.to.user_id == user_id
        and isinstance(e.view, NoticeView)
    ]


def notice_recipients(effects: Iterable[Effect], code: Notice) -> list[int]:
    return [
        e.to.user_id
        for e in effects
        if isinstance(e, Send)
        and isinstance(e.to, Person)
        and isinstance(e.view, NoticeView)
        and e.view.code is code
    ]


def group_bound(effects: Iterable[Effect]) -> list[Effect]:
    """Everything the group can see: posts to it and changes to the bot's group messages."""
    return [
        e
        for e in effects
        if (isinstance(e, Send) and isinstance(e.to, Group)) or isinstance(e, Edit | Delete | Pin)
    ]


def of_type(effects: Iterable[Effect], cls: type[Any]) -> list[Any]:
    return [e for e in effects if isinstance(e, cls)]


def keyed(effects: Iterable[Effect], key: str) -> list[Any]:
    return [e for e in effects if getattr(e, "key", None) == key]


def unchanged_but_applied(before: SessionState, after: SessionState, event_id: str) -> bool:
    """The state is the same except that ``event_id`` is now recorded as applied."""
    return after.applied == before.applied | {event_id} and after.model_copy(
        update={"applied": before.applied}
    ) == before.model_copy(update={"applied": before.applied})
