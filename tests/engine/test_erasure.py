"""Erasure: a person who asks to be forgotten leaves no trace, and the group's view follows."""

from __future__ import annotations

import pytest

from bot.engine import events as ev
from bot.engine.effects import Delete, Edit, Notice
from bot.engine.summary import build_summary

from .helpers import FAC, NAMES, POL, RES, RES2, Driver, keyed, of_type, replies, told


def _traces(d: Driver, user: int) -> list[str]:
    """Where the user's id or name still shows in the state or the summary."""
    found = []
    for label, dump in [
        ("state", d.state.model_dump_json()),
        ("summary", build_summary(d.script, d.state).model_dump_json()),
    ]:
        for needle in (str(user), NAMES[user]):
            if needle in dump:
                found.append(f"{needle!r} in {label}")
    return found


@pytest.fixture
def busy(lobby: Driver) -> Driver:
    """RES has done everything a participant can do, and is a facilitator too."""
    d = lobby
    d.join(RES2)
    d.do(ev.FacilitatorAdded, actor=FAC, user_id=RES)
    d.goto("story")
    d.answer(RES, "story", "group words", ref="g1")
    d.answer(RES, "story", "named words", channel="private", ref="p1")
    d.share(RES, "named")
    d.answer(RES, "story", "anonymous words", channel="private", ref="p2")
    d.share(RES, "anonymous")
    d.answer(RES, "story", "facilitator words", channel="private", ref="p3")
    d.share(RES, "facilitators")
    d.answer(POL, "story", "POL stays", ref="g2")
    d.goto("pick")
    d.do(ev.ChoiceToggled, actor=RES, stage_id="pick", option_id="beta")
    d.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="beta")
    d.goto("commit")
    d.answer(RES, "commit", "RES proposes this", ref="c1")
    d.answer(POL, "commit", "POL proposes that", ref="c2")
    own, other = (c.id for c in d.state.commitments)
    for cid, who in [(own, RES), (other, POL)]:
        d.do(ev.CommitmentOwnerSet, actor=who, commitment_id=cid, owner="both")
        d.do(ev.CommitmentDueSet, actor=who, commitment_id=cid, due="1m")
    d.do(ev.EndorsementToggled, actor=RES, commitment_id=other)
    d.do(ev.EndorsementToggled, actor=POL, commitment_id=other)
    d.do(ev.EndorsementToggled, actor=RES2, commitment_id=own)
    d.do(ev.QuoteConsentSet, actor=RES, allow=True)
    d.answer(RES, "commit", "an unshared draft?", channel="private")  # refused: group only
    return d


def test_erasure_removes_the_person_everywhere(busy: Driver) -> None:
    assert _traces(busy, RES)  # the fixture really left traces to remove
    busy.do(ev.ParticipantErased, actor=RES)
    assert _traces(busy, RES) == []
    s = busy.state
    assert RES not in s.participants
    assert RES not in s.facilitators
    assert all(a.user_id != RES for a in s.answers)
    assert RES not in s.drafts
    assert all(RES not in votes for votes in s.choices.values())
    assert all(c.proposer != RES and RES not in c.endorsers for c in s.commitments)
    # Others keep everything of theirs.
    assert [a.text for a in s.answers] == ["POL stays"]
    assert s.choices == {"pick": {POL: ["beta"]}}
    # RES2 endorsed RES's proposal: it stays, without its proposer.
    assert [c.text for c in s.commitments] == ["RES proposes this", "POL proposes that"]
    assert _traces(busy, POL) != []


def test_erasure_takes_back_what_the_bot_posted_for_them(busy: Driver) -> None:
    shares = [a.id for a in busy.state.answers if a.user_id == RES and a.posted_by_bot]
    assert len(shares) == 2  # named and anonymous; not the group reply nor facilitators-only
    own, other = (c.id for c in busy.state.commitments)

    effects = busy.do(ev.ParticipantErased, actor=RES)

    deleted = {d.key for d in of_type(effects, Delete)}
    # The draft was never shown (no review yet): its delete finds nothing to take back.
    assert deleted == {f"share:{a}" for a in shares} | {"summary"}
    (card,) = keyed(effects, f"commitment:{other}")
    assert isinstance(card, Edit)
    assert card.view.endorsements.total == 1
    assert not card.view.shared
    (own_card,) = keyed(effects, f"commitment:{own}")  # RES2 endorsed it: it stays, unnamed
    assert isinstance(own_card, Edit) and own_card.view.proposer == ""
    assert keyed(effects, "welcome")[0].view.participants.resident == 1
    assert replies(effects) == [Notice.ERASED]
    for effect in effects:
        assert NAMES[RES] not in effect.model_dump_json()
        assert str(RES) not in effect.model_dump_json()


def test_erasure_refreshes_the_open_prompt(session: Driver) -> None:
    session.answer(RES, "story", "soon gone")
    effects = session.do(ev.ParticipantErased, actor=RES)
    assert keyed(effects, "prompt:story")[0].view.answered.total == 0


def test_erasing_someone_unknown_is_harmless(session: Driver) -> None:
    before = session.state
    effects = session.do(ev.ParticipantErased, actor=7_999_999)
    assert replies(effects) == [Notice.ERASED]
    assert session.state.participants == before.participants
    assert session.state.answers == before.answers


def test_erasure_works_before_the_session_is_opened(script: object) -> None:
    d = Driver(script)  # type: ignore[arg-type]
    assert replies(d.do(ev.ParticipantErased, actor=POL)) == [Notice.ERASED]


def test_an_erased_facilitator_loses_authority(lobby: Driver) -> None:
    lobby.do(ev.ParticipantErased, actor=FAC)
    assert lobby.state.facilitators == []
    assert told(lobby.advance(FAC), FAC) == [Notice.NOT_FACILITATOR]


def test_erasure_at_the_review_takes_them_out_of_the_draft_summary(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(RES, "story", "named story by RES")
    effects = lobby.goto("review")
    assert NAMES[RES] in keyed(effects, "summary")[0].model_dump_json()

    effects = lobby.do(ev.ParticipantErased, actor=RES)

    (draft,) = keyed(effects, "summary")
    assert NAMES[RES] not in draft.model_dump_json()
    assert "named story by RES" not in draft.model_dump_json()


def test_erasure_after_the_end_takes_them_out_of_the_final_summary(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(RES, "story", "named story by RES")
    effects = lobby.do(ev.Ended, actor=FAC, confirmed=True)
    assert NAMES[RES] in keyed(effects, "summary")[0].model_dump_json()

    effects = lobby.do(ev.ParticipantErased, actor=RES)

    (summary,) = keyed(effects, "summary")
    assert isinstance(summary, Edit)
    assert NAMES[RES] not in summary.model_dump_json()


def _past_review(lobby: Driver) -> Driver:
    lobby.goto("story")
    lobby.answer(RES, "story", "named story by RES")
    lobby.goto("review")
    lobby.goto("outro")  # the draft stays in the group, above
    return lobby


def test_erasure_after_the_review_redraws_the_draft_left_in_the_group(lobby: Driver) -> None:
    effects = _past_review(lobby).do(ev.ParticipantErased, actor=RES)
    (draft,) = keyed(effects, "summary")
    assert isinstance(draft, Edit)
    assert NAMES[RES] not in draft.model_dump_json()
    assert "named story by RES" not in draft.model_dump_json()


def test_erasure_after_the_end_redraws_the_summary_that_replaced_the_draft(
    lobby: Driver,
) -> None:
    _past_review(lobby).do(ev.Ended, actor=FAC, confirmed=True)
    effects = lobby.do(ev.ParticipantErased, actor=RES)
    (shown,) = keyed(effects, "summary")  # one message: the draft became the final summary
    assert isinstance(shown, Edit)
    assert shown.view.summary.final
    assert NAMES[RES] not in shown.model_dump_json()


def test_erasure_before_any_review_takes_back_no_draft(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(RES, "story", "named story by RES")
    effects = lobby.do(ev.ParticipantErased, actor=RES)
    assert [e for e in keyed(effects, "summary") if not isinstance(e, Delete)] == []


def test_a_shared_answer_is_blanked_before_it_is_deleted(session: Driver) -> None:
    """Telegram refuses to delete a message older than 48 hours; an edit always works."""
    session.answer(RES, "story", "my named story", channel="private")
    session.share(RES, "named")
    answer_id = session.state.answers[0].id
    effects = session.do(ev.ParticipantErased, actor=RES)
    edit, delete = keyed(effects, f"share:{answer_id}")
    assert isinstance(edit, Edit) and isinstance(delete, Delete)
    assert edit.view.code is Notice.WITHDRAWN
    assert "my named story" not in edit.model_dump_json()


def test_a_commitment_others_endorsed_stays_without_its_proposers_name(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(RES, "commit", "Light the river path")
    (commitment,) = lobby.state.commitments
    lobby.do(ev.EndorsementToggled, actor=POL, commitment_id=commitment.id)
    effects = lobby.do(ev.ParticipantErased, actor=RES)

    (card,) = keyed(effects, f"commitment:{commitment.id}")
    assert isinstance(card, Edit)
    assert card.view.proposer == ""
    assert card.view.text == "Light the river path"
    assert NAMES[RES] not in card.model_dump_json() and str(RES) not in card.model_dump_json()
    (kept,) = lobby.state.commitments
    assert RES not in (kept.proposer, *kept.endorsers)
    assert [line.text for line in build_summary(lobby.script, lobby.state).commitments] == [
        "Light the river path"
    ]
    # When its last endorser goes too, nobody stands behind it: it is withdrawn.
    effects = lobby.do(ev.ParticipantErased, actor=POL)
    assert lobby.state.commitments == []
    assert any(isinstance(e, Delete) for e in keyed(effects, f"commitment:{commitment.id}"))
