"""Acting for someone added without a phone: their own act, under their own rules."""

from __future__ import annotations

from typing import Any

from bot.engine import events as ev
from bot.engine.effects import Delete, Notice
from bot.engine.state import Role

from .helpers import FAC, POL, RES, Driver, replies


def _add(d: Driver) -> int:
    d.do(ev.PersonAdded, actor=FAC, name="Marie", role=Role.RESIDENT)
    return -min(d.state.participants)  # their number


def _for(d: Driver, number: int, act: type[Any], **fields: Any) -> list[Notice]:
    inner = act(event_id="inner", actor=-number, **fields)
    return replies(d.do(ev.ActedFor, actor=FAC, act=inner))


def test_a_choice_for_them_meets_the_stages_own_limit(session: Driver) -> None:
    number = _add(session)
    assert _for(session, number, ev.ChoiceToggled, stage_id="multi", option_id="alpha") == [
        Notice.STAGE_NOT_OPEN  # not open yet, as for anyone
    ]
    session.goto("multi")
    for option in ("alpha", "beta"):
        assert _for(session, number, ev.ChoiceToggled, stage_id="multi", option_id=option) == [
            Notice.CHOSEN_FOR
        ]
    full = _for(session, number, ev.ChoiceToggled, stage_id="multi", option_id="gamma")
    assert full == [Notice.CHOICES_FULL]
    assert session.state.choices["multi"] == {-number: ["alpha", "beta"]}


def test_nobody_votes_for_a_participant_who_has_a_phone(session: Driver) -> None:
    """Only someone added to this session is acted for: a real person's id (or a number no
    one has) is refused and changes nothing."""
    session.goto("multi")
    before = session.state.choices
    for number in (-POL, 99):
        refused = _for(session, number, ev.ChoiceToggled, stage_id="multi", option_id="alpha")
        assert refused == [Notice.NO_SUCH_PERSON]
    assert session.state.choices == before


def test_erasing_them_withdraws_a_commitment_only_they_still_stood_behind(
    session: Driver,
) -> None:
    number = _add(session)
    session.goto("commit")
    session.answer(POL, "commit", "We fix the lights")
    cid = session.state.commitments[0].id
    assert _for(session, number, ev.EndorsementToggled, commitment_id=cid) == [Notice.ENDORSED_FOR]
    session.do(ev.ParticipantErased, actor=POL)  # the proposer goes; Marie's endorsement holds
    assert [c.id for c in session.state.commitments] == [cid]
    effects = session.do(ev.PersonRemoved, actor=FAC, number=number, confirmed=True)
    assert session.state.commitments == [] and -number not in session.state.participants
    assert Delete(key=f"commitment:{cid}") in effects
    assert RES in session.state.participants  # nobody else is touched
