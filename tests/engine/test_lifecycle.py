"""Moving through a session: stages, pauses, the end, reminders, nudges, losing the group."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.engine import events as ev
from bot.engine.effects import (
    Cancel,
    CharterView,
    Edit,
    EndCheckView,
    Group,
    Notice,
    NoticeView,
    Person,
    Pin,
    PromptView,
    RecordView,
    Reply,
    Schedule,
    Send,
    StatusView,
    SummaryView,
)
from bot.engine.machine import charter_view
from bot.engine.state import Status

from .helpers import (
    FAC,
    LEAD,
    NAMES,
    NOW,
    POL,
    RES,
    RES2,
    STRANGER,
    Driver,
    keyed,
    make_script,
    notice_recipients,
    of_type,
    replies,
    stage,
    told,
    unchanged_but_applied,
)

# --- advancing and going back --------------------------------------------------------------------


def test_advancing_from_the_lobby_opens_the_first_stage(lobby: Driver) -> None:
    effects = lobby.advance()
    assert (lobby.state.status, lobby.state.stage_index, lobby.state.stage_opened_at) == (
        Status.RUNNING,
        0,
        NOW,
    )
    assert effects == [
        Send(
            to=Group(),
            view=PromptView(
                script_id="test-script",
                stage_id="intro",
                number=1,
                total=8,
                open=True,
                answered=effects[0].view.answered,
            ),
            key="prompt:intro",
        )
    ]


def test_advancing_closes_the_previous_prompt_and_opens_the_next(session: Driver) -> None:
    session.answer(POL, "story", "a story", ref="m1")
    effects = session.advance()
    closing, opening = effects[0], next(e for e in effects if isinstance(e, Send))
    assert isinstance(closing, Edit)
    assert (closing.key, closing.view.open, closing.view.answered.police) == (
        "prompt:story",
        False,
        1,
    )
    assert (opening.key, opening.view.open, opening.view.number) == ("prompt:vision", True, 3)
    assert session.current == "vision"


def test_advancing_at_the_last_stage_is_refused(lobby: Driver) -> None:
    lobby.goto("outro")
    before = lobby.state
    event = lobby.event(ev.Advanced, actor=FAC)
    assert told(lobby.apply(event), FAC) == [Notice.AT_LAST_STAGE]
    assert unchanged_but_applied(before, lobby.state, event.event_id)


@pytest.mark.parametrize("where", ["lobby", "intro"])
def test_going_back_at_the_first_stage_is_refused(lobby: Driver, where: str) -> None:
    if where != "lobby":
        lobby.goto(where)
    before = lobby.state
    event = lobby.event(ev.WentBack, actor=FAC)
    assert told(lobby.apply(event), FAC) == [Notice.AT_FIRST_STAGE]
    assert unchanged_but_applied(before, lobby.state, event.event_id)


def test_going_back_reopens_the_previous_stage(session: Driver) -> None:
    session.answer(POL, "story", "kept across visits")
    session.advance()
    session.tick(3)
    effects = session.do(ev.WentBack, actor=FAC)
    assert session.current == "story"
    assert session.state.stage_opened_at == NOW + timedelta(minutes=3)
    assert keyed(effects, "prompt:vision")[0].view.open is False
    reopened = next(e for e in effects if isinstance(e, Send))
    assert reopened.key == "prompt:story"
    assert reopened.view.answered.police == 1
    assert told(session.answer(POL, "story", "more words"), POL) == []


@pytest.mark.parametrize("cls", [ev.Advanced, ev.WentBack])
def test_moving_while_paused_is_refused(session: Driver, cls: type) -> None:
    session.advance()
    session.do(ev.Paused, actor=FAC)
    before = session.state
    event = session.event(cls, actor=FAC)
    assert told(session.apply(event), FAC) == [Notice.NOT_RUNNING]
    assert unchanged_but_applied(before, session.state, event.event_id)


def test_entering_the_review_posts_a_draft_summary(lobby: Driver) -> None:
    effects = lobby.goto("review")
    drafts = keyed(effects, "summary")
    assert len(drafts) == 1
    assert drafts[0].to == Group()
    assert isinstance(drafts[0].view, SummaryView)
    assert drafts[0].view.summary.final is False


# --- pause and resume ----------------------------------------------------------------------------


def test_pause_and_resume(session: Driver) -> None:
    effects = session.do(ev.Paused, actor=FAC)
    assert session.state.status is Status.PAUSED
    assert Send(to=Group(), view=NoticeView(code=Notice.PAUSED)) in effects
    assert keyed(effects, "prompt:story")[0].view.open is False
    assert told(session.do(ev.Paused, actor=FAC), FAC) == [Notice.NOT_RUNNING]

    effects = session.do(ev.Resumed, actor=FAC)
    assert session.state.status is Status.RUNNING
    assert Send(to=Group(), view=NoticeView(code=Notice.RESUMED)) in effects
    assert keyed(effects, "prompt:story")[0].view.open is True
    assert told(session.do(ev.Resumed, actor=FAC), FAC) == [Notice.NOT_RUNNING]
    assert told(session.answer(POL, "story", "after the pause"), POL) == []


def test_the_lobby_cannot_be_paused(lobby: Driver) -> None:
    before = lobby.state
    event = lobby.event(ev.Paused, actor=FAC)
    assert told(lobby.apply(event), FAC) == [Notice.NOT_RUNNING]
    assert unchanged_but_applied(before, lobby.state, event.event_id)


# --- the end -------------------------------------------------------------------------------------


def test_ending_posts_and_pins_the_final_summary(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "Fix the lights", ref="c-ref")
    cid = lobby.state.commitments[0].id
    lobby.answer(RES, "commit", "Meet monthly", ref="c-ref2")
    lobby.tick(60)

    effects = lobby.do(ev.Ended, actor=FAC, confirmed=True)

    assert (lobby.state.status, lobby.state.ended_at) == (Status.ENDED, NOW + timedelta(hours=1))
    # An edit of the summary message: it replaces the draft if the group saw one, else posts.
    (summary,) = [e for e in keyed(effects, "summary") if isinstance(e, Edit)]
    assert summary.view.summary.final is True
    assert Pin(key="summary") in effects
    assert effects.index(Pin(key="summary")) > effects.index(summary)
    (record,) = [
        e for e in effects if isinstance(e.view if isinstance(e, Send) else None, RecordView)
    ]
    assert record.to == Person(user_id=FAC)  # the full per-stage record, privately
    assert record.view.summary == summary.view.summary
    assert keyed(effects, "prompt:commit")[0].view.open is False
    cards = keyed(effects, f"commitment:{cid}")
    assert len(cards) == 1
    assert cards[0].view.open is False
    assert len([e for e in effects if str(getattr(e, "key", "")).startswith("commitment:")]) == 2
    assert keyed(effects, "welcome")[0].view.status is Status.ENDED


def test_the_charter_follows_the_summary_at_the_end_dated_that_day(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "Fix the lights", ref="c-ref")
    lobby.tick(60)

    effects = lobby.do(ev.Ended, actor=FAC, confirmed=True)

    summary = next(e for e in keyed(effects, "summary") if not isinstance(e, Pin))
    (charter,) = keyed(effects, "charter")
    assert isinstance(charter, Send) and charter.to == Group()
    assert isinstance(charter.view, CharterView)
    assert effects.index(charter) > effects.index(Pin(key="summary")) > effects.index(summary)
    assert charter.view.date == (NOW + timedelta(hours=1)).date().isoformat()
    assert charter.view.place is None
    assert [c.text for c in charter.view.summary.commitments] == ["Fix the lights"]


def test_after_the_end_only_a_charter_is_still_answered(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.do(ev.Ended, actor=FAC, confirmed=True)
    lobby.tick(60 * 24)

    effects = lobby.do(ev.CharterRequested, actor=FAC, place="Gitega")

    view = charter_view(lobby.script, lobby.state, lobby.now, "Gitega")
    assert effects == [Send(to=Group(), view=view, key="charter")]
    assert view.date == NOW.date().isoformat()  # the day it ended, not the day it was asked
    assert told(lobby.do(ev.StatusRequested, actor=FAC), FAC) == [Notice.SESSION_ENDED]
    assert told(lobby.do(ev.CharterRequested, actor=POL), POL) == [Notice.NOT_FACILITATOR]


def test_ending_drops_unshared_drafts(session: Driver) -> None:
    session.answer(RES, "story", "never shared", channel="private")
    session.do(ev.Ended, actor=FAC, confirmed=True)
    assert session.state.drafts == {}
    assert "never shared" not in session.state.model_dump_json()


@pytest.mark.parametrize("where", ["lobby", "running", "paused"])
def test_a_session_nobody_acts_in_ends_by_itself_with_its_summary(
    lobby: Driver, where: str
) -> None:
    if where != "lobby":
        lobby.goto("story")
        lobby.answer(POL, "story", "We walked the market together.")
    if where == "paused":
        lobby.do(ev.Paused, actor=FAC)
    lobby.answer(RES, "story", "never shared", channel="private")

    effects = lobby.do(ev.Expired, idle_days=30)

    assert lobby.state.status is Status.ENDED
    notice = effects[0]
    assert isinstance(notice, Send)
    assert notice.to == Group()
    assert (notice.view.code, notice.view.params) == (Notice.EXPIRED, {"days": 30})
    (summary,) = [e for e in keyed(effects, "summary") if isinstance(e, Edit)]
    assert summary.view.summary.final is True
    assert Pin(key="summary") in effects
    assert lobby.state.drafts == {}  # as at any end: what was never shared is not kept
    assert lobby.do(ev.Expired, idle_days=30) == []  # ended once


def test_end_asks_the_facilitator_privately_first_and_changes_nothing(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(POL, "story", "a story told", ref="m1")
    lobby.answer(RES, "story", "kept for later", channel="private")
    before = lobby.state
    event = lobby.event(ev.Ended, actor=FAC)

    effects = lobby.apply(event)

    assert unchanged_but_applied(before, lobby.state, event.event_id)
    assert effects == [
        Send(
            to=Person(user_id=FAC),
            view=EndCheckView(
                script_id="test-script",
                stage_id="story",  # one of three has answered: few
                voices=1,
                participants=3,
                incomplete_commitments=0,
                drafts=1,
            ),
        )
    ]
    assert NAMES[RES] not in effects[0].model_dump_json()  # counts, no names


def test_the_question_names_an_open_stage_only_when_few_have_answered(lobby: Driver) -> None:
    lobby.goto("story")
    lobby.answer(POL, "story", "a story told")
    lobby.answer(RES, "story", "another story")
    (asked,) = lobby.do(ev.Ended, actor=FAC)
    assert isinstance(asked.view, EndCheckView)
    assert (asked.view.stage_id, asked.view.voices, asked.view.participants) == (None, 2, 3)
    lobby.goto("outro")  # an info stage: nothing to answer
    (asked,) = lobby.do(ev.Ended, actor=FAC)
    assert isinstance(asked.view, EndCheckView) and asked.view.stage_id is None


def test_end_confirmed_ends_and_not_yet_keeps_the_session_going(session: Driver) -> None:
    before = session.state
    event = session.event(ev.EndDeclined, actor=FAC)
    effects = session.apply(event)
    assert unchanged_but_applied(before, session.state, event.event_id)
    assert effects == [Reply(view=NoticeView(code=Notice.END_NOT_YET))]
    effects = session.do(ev.Ended, actor=FAC, confirmed=True)
    assert session.state.status is Status.ENDED
    assert Pin(key="summary") in effects
    # A second press of the button: the popup says it has ended.
    effects = session.do(ev.Ended, actor=FAC, confirmed=True)
    assert effects == [Reply(view=NoticeView(code=Notice.SESSION_ENDED))]


@pytest.mark.parametrize("where", ["lobby", "paused"])
def test_ending_from_the_lobby_or_a_pause(lobby: Driver, where: str) -> None:
    if where == "paused":
        lobby.goto("story")
        lobby.do(ev.Paused, actor=FAC)
    effects = lobby.do(ev.Ended, actor=FAC, confirmed=True)
    assert lobby.state.status is Status.ENDED
    assert Pin(key="summary") in effects


# --- reminders -----------------------------------------------------------------------------------


def test_entering_a_stage_schedules_its_nudge_and_timebox(lobby: Driver) -> None:
    lobby.goto("intro")
    lobby.tick(2)
    effects = lobby.advance()
    schedules = {s.name: s for s in of_type(effects, Schedule)}
    assert set(schedules) == {"nudge:story", "timebox:story"}
    nudge, timebox = schedules["nudge:story"], schedules["timebox:story"]
    assert nudge.at == lobby.now + timedelta(minutes=10)
    assert timebox.at == lobby.now + timedelta(minutes=30)
    assert (nudge.event.stage_id, nudge.event.purpose) == ("story", "nudge")
    assert (timebox.event.stage_id, timebox.event.purpose) == ("story", "timebox")
    assert nudge.event.event_id != timebox.event.event_id
    assert lobby.state.session_id in nudge.event.event_id


def test_stages_without_timers_schedule_nothing(session: Driver) -> None:
    effects = session.advance()  # to vision: no timers
    assert of_type(effects, Schedule) == []
    assert {c.name for c in of_type(effects, Cancel)} == {"nudge:story", "timebox:story"}
    effects = session.advance()
    assert of_type(effects, Cancel) == []


@pytest.mark.parametrize("leave", [ev.Advanced, ev.WentBack, ev.Ended])
def test_leaving_a_stage_cancels_its_reminders(session: Driver, leave: type) -> None:
    confirmed = {"confirmed": True} if leave is ev.Ended else {}
    effects = session.do(leave, actor=FAC, **confirmed)
    assert {c.name for c in of_type(effects, Cancel)} == {"nudge:story", "timebox:story"}


def test_re_entering_a_stage_schedules_fresh_reminders(session: Driver) -> None:
    first = session.state
    session.advance()
    effects = session.do(ev.WentBack, actor=FAC)
    ids = {s.event.event_id for s in of_type(effects, Schedule)}
    assert len(ids) == 2
    assert not ids & first.applied


def _reminder(d: Driver, purpose: str, effects: list) -> ev.ReminderDue:
    return next(s.event for s in of_type(effects, Schedule) if s.event.purpose == purpose)


def test_a_nudge_reaches_only_quiet_active_participants(lobby: Driver) -> None:
    lobby.join(RES2)
    lobby.do(ev.Consented, actor=STRANGER, accept=True, name="No role yet")
    lobby.do(ev.FacilitatorAdded, actor=FAC, user_id=LEAD)
    effects = lobby.goto("story")
    reminder = _reminder(lobby, "nudge", effects)
    lobby.answer(POL, "story", "I answered in the group")
    lobby.answer(RES2, "story", "I wrote privately", channel="private")  # a draft is not an answer
    lobby.tick(10)

    effects = lobby.apply(reminder)

    assert sorted(notice_recipients(effects, Notice.NUDGE)) == sorted([RES, LEAD, RES2])
    assert all(e.view.params == {"stage_id": "story"} for e in effects)
    assert len(effects) == 3


def test_a_timebox_tells_the_facilitators(lobby: Driver) -> None:
    lobby.do(ev.FacilitatorAdded, actor=FAC, user_id=LEAD)
    effects = lobby.goto("story")
    reminder = _reminder(lobby, "timebox", effects)
    effects = lobby.apply(reminder)
    assert sorted(notice_recipients(effects, Notice.TIME_UP)) == sorted([FAC, LEAD])
    assert len(effects) == 2
    assert lobby.current == "story"  # nothing moves by itself


@pytest.mark.parametrize("purpose", ["nudge", "timebox"])
@pytest.mark.parametrize("how", ["advanced", "ended", "went_back"])
def test_a_reminder_for_a_stage_that_is_not_open_does_nothing(
    session: Driver, purpose: str, how: str
) -> None:
    reminder = ev.ReminderDue(event_id="r-late", stage_id="story", purpose=purpose)
    if how == "advanced":
        session.advance()
    elif how == "ended":
        session.do(ev.Ended, actor=FAC, confirmed=True)
    else:
        session.goto("vision")
        reminder = ev.ReminderDue(event_id="r-late", stage_id="vision", purpose=purpose)
        session.do(ev.WentBack, actor=FAC)
    before = session.state
    assert session.apply(reminder) == []
    assert unchanged_but_applied(before, session.state, "r-late")


@pytest.mark.parametrize("purpose", ["nudge", "timebox"])
def test_a_reminder_that_falls_in_a_pause_comes_again_after_resume(
    lobby: Driver, purpose: str
) -> None:
    effects = lobby.goto("story")
    reminder = _reminder(lobby, purpose, effects)
    lobby.do(ev.Paused, actor=FAC)

    delays = []
    for _ in range(7):  # a long pause: it waits, and waits longer, but never gives up
        (snooze,) = lobby.apply(reminder)
        assert isinstance(snooze, Schedule)
        assert snooze.name == f"{purpose}:story"
        delays.append(round((snooze.at - lobby.now).total_seconds() / 60))
        reminder = snooze.event
    assert delays == [10, 20, 40, 80, 160, 240, 240]

    lobby.do(ev.Resumed, actor=FAC)
    effects = lobby.apply(reminder)
    wanted = Notice.NUDGE if purpose == "nudge" else Notice.TIME_UP
    assert effects
    assert all(e.view.code is wanted for e in effects)


# --- nudges on request ---------------------------------------------------------------------------


def test_a_requested_nudge_reaches_quiet_participants_without_a_count(
    lobby: Driver,
) -> None:
    lobby.goto("pick")
    lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="alpha")
    effects = lobby.do(ev.NudgeRequested, actor=FAC, stage_id="pick")
    assert sorted(notice_recipients(effects, Notice.NUDGE)) == sorted([RES, LEAD])
    assert told(effects, FAC) == [Notice.NUDGES_SENT]
    assert effects[-1].view.params == {}


@pytest.mark.parametrize(("where", "stage_id"), [("story", "vision"), ("intro", "intro")])
def test_a_nudge_for_a_closed_or_info_stage_is_refused(
    lobby: Driver, where: str, stage_id: str
) -> None:
    lobby.goto(where)
    effects = lobby.do(ev.NudgeRequested, actor=FAC, stage_id=stage_id)
    assert told(effects, FAC) == [Notice.STAGE_NOT_OPEN]
    assert len(effects) == 1


def test_status_lists_who_answered_and_who_is_quiet(session: Driver) -> None:
    session.answer(RES, "story", "my answer")
    effects = session.do(ev.StatusRequested, actor=FAC)
    (send,) = effects
    assert send.to.user_id == FAC
    view = send.view
    assert isinstance(view, StatusView)
    assert [line.name for line in view.answered] == [NAMES[RES]]
    assert sorted(line.name for line in view.quiet) == sorted([NAMES[POL], NAMES[LEAD]])
    assert view.participants.total == 3
    assert view.stage_id == "story"


# --- the bot removed from the group --------------------------------------------------------------


@pytest.mark.parametrize("where", ["lobby", "running", "paused"])
def test_bot_removed_pauses_and_tells_facilitators(lobby: Driver, where: str) -> None:
    lobby.do(ev.FacilitatorAdded, actor=FAC, user_id=LEAD)
    if where != "lobby":
        lobby.goto("story")
    if where == "paused":
        lobby.do(ev.Paused, actor=FAC)
    effects = lobby.do(ev.BotRemoved)
    assert lobby.state.status is Status.PAUSED
    assert sorted(notice_recipients(effects, Notice.BOT_REMOVED)) == sorted([FAC, LEAD])
    assert len(effects) == 2
    assert told(lobby.answer(POL, "story", "nobody hears me"), POL) == [Notice.NOT_RUNNING]


def test_after_bot_removed_from_the_lobby_resume_returns_to_the_lobby(lobby: Driver) -> None:
    lobby.do(ev.BotRemoved)
    lobby.do(ev.Resumed, actor=FAC)
    assert (lobby.state.status, lobby.state.stage_index) == (Status.LOBBY, -1)


# --- quote consent -------------------------------------------------------------------------------


def test_quote_consent_is_saved_and_refreshes_the_draft_at_the_review(lobby: Driver) -> None:
    effects = lobby.do(ev.QuoteConsentSet, actor=POL, allow=True)
    assert lobby.state.participants[POL].quote_consent is True
    assert keyed(effects, "summary") == []
    assert replies(effects) == [Notice.QUOTE_CONSENT_SAVED]
    assert effects[-1].view.params == {"allow": 1}

    lobby.goto("vision")
    lobby.answer(RES, "vision", "my vision for the street")
    lobby.goto("review")
    effects = lobby.do(ev.QuoteConsentSet, actor=RES, allow=True)
    (draft,) = keyed(effects, "summary")
    assert isinstance(draft, Edit)
    assert [q.text for q in draft.view.summary.quotes] == ["my vision for the street"]
    effects = lobby.do(ev.QuoteConsentSet, actor=RES, allow=False)
    assert lobby.state.participants[RES].quote_consent is False
    assert keyed(effects, "summary")[0].view.summary.quotes == ()


def test_a_script_can_be_walked_end_to_end_without_input_stages() -> None:
    d = Driver(make_script(stage("a", "info"), stage("b", "review")))
    d.open(FAC)
    d.join(POL)
    d.goto("b")
    effects = d.do(ev.Ended, actor=FAC, confirmed=True)
    summary = keyed(effects, "summary")[0].view.summary
    assert (summary.participants.police, summary.balance, summary.final) == (1, (), True)


# --- moves bound to the stage they were issued from ---------------------------------------------


@pytest.mark.parametrize("cls", [ev.Advanced, ev.WentBack])
def test_a_move_issued_from_a_stage_already_left_is_told_privately_not_applied(
    session: Driver, cls: type
) -> None:
    session.advance()  # the group still sees "story" (index 1); the session is at "vision"
    before = session.state
    event = session.event(cls, actor=FAC, seen_index=1)
    effects = session.apply(event)
    assert unchanged_but_applied(before, session.state, event.event_id)
    assert effects == [
        Send(
            to=Person(user_id=FAC),
            view=NoticeView(
                code=Notice.ALREADY_ON_STAGE,
                params={"stage_id": "vision", "number": 3, "total": 8},
            ),
        )
    ]


def test_a_double_next_moves_one_stage(session: Driver) -> None:
    seen = session.state.stage_index
    session.do(ev.Advanced, actor=FAC, seen_index=seen)
    session.do(ev.Advanced, actor=FAC, seen_index=seen)
    assert session.current == "vision"
    session.do(ev.Advanced, actor=FAC, seen_index=session.state.stage_index)
    assert session.current == "pick"


def test_a_move_from_the_stage_on_show_or_of_unknown_origin_is_applied(session: Driver) -> None:
    session.do(ev.WentBack, actor=FAC, seen_index=session.state.stage_index)
    assert session.current == "intro"
    session.do(ev.Advanced, actor=FAC, seen_index=None)
    assert session.current == "story"


def test_a_next_while_the_prompt_went_missing_shows_it_again(session: Driver) -> None:
    """The shell found no sign the group saw the open stage's prompt (its post went without
    an answer twice): /next shows it again, and tells the facilitator where the group is."""
    session.advance()
    before = session.state
    event = session.event(
        ev.Advanced, actor=FAC, seen_index=session.state.stage_index - 1, prompt_missing=True
    )
    effects = session.apply(event)
    assert unchanged_but_applied(before, session.state, event.event_id)
    assert [e.key for e in effects if isinstance(e, Send)] == ["prompt:vision", None]
    assert session.current == "vision"


def test_a_summary_that_went_missing_after_the_end_is_posted_again(session: Driver) -> None:
    session.do(ev.Ended, actor=FAC, confirmed=True)
    effects = session.do(ev.SummaryRequested, actor=FAC, summary_missing=True)
    assert [e.key for e in effects if isinstance(e, Send)] == ["summary"]
    assert Pin(key="summary") in effects
    refused = session.do(ev.SummaryRequested, actor=POL, summary_missing=True)
    assert keyed(refused, "summary") == []  # a participant cannot make the bot post it
