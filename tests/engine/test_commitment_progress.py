"""Commitments that live on: a status with its date, one reminder when the date comes, and who
may say where a commitment stands (its owners' side, or a facilitator) - after the end too."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import events as ev
from bot.engine.effects import Cancel, DueView, Edit, Group, Notice, Schedule, Send
from bot.engine.state import Due, Owner, Progress

from .helpers import FAC, LEAD, NOW, POL, RES, STRANGER, Driver, keyed, of_type, replies


@pytest.fixture
def commit(lobby: Driver) -> Driver:
    lobby.goto("commit")
    return lobby


def propose(d: Driver, owner: Owner = Owner.POLICE) -> str:
    d.answer(POL, "commit", "Light the market path", ref="c-ref")
    cid = d.state.commitments[-1].id
    d.do(ev.CommitmentOwnerSet, actor=POL, commitment_id=cid, owner=owner)
    return cid


def report(d: Driver, actor: int, cid: str, status: Progress) -> list:
    return d.do(ev.CommitmentStatusReported, actor=actor, commitment_id=cid, status=status)


def due(d: Driver, cid: str) -> list:
    """The reminder the engine scheduled for ``cid``, fed back as the shell would."""
    (reminder,) = [e for e in d.state.commitments if e.id == cid]
    assert reminder.due_date is not None
    d.now = reminder.due_date
    return d.do(
        ev.ReminderDue, stage_id="commit", purpose="due", commitment_id=cid, event_id=f"r-{cid}"
    )


def test_a_proposal_schedules_one_reminder_at_its_date_and_a_new_date_moves_it(
    commit: Driver,
) -> None:
    effects = commit.answer(POL, "commit", "Light the market path")
    cid = commit.state.commitments[-1].id
    (scheduled,) = of_type(effects, Schedule)
    assert scheduled.name == f"due:{cid}"
    assert scheduled.at == NOW + timedelta(days=30)
    assert scheduled.event.purpose == "due"
    assert scheduled.event.commitment_id == cid
    moved = commit.do(ev.CommitmentDueSet, actor=POL, commitment_id=cid, due=Due.TWO_WEEKS)
    assert [s.at for s in of_type(moved, Schedule)] == [NOW + timedelta(days=14)]
    dropped = commit.do(ev.CommitmentDueSet, actor=POL, commitment_id=cid, due=Due.NONE)
    assert of_type(dropped, Cancel) == [Cancel(name=f"due:{cid}")]


def test_the_group_gets_one_reminder_after_the_session_ended(commit: Driver) -> None:
    cid = propose(commit)
    commit.do(ev.Ended, actor=FAC, confirmed=True)
    effects = due(commit, cid)
    (sent,) = group_sends(effects)
    assert sent.key == f"due:{cid}"
    assert sent.view == DueView(
        commitment_id=cid,
        text="Light the market path",
        owner=Owner.POLICE,
        due_date=(NOW + timedelta(days=30)).date().isoformat(),
        status=Progress.OPEN,
        status_date=None,
    )
    again = commit.do(
        ev.ReminderDue, stage_id="commit", purpose="due", commitment_id=cid, event_id="other"
    )
    assert again == []  # once is enough


def group_sends(effects: list) -> list[Send]:
    return [e for e in of_type(effects, Send) if isinstance(e.to, Group)]


@pytest.mark.parametrize(
    ("owner", "allowed", "refused"),
    [
        (Owner.POLICE, [POL, FAC], [RES, LEAD, STRANGER]),
        (Owner.RESIDENTS, [RES, LEAD, FAC], [POL, STRANGER]),
        (Owner.BOTH, [POL, RES, LEAD, FAC], [STRANGER]),
    ],
)
def test_the_owners_side_and_facilitators_report_the_status(
    commit: Driver, owner: Owner, allowed: list[int], refused: list[int]
) -> None:
    cid = propose(commit, owner)
    commit.do(ev.Ended, actor=FAC, confirmed=True)
    for actor in refused:
        before = commit.state
        assert replies(report(commit, actor, cid, Progress.DONE)) == [Notice.NOT_OWNER]
        assert commit.state.commitments == before.commitments
    for n, actor in enumerate(allowed):
        commit.tick(60 * 24)
        status = [Progress.IN_PROGRESS, Progress.STUCK][n % 2]
        assert replies(report(commit, actor, cid, status)) == [Notice.STATUS_SAVED]
        (c,) = commit.state.commitments
        assert (c.status, c.status_at) == (status, commit.now)
    assert len(commit.state.commitments[0].history) == len(allowed)


def test_a_report_edits_the_reminder_once_and_a_repeat_changes_nothing(commit: Driver) -> None:
    cid = propose(commit)
    due(commit, cid)
    commit.tick(5)
    effects = report(commit, POL, cid, Progress.DONE)
    (edit,) = of_type(effects, Edit)
    assert edit.key == f"due:{cid}"
    assert edit.view.status is Progress.DONE
    assert edit.view.status_date == commit.now.date().isoformat()
    assert replies(effects) == [Notice.STATUS_SAVED]
    again = report(commit, POL, cid, Progress.DONE)
    assert of_type(again, Edit) == []
    assert replies(again) == [Notice.STATUS_SAVED]
    assert len(commit.state.commitments[0].history) == 1


def test_a_commitment_settled_before_its_date_needs_no_reminder(commit: Driver) -> None:
    cid = propose(commit)
    effects = report(commit, POL, cid, Progress.DONE)
    assert of_type(effects, Cancel) == [Cancel(name=f"due:{cid}")]
    assert keyed(effects, f"due:{cid}") == []
    assert group_sends(due(commit, cid)) == []
