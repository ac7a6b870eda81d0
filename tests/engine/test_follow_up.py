"""A follow-up session goes through the group's earlier commitments one card at a time: status
buttons for the side that acts, replies about each card, /next card by card, and a summary
that shows each commitment's history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import events as ev
from bot.engine.effects import EarlierView, Edit, Group, Notice, NoticeView, Relay, Send
from bot.engine.followup import MAX_EARLIER, earlier_commitments
from bot.engine.machine import new_session
from bot.engine.script import Script
from bot.engine.state import Owner, Progress, SessionState, StatusChange
from bot.engine.summary import build_summary

from .helpers import FAC, POL, RES, Driver, full_script, make_script, of_type, replies, stage


def made_before(n_commitments: int = 2) -> SessionState:
    """An ended session of the same group with commitments, the first owned by the police."""
    d = Driver(full_script(), session_id="first")
    d.open(FAC)
    for user in (POL, RES):
        d.join(user)
    d.goto("commit")
    for n in range(n_commitments):
        d.answer(POL, "commit", f"Promise {n + 1}")
    first = d.state.commitments[0].id
    d.do(ev.CommitmentOwnerSet, actor=POL, commitment_id=first, owner=Owner.POLICE)
    d.do(ev.Ended, actor=FAC, confirmed=True)
    return d.state


def follow_up_script() -> Script:
    return make_script(
        stage("hello", "info"),
        stage("each", "earlier_commitments", answer_in=["group", "private", "anonymous"]),
        stage("next", "commitment"),
        stage("review", "review"),
        script_id="follow-up-test",
    )


@pytest.fixture
def follow() -> Driver:
    script = follow_up_script()
    d = Driver(script, session_id="second")
    d.state = new_session("second", script, earlier=earlier_commitments([made_before()]))
    d.open(FAC)
    for user in (POL, RES):
        d.join(user)
    return d


def cards(effects: list) -> list[EarlierView]:
    return [e.view for e in of_type(effects, Send) if isinstance(e.view, EarlierView)]


def test_the_stage_shows_the_first_card_then_next_goes_card_by_card(follow: Driver) -> None:
    (first,) = cards(follow.goto("each"))
    assert (first.key, first.number, first.total, first.text) == ("e1", 1, 2, "Promise 1")
    assert first.owner is Owner.POLICE and first.open
    step = follow.advance()
    assert follow.current == "each"
    (closed,) = [e for e in of_type(step, Edit) if e.key == "earlier:e1"]
    assert not closed.view.open
    assert [c.text for c in cards(step)] == ["Promise 2"]
    follow.do(ev.WentBack, actor=FAC)
    assert follow.state.earlier_index == 0
    follow.advance()
    follow.advance()
    assert follow.current == "next"


def test_a_status_on_a_card_is_checked_shown_and_carried_to_its_session(
    follow: Driver,
) -> None:
    follow.goto("each")
    press = ev.CommitmentStatusReported
    refused = follow.do(press, actor=RES, commitment_id="e1", status=Progress.DONE)
    assert replies(refused) == [Notice.NOT_OWNER]
    follow.tick(3)
    effects = follow.do(press, actor=POL, commitment_id="e1", status=Progress.DONE)
    assert replies(effects) == [Notice.STATUS_SAVED]
    (edit,) = of_type(effects, Edit)
    assert (edit.key, edit.view.status, edit.view.open) == ("earlier:e1", Progress.DONE, True)
    (relay,) = of_type(effects, Relay)
    assert relay.session_id == "first"
    made = made_before().commitments[0].id  # its id in the session that made it
    assert (relay.event.commitment_id, relay.event.status) == (made, Progress.DONE)


def test_the_session_that_made_it_records_a_carried_status(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "Light the path")
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    lobby.tick(60)
    cid = lobby.state.commitments[0].id
    lobby.do(ev.CommitmentStatusCarried, commitment_id=cid, status=Progress.STUCK)
    (c,) = lobby.state.commitments
    assert [(h.status, h.at) for h in c.history] == [(Progress.STUCK, lobby.now)]


def test_replies_to_a_card_are_about_it_and_the_summary_shows_the_history(
    follow: Driver,
) -> None:
    follow.goto("each")
    follow.do(ev.Said, actor=RES, text="The chief came every week.", replies_to="earlier:e1")
    follow.tick(60 * 24)
    follow.do(
        ev.CommitmentStatusReported, actor=POL, commitment_id="e1", status=Progress.IN_PROGRESS
    )
    follow.tick(60 * 24)
    follow.do(ev.CommitmentStatusReported, actor=POL, commitment_id="e1", status=Progress.DONE)
    assert [a.about for a in follow.state.answers] == ["e1"]
    summary = build_summary(follow.script, follow.state)
    first, second = summary.earlier
    assert [(h.status, h.date) for h in first.history] == [
        (Progress.IN_PROGRESS, (follow.now - timedelta(days=1)).date().isoformat()),
        (Progress.DONE, follow.now.date().isoformat()),
    ]
    assert [n.text for n in first.notes] == ["The chief came every week."]
    assert second.history == () and second.notes == ()
    assert summary.quotes == ()  # quoted under its commitment, not twice


def test_without_earlier_commitments_the_stage_says_so() -> None:
    script = follow_up_script()
    d = Driver(script)
    d.open(FAC)
    effects = d.goto("each")
    notes = [e.view for e in of_type(effects, Send) if isinstance(e.to, Group)]
    assert NoticeView(code=Notice.NO_EARLIER) in notes


def test_the_latest_sessions_commitments_and_older_unfinished_ones_come_back() -> None:
    older = made_before(3)
    assert older.opened_at is not None
    older.commitments[1].history.append(StatusChange(status=Progress.DONE, at=older.opened_at))
    latest = made_before(1).model_copy(update={"session_id": "latest"})
    picked = earlier_commitments([older, latest])
    assert [(c.origin, c.text) for c in picked] == [
        ("first", "Promise 1"),
        ("first", "Promise 3"),
        ("latest", "Promise 1"),
    ]
    assert [c.key for c in picked] == ["e1", "e2", "e3"]
    many = made_before(MAX_EARLIER + 2)
    assert len(earlier_commitments([many])) == MAX_EARLIER
