"""Commitments: proposals, who acts and by when, endorsements, and what makes one shared."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import events as ev
from bot.engine.effects import CommitmentView, Edit, Group, Notice, NoticeView, Person, Reply, Send
from bot.engine.state import Due, Owner, Role
from bot.engine.summary import is_shared

from .helpers import ADMIN, FAC, LEAD, NAMES, NOW, POL, RES, RES2, Driver, of_type, replies


@pytest.fixture
def commit(lobby: Driver) -> Driver:
    lobby.join(RES2)
    lobby.goto("commit")
    return lobby


def propose(d: Driver, user: int = POL, text: str = "Fix the lights", ref: str = "c-ref") -> str:
    d.answer(user, "commit", text, ref=ref)
    return d.state.commitments[-1].id


def complete(d: Driver, cid: str, actor: int = POL) -> None:
    d.do(ev.CommitmentOwnerSet, actor=actor, commitment_id=cid, owner=Owner.BOTH)
    d.do(ev.CommitmentDueSet, actor=actor, commitment_id=cid, due=Due.ONE_MONTH)


def endorse(d: Driver, user: int, cid: str) -> list:
    return d.do(ev.EndorsementToggled, actor=user, commitment_id=cid)


def test_a_proposal_posts_a_card_replying_to_it(commit: Driver) -> None:
    commit.answer(POL, "commit", "  Fix the lights  ", ref="c-ref")
    (c,) = commit.state.commitments
    assert (c.text, c.proposer, c.owner, c.due, c.source_ref, c.created_at) == (
        "Fix the lights",
        POL,
        Owner.BOTH,
        Due.ONE_MONTH,
        "c-ref",
        NOW,
    )
    assert c.endorsers == []


def test_the_card_names_the_proposer_and_who_and_when_for_now(commit: Driver) -> None:
    effects = commit.answer(POL, "commit", "Fix the lights", ref="c-ref")
    cid = commit.state.commitments[0].id
    (card,) = [e for e in of_type(effects, Send) if isinstance(e.view, CommitmentView)]
    assert card.to == Group()
    assert card.key == f"commitment:{cid}"
    assert card.reply_to == "c-ref"
    assert (card.view.proposer, card.view.owner, card.view.due, card.view.open) == (
        NAMES[POL],
        Owner.BOTH,
        Due.ONE_MONTH,
        True,
    )
    assert card.view.due_date == "2025-03-31"
    assert card.view.endorsements.total == 0
    assert not card.view.shared
    prompt = [e for e in effects if getattr(e, "key", None) == "prompt:commit"]
    assert prompt[0].view.answered.police == 1


@pytest.mark.parametrize("actor", [POL, FAC], ids=["proposer", "facilitator"])
def test_owner_and_due_are_set_by_the_proposer_or_a_facilitator(
    commit: Driver, actor: int
) -> None:
    cid = propose(commit)
    effects = commit.do(ev.CommitmentOwnerSet, actor=actor, commitment_id=cid, owner="residents")
    assert commit.state.commitments[0].owner is Owner.RESIDENTS
    (edit,) = of_type(effects, Edit)
    assert edit.key == f"commitment:{cid}"
    assert edit.view.owner is Owner.RESIDENTS
    assert replies(effects) == [Notice.DONE]
    commit.do(ev.CommitmentDueSet, actor=actor, commitment_id=cid, due="2w")
    c = commit.state.commitments[0]
    assert (c.due, c.due_date) == (Due.TWO_WEEKS, NOW + timedelta(days=14))
    assert c.complete


@pytest.mark.parametrize(("due", "days"), [("2w", 14), ("1m", 30), ("3m", 91), ("none", None)])
def test_due_dates(commit: Driver, due: str, days: int | None) -> None:
    cid = propose(commit)
    effects = commit.do(ev.CommitmentDueSet, actor=POL, commitment_id=cid, due=due)
    c = commit.state.commitments[0]
    assert c.due_date == (NOW + timedelta(days=days) if days is not None else None)
    card = of_type(effects, Edit)[0].view
    assert card.due_date == (c.due_date.date().isoformat() if c.due_date else None)


@pytest.mark.parametrize("actor", [RES, ADMIN], ids=["participant", "chat-admin"])
def test_others_cannot_set_owner_or_due(commit: Driver, actor: int) -> None:
    cid = propose(commit)
    before = commit.state.commitments
    for cls, fields in [
        (ev.CommitmentOwnerSet, {"owner": "police"}),
        (ev.CommitmentDueSet, {"due": "3m"}),
    ]:
        effects = commit.do(cls, actor=actor, commitment_id=cid, **fields)
        assert replies(effects) == [Notice.NOT_PROPOSER]
    assert commit.state.commitments == before


def test_unknown_commitments(commit: Driver) -> None:
    for cls, fields in [
        (ev.CommitmentOwnerSet, {"owner": "police"}),
        (ev.CommitmentDueSet, {"due": "3m"}),
        (ev.EndorsementToggled, {}),
    ]:
        effects = commit.do(cls, actor=POL, commitment_id="c999", **fields)
        assert replies(effects) == [Notice.UNKNOWN_COMMITMENT]


def test_endorsement_toggles(commit: Driver) -> None:
    cid = propose(commit)
    complete(commit, cid)
    effects = endorse(commit, RES, cid)
    assert commit.state.commitments[0].endorsers == [RES]
    assert replies(effects) == [Notice.ENDORSED]
    assert of_type(effects, Edit)[0].view.endorsements.resident == 1
    effects = endorse(commit, RES, cid)
    assert commit.state.commitments[0].endorsers == []
    assert replies(effects) == [Notice.UNENDORSED]
    assert of_type(effects, Edit)[0].view.endorsements.total == 0


def test_only_active_participants_endorse(commit: Driver) -> None:
    cid = propose(commit)
    complete(commit, cid)
    assert replies(endorse(commit, FAC, cid)) == [Notice.JOIN_FIRST]
    assert commit.state.commitments[0].endorsers == []


@pytest.mark.parametrize(
    ("endorsers", "shared"),
    [
        ([POL, RES], True),
        ([RES, POL, LEAD], True),
        ([POL], False),
        ([RES, RES2], False),
        ([POL, LEAD], False),
        ([LEAD], False),
    ],
)
def test_shared_needs_police_and_a_resident(
    commit: Driver, endorsers: list[int], shared: bool
) -> None:
    cid = propose(commit, user=LEAD)
    complete(commit, cid, actor=LEAD)
    effects: list = []
    for user in endorsers:
        effects = endorse(commit, user, cid)
    card = of_type(effects, Edit)[0].view
    assert card.shared is shared
    assert card.endorsements.total == len(endorsers)


def test_withdrawing_an_endorsement_unshares(commit: Driver) -> None:
    cid = propose(commit)
    complete(commit, cid)
    endorse(commit, POL, cid)
    endorse(commit, RES, cid)
    effects = endorse(commit, POL, cid)
    assert not of_type(effects, Edit)[0].view.shared


def test_a_role_change_is_reflected_in_whether_it_is_shared(commit: Driver) -> None:
    cid = propose(commit)
    complete(commit, cid)
    endorse(commit, POL, cid)
    endorse(commit, RES, cid)
    commit.do(ev.RoleChangeAsked, actor=RES)  # /role: a role changes only when asked
    effects = commit.do(ev.RoleChosen, actor=RES, role=Role.POLICE)
    assert not of_type(effects, Edit)[1].view.shared  # the card is redrawn at once
    assert not is_shared(commit.state.commitments[0], commit.state)


# --- a proposal is a commitment at once -------------------------------------------------------


def test_a_proposal_is_a_commitment_at_once_and_its_proposer_is_asked_privately(
    commit: Driver,
) -> None:
    effects = commit.answer(POL, "commit", "Fix the lights", ref="c-ref")
    (c,) = commit.state.commitments
    assert (c.owner, c.due, c.due_date) == (Owner.BOTH, Due.ONE_MONTH, NOW + timedelta(days=30))
    assert c.complete
    assert (
        Send(
            to=Person(user_id=POL),
            view=NoticeView(
                code=Notice.COMMITMENT_DEFAULTS,
                params={
                    "commitment_id": c.id,
                    "owner": "both",
                    "due": "1m",
                    "due_date": "2025-03-31",
                },
            ),
        )
        in effects
    )
    (card,) = [e for e in of_type(effects, Send) if isinstance(e.view, CommitmentView)]
    assert (card.to, card.view.owner, card.view.due) == (Group(), Owner.BOTH, Due.ONE_MONTH)
    assert of_type(effects, Reply) == []  # nothing about it for the proposer in the group


def test_a_new_proposal_is_endorsed_with_one_tap(commit: Driver) -> None:
    cid = propose(commit)
    assert replies(endorse(commit, RES, cid)) == [Notice.ENDORSED]
    assert commit.state.commitments[0].endorsers == [RES]


def test_a_proposal_without_who_or_when_is_endorsed_and_completed_by_a_facilitator(
    commit: Driver,
) -> None:
    cid = propose(commit)
    commit.state.commitments[0].owner = None  # as a session from before defaults may hold
    commit.state.commitments[0].due = None
    assert replies(endorse(commit, RES, cid)) == [Notice.ENDORSED]
    commit.do(ev.CommitmentOwnerSet, actor=FAC, commitment_id=cid, owner="police")
    effects = commit.do(ev.CommitmentDueSet, actor=FAC, commitment_id=cid, due="2w")
    assert replies(effects) == [Notice.DONE]
    assert commit.state.commitments[0].complete
    assert commit.state.commitments[0].endorsers == [RES]
