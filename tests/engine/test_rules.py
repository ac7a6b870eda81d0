"""The engine's ground rules: authority, open stages, ended sessions, consent, idempotence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from bot.engine import events as ev
from bot.engine.effects import Notice, Send
from bot.engine.machine import new_session, step
from bot.engine.state import Role, Status

from .helpers import (
    ADMIN,
    FAC,
    LEAD,
    NOW,
    POL,
    RES,
    RES2,
    STRANGER,
    Driver,
    full_script,
    group_bound,
    make_script,
    notices_to,
    replies,
    stage,
    told,
    unchanged_but_applied,
)

# Extra fields each privileged event type needs besides its id and actor.
PRIVILEGED_FIELDS: dict[type[Any], dict[str, Any]] = {
    ev.FacilitatorAdded: {"user_id": RES2},
    ev.Advanced: {},
    ev.WentBack: {},
    ev.Paused: {},
    ev.Resumed: {},
    ev.Ended: {},
    ev.StatusRequested: {},
    ev.SummaryRequested: {},
    ev.NudgeRequested: {"stage_id": "vision"},
    ev.CharterRequested: {"place": "Gitega"},
    ev.SessionLanguageSet: {"language": "rn"},
    ev.VoicePlayRequested: {"answer_id": "a1"},
    ev.PersonAdded: {"name": "Marie", "role": "resident"},
    ev.AnsweredFor: {"number": 1, "text": "Said aloud in the room."},
    ev.ProxyCardAsked: {"number": 1},
    ev.ActedFor: {"act": ev.EndorsementToggled(event_id="for", actor=-1, commitment_id="c1")},
    ev.PersonRemoved: {"number": 1},
}


def test_privileged_set_is_exactly_the_facilitator_commands() -> None:
    assert set(ev.PRIVILEGED) == set(PRIVILEGED_FIELDS)


# --- authority -----------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", ev.PRIVILEGED, ids=lambda c: c.__name__)
@pytest.mark.parametrize("actor", [POL, STRANGER], ids=["participant", "stranger"])
@pytest.mark.parametrize("paused", [False, True], ids=["running", "paused"])
def test_only_facilitators_may_use_privileged_events(
    session: Driver, cls: type[Any], actor: int, paused: bool
) -> None:
    session.goto("vision")  # a stage with a previous one, so WentBack could move
    if paused:
        session.do(ev.Paused, actor=FAC)
    before = session.state
    event = session.event(cls, actor=actor, **PRIVILEGED_FIELDS[cls])

    effects = session.apply(event)

    assert told(effects, actor) == [Notice.NOT_FACILITATOR]
    assert len(effects) == 1 and group_bound(effects) == []
    assert unchanged_but_applied(before, session.state, event.event_id)


@pytest.mark.parametrize("cls", ev.PRIVILEGED, ids=lambda c: c.__name__)
@pytest.mark.parametrize(
    ("actor", "admin"), [(FAC, False), (ADMIN, True)], ids=["facilitator", "chat-admin"]
)
def test_facilitators_and_chat_admins_are_obeyed(
    session: Driver, cls: type[Any], actor: int, admin: bool
) -> None:
    session.goto("vision")
    effects = session.do(cls, actor=actor, actor_is_admin=admin, **PRIVILEGED_FIELDS[cls])

    assert Notice.NOT_FACILITATOR not in told(effects, actor)
    assert effects  # every privileged command answers or acts


def test_a_participant_claiming_admin_rights_is_trusted_as_the_shell_reports_it(
    session: Driver,
) -> None:
    session.do(ev.Advanced, actor=POL, actor_is_admin=True)
    assert session.current == "vision"


def test_added_facilitator_may_then_steer(session: Driver) -> None:
    session.do(ev.FacilitatorAdded, actor=FAC, user_id=LEAD)
    assert session.state.facilitators == [FAC, LEAD]
    session.do(ev.Advanced, actor=LEAD)
    assert session.current == "vision"
    # Adding twice keeps one entry.
    session.do(ev.FacilitatorAdded, actor=FAC, user_id=LEAD)
    assert session.state.facilitators == [FAC, LEAD]


def test_only_the_first_opener_becomes_facilitator(script: Any) -> None:
    d = Driver(script)
    effects = d.open(FAC)
    assert d.state.facilitators == [FAC]
    assert d.state.opened_at == NOW
    assert [e.type for e in effects] == ["send", "pin"]
    before = d.state
    event = d.event(ev.Opened, actor=STRANGER)
    assert d.apply(event) == []
    assert unchanged_but_applied(before, d.state, event.event_id)


def test_nothing_but_opening_happens_before_the_session_is_opened(script: Any) -> None:
    d = Driver(script)
    for cls, fields in [
        (ev.Joined, {"actor": POL}),
        (ev.Consented, {"actor": POL, "accept": True, "name": "X"}),
        (ev.Advanced, {"actor": POL, "actor_is_admin": True}),
        (ev.ReminderDue, {"stage_id": "story", "purpose": "nudge"}),
        (ev.BotRemoved, {}),
        (ev.Expired, {"idle_days": 30}),
    ]:
        before = d.state
        event = d.event(cls, **fields)
        effects = d.apply(event)
        assert told(effects, POL) in ([Notice.NOT_RUNNING], []), cls
        assert len(effects) <= 1
        assert unchanged_but_applied(before, d.state, event.event_id)


# --- nobody answers a stage that is not open -----------------------------------------------------


def _no_input_kept(before: Any, after: Any) -> bool:
    return (
        after.answers == before.answers
        and after.drafts == before.drafts
        and after.choices == before.choices
        and after.commitments == before.commitments
    )


@pytest.mark.parametrize(
    ("where", "stage_id", "expected"),
    [
        ("lobby", "story", Notice.NOT_RUNNING),
        ("paused", "story", Notice.NOT_RUNNING),
        ("story", "vision", Notice.STAGE_NOT_OPEN),  # a later stage
        ("vision", "story", Notice.STAGE_NOT_OPEN),  # an earlier, closed stage
        ("story", "no_such_stage", Notice.STAGE_NOT_OPEN),
        ("intro", "intro", Notice.NOT_HERE),  # an info stage takes no answers
        ("pick", "pick", Notice.NOT_HERE),  # a choice is toggled, not written
        ("review", "review", Notice.NOT_HERE),
    ],
)
@pytest.mark.parametrize("channel", ["group", "private"])
def test_text_answers_only_reach_the_open_stage(
    lobby: Driver, where: str, stage_id: str, expected: Notice, channel: str
) -> None:
    if where == "paused":
        lobby.goto("story")
        lobby.do(ev.Paused, actor=FAC)
    elif where != "lobby":
        lobby.goto(where)
    before = lobby.state
    effects = lobby.answer(POL, stage_id, "a perfectly fine answer", channel=channel, ref="m1")
    assert told(effects, POL) == [expected]
    assert len(effects) == 1
    assert _no_input_kept(before, lobby.state)


@pytest.mark.parametrize("where", ["lobby", "paused", "story", "multi", "commit"])
def test_choices_only_reach_the_open_choice_stage(lobby: Driver, where: str) -> None:
    if where == "paused":
        lobby.goto("pick")
        lobby.do(ev.Paused, actor=FAC)
    elif where != "lobby":
        lobby.goto(where)
    before = lobby.state
    effects = lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="alpha")
    assert replies(effects) == [Notice.STAGE_NOT_OPEN]
    assert _no_input_kept(before, lobby.state)


def test_choice_toggle_on_an_open_text_stage_is_refused(session: Driver) -> None:
    effects = session.do(ev.ChoiceToggled, actor=POL, stage_id="story", option_id="alpha")
    assert replies(effects) == [Notice.STAGE_NOT_OPEN]
    assert session.state.choices == {}


def test_commitments_are_only_proposed_at_the_open_commitment_stage(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "We will fix the lights", ref="m1")
    lobby.advance()
    effects = lobby.answer(POL, "commit", "Another proposal after closing", ref="m2")
    assert told(effects, POL) == [Notice.STAGE_NOT_OPEN]
    assert len(lobby.state.commitments) == 1


# --- an ended session ----------------------------------------------------------------------------

AFTER_END: list[tuple[type[Any], dict[str, Any]]] = [
    (ev.Opened, {"actor": STRANGER}),
    (ev.Joined, {"actor": RES2}),
    (ev.Consented, {"actor": RES2, "accept": True, "name": "Late"}),
    (ev.Consented, {"actor": POL, "accept": False}),
    (ev.RoleChosen, {"actor": POL, "role": Role.LEADER}),
    (ev.Answered, {"actor": POL, "stage_id": "commit", "text": "One more thing to do"}),
    (ev.ShareChosen, {"actor": RES, "visibility": "named"}),
    (ev.AnswerEdited, {"actor": POL, "source_ref": "c-ref", "text": "changed"}),
    (ev.ChoiceToggled, {"actor": POL, "stage_id": "pick", "option_id": "beta"}),
    (ev.CommitmentOwnerSet, {"actor": POL, "commitment_id": "c1", "owner": "both"}),
    (ev.CommitmentDueSet, {"actor": POL, "commitment_id": "c1", "due": "1m"}),
    (ev.EndorsementToggled, {"actor": RES, "commitment_id": "c1"}),
    (ev.QuoteConsentSet, {"actor": POL, "allow": True}),
    *[
        (cls, {"actor": FAC, **fields})
        for cls, fields in PRIVILEGED_FIELDS.items()
        # The group's charter, asked again after the end; someone added without a phone,
        # erased by the facilitator (they cannot ask for it themselves).
        if cls not in (ev.CharterRequested, ev.PersonRemoved)
    ],
    (ev.Ended, {"actor": FAC, "confirmed": True}),
    (ev.EndDeclined, {"actor": FAC}),
    (ev.ReminderDue, {"stage_id": "commit", "purpose": "nudge"}),
    (ev.BotRemoved, {}),
    (ev.Expired, {"idle_days": 30}),
]


@pytest.mark.parametrize(("cls", "fields"), AFTER_END, ids=[c.__name__ for c, _ in AFTER_END])
def test_an_ended_session_accepts_nothing_but_erasure_and_its_charter(
    lobby: Driver, cls: type[Any], fields: dict[str, Any]
) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "We will fix the lights", ref="c-ref")
    cid = lobby.state.commitments[0].id
    lobby.do(ev.CommitmentOwnerSet, actor=POL, commitment_id=cid, owner="police")
    lobby.do(ev.CommitmentDueSet, actor=POL, commitment_id=cid, due="2w")
    assert lobby.state.commitments[0].complete
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    before = lobby.state
    if "commitment_id" in fields:
        fields = {**fields, "commitment_id": cid}
    event = lobby.event(cls, **fields)

    effects = lobby.apply(event)

    assert unchanged_but_applied(before, lobby.state, event.event_id)
    if isinstance(event, ev._ByPerson):
        assert told(effects, event.actor) == [Notice.SESSION_ENDED]
        assert len(effects) == 1 and group_bound(effects) == []
    else:
        assert effects == []


def test_an_ended_session_still_forgets_a_participant(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(POL, "story", "Something POL said", ref="m1")
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    effects = lobby.do(ev.ParticipantErased, actor=POL)
    assert replies(effects) == [Notice.ERASED]
    assert POL not in lobby.state.participants
    assert lobby.state.answers == []


# --- nothing kept before consent -----------------------------------------------------------------


def test_joining_keeps_nothing_and_asks_for_consent(lobby: Driver) -> None:
    before = lobby.state
    event = lobby.event(ev.Joined, actor=RES2)
    effects = lobby.apply(event)
    assert RES2 not in lobby.state.participants
    assert unchanged_but_applied(before, lobby.state, event.event_id)
    assert notices_to(effects, RES2) == [Notice.CONSENT_REQUEST]
    assert len(effects) == 1


def test_declining_consent_keeps_nothing(lobby: Driver) -> None:
    lobby.do(ev.Joined, actor=RES2)
    before = lobby.state
    event = lobby.event(ev.Consented, actor=RES2, accept=False, name="Aline Bizimana")
    effects = lobby.apply(event)
    assert unchanged_but_applied(before, lobby.state, event.event_id)
    assert replies(effects) == [Notice.CONSENT_DECLINED]
    assert "Aline" not in lobby.state.model_dump_json()


def test_withdrawing_consent_erases_the_participant(session: Driver) -> None:
    session.answer(RES, "story", "Zawadi's story here", ref="m1")
    effects = session.do(ev.Consented, actor=RES, accept=False)
    assert RES not in session.state.participants
    assert session.state.answers == []
    assert replies(effects)[-1] is Notice.CONSENT_DECLINED
    dump = session.state.model_dump_json()
    assert "Zawadi" not in dump
    assert str(RES) not in dump


def test_consent_keeps_the_name_and_the_consent_version(lobby: Driver) -> None:
    lobby.do(ev.Joined, actor=RES2)
    effects = lobby.do(ev.Consented, actor=RES2, accept=True, name="  Aline  ", language="rn")
    p = lobby.state.participants[RES2]
    assert (p.name, p.language, p.consented, p.consent_version, p.role, p.joined_at) == (
        "Aline",
        "rn",
        True,
        1,
        None,
        NOW,
    )
    assert not p.active
    assert notices_to(effects, RES2) == [Notice.CHOOSE_ROLE]


def test_a_blank_name_is_kept_as_a_placeholder(lobby: Driver) -> None:
    lobby.do(ev.Consented, actor=RES2, accept=True, name="   ")
    assert lobby.state.participants[RES2].name == "?"


def test_joining_again(lobby: Driver) -> None:
    assert told(lobby.do(ev.Joined, actor=POL), POL) == [Notice.ALREADY_JOINED]
    assert replies(lobby.do(ev.Consented, actor=POL, accept=True, name="Other")) == [
        Notice.ALREADY_JOINED
    ]
    assert lobby.state.participants[POL].name == "Officer Kwizera"
    lobby.do(ev.Consented, actor=RES2, accept=True, name="Aline")
    assert notices_to(lobby.do(ev.Joined, actor=RES2), RES2) == [Notice.CHOOSE_ROLE]


# --- a role before answering ---------------------------------------------------------------------


def test_a_role_is_needed_before_any_contribution(lobby: Driver) -> None:
    lobby.do(ev.Consented, actor=RES2, accept=True, name="Aline")
    lobby.goto("story")
    before = lobby.state
    for cls, fields in [
        (ev.Answered, {"stage_id": "story", "text": "my story text"}),
        (ev.QuoteConsentSet, {"allow": True}),
        (ev.ShareChosen, {"visibility": "named"}),
    ]:
        effects = lobby.do(cls, actor=RES2, **fields)
        assert told(effects, RES2) in ([Notice.JOIN_FIRST], [Notice.NO_DRAFT]), cls
    assert lobby.state.answers == before.answers
    assert lobby.state.participants[RES2].quote_consent is None
    lobby.goto("pick")
    assert replies(lobby.do(ev.ChoiceToggled, actor=RES2, stage_id="pick", option_id="alpha")) == [
        Notice.JOIN_FIRST
    ]
    assert lobby.state.choices == {}


def test_a_stranger_cannot_answer_or_choose_a_role(session: Driver) -> None:
    assert told(session.answer(STRANGER, "story", "hello there"), STRANGER) == [Notice.JOIN_FIRST]
    before = session.state
    event = session.event(ev.RoleChosen, actor=STRANGER, role=Role.POLICE)
    assert replies(session.apply(event)) == [Notice.JOIN_FIRST]
    assert unchanged_but_applied(before, session.state, event.event_id)


def test_choosing_a_role_activates_and_updates_the_welcome(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.do(ev.Consented, actor=RES2, accept=True, name="Aline")
    effects = lobby.do(ev.RoleChosen, actor=RES2, role=Role.RESIDENT)
    assert lobby.state.participants[RES2].active
    welcome = [e for e in effects if getattr(e, "key", None) == "welcome"]
    assert welcome[0].view.participants.resident == 2
    joined = [e for e in effects if isinstance(e, Send)]
    assert joined[0].view.code is Notice.JOINED
    assert joined[0].view.params == {"role": "resident"}  # the notice names no stage
    # A role is chosen once: the old button pressed again changes nothing and says how.
    effects = lobby.do(ev.RoleChosen, actor=RES2, role=Role.LEADER)
    assert replies(effects) == [Notice.ROLE_KEPT]
    assert lobby.state.participants[RES2].role is Role.RESIDENT
    # /role asks first; then the next press changes it, once.
    assert told(lobby.do(ev.RoleChangeAsked, actor=RES2), RES2) == [Notice.CHANGE_ROLE]
    assert replies(lobby.do(ev.RoleChosen, actor=RES2, role=Role.LEADER)) == [Notice.ROLE_CHANGED]
    assert lobby.state.participants[RES2].role is Role.LEADER
    lobby.do(ev.RoleChosen, actor=RES2, role=Role.POLICE)
    assert lobby.state.participants[RES2].role is Role.LEADER


# --- idempotence ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "fields"),
    [
        (ev.Answered, {"actor": POL, "stage_id": "story", "text": "a story", "source_ref": "m"}),
        (ev.Answered, {"actor": POL, "stage_id": "story", "text": "x"}),  # refused: too short
        (ev.Answered, {"actor": RES, "stage_id": "story", "text": "secret", "channel": "private"}),
        (ev.Advanced, {"actor": FAC}),
        (ev.Advanced, {"actor": POL}),  # refused: not a facilitator
        (ev.Paused, {"actor": FAC}),
        (ev.Ended, {"actor": FAC}),
        (ev.Ended, {"actor": FAC, "confirmed": True}),
        (ev.EndDeclined, {"actor": FAC}),
        (ev.Joined, {"actor": RES2}),
        (ev.Consented, {"actor": RES2, "accept": True, "name": "Aline"}),
        (ev.ParticipantErased, {"actor": LEAD}),
        (ev.ReminderDue, {"stage_id": "story", "purpose": "nudge"}),
        (ev.BotRemoved, {}),
        (ev.Expired, {"idle_days": 30}),
    ],
)
def test_a_redelivered_event_changes_nothing(
    session: Driver, cls: type[Any], fields: dict[str, Any]
) -> None:
    event = session.event(cls, **fields)
    session.apply(event)
    once = session.state
    snapshot = once.model_dump_json()

    again, effects = step(session.script, once, event, session.now)

    assert effects == []
    assert again == once
    assert again.model_dump_json() == snapshot
    assert event.event_id in again.applied


def test_a_refused_event_is_recorded_so_its_refusal_is_not_repeated(session: Driver) -> None:
    event = session.event(ev.Advanced, actor=POL)
    assert told(session.apply(event), POL) == [Notice.NOT_FACILITATOR]
    assert event.event_id in session.state.applied
    assert session.apply(event) == []


def test_step_never_modifies_the_given_state(session: Driver) -> None:
    before = session.state
    snapshot = before.model_dump_json()
    session.answer(POL, "story", "a story for the group", ref="m1")
    session.answer(RES, "story", "private words", channel="private", ref="m2")
    session.advance()
    assert before.model_dump_json() == snapshot


# --- the clock and the script --------------------------------------------------------------------


def test_now_must_be_timezone_aware() -> None:
    script = full_script()
    state = new_session("s", script)
    naive = datetime(2025, 3, 1, 10, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        step(script, state, ev.Opened(event_id="e1", actor=FAC), naive)
    assert state.opened_at is None


def test_the_state_must_belong_to_the_script() -> None:
    state = new_session("s", full_script())
    other = make_script(stage("only", "info"), script_id="other-script")
    with pytest.raises(ValueError, match="script"):
        step(other, state, ev.Opened(event_id="e1", actor=FAC), NOW)


def test_a_new_session_waits_in_the_lobby() -> None:
    script = full_script()
    state = new_session("s", script)
    assert (state.status, state.stage_index, state.language, state.opened_at) == (
        Status.LOBBY,
        -1,
        "en",
        None,
    )
    assert new_session("s", script, "fr").language == "fr"
