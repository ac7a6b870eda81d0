"""A shared vision people agreed on: Agree / Not sure / Disagree on each statement.

On a stage marked ``agree``, every answer the group can see gets the three buttons on one
message (the bot's own post of a shared answer, or a card under a group reply) whose tally is
edited as people vote; the voter is answered in the button's popup. One vote per participant
per statement, changeable. The summary's shared vision lists the statements a majority of the
police officers and a majority of the residents agree on, then the others with their tallies.
"""

from __future__ import annotations

from bot.engine import events as ev
from bot.engine.effects import (
    AgreementTally,
    Delete,
    Edit,
    Group,
    Notice,
    Send,
    SharedAnswerView,
    StatementView,
)
from bot.engine.state import Agreement, Role
from bot.engine.summary import RoleCounts, build_summary, shared_vision

from .helpers import (
    FAC,
    LEAD,
    NAMES,
    POL,
    RES,
    RES2,
    STRANGER,
    Driver,
    keyed,
    make_script,
    of_type,
    replies,
    stage,
    told,
)

POL2 = 7_800_008


def _vision(lobby: Driver) -> Driver:
    lobby.goto("vision")
    return lobby


def _vote(d: Driver, user: int, answer_id: str, vote: str) -> list:
    return d.do(ev.AgreementSet, actor=user, answer_id=answer_id, vote=vote)


def test_a_group_reply_on_an_agree_stage_gets_a_vote_card_under_it(lobby: Driver) -> None:
    d = _vision(lobby)
    effects = d.answer(POL, "vision", "Officers known by name in every quarter", ref="-100:7")
    answer = d.state.answers[-1]
    (card,) = keyed(effects, f"statement:{answer.id}")
    assert isinstance(card, Send) and card.to == Group() and card.reply_to == "-100:7"
    assert isinstance(card.view, StatementView)
    assert (card.view.answer_id, card.view.tally) == (answer.id, AgreementTally())


def test_other_stages_get_no_vote_card(session: Driver) -> None:
    effects = session.answer(POL, "story", "a story", ref="-100:8")
    assert [e for e in of_type(effects, Send) if isinstance(e.view, StatementView)] == []


def test_one_vote_per_person_per_statement_changeable_and_acknowledged_in_the_popup(
    lobby: Driver,
) -> None:
    d = _vision(lobby)
    d.answer(POL, "vision", "Lights on the river path")
    aid = d.state.answers[-1].id

    effects = _vote(d, RES, aid, "agree")
    (edit,) = keyed(effects, f"statement:{aid}")
    assert isinstance(edit, Edit) and edit.view.tally == AgreementTally(agree=1)
    assert replies(effects) == [Notice.VOTED]
    assert [e for e in of_type(effects, Send)] == []  # no message per vote

    effects = _vote(d, RES, aid, "disagree")  # changed, not added
    assert keyed(effects, f"statement:{aid}")[0].view.tally == AgreementTally(disagree=1)
    assert d.state.agreements == {aid: {RES: Agreement.DISAGREE}}

    effects = _vote(d, RES, aid, "disagree")  # the same again: nothing to redraw
    assert keyed(effects, f"statement:{aid}") == []
    assert replies(effects) == [Notice.VOTED]

    _vote(d, POL, aid, "agree")  # the author may vote too
    assert keyed(_vote(d, LEAD, aid, "unsure"), f"statement:{aid}")[0].view.tally == (
        AgreementTally(agree=1, unsure=1, disagree=1)
    )


def test_only_the_session_s_participants_vote_and_only_on_statements(lobby: Driver) -> None:
    d = _vision(lobby)
    d.answer(POL, "vision", "A monthly meeting")
    aid = d.state.answers[-1].id
    before = d.state.agreements
    assert told(_vote(d, STRANGER, aid, "agree"), STRANGER) == [Notice.JOIN_FIRST]
    assert told(_vote(d, FAC, aid, "agree"), FAC) == [Notice.JOIN_FIRST]  # not a participant
    assert replies(_vote(d, RES, "a999", "agree")) == [Notice.UNKNOWN_STATEMENT]
    d.answer(RES, "vision", "for the facilitators", channel="private")
    d.share(RES, "facilitators")
    hidden = d.state.answers[-1].id
    assert replies(_vote(d, POL, hidden, "agree")) == [Notice.UNKNOWN_STATEMENT]
    d.goto("commit")
    assert d.state.agreements == before
    d.do(ev.Ended, actor=FAC, confirmed=True)
    assert replies(_vote(d, RES, aid, "agree")) == [Notice.SESSION_ENDED]
    assert d.state.agreements == before


def test_a_story_stage_answer_is_no_statement(session: Driver) -> None:
    session.answer(POL, "story", "not a statement")
    aid = session.state.answers[-1].id
    assert replies(_vote(session, RES, aid, "agree")) == [Notice.UNKNOWN_STATEMENT]


def test_a_shared_answer_carries_its_own_buttons_and_tally() -> None:
    dream = stage("dream", "text", agree=True, answer_in=["group", "private", "anonymous"])
    d = Driver(make_script(dream, privacy_threshold=3))
    d.open(FAC)
    for user in (POL, RES, LEAD):
        d.join(user)
    d.advance()
    d.answer(RES, "dream", "named dream", channel="private")
    (share,) = [e for e in d.share(RES, "named") if isinstance(e, Send)]
    assert isinstance(share.view, SharedAnswerView)
    named = d.state.answers[-1].id
    assert (share.view.answer_id, share.view.tally) == (named, AgreementTally())
    assert keyed(_vote(d, POL, named, "agree"), f"share:{named}")[0].view.tally.agree == 1

    d.answer(LEAD, "dream", "anonymous dream", channel="private")
    assert [e for e in d.share(LEAD, "anonymous") if isinstance(e, Send)] == []  # held
    held = d.state.answers[-1].id
    assert replies(_vote(d, POL, held, "agree")) == [Notice.UNKNOWN_STATEMENT]
    released = [e for e in d.answer(POL, "dream", "a third voice") if isinstance(e, Send)]
    anonymous = next(e for e in released if e.key == f"share:{held}")
    assert anonymous.view.author is None and anonymous.view.tally == AgreementTally()
    assert replies(_vote(d, RES, held, "agree")) == [Notice.VOTED]


def _mixed(lobby: Driver) -> Driver:
    """Two officers and two residents vote on three statements."""
    lobby.join(RES2)
    lobby.join(POL2, Role.POLICE, name="Officer Two")
    d = _vision(lobby)
    for user, text in ((POL, "bridging"), (RES, "dividing"), (LEAD, "undecided")):
        d.answer(user, "vision", text)
    ids = {a.text: a.id for a in d.state.answers}
    votes = {
        "bridging": {POL: "agree", POL2: "agree", RES: "agree", RES2: "agree", LEAD: "unsure"},
        "dividing": {POL: "disagree", POL2: "unsure", RES: "agree", RES2: "agree"},
        "undecided": {POL: "agree", RES: "agree", RES2: "disagree"},
    }
    for text, by in votes.items():
        for user, vote in by.items():
            _vote(d, user, ids[text], vote)
    for user in (POL, POL2, RES, RES2, LEAD):
        d.do(ev.QuoteConsentSet, actor=user, allow=True)
    return d


def test_the_shared_vision_puts_what_both_sides_agree_on_first(lobby: Driver) -> None:
    d = _mixed(lobby)
    vision = shared_vision(d.script, d.state)
    assert [(s.text, s.bridging) for s in vision] == [
        ("bridging", True),
        ("dividing", False),  # residents agree, the police do not
        ("undecided", False),  # one of two residents: not a majority
    ]
    bridging = vision[0]
    assert bridging.agree == RoleCounts(police=2, resident=2)
    assert bridging.unsure == RoleCounts(leader=1)
    assert build_summary(d.script, d.state).vision == vision


def test_an_anonymous_statement_takes_part_without_its_author() -> None:
    dream = stage("dream", "text", agree=True, answer_in=["group", "private", "anonymous"])
    d = Driver(make_script(dream, stage("after", "info")))
    d.open(FAC)
    for user in (POL, RES, LEAD):
        d.join(user)
    d.advance()
    d.answer(RES, "dream", "my anonymous dream", channel="private")
    d.share(RES, "anonymous")
    d.advance()  # the stage closes: the held statement is posted
    aid = d.state.answers[-1].id
    _vote(d, POL, aid, "agree")
    _vote(d, RES, aid, "agree")
    (statement,) = shared_vision(d.script, d.state)
    assert (statement.author, statement.role, statement.bridging) == (None, None, True)
    assert NAMES[RES] not in statement.model_dump_json()


def test_do_not_quote_me_keeps_a_statement_out_of_the_vision(lobby: Driver) -> None:
    d = _mixed(lobby)
    d.do(ev.QuoteConsentSet, actor=RES, allow=False)
    assert [s.text for s in shared_vision(d.script, d.state)] == ["bridging", "undecided"]


def test_erasure_takes_their_votes_and_their_statements_with_them(lobby: Driver) -> None:
    d = _mixed(lobby)
    ids = {a.text: a.id for a in d.state.answers}
    effects = d.do(ev.ParticipantErased, actor=RES)
    # Their statement's card is blanked, then deleted; the votes on it go with it.
    assert [type(e) for e in keyed(effects, f"statement:{ids['dividing']}")] == [Edit, Delete]
    assert ids["dividing"] not in d.state.agreements
    # Their votes leave the other statements, whose cards are redrawn.
    for text in ("bridging", "undecided"):
        assert RES not in d.state.agreements[ids[text]]
        (card,) = keyed(effects, f"statement:{ids[text]}")
        assert isinstance(card, Edit)
    assert d.state.agreements[ids["bridging"]] == {
        POL: Agreement.AGREE,
        POL2: Agreement.AGREE,
        RES2: Agreement.AGREE,
        LEAD: Agreement.UNSURE,
    }
    assert str(RES) not in d.state.model_dump_json()
