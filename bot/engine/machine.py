"""The one transition function: ``step(script, state, event, now) -> (state, effects)``.

Authority lives here and nowhere else: only facilitators (or chat administrators, as the shell
reports them) move, pause or end a session; nobody answers a stage that is not open; an ended
session accepts nothing but a participant's wish to be forgotten and what keeps its commitments
alive (their due-date reminders, and their owners' reports of where they stand); nothing is
kept of a person before they consent. A refused event changes nothing but is still recorded as
applied, so its redelivery does not repeat the refusal.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from pydantic import BaseModel

from bot.engine import events as ev
from bot.engine.effects import (
    AgreementTally,
    Cancel,
    CharterView,
    CommitmentView,
    Delete,
    DueView,
    EarlierView,
    Edit,
    Effect,
    EndCheckView,
    Group,
    Notice,
    NoticeView,
    Person,
    Pin,
    PromptView,
    ProxyCardView,
    ProxyItem,
    React,
    RecordView,
    Relay,
    Reply,
    Schedule,
    Send,
    SharedAnswerView,
    StatementView,
    StatusLine,
    StatusView,
    SummaryView,
    WelcomeView,
)
from bot.engine.script import CHOICE_KINDS, TEXT_KINDS, Channel, Script, Stage, StageKind
from bot.engine.state import (
    CONSENT_VERSION,
    DUE_DAYS,
    NOBODY,
    PROXY_PREFIX,
    SETTLED,
    VOICE_PREFIX,
    Agreement,
    Answer,
    Commitment,
    Draft,
    Due,
    EarlierCommitment,
    Owner,
    Participant,
    Role,
    SessionState,
    Status,
    StatusChange,
    UserId,
    Visibility,
    shown,
)
from bot.engine.summary import (
    RoleCounts,
    build_summary,
    endorsement_counts,
    is_shared,
    quotable,
    unnamed_answers,
    voice_counts,
)

MAX_ANSWERS_PER_STAGE = 5
# Who acts on a new commitment, and by when, until its proposer says otherwise.
DEFAULT_OWNER = Owner.BOTH
DEFAULT_DUE = Due.ONE_MONTH

Effects = list[Effect]


def new_session(
    session_id: str,
    script: Script,
    language: str | None = None,
    earlier: list[EarlierCommitment] | None = None,
) -> SessionState:
    """An unopened session; the ``Opened`` event names its first facilitator. A follow-up
    session starts with the group's earlier commitments (``bot.engine.followup``)."""
    return SessionState(
        session_id=session_id,
        script_id=script.id,
        language=language or script.language,
        earlier=list(earlier or []) if script.follows_up else [],
    )


def step(
    script: Script, state: SessionState, event: ev.Event, now: datetime
) -> tuple[SessionState, Effects]:
    """Apply one event. Pure, and a repeated event is a no-op (the same state comes back).

    Copy on write, so that an update costs what it changes and not the session's size: the
    new state is a shallow copy (its containers are new, its inner models the old ones) and a
    handler that changes an inner model puts a changed copy in its place (``_revise``).
    Storage relies on this contract: nothing reachable from the given state is ever mutated;
    an inner model (participant, answer, draft, commitment, earlier commitment) that is the
    same object in the given and the returned state is unchanged, and a changed one is a new
    object. Containers of the new state may be new objects even when unchanged.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if state.script_id != script.id:
        raise ValueError(f"state of script {state.script_id!r} given script {script.id!r}")
    if event.event_id in state.applied:
        return state, []
    meant = _meant(script, state, event)
    if meant is None:
        return state, []  # conversation, not an input: nothing to apply or remember
    new = _shallow_copy(state)
    effects = _apply(script, new, meant, now)
    new.applied.add(event.event_id)
    return new, effects


def _shallow_copy(state: SessionState) -> SessionState:
    """The state with new containers holding the same inner models: what a handler may change
    in place (``s.answers.append``, ``s.drafts.pop``, ``s.serial += 1``), and nothing more."""
    return state.model_copy(
        update={
            "facilitators": list(state.facilitators),
            "participants": dict(state.participants),
            "answers": list(state.answers),
            "drafts": dict(state.drafts),
            # One stage's choices, one statement's votes: copied when written (_own_votes).
            "choices": dict(state.choices),
            "commitments": list(state.commitments),
            "agreements": dict(state.agreements),
            "earlier": list(state.earlier),
            "applied": set(state.applied),
        }
    )


_Model = TypeVar("_Model", bound=BaseModel)
_Key = TypeVar("_Key")
_Vote = TypeVar("_Vote")


def _revised(model: _Model, changes: dict[str, Any]) -> _Model:
    """The model with these changes: the same object when they change nothing, else a new
    one. Never changed in place: it may belong to the state ``step`` was given too. A list
    in ``changes`` must be a new one (``[*c.endorsers, uid]``), not the old one changed."""
    if all(getattr(model, name) == value for name, value in changes.items()):
        return model
    return model.model_copy(update=changes)


def _revise(items: list[_Model], model: _Model, **changes: Any) -> _Model:
    """Put the revised model where ``model`` is in one of the new state's lists (answers,
    commitments, earlier commitments); returns the one now there."""
    new = _revised(model, changes)
    if new is not model:
        items[next(i for i, item in enumerate(items) if item is model)] = new
    return new


def _revise_participant(s: SessionState, participant: Participant, **changes: Any) -> Participant:
    new = _revised(participant, changes)
    s.participants[participant.user_id] = new
    return new


def _own_votes(table: dict[_Key, dict[UserId, _Vote]], key: _Key) -> dict[UserId, _Vote]:
    """One stage's choices or one statement's votes, as a copy of the new state's own, to
    write in (the old dict may be the given state's)."""
    votes = dict(table.get(key, {}))
    table[key] = votes
    return votes


def _without(votes: dict[UserId, _Vote], user_id: UserId) -> dict[UserId, _Vote]:
    """The votes without this person's: the same dict when they had none."""
    if user_id not in votes:
        return votes
    return {u: v for u, v in votes.items() if u != user_id}


def _meant(script: Script, s: SessionState, e: ev.Event) -> ev.Event | None:
    """What a person's act stands for in this state, or None when it asks nothing of the bot.

    The shell reports acts as they happened (a text replying to some message, a link followed,
    /nudge); which stage they concern, and whether they concern the dialogue at all, is decided
    here so that the rule lives in one place.
    """
    match e:
        case ev.Said():
            stage_id = _said_stage(script, s, e)
            if stage_id is None:
                return None
            return ev.Answered(
                event_id=e.event_id,
                actor=e.actor,
                actor_is_member=e.actor_is_member,
                stage_id=stage_id,
                text=e.text,
                channel=e.channel,
                source_ref=e.source_ref,
                voice=e.voice,
                about=_about(script, s, stage_id, e.replies_to),
            )
        case ev.LinkOpened():
            participant = s.participants.get(e.actor)
            joined = participant is not None and participant.active
            if e.purpose == "answer" and joined:
                return e if _private_stage(script, s) else None  # the question, asked again
            if e.purpose == "hello":
                return None
            return ev.Joined(event_id=e.event_id, actor=e.actor, actor_is_member=e.actor_is_member)
    return e


def _private_stage(script: Script, s: SessionState) -> Stage | None:
    """The open stage, if it takes a private text answer now."""
    stage = _current(script, s)
    if stage is None or s.status is not Status.RUNNING or stage.kind is not StageKind.TEXT:
        return None
    return stage if stage.channels & {Channel.PRIVATE, Channel.ANONYMOUS} else None


def _said_stage(script: Script, s: SessionState, e: ev.Said) -> str | None:
    """The stage a text answers: the prompt it replies to, else the open stage where a plain
    message counts (privately always; in the group only a participant's, on a text stage)."""
    if e.channel is not Channel.GROUP:
        current = _current(script, s)
        return current.id if current else ""
    if e.replies_to is not None and e.replies_to.startswith("earlier:"):
        follow = next((st for st in script.stages if st.kind is StageKind.EARLIER), None)
        return follow.id if follow is not None else None
    if e.replies_to is not None and e.replies_to.startswith("prompt:"):
        replied = script.stage(e.replies_to.removeprefix("prompt:"))
        if replied is not None and replied.kind not in {*TEXT_KINDS, StageKind.COMMITMENT}:
            return None  # "thank you" to an info stage, a word on a choice: conversation
        return e.replies_to.removeprefix("prompt:")
    if e.voice is not None:
        return None  # a voice note in the group answers only the prompt it replies to
    participant = s.participants.get(e.actor)
    stage = _current(script, s)
    if (
        participant is None
        or not participant.active
        or s.status is not Status.RUNNING
        or stage is None
        or stage.kind not in TEXT_KINDS
        or Channel.GROUP not in stage.channels
    ):
        return None
    return stage.id


def _about(script: Script, s: SessionState, stage_id: str, replies_to: str | None) -> str | None:
    """The earlier commitment a follow-up answer speaks of: the card it replies to, else the
    card on show."""
    stage = script.stage(stage_id)
    if stage is None or stage.kind is not StageKind.EARLIER:
        return None
    if replies_to is not None and replies_to.startswith("earlier:"):
        return replies_to.removeprefix("earlier:")
    shown = _shown_earlier(s)
    return shown.key if shown is not None else None


def _shown_earlier(s: SessionState) -> EarlierCommitment | None:
    if 0 <= s.earlier_index < len(s.earlier):
        return s.earlier[s.earlier_index]
    return None


def _lives_on(e: ev.Event) -> bool:
    """What an ended session still accepts: a wish to be forgotten, what keeps its
    commitments alive (their due-date reminders and reports of where they stand), its
    charter asked for again, and someone leaving the group (who then reports no more)."""
    if isinstance(e, ev.ReminderDue):
        return e.purpose == "due"
    return isinstance(
        e,
        ev.ParticipantErased
        | ev.CommitmentStatusReported
        | ev.CommitmentStatusCarried
        | ev.CharterRequested
        | ev.MemberLeft
        | ev.PersonRemoved,
    )


def _apply(script: Script, s: SessionState, e: ev.Event, now: datetime) -> Effects:
    again = isinstance(e, ev.SummaryRequested) and e.summary_missing  # the summary went missing
    if s.status is Status.ENDED and not (_lives_on(e) or again):
        return _tell(e, Notice.SESSION_ENDED) if isinstance(e, ev._ByPerson) else []
    if s.opened_at is None and not isinstance(e, ev.Opened | ev.ParticipantErased):
        return _tell(e, Notice.NOT_RUNNING) if isinstance(e, ev._ByPerson) else []
    if isinstance(e, ev._ByPerson) and e.actor_is_member is False:
        return _tell(e, Notice.NOT_A_MEMBER)  # not in the group: joins, answers, votes nothing
    if isinstance(e, ev.PRIVILEGED) and not _authorised(s, e):
        return _tell(e, Notice.NOT_FACILITATOR)
    handler = _HANDLERS[type(e)]
    return handler(script, s, e, now)


# --- helpers ---------------------------------------------------------------------------------


def _reply(code: Notice, **params: str | int) -> Effects:
    """An answer where the actor acted: only for buttons (a popup), private acts and ✓."""
    return [Reply(view=NoticeView(code=code, params=params))]


# Events only a button causes: whatever they are told goes in the button's popup.
_BUTTON_EVENTS = (
    ev.Consented,
    ev.RoleChosen,
    ev.ShareChosen,
    ev.ChoiceToggled,
    ev.AgreementSet,
    ev.CommitmentOwnerSet,
    ev.CommitmentDueSet,
    ev.EndorsementToggled,
    ev.QuoteConsentSet,
    ev.EndDeclined,
    ev.CommitmentStatusReported,
    ev.ActedFor,
)


def _by_button(e: ev._ByPerson) -> bool:
    if isinstance(e, ev.NudgeRequested):
        return e.stage_id is not None  # the status message's button names its stage
    if isinstance(e, ev.SessionLanguageSet):
        return e.by_button  # the private question after /newsession, or /language in the group
    if isinstance(e, ev.Ended | ev.PersonRemoved):
        return e.confirmed  # confirmed with the button of the question the command asked
    if isinstance(e, ev.ProxyCardAsked):
        return e.by_button  # the button under /addperson's answer, or /for N alone
    return isinstance(e, _BUTTON_EVENTS)


def _tell(e: ev._ByPerson, code: Notice, **params: str | int) -> Effects:
    """A notice for the actor alone: a pressed button's popup, else a private message.

    Never a message in the group: a refusal there (not a participant, the stage is closed, too
    short, not a facilitator) would cost the group's message budget and tell everyone about one
    person's mistake.
    """
    if _by_button(e):
        return _reply(code, **params)
    return [_notice(e.actor, code, **params)]


def _notice(user_id: UserId, code: Notice, **params: str | int) -> Send:
    return Send(to=Person(user_id=user_id), view=NoticeView(code=code, params=params))


def _authorised(s: SessionState, e: ev._Privileged) -> bool:
    return s.is_facilitator(e.actor) or e.actor_is_admin


def _current(script: Script, s: SessionState) -> Stage | None:
    if 0 <= s.stage_index < len(script.stages):
        return script.stages[s.stage_index]
    return None


# A reminder that falls in a pause waits this long, doubling up to the maximum while the pause
# lasts: ten minutes after /resume at worst for a short pause, a few calls a day for a long one.
SNOOZE_MINUTES = 10
MAX_SNOOZE_MINUTES = 240


def _open_stage(script: Script, s: SessionState, stage_id: str) -> Stage | None:
    """The stage if it is the one open for answers right now."""
    stage = _current(script, s)
    if s.status is Status.RUNNING and stage is not None and stage.id == stage_id:
        return stage
    return None


def _next_id(s: SessionState, prefix: str) -> str:
    s.serial += 1
    return f"{prefix}{s.serial}"


def _voices(s: SessionState, stage: Stage) -> set[UserId]:
    """Who has contributed to a stage, whatever its kind."""
    if stage.kind in CHOICE_KINDS:
        return set(s.choices.get(stage.id, {}))
    if stage.kind is StageKind.COMMITMENT:
        return {c.proposer for c in s.commitments if c.stage_id == stage.id}
    return {a.user_id for a in s.answers if a.stage_id == stage.id}


def _prompt_view(script: Script, s: SessionState, stage: Stage, *, open_: bool) -> PromptView:
    tally: dict[str, int] = {}
    if stage.kind in CHOICE_KINDS:
        votes = s.choices.get(stage.id, {})
        tally = {o.id: sum(o.id in picked for picked in votes.values()) for o in stage.options}
    return PromptView(
        script_id=script.id,
        stage_id=stage.id,
        number=script.index(stage.id) + 1,
        total=len(script.stages),
        open=open_,
        answered=voice_counts(s, stage),
        tally=tally,
    )


def _refresh_prompt(script: Script, s: SessionState, stage: Stage) -> Edit:
    is_open = _open_stage(script, s, stage.id) is not None
    return Edit(key=f"prompt:{stage.id}", view=_prompt_view(script, s, stage, open_=is_open))


def _release(script: Script, s: SessionState, stage: Stage, *, closing: bool = False) -> Effects:
    """Post the stage's held anonymous answers once ``privacy_threshold`` people have answered
    it, or as it closes: all together, so the moment one appears points at nobody."""
    held = [a for a in s.answers_for(stage.id) if a.held]
    if not held or not (closing or len(_voices(s, stage)) >= script.privacy_threshold):
        return []
    shown = [_revise(s.answers, answer, held=False) for answer in held]
    return [
        Send(to=Group(), view=_shared_view(script, s, a, None), key=f"share:{a.id}") for a in shown
    ]


def _welcome(script: Script, s: SessionState) -> WelcomeView:
    active = [p.role for p in s.participants.values() if p.active and p.role]
    return WelcomeView(script_id=script.id, status=s.status, participants=RoleCounts.of(active))


def _commitment_view(s: SessionState, c: Commitment) -> CommitmentView:
    proposer = s.participants.get(c.proposer)
    return CommitmentView(
        commitment_id=c.id,
        text=c.text,
        proposer=proposer.name if proposer else "",
        owner=c.owner,
        due=c.due,
        due_date=c.due_date.date().isoformat() if c.due_date else None,
        endorsements=endorsement_counts(c, s),
        shared=is_shared(c, s),
        open=s.status is not Status.ENDED,
    )


def _active(s: SessionState, user_id: UserId) -> Participant | None:
    p = s.participants.get(user_id)
    return p if p is not None and p.active else None


def _leave_stage(script: Script, s: SessionState) -> Effects:
    """Close the open stage's prompt (its buttons go) and its reminders."""
    stage = _current(script, s)
    if stage is None:
        return []
    effects: Effects = [
        Edit(key=f"prompt:{stage.id}", view=_prompt_view(script, s, stage, open_=False)),
        *_release(script, s, stage, closing=True),
    ]
    if stage.kind is StageKind.EARLIER and (shown := _shown_earlier(s)) is not None:
        effects.append(_earlier_edit(s, shown, open_=False))
    if stage.nudge_after_minutes:
        effects.append(Cancel(name=f"nudge:{stage.id}"))
    if stage.timebox_minutes:
        effects.append(Cancel(name=f"timebox:{stage.id}"))
    return effects


def _enter_stage(script: Script, s: SessionState, index: int, now: datetime) -> Effects:
    s.stage_index = index
    s.status = Status.RUNNING
    s.stage_opened_at = now
    stage = script.stages[index]
    effects: Effects = [
        Send(to=Group(), view=_prompt_view(script, s, stage, open_=True), key=f"prompt:{stage.id}")
    ]
    if stage.kind is StageKind.REVIEW:
        effects.append(
            Send(to=Group(), view=SummaryView(summary=build_summary(script, s)), key="summary")
        )
    if stage.kind is StageKind.EARLIER:
        effects += _first_earlier(s)
    for purpose, minutes in (
        ("nudge", stage.nudge_after_minutes),
        ("timebox", stage.timebox_minutes),
    ):
        if minutes:
            effects.append(
                Schedule(
                    name=f"{purpose}:{stage.id}",
                    at=now + timedelta(minutes=minutes),
                    event=ev.ReminderDue(
                        event_id=f"reminder:{s.session_id}:{_next_id(s, purpose)}",
                        stage_id=stage.id,
                        purpose=purpose,
                    ),
                )
            )
    return effects


def _nudge_quiet(script: Script, s: SessionState, stage: Stage) -> list[UserId]:
    spoken = _voices(s, stage)
    return [u for u, p in s.participants.items() if p.active and not p.proxy and u not in spoken]


# --- handlers, one per event -----------------------------------------------------------------


def _opened(script: Script, s: SessionState, e: ev.Opened, now: datetime) -> Effects:
    if s.opened_at is not None:
        return []
    s.facilitators = [e.actor]
    s.opened_at = now
    if e.language:
        s.language = e.language
    return [Send(to=Group(), view=_welcome(script, s), key="welcome"), Pin(key="welcome")]


def _facilitator_added(
    script: Script, s: SessionState, e: ev.FacilitatorAdded, now: datetime
) -> Effects:
    if e.user_id not in s.facilitators:
        s.facilitators.append(e.user_id)
    return _reply(Notice.FACILITATOR_ADDED)


def _joined(script: Script, s: SessionState, e: ev.Joined, now: datetime) -> Effects:
    participant = s.participants.get(e.actor)
    if participant is not None and participant.active:
        return _tell(e, Notice.ALREADY_JOINED)
    if participant is not None and participant.left:
        # Back in the group, and here again with the role they chose.
        participant = _revise_participant(s, participant, left=False)
        if participant.role is not None:
            welcome = Edit(key="welcome", view=_welcome(script, s))
            return [welcome, _notice(e.actor, Notice.JOINED, role=participant.role.value)]
    if participant is not None:  # consented, role still to choose
        return [_notice(e.actor, Notice.CHOOSE_ROLE)]
    # Nothing is kept before consent: the request itself carries all we need.
    return [_notice(e.actor, Notice.CONSENT_REQUEST)]


def _link_opened(script: Script, s: SessionState, e: ev.LinkOpened, now: datetime) -> Effects:
    """ "Answer privately" pressed by a participant: the question itself, in the private chat,
    so nobody has to go back to the group to read what was asked."""
    stage = _private_stage(script, s)
    return [_notice(e.actor, Notice.ANSWER_HERE, stage_id=stage.id)] if stage else []


def _consented(script: Script, s: SessionState, e: ev.Consented, now: datetime) -> Effects:
    participant = s.participants.get(e.actor)
    if not e.accept:
        effects = _erase(script, s, e.actor) if participant else []
        return [*effects, *_reply(Notice.CONSENT_DECLINED)]
    if participant is not None:
        if participant.active:
            return _reply(Notice.ALREADY_JOINED)
        return [_notice(e.actor, Notice.CHOOSE_ROLE)]
    s.participants[e.actor] = Participant(
        user_id=e.actor,
        name=e.name.strip()[:64] or "?",
        language=e.language,
        consented=True,
        consent_version=CONSENT_VERSION,
        joined_at=now,
    )
    return [_notice(e.actor, Notice.CHOOSE_ROLE)]


def _role_chosen(script: Script, s: SessionState, e: ev.RoleChosen, now: datetime) -> Effects:
    """A role is chosen once: an old role button pressed again changes nothing (it says how
    to change a role), unless the participant asked with /role; then everything counted by
    role (welcome, open prompt, commitment cards, draft) is counted again."""
    participant = s.participants.get(e.actor)
    if participant is None or not participant.consented:
        return _reply(Notice.JOIN_FIRST)
    if participant.role is not None and not participant.role_change:
        return _reply(Notice.ROLE_KEPT, role=participant.role.value)
    first_time = participant.role is None
    _revise_participant(s, participant, role=e.role, role_change=False)
    effects: Effects = [Edit(key="welcome", view=_welcome(script, s))]
    if first_time:
        return [*effects, _notice(e.actor, Notice.JOINED, role=e.role.value)]
    return [
        *effects,
        *_recount(script, s, e.actor),
        *_reply(Notice.ROLE_CHANGED, role=e.role.value),
    ]


def _recount(script: Script, s: SessionState, user_id: UserId) -> Effects:
    """What the group was shown that counts this person by role, redrawn after a change."""
    effects: Effects = [
        Edit(key=f"commitment:{c.id}", view=_commitment_view(s, c))
        for c in s.commitments
        if user_id in c.endorsers or c.proposer == user_id
    ]
    stage = _current(script, s)
    if stage is not None and s.status is not Status.ENDED:
        effects.append(_refresh_prompt(script, s, stage))
        if stage.kind is StageKind.REVIEW:
            effects.append(Edit(key="draft", view=SummaryView(summary=build_summary(script, s))))
    return effects


def _role_change_asked(
    script: Script, s: SessionState, e: ev.RoleChangeAsked, now: datetime
) -> Effects:
    participant = _active(s, e.actor)
    if participant is None:
        return _tell(e, Notice.JOIN_FIRST)
    _revise_participant(s, participant, role_change=True)
    return [_notice(e.actor, Notice.CHANGE_ROLE)]


# Characters that show nothing beyond the format characters (zero-width space, joiners, the
# byte-order mark…): the blank fillers keyboards offer for sending an "empty" message.
_BLANKS = frozenset("\u2800\u3164\u115f\u1160\uffa0")


def visible_length(text: str) -> int:
    """How many characters of ``text`` a reader sees: zero-width and blank characters are not
    counted, nor the spaces left at either end without them, so an answer of nothing visible
    is measured as empty (what is kept is left as written)."""
    shown = "".join(ch for ch in text if ch not in _BLANKS and unicodedata.category(ch) != "Cf")
    return len(shown.strip())


def _check_text(e: ev._ByPerson, stage: Stage, text: str) -> Effects:
    if visible_length(text) < stage.min_length:
        return _tell(e, Notice.TOO_SHORT, min=stage.min_length)
    if len(text) > stage.max_length:
        return _tell(e, Notice.TOO_LONG, max=stage.max_length)
    return []


def _answered(script: Script, s: SessionState, e: ev.Answered, now: datetime) -> Effects:
    if _active(s, e.actor) is None:
        return _tell(e, Notice.JOIN_FIRST)
    if s.status is not Status.RUNNING:
        return _tell(e, Notice.NOT_RUNNING)
    stage = _open_stage(script, s, e.stage_id)
    if stage is None:
        return _tell(e, Notice.STAGE_NOT_OPEN)
    if stage.kind not in {*TEXT_KINDS, StageKind.COMMITMENT}:
        return _tell(e, Notice.NOT_HERE)
    private = e.channel is not Channel.GROUP
    allowed = stage.channels
    if (private and not allowed & {Channel.PRIVATE, Channel.ANONYMOUS}) or (
        not private and Channel.GROUP not in allowed
    ):
        return _tell(e, Notice.NOT_HERE)
    if e.voice is not None and stage.kind is StageKind.COMMITMENT:
        return _tell(e, Notice.NOT_HERE)  # a proposal is read on its card: it must be written
    text = VOICE_PREFIX + e.voice if e.voice is not None else e.text.strip()
    if e.voice is None and (refusal := _check_text(e, stage, text)):
        return refusal
    if stage.kind is StageKind.COMMITMENT:
        return _propose(script, s, e, stage, text, now)
    if private:
        s.drafts[e.actor] = Draft(
            stage_id=stage.id, text=text, source_ref=e.source_ref, created_at=now, about=e.about
        )
        choices = _visibilities(stage)
        warning = e.voice is not None and Visibility.ANONYMOUS in choices
        warned: Effects = [_notice(e.actor, Notice.VOICE_RECOGNISABLE)] if warning else []
        choice = ",".join(v.value for v in choices)
        return [*warned, _notice(e.actor, Notice.SHARE_CHOICE, stage_id=stage.id, choices=choice)]
    if stage.kind is StageKind.TEXT and e.voice is None and small_talk(text):
        return _ask_to_keep(s, e, stage, text, now)
    if sum(a.user_id == e.actor for a in s.answers_for(stage.id)) >= MAX_ANSWERS_PER_STAGE:
        return _tell(e, Notice.TOO_MANY_ANSWERS, max=MAX_ANSWERS_PER_STAGE)
    s.answers.append(
        Answer(
            id=_next_id(s, "a"),
            stage_id=stage.id,
            user_id=e.actor,
            text=text,
            visibility=Visibility.NAMED,
            source_ref=e.source_ref,
            created_at=now,
            about=e.about,
        )
    )
    effects: Effects = [_refresh_prompt(script, s, stage), *_release(script, s, stage)]
    if stage.agree:  # a statement of the shared vision: a card with the vote buttons under it
        answer = s.answers[-1]
        card = _statement_view(script, s, answer)
        effects.append(
            Send(to=Group(), view=card, key=f"statement:{answer.id}", reply_to=e.source_ref)
        )
    if e.source_ref:
        effects.append(React(source_ref=e.source_ref))
    return effects


# What people say to each other rather than to the question, in the four languages: a group
# message that is only this (or any question) is not counted without its author's word.
_SMALL_TALK = frozenset(
    {
        *("ok", "okay", "oke", "yes", "no", "thanks", "thank you", "thank you all", "good"),
        *("hello", "hi", "agreed", "i agree", "same", "me too", "👍", "🙏", "👏"),
        *("merci", "merci beaucoup", "oui", "non", "d'accord", "bonjour", "moi aussi"),
        *("asante", "asante sana", "ndiyo", "hapana", "sawa", "habari", "karibu"),
        *("murakoze", "urakoze", "ego", "oya", "amahoro", "ni vyo", "nivyo", "ndabishigikiye"),
    }
)


def small_talk(text: str) -> bool:
    """Whether a group message reads as conversation: a courtesy, a yes or no, a question."""
    said = " ".join(text.lower().replace("’", "'").split()).strip(" .!…,")
    return said in _SMALL_TALK or said.endswith("?")


def _ask_to_keep(
    s: SessionState, e: ev.Answered, stage: Stage, text: str, now: datetime
) -> Effects:
    """Small talk in the group: not counted; its author is asked privately, with one button,
    whether it was their answer (nothing in the group). A private draft is never replaced."""
    if e.actor in s.drafts and not s.drafts[e.actor].in_group:
        return []
    s.drafts[e.actor] = Draft(
        stage_id=stage.id, text=text, source_ref=e.source_ref, created_at=now, in_group=True
    )
    return [_notice(e.actor, Notice.KEEP_AS_ANSWER, stage_id=stage.id, text=text)]


def _answer_kept(script: Script, s: SessionState, e: ev.AnswerKept, now: datetime) -> Effects:
    """ "Keep as my answer": the group message counts as the named answer it was."""
    draft = s.drafts.get(e.actor)
    stage = _open_stage(script, s, draft.stage_id) if draft else None
    if draft is None or not draft.in_group or _active(s, e.actor) is None:
        return _reply(Notice.NO_DRAFT)
    if stage is None or (refusal := _full(s, e.actor, stage)):
        return refusal if stage else _reply(Notice.STAGE_NOT_OPEN)
    del s.drafts[e.actor]
    s.answers.append(
        Answer(
            id=_next_id(s, "a"),
            stage_id=stage.id,
            user_id=e.actor,
            text=draft.text,
            visibility=Visibility.NAMED,
            source_ref=draft.source_ref,
            created_at=now,
        )
    )
    effects = [_refresh_prompt(script, s, stage), *_release(script, s, stage)]
    if draft.source_ref:
        effects.append(React(source_ref=draft.source_ref))
    return [*effects, *_reply(Notice.DONE)]


def _full(s: SessionState, actor: UserId, stage: Stage) -> Effects:
    """The refusal when this person already gave the most answers a stage takes."""
    if sum(a.user_id == actor for a in s.answers_for(stage.id)) >= MAX_ANSWERS_PER_STAGE:
        return _reply(Notice.TOO_MANY_ANSWERS, max=MAX_ANSWERS_PER_STAGE)
    return []


def _visibilities(stage: Stage) -> list[Visibility]:
    """How a privately written answer to this stage may be shown, as the script allows."""
    options: list[Visibility] = []
    if Channel.PRIVATE in stage.channels:
        options.append(Visibility.NAMED)
    if Channel.ANONYMOUS in stage.channels:
        options.append(Visibility.ANONYMOUS)
    options.append(Visibility.FACILITATORS)
    return options


def _propose(
    script: Script, s: SessionState, e: ev.Answered, stage: Stage, text: str, now: datetime
) -> Effects:
    """A commitment at once, with who and when chosen for now; its proposer is asked privately
    whether to change them, and everyone can endorse it on its card from the start."""
    days = DUE_DAYS[DEFAULT_DUE]
    commitment = Commitment(
        id=_next_id(s, "c"),
        stage_id=stage.id,
        text=text,
        proposer=e.actor,
        owner=DEFAULT_OWNER,
        due=DEFAULT_DUE,
        due_date=now + timedelta(days=days) if days is not None else None,
        created_at=now,
        source_ref=e.source_ref,
    )
    s.commitments.append(commitment)
    card = _commitment_view(s, commitment)
    return [
        Send(to=Group(), view=card, key=f"commitment:{commitment.id}", reply_to=e.source_ref),
        _due_reminder(s, commitment),
        _refresh_prompt(script, s, stage),
        _notice(
            e.actor,
            Notice.COMMITMENT_DEFAULTS,
            commitment_id=commitment.id,
            owner=DEFAULT_OWNER.value,
            due=DEFAULT_DUE.value,
            due_date=card.due_date or "",
        ),
    ]


def _share_chosen(script: Script, s: SessionState, e: ev.ShareChosen, now: datetime) -> Effects:
    author = _active(s, e.actor)
    draft = s.drafts.get(e.actor)
    if author is None or draft is None or draft.in_group:  # small talk is kept, not shared
        return _reply(Notice.NO_DRAFT)
    stage = script.stage(draft.stage_id)
    if stage is None or e.visibility not in _visibilities(stage):
        return _reply(Notice.NOT_HERE)
    if _open_stage(script, s, stage.id) is None:
        # Kept as a draft (the author can still see it with /mydata), but the moment passed.
        return _reply(Notice.STAGE_NOT_OPEN)
    if refusal := _full(s, e.actor, stage):
        return refusal
    del s.drafts[e.actor]
    answer = Answer(
        id=_next_id(s, "a"),
        stage_id=stage.id,
        user_id=e.actor,
        text=draft.text,
        visibility=e.visibility,
        source_ref=draft.source_ref,
        via_private=True,
        created_at=now,
        held=e.visibility is Visibility.ANONYMOUS,
        about=draft.about,
    )
    s.answers.append(answer)
    effects: Effects = []
    if e.visibility is Visibility.NAMED:
        view = _shared_view(script, s, answer, author.name)
        effects.append(Send(to=Group(), view=view, key=f"share:{answer.id}"))
    effects += _release(script, s, stage)
    effects.append(_refresh_prompt(script, s, stage))
    if s.answers[-1].held:  # the answer as it is now: released with the others, or held
        return [*effects, *_reply(Notice.SHARED_HELD, k=script.privacy_threshold)]
    return [*effects, *_reply(Notice.SHARED, visibility=e.visibility.value)]


def _shared_view(
    script: Script, s: SessionState, answer: Answer, author: str | None
) -> SharedAnswerView:
    """A privately written answer as the group sees it; on an ``agree`` stage, with its votes."""
    agreeable = _agreeable(script, answer)
    return SharedAnswerView(
        script_id=script.id,
        stage_id=answer.stage_id,
        text=answer.text,
        author=author,
        answer_id=answer.id if agreeable else "",
        tally=_tally(s, answer.id) if agreeable else None,
    )


# --- the shared vision: Agree / Not sure / Disagree on each statement -------------------------


def _agreeable(script: Script, answer: Answer) -> bool:
    """Whether the group may vote on this answer: on an ``agree`` stage, and shown to it."""
    stage = script.stage(answer.stage_id)
    return (
        stage is not None
        and stage.agree
        and answer.visibility is not Visibility.FACILITATORS
        and not answer.held
    )


def _tally(s: SessionState, answer_id: str) -> AgreementTally:
    votes = list(s.agreements.get(answer_id, {}).values())
    return AgreementTally(
        agree=votes.count(Agreement.AGREE),
        unsure=votes.count(Agreement.UNSURE),
        disagree=votes.count(Agreement.DISAGREE),
    )


def _statement_key(answer: Answer) -> str:
    """The message that carries a statement's votes: the bot's own post of a shared answer,
    or the card it put under a group reply."""
    return f"share:{answer.id}" if answer.via_private else f"statement:{answer.id}"


def _statement_card(script: Script, s: SessionState, answer: Answer) -> Edit:
    """The statement's message, redrawn with its votes as they are now."""
    if answer.via_private:
        author = s.participants.get(answer.user_id)
        named = answer.visibility is Visibility.NAMED and author is not None
        view: SharedAnswerView | StatementView = _shared_view(
            script, s, answer, author.name if named and author else None
        )
    else:
        view = _statement_view(script, s, answer)
    return Edit(key=_statement_key(answer), view=view)


def _statement_view(script: Script, s: SessionState, answer: Answer) -> StatementView:
    return StatementView(
        script_id=script.id,
        stage_id=answer.stage_id,
        answer_id=answer.id,
        text=answer.text,
        tally=_tally(s, answer.id),
    )


def _agreement_set(script: Script, s: SessionState, e: ev.AgreementSet, now: datetime) -> Effects:
    """One vote per participant per statement; a later vote replaces the earlier one. The voter
    is answered in the button's popup (free); the group sees one edit of the statement's
    message, which the sender folds together with the edits queued after it."""
    if _active(s, e.actor) is None:
        return _reply(Notice.JOIN_FIRST)
    answer = next((a for a in s.answers if a.id == e.answer_id), None)
    if answer is None or not _agreeable(script, answer):
        return _reply(Notice.UNKNOWN_STATEMENT)
    if s.agreements.get(answer.id, {}).get(e.actor) is e.vote:
        return _reply(Notice.VOTED, vote=e.vote.value)  # nothing changes on screen
    _own_votes(s.agreements, answer.id)[e.actor] = e.vote
    return [_statement_card(script, s, answer), *_reply(Notice.VOTED, vote=e.vote.value)]


def _answer_edited(script: Script, s: SessionState, e: ev.AnswerEdited, now: datetime) -> Effects:
    text = e.text.strip()
    for given in s.answers:
        if given.source_ref == e.source_ref and given.user_id == e.actor:
            stage = script.stage(given.stage_id)
            if stage is None or (refusal := _check_text(e, stage, text)):
                return refusal if stage else []
            answer = _revise(s.answers, given, text=text, edited_at=now)
            if answer.visibility is Visibility.FACILITATORS or answer.held:
                return _tell(e, Notice.ANSWER_UPDATED)  # nothing in the group shows it yet
            if answer.posted_by_bot:
                author = s.participants[answer.user_id]
                shown = author.name if answer.visibility is Visibility.NAMED else None
                return [
                    Edit(key=f"share:{answer.id}", view=_shared_view(script, s, answer, shown)),
                    *_tell(e, Notice.ANSWER_UPDATED),
                ]
            if _agreeable(script, answer):  # its vote card quotes the words it replies to
                return [_statement_card(script, s, answer)]
            return []  # a group reply edited in place: the group already sees the new text
    for proposed in s.commitments:
        if proposed.source_ref == e.source_ref and proposed.proposer == e.actor:
            stage = script.stage(proposed.stage_id)
            if stage is None or (refusal := _check_text(e, stage, text)):
                return refusal if stage else []
            commitment = _revise(s.commitments, proposed, text=text)
            return [Edit(key=f"commitment:{commitment.id}", view=_commitment_view(s, commitment))]
    draft = s.drafts.get(e.actor)
    if draft is not None and draft.source_ref == e.source_ref:
        stage = script.stage(draft.stage_id)
        if stage is not None and (refusal := _check_text(e, stage, text)):
            return refusal
        s.drafts[e.actor] = _revised(draft, {"text": text})
        return []
    return []  # someone edited a message that was never an answer: nothing to do


def _choice_toggled(
    script: Script, s: SessionState, e: ev.ChoiceToggled, now: datetime
) -> Effects:
    if _active(s, e.actor) is None:
        return _reply(Notice.JOIN_FIRST)
    stage = _open_stage(script, s, e.stage_id)
    if stage is None or stage.kind not in CHOICE_KINDS:
        return _reply(Notice.STAGE_NOT_OPEN)
    if all(o.id != e.option_id for o in stage.options):
        return _reply(Notice.UNKNOWN_OPTION)
    picked = s.choices.get(stage.id, {}).get(e.actor, [])
    if e.option_id in picked:
        picked = [o for o in picked if o != e.option_id]
    elif stage.kind is StageKind.CHOICE:
        picked = [e.option_id]
    else:
        limit = stage.max_choices or len(stage.options)
        if len(picked) >= limit:
            return _reply(Notice.CHOICES_FULL, max=limit)
        picked = [*picked, e.option_id]
    votes = _own_votes(s.choices, stage.id)
    if picked:
        votes[e.actor] = picked
    else:
        votes.pop(e.actor, None)
    return [_refresh_prompt(script, s, stage), *_reply(Notice.DONE)]


def _editable_commitment(
    s: SessionState, actor: UserId, commitment_id: str
) -> Commitment | Effects:
    commitment = s.commitment(commitment_id)
    if commitment is None:
        return _reply(Notice.UNKNOWN_COMMITMENT)
    if actor != commitment.proposer and not s.is_facilitator(actor):
        return _reply(Notice.NOT_PROPOSER)
    return commitment


def _owner_set(
    script: Script, s: SessionState, e: ev.CommitmentOwnerSet, now: datetime
) -> Effects:
    found = _editable_commitment(s, e.actor, e.commitment_id)
    if not isinstance(found, Commitment):
        return found
    found = _revise(s.commitments, found, owner=e.owner)
    return [
        Edit(key=f"commitment:{found.id}", view=_commitment_view(s, found)),
        *_reply(Notice.DONE),
    ]


def _due_set(script: Script, s: SessionState, e: ev.CommitmentDueSet, now: datetime) -> Effects:
    found = _editable_commitment(s, e.actor, e.commitment_id)
    if not isinstance(found, Commitment):
        return found
    days = DUE_DAYS[e.due]
    due_date = now + timedelta(days=days) if days is not None else None
    found = _revise(s.commitments, found, due=e.due, due_date=due_date)
    return [
        Edit(key=f"commitment:{found.id}", view=_commitment_view(s, found)),
        _due_reminder(s, found),
        *_reply(Notice.DONE),
    ]


def _due_reminder(s: SessionState, c: Commitment) -> Schedule | Cancel:
    """The one reminder the group gets when a commitment's date comes (none without a date).

    It lives in the reminders table like a stage's nudge, so it survives restarts, and it is
    fed back after the session has ended too: commitments outlive their meeting.
    """
    name = f"due:{c.id}"
    if c.due_date is None:
        return Cancel(name=name)
    due = ev.ReminderDue(
        event_id=f"reminder:{s.session_id}:{_next_id(s, 'due')}",
        stage_id=c.stage_id,
        purpose="due",
        commitment_id=c.id,
    )
    return Schedule(name=name, at=c.due_date, event=due)


# Who stands on each owners' side: local leaders are residents, not officers.
_SIDES: dict[Owner, frozenset[Role]] = {
    Owner.POLICE: frozenset({Role.POLICE}),
    Owner.RESIDENTS: frozenset({Role.RESIDENT, Role.LEADER}),
    Owner.BOTH: frozenset({Role.POLICE, Role.RESIDENT, Role.LEADER}),
}


def may_report(s: SessionState, actor: UserId, owner: Owner | None) -> bool:
    """A facilitator, or a participant of the side that acts, may say how a commitment stands."""
    if s.is_facilitator(actor):
        return True
    participant = _active(s, actor)
    return participant is not None and participant.role in _SIDES[owner or Owner.BOTH]


def _due_view(c: Commitment) -> DueView:
    return DueView(
        commitment_id=c.id,
        text=c.text,
        owner=c.owner,
        due_date=c.due_date.date().isoformat() if c.due_date else None,
        status=c.status,
        status_date=c.history[-1].at.date().isoformat() if c.history else None,
    )


def _status_reported(
    script: Script, s: SessionState, e: ev.CommitmentStatusReported, now: datetime
) -> Effects:
    """A new status, dated; the reminder in the group shows it with one edit, the presser
    hears it in a popup (free), and a commitment settled before its date needs no reminder."""
    if (earlier := s.earlier_one(e.commitment_id)) is not None:
        return _earlier_reported(script, s, e, earlier, now)
    commitment = s.commitment(e.commitment_id)
    if commitment is None:
        return _reply(Notice.UNKNOWN_COMMITMENT)
    if not may_report(s, e.actor, commitment.owner):
        return _reply(Notice.NOT_OWNER, owner=(commitment.owner or Owner.BOTH).value)
    saved = _reply(Notice.STATUS_SAVED, status=e.status.value)
    if e.status is commitment.status:
        return saved
    change = StatusChange(status=e.status, at=now)
    commitment = _revise(s.commitments, commitment, history=[*commitment.history, change])
    effects: Effects = []
    if commitment.reminded_at is not None:
        effects.append(Edit(key=f"due:{commitment.id}", view=_due_view(commitment)))
    elif e.status in SETTLED:
        effects.append(Cancel(name=f"due:{commitment.id}"))
    return [*effects, *saved]


def _earlier_reported(
    script: Script,
    s: SessionState,
    e: ev.CommitmentStatusReported,
    earlier: EarlierCommitment,
    now: datetime,
) -> Effects:
    """In a follow-up: the card shows the new status, and the report is carried to the
    session that made the commitment, where its record lives on."""
    if not may_report(s, e.actor, earlier.owner):
        return _reply(Notice.NOT_OWNER, owner=(earlier.owner or Owner.BOTH).value)
    saved = _reply(Notice.STATUS_SAVED, status=e.status.value)
    if e.status is earlier.status:
        return saved
    change = StatusChange(status=e.status, at=now)
    earlier = _revise(s.earlier, earlier, history=[*earlier.history, change])
    shown = _shown_earlier(s) is earlier and _current_kind(script, s) is StageKind.EARLIER
    carried = ev.CommitmentStatusCarried(
        event_id=f"carried:{s.session_id}:{_next_id(s, 'r')}",
        commitment_id=earlier.commitment_id,
        status=e.status,
    )
    return [
        _earlier_edit(s, earlier, open_=shown),
        Relay(session_id=earlier.origin, event=carried),
        *saved,
    ]


def _current_kind(script: Script, s: SessionState) -> StageKind | None:
    stage = _current(script, s)
    return stage.kind if stage is not None and s.status is not Status.ENDED else None


def _status_carried(
    script: Script, s: SessionState, e: ev.CommitmentStatusCarried, now: datetime
) -> Effects:
    """A follow-up's report, already checked there: recorded, and the reminder redrawn."""
    commitment = s.commitment(e.commitment_id)
    if commitment is None or commitment.status is e.status:
        return []
    change = StatusChange(status=e.status, at=now)
    commitment = _revise(s.commitments, commitment, history=[*commitment.history, change])
    if commitment.reminded_at is not None:
        return [Edit(key=f"due:{commitment.id}", view=_due_view(commitment))]
    if e.status in SETTLED:
        return [Cancel(name=f"due:{commitment.id}")]
    return []


def _commitment_due(s: SessionState, e: ev.ReminderDue, now: datetime) -> Effects:
    """The group's one reminder of a commitment whose date has come, unless it is settled."""
    commitment = s.commitment(e.commitment_id or "")
    if commitment is None or commitment.status in SETTLED or commitment.reminded_at:
        return []
    commitment = _revise(s.commitments, commitment, reminded_at=now)
    return [Send(to=Group(), view=_due_view(commitment), key=f"due:{commitment.id}")]


def _endorsement_toggled(
    script: Script, s: SessionState, e: ev.EndorsementToggled, now: datetime
) -> Effects:
    if _active(s, e.actor) is None:
        return _reply(Notice.JOIN_FIRST)
    commitment = s.commitment(e.commitment_id)
    if commitment is None:
        return _reply(Notice.UNKNOWN_COMMITMENT)
    if e.actor in commitment.endorsers:
        endorsers = [u for u in commitment.endorsers if u != e.actor]
        code = Notice.UNENDORSED
    else:
        endorsers = [*commitment.endorsers, e.actor]
        code = Notice.ENDORSED
    commitment = _revise(s.commitments, commitment, endorsers=endorsers)
    return [
        Edit(key=f"commitment:{commitment.id}", view=_commitment_view(s, commitment)),
        *_reply(code),
    ]


def _quote_consent(
    script: Script, s: SessionState, e: ev.QuoteConsentSet, now: datetime
) -> Effects:
    participant = _active(s, e.actor)
    if participant is None:
        return _reply(Notice.JOIN_FIRST)
    _revise_participant(s, participant, quote_consent=e.allow)
    effects: Effects = _reply(Notice.QUOTE_CONSENT_SAVED, allow=int(e.allow))
    stage = _current(script, s)
    if stage is not None and stage.kind is StageKind.REVIEW:
        effects.insert(0, Edit(key="summary", view=SummaryView(summary=build_summary(script, s))))
    return effects


def _moved_already(script: Script, s: SessionState, e: ev.Advanced | ev.WentBack) -> Effects:
    """A privately told refusal if the move was issued from a stage the session has left.

    A facilitator who sees nothing happen presses /next again; both presses carry the stage the
    group was shown, so the second one, meant for a stage already left, moves nothing. If the
    open stage's prompt never reached the group (``prompt_missing``), it is shown again: the
    facilitator has nothing else to go on.
    """
    stage = _current(script, s)
    if e.seen_index is None or e.seen_index == s.stage_index or stage is None:
        return []
    again: Effects = []
    if e.prompt_missing:
        view = _prompt_view(script, s, stage, open_=_open_stage(script, s, stage.id) is not None)
        again.append(Send(to=Group(), view=view, key=f"prompt:{stage.id}"))
    return [
        *again,
        _notice(
            e.actor,
            Notice.ALREADY_ON_STAGE,
            stage_id=stage.id,
            number=s.stage_index + 1,
            total=len(script.stages),
        ),
    ]


def _advanced(script: Script, s: SessionState, e: ev.Advanced, now: datetime) -> Effects:
    if stale := _moved_already(script, s, e):
        return stale
    if s.status is Status.PAUSED:
        return _tell(e, Notice.NOT_RUNNING)
    if (card := _step_earlier(script, s, +1)) is not None:
        return card
    if s.stage_index >= len(script.stages) - 1:
        return _tell(e, Notice.AT_LAST_STAGE)
    return [*_leave_stage(script, s), *_enter_stage(script, s, s.stage_index + 1, now)]


def _went_back(script: Script, s: SessionState, e: ev.WentBack, now: datetime) -> Effects:
    if stale := _moved_already(script, s, e):
        return stale
    if s.status is Status.PAUSED:
        return _tell(e, Notice.NOT_RUNNING)
    if (card := _step_earlier(script, s, -1)) is not None:
        return card
    if s.stage_index <= 0:
        return _tell(e, Notice.AT_FIRST_STAGE)
    return [*_leave_stage(script, s), *_enter_stage(script, s, s.stage_index - 1, now)]


# --- a follow-up's earlier commitments -------------------------------------------------------


def _earlier_view(s: SessionState, c: EarlierCommitment, *, open_: bool) -> EarlierView:
    return EarlierView(
        key=c.key,
        number=s.earlier.index(c) + 1,
        total=len(s.earlier),
        text=c.text,
        owner=c.owner,
        due_date=c.due_date.date().isoformat() if c.due_date else None,
        status=c.status,
        status_date=c.history[-1].at.date().isoformat() if c.history else None,
        open=open_,
    )


def _earlier_edit(s: SessionState, c: EarlierCommitment, *, open_: bool) -> Edit:
    return Edit(key=f"earlier:{c.key}", view=_earlier_view(s, c, open_=open_))


def _earlier_card(s: SessionState) -> Effects:
    shown = _shown_earlier(s)
    if shown is None:
        return []
    view = _earlier_view(s, shown, open_=True)
    return [Send(to=Group(), view=view, key=f"earlier:{shown.key}")]


def _first_earlier(s: SessionState) -> Effects:
    """Entering the stage: the first card, or a word that there is nothing to go through."""
    s.earlier_index = 0
    if not s.earlier:
        return [Send(to=Group(), view=NoticeView(code=Notice.NO_EARLIER))]
    return _earlier_card(s)


def _step_earlier(script: Script, s: SessionState, by: int) -> Effects | None:
    """/next and /back go card by card while the stage has one further that way; None when
    the move leaves the stage instead."""
    stage = _current(script, s)
    target = s.earlier_index + by
    if stage is None or stage.kind is not StageKind.EARLIER or not 0 <= target < len(s.earlier):
        return None
    effects: Effects = [_earlier_edit(s, s.earlier[s.earlier_index], open_=False)]
    s.earlier_index = target
    return [*effects, *_earlier_card(s)]


def _paused(script: Script, s: SessionState, e: ev.Paused, now: datetime) -> Effects:
    if s.status is not Status.RUNNING:
        return _tell(e, Notice.NOT_RUNNING)
    s.status = Status.PAUSED
    effects: Effects = [Send(to=Group(), view=NoticeView(code=Notice.PAUSED))]
    if (stage := _current(script, s)) is not None:
        effects.append(_refresh_prompt(script, s, stage))
    return effects


def _resumed(script: Script, s: SessionState, e: ev.Resumed, now: datetime) -> Effects:
    if s.status is not Status.PAUSED:
        return _tell(e, Notice.NOT_RUNNING)
    s.status = Status.RUNNING if s.stage_index >= 0 else Status.LOBBY
    effects: Effects = [Send(to=Group(), view=NoticeView(code=Notice.RESUMED))]
    if (stage := _current(script, s)) is not None:
        effects.append(_refresh_prompt(script, s, stage))
    return effects


def _ended(script: Script, s: SessionState, e: ev.Ended, now: datetime) -> Effects:
    if not e.confirmed:  # /end cannot be undone: ask first, showing what is still open
        return [Send(to=Person(user_id=e.actor), view=_end_check(script, s))]
    return _end(script, s, now)


def _end_check(script: Script, s: SessionState) -> EndCheckView:
    participants = sum(p.active for p in s.participants.values())
    stage = _current(script, s)
    voices = len(_voices(s, stage)) if stage is not None else 0
    few = voices == 0 or 2 * voices < participants
    open_stage = stage is not None and stage.takes_input and s.status is not Status.LOBBY
    return EndCheckView(
        script_id=script.id,
        stage_id=stage.id if stage is not None and open_stage and few else None,
        voices=voices,
        participants=participants,
        incomplete_commitments=sum(not c.complete for c in s.commitments),
        drafts=sum(not d.in_group for d in s.drafts.values()),
    )


def _end_declined(script: Script, s: SessionState, e: ev.EndDeclined, now: datetime) -> Effects:
    return _reply(Notice.END_NOT_YET)


def _expired(script: Script, s: SessionState, e: ev.Expired, now: datetime) -> Effects:
    notice = Send(to=Group(), view=NoticeView(code=Notice.EXPIRED, params={"days": e.idle_days}))
    return [notice, *_end(script, s, now)]


def _end(script: Script, s: SessionState, now: datetime) -> Effects:
    effects = _leave_stage(script, s)
    s.status = Status.ENDED
    s.ended_at = now
    # A draft nobody chose to share was never entrusted to the group: it is not kept.
    s.drafts.clear()
    effects += [Edit(key=f"commitment:{c.id}", view=_commitment_view(s, c)) for c in s.commitments]
    summary = build_summary(script, s)
    # The final summary replaces the draft shown at the review (an edit of the same message),
    # so the group is not handed a second long post; without a draft on screen, the edit posts.
    effects += [
        Edit(key="welcome", view=_welcome(script, s)),
        Edit(key="summary", view=SummaryView(summary=summary)),
        Pin(key="summary"),
        # After the summary (queued later, so sent later): one document, one call of the group.
        Send(to=Group(), view=charter_view(script, s, now), key="charter"),
        *[Send(to=Person(user_id=f), view=RecordView(summary=summary)) for f in s.facilitators],
    ]
    return effects


def _session_language_set(
    script: Script, s: SessionState, e: ev.SessionLanguageSet, now: datetime
) -> Effects:
    """The group's language; the welcome is redrawn so its Join button reads in it too."""
    s.language = e.language
    return [
        Edit(key="welcome", view=_welcome(script, s)),
        *_reply(Notice.SESSION_LANGUAGE, language=e.language),
    ]


def charter_view(
    script: Script, s: SessionState, now: datetime, place: str | None = None
) -> CharterView:
    """The charter of what the summary holds, dated the day the session ended (or today).

    Also what ``ikiganiro charter`` prints, so the file an operator writes and the one the
    group got agree."""
    day = (s.ended_at or now).date().isoformat()
    return CharterView(summary=build_summary(script, s), date=day, place=place)


def _charter_requested(
    script: Script, s: SessionState, e: ev.CharterRequested, now: datetime
) -> Effects:
    return [Send(to=Group(), view=charter_view(script, s, now, e.place), key="charter")]


def _voice_play_requested(
    script: Script, s: SessionState, e: ev.VoicePlayRequested, now: datetime
) -> Effects:
    """A voice answer, sent to the facilitator who asked, by the bot: an anonymous one as
    anonymous as in the group. One held back from every summary is not played either."""
    answer = next((a for a in s.answers if a.id == e.answer_id), None)
    author = s.participants.get(answer.user_id) if answer else None
    stage = script.stage(answer.stage_id) if answer else None
    if answer is None or answer.voice is None or author is None or stage is None:
        return _tell(e, Notice.VOICE_GONE)
    if answer.held or not quotable(stage, answer, author):
        return _tell(e, Notice.VOICE_GONE)
    named = answer.visibility is Visibility.NAMED
    view = SharedAnswerView(
        script_id=script.id,
        stage_id=answer.stage_id,
        text=answer.text,
        author=author.name if named else None,
    )
    return [Send(to=Person(user_id=e.actor), view=view), *_reply(Notice.DONE)]


def _status_requested(
    script: Script, s: SessionState, e: ev.StatusRequested, now: datetime
) -> Effects:
    """Who has answered the open stage with their name, and who has not; answers without a
    name are a count only. A facilitator may be a police officer: an anonymous author must look
    exactly like someone who has not answered yet."""
    stage = _current(script, s)
    named = _named_voices(s, stage) if stage is not None else set()
    active = [p for p in s.participants.values() if p.active]
    answered = tuple(StatusLine(name=p.name, role=p.role) for p in active if p.user_id in named)
    quiet = tuple(StatusLine(name=p.name, role=p.role) for p in active if p.user_id not in named)
    view = StatusView(
        script_id=script.id,
        stage_id=stage.id if stage else None,
        status=s.status,
        answered=answered,
        unnamed=unnamed_answers(s, stage) if stage is not None else 0,
        quiet=quiet,
        participants=RoleCounts.of([p.role for p in active if p.role]),
    )
    return [Send(to=Person(user_id=e.actor), view=view)]


def _named_voices(s: SessionState, stage: Stage) -> set[UserId]:
    """Who has contributed to a stage in a way that carries their name."""
    if stage.kind not in TEXT_KINDS:
        return _voices(s, stage)
    return {a.user_id for a in s.answers_for(stage.id) if a.visibility is Visibility.NAMED}


def _summary_requested(
    script: Script, s: SessionState, e: ev.SummaryRequested, now: datetime
) -> Effects:
    """The full per-stage record, privately: the facilitators' view of the session so far.
    After the end, only when the group's summary went missing: it is posted there again."""
    if s.status is Status.ENDED:
        view = SummaryView(summary=build_summary(script, s))
        return [Send(to=Group(), view=view, key="summary"), Pin(key="summary")]
    return [Send(to=Person(user_id=e.actor), view=RecordView(summary=build_summary(script, s)))]


def _nudge_requested(
    script: Script, s: SessionState, e: ev.NudgeRequested, now: datetime
) -> Effects:
    current = _current(script, s)
    stage_id = e.stage_id or (current.id if current else "-")  # /nudge: the stage open now
    stage = _open_stage(script, s, stage_id)
    if stage is None or not stage.takes_input:
        return _tell(e, Notice.STAGE_NOT_OPEN)
    # How many were reminded is not said: with /status, it would tell who answered privately.
    quiet = _nudge_quiet(script, s, stage)
    return [
        *[_notice(u, Notice.NUDGE, stage_id=stage.id) for u in quiet],
        *_tell(e, Notice.NUDGES_SENT),
    ]


def _reminder_due(script: Script, s: SessionState, e: ev.ReminderDue, now: datetime) -> Effects:
    if e.purpose == "due":
        return _commitment_due(s, e, now)
    stage = _open_stage(script, s, e.stage_id)
    current = _current(script, s)
    if stage is None and s.status is Status.PAUSED and current and current.id == e.stage_id:
        # A pause holds the stage's reminders: this one comes again, soon after /resume.
        minutes = min(SNOOZE_MINUTES * 2**e.snoozed, MAX_SNOOZE_MINUTES)
        again = ev.ReminderDue(
            event_id=f"reminder:{s.session_id}:{_next_id(s, e.purpose)}",
            stage_id=e.stage_id,
            purpose=e.purpose,
            snoozed=e.snoozed + 1,
        )
        name = f"{e.purpose}:{e.stage_id}"
        return [Schedule(name=name, at=now + timedelta(minutes=minutes), event=again)]
    if stage is None:
        return []
    if e.purpose == "nudge":
        return [
            _notice(u, Notice.NUDGE, stage_id=stage.id) for u in _nudge_quiet(script, s, stage)
        ]
    return [_notice(f, Notice.TIME_UP, stage_id=stage.id) for f in s.facilitators]


def _erase(script: Script, s: SessionState, user_id: UserId) -> Effects:
    """Remove every trace of one person, and redraw everything the group was shown that held
    their words or name: shares, commitment cards, the welcome, the open prompt, the draft
    summary, the final summary and the charter."""
    effects: Effects = []
    for answer in s.answers:
        if answer.user_id == user_id and answer.posted_by_bot:
            effects += _withdraw(f"share:{answer.id}")
        elif answer.user_id == user_id and _agreeable(script, answer):
            effects += _withdraw(f"statement:{answer.id}")  # its card quotes their words
    effects += _erase_votes(script, s, user_id)
    s.answers = [a for a in s.answers if a.user_id != user_id]
    s.drafts.pop(user_id, None)
    choices = {stage: _without(votes, user_id) for stage, votes in s.choices.items()}
    s.choices = {stage: votes for stage, votes in choices.items() if votes}
    effects += _erase_from_commitments(s, user_id)
    s.participants.pop(user_id, None)
    s.facilitators = [f for f in s.facilitators if f != user_id]
    if s.opened_at is not None:
        effects.append(Edit(key="welcome", view=_welcome(script, s)))
        stage = _current(script, s)
        if stage is not None and stage.takes_input:
            effects.append(_refresh_prompt(script, s, stage))
        effects += _redraw_summaries(script, s)
    return effects


def _erase_votes(script: Script, s: SessionState, user_id: UserId) -> Effects:
    """Their votes go from every statement (whose cards are redrawn), and the votes cast on
    their own statements go with those statements."""
    own = {a.id for a in s.answers if a.user_id == user_id}
    effects: Effects = []
    for answer in s.answers:
        votes = s.agreements.get(answer.id, {})
        if answer.id not in own and user_id in votes:
            s.agreements[answer.id] = _without(votes, user_id)
            effects.append(_statement_card(script, s, answer))
    s.agreements = {
        answer_id: votes
        for answer_id, votes in s.agreements.items()
        if votes and answer_id not in own
    }
    return effects


def _withdraw(key: str) -> Effects:
    """Take back a message the bot posted: blank it first (Telegram lets a bot delete its
    messages for 48 hours only, but edit them for ever), then delete it."""
    return [Edit(key=key, view=NoticeView(code=Notice.WITHDRAWN)), Delete(key=key)]


def _erase_from_commitments(s: SessionState, user_id: UserId) -> Effects:
    """A commitment others endorsed stays, without its proposer's name; one nobody else stands
    behind is withdrawn. Their endorsements go from every card."""
    effects: Effects = []
    kept: list[Commitment] = []
    for given in s.commitments:
        touched = user_id in given.endorsers or given.proposer == user_id
        commitment = given
        if touched:
            endorsers = [u for u in given.endorsers if u != user_id]
            proposer = NOBODY if given.proposer == user_id else given.proposer
            commitment = _revised(given, {"endorsers": endorsers, "proposer": proposer})
        if commitment.proposer == NOBODY and not commitment.endorsers:
            effects += _withdraw(f"commitment:{commitment.id}")
            effects.append(Cancel(name=f"due:{commitment.id}"))
            if commitment.reminded_at is not None:
                effects += _withdraw(f"due:{commitment.id}")
            continue
        kept.append(commitment)
        if touched:
            view = _commitment_view(s, commitment)
            effects.append(Edit(key=f"commitment:{commitment.id}", view=view))
    s.commitments = kept
    return effects


def _redraw_summaries(script: Script, s: SessionState) -> Effects:
    """The summary wherever the group was shown it: the draft from the review on, the final
    one (the same message) once the session ended."""
    review = next((i for i, st in enumerate(script.stages) if st.kind is StageKind.REVIEW), None)
    effects: Effects = []
    if s.status is Status.ENDED or (review is not None and s.stage_index >= review):
        effects = [Edit(key="summary", view=SummaryView(summary=build_summary(script, s)))]
    elif review is not None:  # gone back before the review, or never there: nothing may stay
        effects = [Delete(key="summary")]
    # The charter, if one was posted (the shell knows; without one, this costs no call). Its
    # place was words after /charter, not kept: the redrawn page leaves the line to write on.
    day = s.ended_at or s.opened_at
    if day is not None:
        effects.append(Edit(key="charter", view=charter_view(script, s, day)))
    return effects


def _person_added(script: Script, s: SessionState, e: ev.PersonAdded, now: datetime) -> Effects:
    """Someone in the room without Telegram joins, counted in their role like anyone; the
    facilitator answers for them with the number they are given (never sent anything)."""
    s.serial += 1
    person = Participant(
        user_id=-s.serial,
        name=PROXY_PREFIX + e.name.strip(),
        consented=True,
        consent_version=CONSENT_VERSION,
        role=e.role,
        joined_at=now,
    )
    s.participants[person.user_id] = person
    number = -person.user_id
    welcome = Edit(key="welcome", view=_welcome(script, s))
    return [welcome, _notice(e.actor, Notice.PERSON_ADDED, name=e.name.strip(), number=number)]


def _answered_for(script: Script, s: SessionState, e: ev.AnsweredFor, now: datetime) -> Effects:
    """The answer a person without Telegram gave aloud, kept as theirs and shown with their
    name (marked as added by the facilitator), as a named private answer would be."""
    person = s.participants.get(-e.number)
    if person is None or not person.proxy or not person.active:
        return _tell(e, Notice.NO_SUCH_PERSON, number=e.number)
    stage = _current(script, s)
    if s.status is not Status.RUNNING or stage is None or stage.kind not in TEXT_KINDS:
        return _tell(e, Notice.STAGE_NOT_OPEN)
    text = e.text.strip()
    if refusal := _check_text(e, stage, text):
        return refusal
    if _full(s, person.user_id, stage):
        return [_notice(e.actor, Notice.TOO_MANY_ANSWERS, max=MAX_ANSWERS_PER_STAGE)]
    answer = Answer(
        id=_next_id(s, "a"),
        stage_id=stage.id,
        user_id=person.user_id,
        text=text,
        visibility=Visibility.NAMED,
        via_private=True,
        created_at=now,
    )
    s.answers.append(answer)
    view = _shared_view(script, s, answer, person.name)
    return [
        Send(to=Group(), view=view, key=f"share:{answer.id}"),
        *_release(script, s, stage),
        _refresh_prompt(script, s, stage),
        _notice(e.actor, Notice.ANSWERED_FOR, name=person.name.removeprefix(PROXY_PREFIX)),
    ]


# The latest statements and commitments a card for an added person lists, so that its
# keyboard (three buttons a statement, one a commitment) stays well below Telegram's hundred.
PROXY_CARD_ITEMS = 15


def _proxy(s: SessionState, number: int) -> Participant | None:
    """The person a facilitator added as ``number``, while they are in the session."""
    person = s.participants.get(-number)
    return person if person is not None and person.proxy and person.active else None


def _plain_name(person: Participant) -> str:
    return person.name.removeprefix(PROXY_PREFIX)


def _proxy_card_asked(
    script: Script, s: SessionState, e: ev.ProxyCardAsked, now: datetime
) -> Effects:
    """The facilitator's private card for someone they added: what is open to them now."""
    person = _proxy(s, e.number)
    if person is None:
        return _tell(e, Notice.NO_SUCH_PERSON, number=e.number)
    stage = _current(script, s)
    choosing = s.status is Status.RUNNING and stage is not None and stage.kind in CHOICE_KINDS
    statements = [
        ProxyItem(id=a.id, text=shown(a.text)) for a in s.answers if _agreeable(script, a)
    ]
    commitments = [ProxyItem(id=c.id, text=c.text) for c in s.commitments]
    view = ProxyCardView(
        script_id=script.id,
        number=e.number,
        name=_plain_name(person),
        stage_id=stage.id if choosing and stage is not None else None,
        statements=tuple(statements[-PROXY_CARD_ITEMS:]),
        commitments=tuple(commitments[-PROXY_CARD_ITEMS:]),
    )
    return [Send(to=Person(user_id=e.actor), view=view)]


def _acted_for(script: Script, s: SessionState, e: ev.ActedFor, now: datetime) -> Effects:
    """The added person's own choice, vote or endorsement, under the rules their own press
    would meet (so it counts in their role wherever votes are counted); the facilitator's
    popup says what now stands for them."""
    person = _proxy(s, -e.act.actor)
    if person is None:
        return _reply(Notice.NO_SUCH_PERSON, number=-e.act.actor)
    effects = _HANDLERS[type(e.act)](script, s, e.act, now)
    said = [
        x.view.code for x in effects if isinstance(x, Reply) and isinstance(x.view, NoticeView)
    ]
    done = [x for x in effects if not isinstance(x, Reply)]
    return [*done, *_said_for(s, e.act, person, said[0] if said else Notice.DONE)]


def _said_for(s: SessionState, act: ev.ProxyAct, person: Participant, code: Notice) -> Effects:
    """A refusal as the person's own press would get it; otherwise what stands for them now."""
    name = _plain_name(person)
    if isinstance(act, ev.ChoiceToggled) and code is Notice.DONE:
        picked = s.choices.get(act.stage_id, {}).get(person.user_id, [])
        if not picked:
            return _reply(Notice.UNCHOSEN_FOR, name=name)
        options = ",".join(picked)
        return _reply(Notice.CHOSEN_FOR, name=name, stage_id=act.stage_id, options=options)
    if isinstance(act, ev.AgreementSet) and code is Notice.VOTED:
        return _reply(Notice.VOTED_FOR, name=name, vote=act.vote.value)
    if code in (Notice.ENDORSED, Notice.UNENDORSED):
        endorsed = code is Notice.ENDORSED
        return _reply(Notice.ENDORSED_FOR if endorsed else Notice.UNENDORSED_FOR, name=name)
    return _reply(code)


def _person_removed(
    script: Script, s: SessionState, e: ev.PersonRemoved, now: datetime
) -> Effects:
    """Someone a facilitator added is erased as a person's own erasure erases them: every
    answer, choice, vote and endorsement given for them, and what the group was shown of it.
    The command only asks; its button erases."""
    person = _proxy(s, e.number)
    if person is None:
        return _tell(e, Notice.NO_SUCH_PERSON, number=e.number)
    name = _plain_name(person)
    if not e.confirmed:
        return [_notice(e.actor, Notice.REMOVE_PERSON_ASK, name=name, number=e.number)]
    return [*_erase(script, s, person.user_id), *_reply(Notice.PERSON_REMOVED, name=name)]


def _participant_erased(
    script: Script, s: SessionState, e: ev.ParticipantErased, now: datetime
) -> Effects:
    return [*_erase(script, s, e.actor), *_reply(Notice.ERASED)]


def _member_left(script: Script, s: SessionState, e: ev.MemberLeft, now: datetime) -> Effects:
    if e.user_id in s.facilitators:
        s.facilitators.remove(e.user_id)
    participant = s.participants.get(e.user_id)
    if participant is None or participant.left:
        return []
    _revise_participant(s, participant, left=True)
    if s.status is Status.ENDED:
        return []  # the welcome of an ended session is not redrawn
    return [Edit(key="welcome", view=_welcome(script, s))]


def _bot_removed(script: Script, s: SessionState, e: ev.BotRemoved, now: datetime) -> Effects:
    if s.status in (Status.RUNNING, Status.LOBBY):
        s.status = Status.PAUSED
    return [_notice(f, Notice.BOT_REMOVED) for f in s.facilitators]


_HANDLERS: dict[type[Any], Callable[[Script, SessionState, Any, datetime], Effects]] = {
    ev.Opened: _opened,
    ev.FacilitatorAdded: _facilitator_added,
    ev.Joined: _joined,
    ev.LinkOpened: _link_opened,
    ev.Consented: _consented,
    ev.RoleChosen: _role_chosen,
    ev.RoleChangeAsked: _role_change_asked,
    ev.Answered: _answered,
    ev.ShareChosen: _share_chosen,
    ev.AnswerEdited: _answer_edited,
    ev.ChoiceToggled: _choice_toggled,
    ev.AgreementSet: _agreement_set,
    ev.CommitmentOwnerSet: _owner_set,
    ev.CommitmentDueSet: _due_set,
    ev.CommitmentStatusReported: _status_reported,
    ev.CommitmentStatusCarried: _status_carried,
    ev.EndorsementToggled: _endorsement_toggled,
    ev.QuoteConsentSet: _quote_consent,
    ev.Advanced: _advanced,
    ev.WentBack: _went_back,
    ev.Paused: _paused,
    ev.Resumed: _resumed,
    ev.Ended: _ended,
    ev.EndDeclined: _end_declined,
    ev.SessionLanguageSet: _session_language_set,
    ev.VoicePlayRequested: _voice_play_requested,
    ev.PersonAdded: _person_added,
    ev.AnsweredFor: _answered_for,
    ev.ProxyCardAsked: _proxy_card_asked,
    ev.ActedFor: _acted_for,
    ev.PersonRemoved: _person_removed,
    ev.AnswerKept: _answer_kept,
    ev.StatusRequested: _status_requested,
    ev.SummaryRequested: _summary_requested,
    ev.CharterRequested: _charter_requested,
    ev.NudgeRequested: _nudge_requested,
    ev.ParticipantErased: _participant_erased,
    ev.ReminderDue: _reminder_due,
    ev.MemberLeft: _member_left,
    ev.BotRemoved: _bot_removed,
    ev.Expired: _expired,
}
