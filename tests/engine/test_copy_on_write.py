"""``step`` copies on write: the state it is given stays as it was, and the new state shares
every inner model the event did not change.

What storage relies on: an inner model (participant, answer, draft, commitment, earlier
commitment) that is the same object in the old and the new state is unchanged; a changed one
is a new object. Checked at every step of whole sessions of every shipped script, walked with
the demo's people (``bot.offline.walk``: answers, drafts, edits, votes, choices, commitments,
reports, role changes, leaving and coming back, erasures, the end), and of the random sessions
of the property tests. And the point of it: in a crowd, one answer copies nobody else's.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from pydantic import BaseModel

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import Effect
from bot.engine.followup import earlier_commitments
from bot.engine.script import Script
from bot.engine.state import Agreement, SessionState
from bot.offline.cast import PEOPLE
from bot.offline.walk import Walk, crowd

from .test_properties import Run, guided_scenarios, scenarios

LIBRARY = Library.load()

Key = tuple[str, Any]


def inner_models(state: SessionState) -> dict[Key, BaseModel]:
    """Every inner model of a state, under the key that finds it again in the next state."""
    return {
        **{("participant", u): p for u, p in state.participants.items()},
        **{("answer", a.id): a for a in state.answers},
        **{("draft", u): d for u, d in state.drafts.items()},
        **{("commitment", c.id): c for c in state.commitments},
        **{("earlier", c.key): c for c in state.earlier},
    }


class Snapshot:
    """The state given to a step, and a deep record of it taken before the step."""

    def __init__(self, state: SessionState) -> None:
        self.state = state
        self.dump = state.model_dump()
        self.models = inner_models(state)
        self.dumps = {key: model.model_dump() for key, model in self.models.items()}

    def check(self, after: SessionState, event: Any) -> None:
        name = type(event).__name__
        assert self.state.model_dump() == self.dump, f"{name}: step modified the given state"
        for key, new in inner_models(after).items():
            old = self.models.get(key)
            if old is None:
                continue
            if new is old:
                assert new.model_dump() == self.dumps[key], f"{name}: {key} changed in place"
            else:
                assert new.model_dump() != self.dumps[key], f"{name}: {key} copied, unchanged"


class WatchedWalk(Walk):
    """A walk that checks every step it takes."""

    steps = 0

    def apply(self, event: ev.Event) -> list[Effect]:
        before = Snapshot(self.state)
        effects = super().apply(event)
        before.check(self.state, event)
        self.steps += 1
        return effects


def test_every_step_of_every_shipped_script_copies_on_write() -> None:
    """The default script first (a follow-up goes through its commitments, and carries its
    reports back to it), then every script in ``dialogues/``."""
    first = WatchedWalk(LIBRARY["community-safety"], PEOPLE, session_id="first")
    first.run()
    for script_id in LIBRARY.ids():
        earlier = earlier_commitments([first.state])
        walk = WatchedWalk(LIBRARY[script_id], PEOPLE, session_id=script_id, earlier=earlier)
        walk.run()
        assert walk.steps > 60
        for relay in walk.relays:
            first.apply(relay.event)
    assert first.state.commitments[0].history[-1].status.value in {"done", "in_progress"}


class WatchedRun(Run):
    """The property tests' random session, with each step's sharing checked too."""

    def apply(self, event: Any) -> None:
        before = Snapshot(self.state)
        super().apply(event)
        before.check(self.state, event)


def run_all(scenario: tuple[Script, list[Any]]) -> None:
    script, ops = scenario
    WatchedRun(script).play(ops)


# Fewer examples than the property tests: these sessions are theirs, with one more check.
some_sessions = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@some_sessions
@given(scenarios())
def test_random_sessions_copy_on_write(scenario: tuple[Script, list[Any]]) -> None:
    run_all(scenario)


@some_sessions
@given(guided_scenarios())
def test_guided_sessions_copy_on_write(scenario: tuple[Script, list[Any]]) -> None:
    run_all(scenario)


def test_in_a_crowd_one_answer_or_vote_copies_nobody_elses() -> None:
    """Twenty people, every story, statement and vote so far: the next answer and the next
    vote leave every other participant, answer, commitment and vote where it was."""
    script = LIBRARY["community-safety"]
    walk = Walk(script, crowd(20))
    before = walk.run(stop="contributions")
    first = walk.people[0].user_id
    walk.act(ev.Answered, actor=first, stage_id="contributions", text="I can lend my bicycle.")
    after = walk.state
    assert len(after.answers) == len(before.answers) + 1
    assert all(new is old for new, old in zip(after.answers, before.answers, strict=False))
    assert all(after.participants[u] is p for u, p in before.participants.items())
    assert all(new is old for new, old in zip(after.commitments, before.commitments, strict=True))
    assert all(after.choices[s] is votes for s, votes in before.choices.items())
    assert all(after.agreements[a] is votes for a, votes in before.agreements.items())

    statement = before.answers_for("vision")[0].id
    previous = walk.state
    walk.act(ev.AgreementSet, actor=first, answer_id=statement, vote=Agreement.DISAGREE)
    voted = walk.state
    assert voted.agreements[statement] is not previous.agreements[statement]
    assert voted.agreements[statement][first] is Agreement.DISAGREE
    assert previous.agreements[statement].get(first) is not Agreement.DISAGREE
    assert all(
        voted.agreements[a] is votes for a, votes in previous.agreements.items() if a != statement
    )
    assert all(new is old for new, old in zip(voted.answers, previous.answers, strict=True))
    assert all(voted.participants[u] is p for u, p in previous.participants.items())
