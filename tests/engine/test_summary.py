"""The summary: counts by role, quotes that honour each author's choices, commitments."""

from __future__ import annotations

import pytest

from bot.engine import events as ev
from bot.engine.script import StageKind
from bot.engine.state import Role
from bot.engine.summary import RoleCounts, Summary, build_summary

from .helpers import FAC, LEAD, NAMES, POL, RES, RES2, STRANGER, Driver, make_script, stage


def summary(d: Driver) -> Summary:
    return build_summary(d.script, d.state)


def test_participants_are_counted_by_role_and_only_when_active(lobby: Driver) -> None:
    lobby.join(RES2)
    lobby.do(ev.Consented, actor=STRANGER, accept=True, name="No role")
    s = summary(lobby)
    assert s.participants == RoleCounts(police=1, resident=2, leader=1, unsaid=0)
    assert s.participants.total == 4
    assert (s.script_id, s.title, s.final) == ("test-script", "Test script", False)


def test_role_counts_of() -> None:
    counts = RoleCounts.of([Role.POLICE, Role.UNSAID, Role.POLICE])
    assert counts == RoleCounts(police=2, unsaid=1)
    assert counts.total == 3
    assert RoleCounts.of([]).total == 0


def test_balance_counts_voices_per_stage_once_per_person(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(POL, "story", "one")
    lobby.answer(POL, "story", "two")
    lobby.answer(RES, "story", "three")
    lobby.goto("pick")
    lobby.do(ev.ChoiceToggled, actor=LEAD, stage_id="pick", option_id="beta")
    lobby.goto("commit")
    lobby.answer(RES, "commit", "do something")
    balance = {b.stage_id: b for b in summary(lobby).balance}
    # Only input stages that are in the summary; info and review stages are not.
    assert list(balance) == ["story", "vision", "pick", "multi", "commit"]
    assert balance["story"].voices == RoleCounts(police=1, resident=1)
    assert balance["story"].kind is StageKind.TEXT
    assert balance["vision"].voices.total == 0
    assert balance["pick"].voices == RoleCounts(leader=1)
    assert balance["commit"].voices == RoleCounts(resident=1)


def test_choice_results_are_tallied_by_role(lobby: Driver) -> None:
    lobby.goto("multi")
    for user, options in [(POL, ["alpha", "beta"]), (RES, ["alpha"]), (LEAD, ["gamma"])]:
        for option in options:
            lobby.do(ev.ChoiceToggled, actor=user, stage_id="multi", option_id=option)
    results = {c.stage_id: c for c in summary(lobby).choices}
    assert list(results) == ["pick", "multi"]
    tally = {o.option_id: o.votes for o in results["multi"].options}
    assert tally == {
        "alpha": RoleCounts(police=1, resident=1),
        "beta": RoleCounts(police=1),
        "gamma": RoleCounts(leader=1),
        "delta": RoleCounts(),
    }
    assert [o.label for o in results["multi"].options] == ["Alpha", "Beta", "Gamma", "Delta"]


def test_quotes_honour_visibility(session: Driver) -> None:
    session.answer(POL, "story", "named in group")
    session.answer(RES, "story", "anonymous words", channel="private")
    session.share(RES, "anonymous")
    session.answer(LEAD, "story", "only facilitators", channel="private")
    session.share(LEAD, "facilitators")
    s = summary(session)
    quotes = {q.text: q for q in s.quotes}
    assert set(quotes) == {"named in group", "anonymous words"}
    assert (quotes["named in group"].author, quotes["named in group"].role) == (
        NAMES[POL],
        Role.POLICE,
    )
    assert (quotes["anonymous words"].author, quotes["anonymous words"].role) == (None, None)
    assert s.withheld == 1
    dump = s.model_dump_json()
    assert "only facilitators" not in dump
    for user in (RES, LEAD):
        assert NAMES[user] not in dump
        assert str(user) not in dump


@pytest.mark.parametrize(("consent", "quoted"), [(None, False), (False, False), (True, True)])
@pytest.mark.parametrize("visibility", ["named", "anonymous"])
def test_quote_with_consent_stages_need_a_yes(
    lobby: Driver, consent: bool | None, quoted: bool, visibility: str
) -> None:
    d = Driver(
        make_script(
            stage("tell", "text", answer_in=["private", "anonymous"], quote_with_consent=True),
            privacy_threshold=1,  # posted at once: this is about consent, not timing
        )
    )
    d.open(FAC)
    d.join(RES)
    d.advance()
    d.answer(RES, "tell", "my story to quote", channel="private")
    d.share(RES, visibility)
    if consent is not None:
        d.do(ev.QuoteConsentSet, actor=RES, allow=consent)
    s = summary(d)
    assert [q.text for q in s.quotes] == (["my story to quote"] if quoted else [])
    assert s.withheld == (0 if quoted else 1)


def test_stages_left_out_of_the_summary_are_not_counted_or_quoted() -> None:
    d = Driver(make_script(stage("warmup", "text", in_summary=False), stage("real", "text")))
    d.open(FAC)
    d.join(POL)
    d.advance()
    d.answer(POL, "warmup", "just warming up")
    s = summary(d)
    assert [b.stage_id for b in s.balance] == ["real"]
    assert s.quotes == ()
    assert s.withheld == 0


def test_a_commitment_without_who_or_when_stays_in_the_summary_marked_incomplete(
    lobby: Driver,
) -> None:
    lobby.goto("commit")
    for text in ("complete one", "without an owner", "without a date"):
        lobby.answer(LEAD, "commit", text)
    lobby.state.commitments[1].owner = None  # as a session from before defaults may hold
    lobby.state.commitments[2].due = None
    lines = {line.text: line for line in summary(lobby).commitments}
    assert set(lines) == {"complete one", "without an owner", "without a date"}
    assert [lines[t].complete for t in lines] == [True, False, False]
    assert lines["without an owner"].owner is None


def test_commitments_shared_first(lobby: Driver) -> None:
    lobby.join(RES2)
    lobby.goto("commit")
    texts = ["incomplete one", "endorsed by residents", "shared one", "not endorsed"]
    for text in texts:
        lobby.answer(LEAD, "commit", text)
    ids = {c.text: c.id for c in lobby.state.commitments}
    lobby.state.commitments[0].owner = None  # as a session from before defaults may hold
    for text in texts[1:]:
        lobby.do(ev.CommitmentDueSet, actor=LEAD, commitment_id=ids[text], due="3m")
    for user in (RES, RES2):
        lobby.do(ev.EndorsementToggled, actor=user, commitment_id=ids["endorsed by residents"])
    for user in (POL, RES):
        lobby.do(ev.EndorsementToggled, actor=user, commitment_id=ids["shared one"])

    lines = summary(lobby).commitments

    assert [line.text for line in lines] == [
        "shared one",
        "endorsed by residents",
        "not endorsed",
        "incomplete one",  # last, but there
    ]
    assert [line.shared for line in lines] == [True, False, False, False]
    assert lines[0].endorsements == RoleCounts(police=1, resident=1)
    assert lines[1].endorsements == RoleCounts(resident=2)
    assert lines[0].due_date == lobby.state.commitments[2].due_date.date().isoformat()
    assert "Elder" not in summary(lobby).model_dump_json()  # proposers are not named


def test_the_summary_names_no_user_ids(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(POL, "story", "a story")
    dump = summary(lobby).model_dump_json()
    for user in (POL, RES, LEAD, FAC):
        assert str(user) not in dump


def test_the_summary_is_final_once_ended(lobby: Driver) -> None:
    assert not summary(lobby).final
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    assert summary(lobby).final


def test_do_not_quote_me_covers_every_answer_of_that_person_everywhere(lobby: Driver) -> None:
    lobby.goto("story")  # a stage without quote_with_consent
    lobby.answer(RES, "story", "named in the group")
    lobby.answer(RES, "story", "anonymous words", channel="private")
    lobby.share(RES, "anonymous")
    lobby.answer(POL, "story", "POL is quoted")
    lobby.goto("vision")
    lobby.answer(RES, "vision", "a vision")
    lobby.goto("review")
    effects = lobby.do(ev.QuoteConsentSet, actor=RES, allow=False)

    (draft,) = [e for e in effects if getattr(e, "key", None) == "summary"]
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    for shown in (draft.view.summary, summary(lobby)):
        assert [q.text for q in shown.quotes] == ["POL is quoted"]
        assert shown.withheld == 3  # counted, not quoted
        assert NAMES[RES] not in shown.model_dump_json()
