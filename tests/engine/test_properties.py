"""Property tests: random valid scripts, random event sequences, invariants after every step.

A small pool of people (the opener, a second facilitator-to-be, a chat administrator, four
would-be participants and a stranger) sends random events with random stage, option and
commitment ids, known or not, and random texts (empty, huge, unicode). After every step:

* nothing escapes ``step``, and ``step`` leaves the given state untouched;
* every ``RoleCounts`` in every view and summary is non-negative and agrees with the state;
* the stage and the status move only by an authorised facilitator command (or by
  ``BotRemoved`` and ``Expired``, the bot's own events);
* replaying an applied event is a no-op;
* after an erasure the person's id and name appear nowhere in the state or the summary;
* nothing anonymous names its author: not a shared post, not the summary.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import (
    AgreementTally,
    CommitmentView,
    Delete,
    Edit,
    Group,
    Notice,
    Pin,
    PromptView,
    RecordView,
    Schedule,
    Send,
    SharedAnswerView,
    StatementView,
    StatusView,
    SummaryView,
    WelcomeView,
)
from bot.engine.machine import new_session, step
from bot.engine.script import CHOICE_KINDS, TEXT_KINDS, Channel, Option, Script, Stage, StageKind
from bot.engine.state import Agreement, Due, Owner, Role, SessionState, Status, Visibility
from bot.engine.summary import (
    RoleCounts,
    Summary,
    build_summary,
    endorsement_counts,
    voice_counts,
)

from .helpers import NOW

OPENER = 8_100_001
CO_FAC = 8_200_002
ADMIN = 8_300_003
PEOPLE = (8_400_004, 8_500_005, 8_600_006, 8_700_007)
STRANGER = 8_900_009
USERS = (OPENER, CO_FAC, ADMIN, *PEOPLE, STRANGER)
# Unique names that no random text can contain: texts never carry '#'.
NAMES = {u: f"{w}#{i}" for i, (u, w) in enumerate(zip(USERS, "QWERTYUIOP", strict=False))}
assert len(set(NAMES.values())) == len(USERS)

_library = Library.load()
LIBRARY = [_library[script_id] for script_id in _library.ids()]

MAX_EXAMPLES = 120


# --- scripts -------------------------------------------------------------------------------------

slugs = st.from_regex(r"[a-z][a-z0-9_]{0,6}", fullmatch=True)


@st.composite
def stages(draw: st.DrawFn, stage_id: str, kind: StageKind) -> Stage:
    fields: dict[str, Any] = {}
    if kind in CHOICE_KINDS:
        ids = draw(st.lists(slugs, min_size=2, max_size=5, unique=True))
        fields["options"] = tuple(Option(id=i, label=i.upper()) for i in ids)
        if kind is StageKind.MULTI_CHOICE:
            fields["max_choices"] = draw(st.none() | st.integers(1, len(ids)))
    if kind in TEXT_KINDS:
        fields["answer_in"] = draw(
            st.none() | st.sets(st.sampled_from(list(Channel)), min_size=1).map(frozenset)
        )
        fields["quote_with_consent"] = draw(st.booleans())
    elif kind in (StageKind.CHOICE, StageKind.MULTI_CHOICE, StageKind.COMMITMENT):
        fields["answer_in"] = draw(st.sampled_from([None, frozenset({Channel.GROUP})]))
    if kind in (StageKind.TEXT, StageKind.COMMITMENT):
        low = draw(st.integers(1, 5))
        fields["min_length"] = low
        fields["max_length"] = draw(st.integers(low, low + 60) | st.just(3000))
    if kind in (StageKind.TEXT, StageKind.CHOICE, StageKind.MULTI_CHOICE, StageKind.COMMITMENT):
        fields["nudge_after_minutes"] = draw(st.none() | st.integers(1, 600))
    fields["timebox_minutes"] = draw(st.none() | st.integers(1, 600))
    fields["in_summary"] = draw(st.booleans())
    if kind is StageKind.TEXT and fields["in_summary"]:
        fields["agree"] = draw(st.booleans())
    return Stage(id=stage_id, kind=kind, title=f"T {stage_id}", prompt="P", **fields)


@st.composite
def random_scripts(draw: st.DrawFn) -> Script:
    ids = draw(st.lists(slugs, min_size=1, max_size=6, unique=True))
    # Input stages are drawn more often than info and review stages: they hold the rules.
    weighted = [*[StageKind.TEXT] * 3, *[StageKind.COMMITMENT] * 2, *StageKind]
    kinds = draw(st.lists(st.sampled_from(weighted), min_size=len(ids), max_size=len(ids)))
    seen: set[StageKind] = set()
    built = []
    for stage_id, drawn in zip(ids, kinds, strict=True):
        kind = drawn
        if kind in (StageKind.REVIEW, StageKind.EARLIER):
            kind = StageKind.TEXT if kind in seen else kind  # at most one of each
            seen.add(drawn)
        built.append(draw(stages(stage_id, kind)))
    return Script(
        id="prop-script", schema_version=1, title="Prop", description="D", stages=tuple(built)
    )


scripts = random_scripts() | st.sampled_from(LIBRARY)


# --- events --------------------------------------------------------------------------------------
#
# Strategies are built once, not per script: whatever depends on the script (a stage id, an
# option id, a text that fits the open stage) is drawn as a reference that ``Run`` resolves.


class StageRef(int):
    """The k-th stage id of the script, or an unknown id past the end."""


class OptionRef(int):
    """The k-th option id of any stage of the script, or an unknown one past the end."""


class FitText(str):
    """A text stretched or cut to fit the open stage's length limits."""

    __slots__ = ()


texts = st.one_of(
    st.text(max_size=40),
    st.text(min_size=6, max_size=30),
    st.text(st.characters(codec="utf-8"), min_size=6, max_size=30),
    st.sampled_from(["", "   ", "ok", "Ndabona neza 👍🏽", "Sécurité ", "\u200b\n\t", "x" * 3001]),
    st.text(min_size=1, max_size=3).map(lambda s: s * 1500),
).map(lambda s: s.replace("#", ""))
fit_texts = st.text(
    st.characters(exclude_characters="#", exclude_categories=("Z", "C")), min_size=1, max_size=30
).map(FitText)
users = st.sampled_from(USERS)
# Who usually acts on stages: mostly the would-be participants.
members = st.sampled_from([*PEOPLE, *PEOPLE, *PEOPLE, *PEOPLE, OPENER, ADMIN, STRANGER])
steerers = st.sampled_from([OPENER, OPENER, CO_FAC, ADMIN, *PEOPLE, STRANGER])
refs = st.none() | st.sampled_from(["m1", "m2", "m3", "m4"])
commitment_ids = st.sampled_from([f"c{i}" for i in range(1, 15)] + ["zz"])
stage_ids = st.integers(0, 7).map(StageRef)
option_ids = st.integers(0, 25).map(OptionRef)
roles = st.sampled_from(list(Role))
visibilities = st.sampled_from(list(Visibility))


def ev_(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.fixed_dictionaries(fields).map(lambda f: ("event", cls, f))


def any_answer(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """An answer to any stage, from anyone, in any channel."""
    channels = st.sampled_from(list(Channel))
    return ev_(
        ev.Answered, actor=users, stage_id=stage_ids, text=texts, channel=channels, **fields
    )


def privileged(cls: type[Any], **fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.tuples(steerers, st.booleans(), st.fixed_dictionaries(fields)).map(
        lambda t: ("event", cls, {"actor": t[0], "actor_is_admin": t[0] == ADMIN and t[1], **t[2]})
    )


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    table = [strategy for weight, strategy in choices for _ in range(weight)]
    return st.sampled_from(table).flatmap(lambda strategy: strategy)


# An answer to the open stage (offset 5: the next one), in a channel it allows (None) or any.
answers = st.tuples(
    st.just("answer"),
    members,
    st.integers(0, 5),
    texts,
    st.sampled_from([None, None, None, *Channel]),
    refs,
)
fitting_answers = st.tuples(
    st.just("answer"),
    members,
    st.just(0),
    fit_texts | texts,
    st.sampled_from([None, None, *Channel]),
    refs,
)
shares = st.tuples(st.just("share"), st.sampled_from([None, None, None, *PEOPLE]), visibilities)
confides = st.tuples(st.just("confide"), members, fit_texts, refs, visibilities)
chooses = st.tuples(st.just("choose"), members, st.integers(0, 6))
advance = st.just(("event", ev.Advanced, {"actor": OPENER}))
resume = st.just(("event", ev.Resumed, {"actor": OPENER}))
settles = st.tuples(
    st.just("settle"), st.integers(0, 20), st.sampled_from(list(Owner)), st.sampled_from(list(Due))
)
endorses = st.tuples(
    st.just("commitment"), members, st.integers(0, 20), st.just((ev.EndorsementToggled, {}))
)
on_commitment = st.tuples(
    st.just("commitment"),
    st.sampled_from([None, None, *PEOPLE, OPENER, ADMIN]),  # None: the proposer acts
    st.integers(0, 20),
    st.sampled_from(
        [(ev.EndorsementToggled, {})] * 3
        + [(ev.CommitmentOwnerSet, {"owner": o}) for o in Owner]
        + [(ev.CommitmentDueSet, {"due": d}) for d in Due]
    ),
)
edits = ev_(
    ev.AnswerEdited,
    actor=members,
    source_ref=st.sampled_from(["m1", "m2", "m3"]),
    text=fit_texts | texts,
)
# A vote on one of the answers given so far (k picks it), or on one that does not exist.
agreements = st.tuples(
    st.just("agreement"), members, st.integers(0, 20), st.sampled_from(list(Agreement))
)
quote_consents = ev_(ev.QuoteConsentSet, actor=members, allow=st.booleans())
# Propose, settle who and when, and gather endorsements, in one go.
pacts = st.tuples(
    st.just("pact"),
    members,
    fit_texts,
    refs,
    st.sampled_from(list(Owner)),
    st.sampled_from(list(Due)),
    st.lists(members, max_size=4),
)

any_op = weighted(
    (2, st.tuples(st.just("join"), users, roles)),
    (4, advance),
    (2, resume),
    (1, privileged(ev.Advanced)),
    (2, privileged(ev.WentBack)),
    (1, privileged(ev.Paused)),
    (1, privileged(ev.Resumed)),
    (1, privileged(ev.Ended, confirmed=st.booleans())),
    (1, ev_(ev.EndDeclined, actor=users)),
    (1, privileged(ev.StatusRequested)),
    (1, privileged(ev.SummaryRequested)),
    (1, privileged(ev.NudgeRequested, stage_id=stage_ids)),
    (1, privileged(ev.FacilitatorAdded, user_id=users)),
    (1, ev_(ev.Opened, actor=users)),
    (1, ev_(ev.Joined, actor=users)),
    (1, ev_(ev.Consented, actor=users, accept=st.booleans())),
    (1, ev_(ev.RoleChosen, actor=users, role=roles)),
    (1, ev_(ev.RoleChangeAsked, actor=users)),
    (1, ev_(ev.MemberLeft, user_id=users)),
    # Acts of someone the shell found outside the group: never applied.
    (1, ev_(ev.Joined, actor=users, actor_is_member=st.just(False))),
    (
        1,
        ev_(
            ev.ChoiceToggled,
            actor=users,
            stage_id=stage_ids,
            option_id=option_ids,
            actor_is_member=st.just(False),
        ),
    ),
    (1, any_answer(actor_is_member=st.just(False))),
    (
        1,
        ev_(
            ev.EndorsementToggled,
            actor=users,
            commitment_id=commitment_ids,
            actor_is_member=st.just(False),
        ),
    ),
    (16, answers),
    (1, any_answer(source_ref=refs)),
    (5, shares),
    (3, confides),
    (2, edits),
    (6, chooses),
    (1, ev_(ev.ChoiceToggled, actor=users, stage_id=stage_ids, option_id=option_ids)),
    (8, on_commitment),
    (1, ev_(ev.EndorsementToggled, actor=users, commitment_id=commitment_ids)),
    (3, settles),
    (3, agreements),
    (2, quote_consents),
    (1, ev_(ev.ParticipantErased, actor=users)),
    (1, ev_(ev.ReminderDue, stage_id=stage_ids, purpose=st.sampled_from(["nudge", "timebox"]))),
    (2, st.tuples(st.just("reminder"), st.integers(0, 50))),
    (2, st.tuples(st.just("replay"), st.integers(0, 500))),
    (1, ev_(ev.BotRemoved)),
    (1, ev_(ev.Expired, idle_days=st.integers(1, 365))),
)

# What people do while one stage is open: mostly valid input for it, sometimes anything.
STAGE_OPS: dict[StageKind, st.SearchStrategy[Any]] = {
    StageKind.INFO: weighted((3, any_op), (1, quote_consents)),
    StageKind.REVIEW: weighted((3, any_op), (4, quote_consents)),
    StageKind.TEXT: weighted(
        (3, any_op),
        (8, fitting_answers),
        (2, edits),
        (5, shares),
        (6, confides),
        (6, agreements),
        (1, quote_consents),
    ),
    StageKind.EARLIER: weighted((3, any_op), (8, fitting_answers), (2, edits), (6, confides)),
    StageKind.CHOICE: weighted((3, any_op), (8, chooses)),
    StageKind.MULTI_CHOICE: weighted((3, any_op), (8, chooses)),
    StageKind.COMMITMENT: weighted(
        (3, any_op), (6, fitting_answers), (2, edits), (4, settles), (6, endorses), (6, pacts)
    ),
}

usually = st.sampled_from([True] * 9 + [False])


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Script, list[tuple[Any, ...]]]:
    """Anything at any time, after a usual start."""
    script = draw(scripts)
    ops: list[tuple[Any, ...]] = []
    if draw(usually):  # usually opened by OPENER first
        ops.append(("event", ev.Opened, {"actor": OPENER}))
    # Most people usually join and the first stage usually opens, so answers can land.
    for user in PEOPLE:
        role = draw(roles)
        if draw(usually):
            ops.append(("join", user, role))
    if draw(usually):
        ops.append(("event", ev.Advanced, {"actor": OPENER}))
    ops += draw(st.lists(any_op, min_size=20, max_size=80))
    return script, ops


@st.composite
def guided_scenarios(draw: st.DrawFn) -> tuple[Script, list[tuple[Any, ...]]]:
    """A session walked stage by stage, with busy stages and random interruptions."""
    script = draw(scripts)
    ops: list[tuple[Any, ...]] = [("event", ev.Opened, {"actor": OPENER})]
    for user in PEOPLE:
        ops.append(("join", user, draw(roles)))
    for stage in script.stages:
        ops.append(("event", ev.Advanced, {"actor": OPENER}))
        ops.append(("event", ev.Resumed, {"actor": OPENER}))  # in case something paused it
        ops += draw(st.lists(STAGE_OPS[stage.kind], max_size=12))
    # Someone may ask to be forgotten once there is plenty to forget, before or after the end.
    erasures = [
        ("event", ev.ParticipantErased, {"actor": user})
        for user in draw(st.lists(st.sampled_from([*PEOPLE, *USERS]), max_size=2, unique=True))
    ]
    ending = (
        [("event", ev.Ended, {"actor": OPENER, "confirmed": True})] if draw(st.booleans()) else []
    )
    ops += [*erasures, *ending] if draw(st.booleans()) else [*ending, *erasures]
    ops += draw(st.lists(any_op, max_size=6))
    return script, ops


# --- running a scenario --------------------------------------------------------------------------


class Run:
    def __init__(self, script: Script) -> None:
        self.script = script
        self.state: SessionState = new_session("prop", script)
        self.now = NOW
        self.serial = 0
        self.applied: list[Any] = []
        self.reminders: list[ev.ReminderDue] = []

    def events(self, op: tuple[Any, ...]) -> Iterator[Any]:
        kind = op[0]
        if kind == "event":
            yield self.new(op[1], **op[2])
        elif kind == "join":
            _, user, role = op
            yield self.new(ev.Joined, actor=user)
            yield self.new(ev.Consented, actor=user, accept=True, name=NAMES[user])
            yield self.new(ev.RoleChosen, actor=user, role=role)
        elif kind == "answer":
            _, user, offset, text, channel, ref = op
            stage = self.script.stage(self.stage_near(offset))
            assert stage is not None
            if channel is None:
                allowed = sorted(stage.channels) or [Channel.GROUP]
                channel = allowed[(offset + len(text)) % len(allowed)]
            yield self.new(
                ev.Answered,
                actor=user,
                stage_id=stage.id,
                text=text,
                channel=channel,
                source_ref=ref,
            )
        elif kind == "choose":
            _, user, k = op
            stage = self.script.stage(self.stage_near(0))
            options = [o.id for o in stage.options] if stage else []
            option = options[k] if k < len(options) else "no_such_option"
            yield self.new(
                ev.ChoiceToggled, actor=user, stage_id=self.stage_near(0), option_id=option
            )
        elif kind == "commitment":
            _, user, k, (cls, extra) = op
            commitments = self.state.commitments
            chosen = commitments[k % len(commitments)] if commitments else None
            if user is None:
                user = chosen.proposer if chosen else PEOPLE[0]
            cid = chosen.id if chosen else "c1"
            yield self.new(cls, actor=user, commitment_id=cid, **extra)
        elif kind == "settle" and self.state.commitments:
            _, k, owner, due = op
            chosen = self.state.commitments[k % len(self.state.commitments)]
            fields = {"actor": chosen.proposer, "commitment_id": chosen.id}
            yield self.new(ev.CommitmentOwnerSet, owner=owner, **fields)
            yield self.new(ev.CommitmentDueSet, due=due, **fields)
        elif kind == "confide":  # write privately, then choose how to share
            _, user, text, ref, visibility = op
            stage = self.script.stage(self.stage_near(0))
            assert stage is not None
            private = sorted(stage.channels - {Channel.GROUP}) or [Channel.PRIVATE]
            yield self.new(
                ev.Answered,
                actor=user,
                stage_id=stage.id,
                text=text,
                channel=private[len(text) % len(private)],
                source_ref=ref,
            )
            yield self.new(ev.ShareChosen, actor=user, visibility=visibility)
        elif kind == "pact":
            _, user, text, ref, owner, due, endorsers = op
            yield self.new(
                ev.Answered, actor=user, stage_id=self.stage_near(0), text=text, source_ref=ref
            )
            commitments = self.state.commitments
            if commitments and commitments[-1].proposer == user:
                cid = commitments[-1].id
                yield self.new(ev.CommitmentOwnerSet, actor=user, commitment_id=cid, owner=owner)
                yield self.new(ev.CommitmentDueSet, actor=user, commitment_id=cid, due=due)
                for endorser in endorsers:
                    yield self.new(ev.EndorsementToggled, actor=endorser, commitment_id=cid)
        elif kind == "share":
            _, user, visibility = op
            if user is None:
                user = min(self.state.drafts, default=PEOPLE[0])
            yield self.new(ev.ShareChosen, actor=user, visibility=visibility)
        elif kind == "agreement":
            _, user, k, vote = op
            agreeable = [
                a
                for a in self.state.answers
                if (st_ := self.script.stage(a.stage_id)) and st_.agree
            ]
            answers = agreeable if k % 4 else self.state.answers  # mostly statements
            answer_id = answers[k % len(answers)].id if answers else "a1"
            yield self.new(ev.AgreementSet, actor=user, answer_id=answer_id, vote=vote)
        elif kind == "reminder" and self.reminders:
            yield self.reminders[op[1] % len(self.reminders)]
        elif kind == "replay" and self.applied:
            yield self.applied[op[1] % len(self.applied)]

    def play(self, ops: list[tuple[Any, ...]]) -> None:
        for op in ops:
            for event in self.events(op):
                self.apply(event)

    def new(self, cls: type[Any], **fields: Any) -> Any:
        self.serial += 1
        if cls is ev.Consented:
            fields.setdefault("name", NAMES[fields["actor"]])
        return cls(event_id=f"e{self.serial}", **{k: self.resolve(v) for k, v in fields.items()})

    def resolve(self, value: Any) -> Any:
        if isinstance(value, StageRef):
            ids = [s.id for s in self.script.stages]
            return ids[value] if value < len(ids) else "unknown_stage"
        if isinstance(value, OptionRef):
            ids = sorted({o.id for s in self.script.stages for o in s.options})
            return ids[value] if value < len(ids) else "no_such_option"
        if isinstance(value, FitText):
            stage = self.script.stage(self.stage_near(0))
            low, high = (stage.min_length, stage.max_length) if stage else (1, 40)
            return (str(value) * (low // len(value) + 1))[: max(low, min(high, len(value)))]
        return value

    def stage_near(self, offset: int) -> str:
        stages = self.script.stages
        index = min(max(self.state.stage_index, 0) + (offset == 5), len(stages) - 1)
        return stages[index].id

    def apply(self, event: Any) -> None:
        self.now += timedelta(minutes=1)
        before = self.state
        snapshot = before.model_dump_json()
        fresh = event.event_id not in before.applied

        after, effects = step(self.script, before, event, self.now)

        assert before.model_dump_json() == snapshot, "step modified the given state"
        if not fresh:
            assert after == before
            assert effects == []
            return
        assert event.event_id in after.applied
        again, repeated = step(self.script, after, event, self.now)
        assert again == after
        assert repeated == []

        check_authority(before, after, event)
        check_membership(before, after, event, effects)
        check_effects(self.script, after, effects)
        check_summary(self.script, after, build_summary(self.script, after))
        check_anonymity(after, event, effects)
        check_role_not_betrayed(self.script, before, after, event)
        check_erasure(self.script, before, after, event)

        self.applied.append(event)
        self.reminders += [e.event for e in effects if isinstance(e, Schedule)]
        self.state = after


# --- the invariants ------------------------------------------------------------------------------


def active_roles(state: SessionState) -> RoleCounts:
    return RoleCounts.of([p.role for p in state.participants.values() if p.active and p.role])


def took_part(state: SessionState) -> RoleCounts:
    """Everyone who joined with a role, those who left the group since included."""
    roles = [p.role for p in state.participants.values() if p.consented and p.role]
    return RoleCounts.of(roles)


def role_counts_in(value: Any) -> Iterator[RoleCounts]:
    if isinstance(value, RoleCounts):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from role_counts_in(getattr(value, name))
    elif isinstance(value, tuple | list):
        for item in value:
            yield from role_counts_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from role_counts_in(item)


def check_authority(before: SessionState, after: SessionState, event: Any) -> None:
    authorised = isinstance(event, ev.PRIVILEGED) and (
        event.actor in before.facilitators or event.actor_is_admin
    )
    if (after.status, after.stage_index) != (before.status, before.stage_index):
        if isinstance(event, ev.BotRemoved):
            assert after.stage_index == before.stage_index
            assert after.status is Status.PAUSED
        elif isinstance(event, ev.Expired):
            assert after.status is Status.ENDED
        else:
            assert authorised, f"{type(event).__name__} by {event.actor} moved the session"
            assert isinstance(event, ev.Advanced | ev.WentBack | ev.Paused | ev.Resumed | ev.Ended)
    if after.agreements != before.agreements:
        # A vote, for oneself or (by a facilitator) for someone added without a phone, or an
        # erasure: one's own, a declined consent (which erases), or of someone added.
        erasing = ev.ParticipantErased | ev.Consented | ev.PersonRemoved
        assert isinstance(event, ev.AgreementSet | ev.ActedFor | erasing), type(event).__name__
        if isinstance(event, ev.AgreementSet):
            voter = before.participants.get(event.actor)
            assert voter is not None and voter.active
            assert before.status is not Status.ENDED
    if isinstance(event, ev.PRIVILEGED) and not authorised:
        assert after.model_copy(update={"applied": before.applied}) == before
    if after.facilitators != before.facilitators:
        if isinstance(event, ev.FacilitatorAdded):
            assert authorised
            assert after.facilitators == [*before.facilitators, event.user_id]
        else:
            assert isinstance(
                event, ev.Opened | ev.ParticipantErased | ev.Consented | ev.MemberLeft
            )
            assert set(after.facilitators) <= set(before.facilitators) or isinstance(
                event, ev.Opened
            )


def check_membership(
    before: SessionState, after: SessionState, event: Any, effects: list[Any]
) -> None:
    """Someone outside the group changes nothing; someone who left takes part no more."""
    if getattr(event, "actor_is_member", None) is False:
        assert after.model_copy(update={"applied": before.applied}) == before
    if isinstance(event, ev.MemberLeft):
        assert event.user_id not in after.facilitators
        gone = after.participants.get(event.user_id)
        assert gone is None or not gone.active
        assert after.answers == before.answers  # what they said stays
    for p in after.participants.values():
        if p.left:  # nudged by nobody, counted nowhere
            assert not any(
                isinstance(e, Send)
                and getattr(e.to, "user_id", None) == p.user_id
                and getattr(e.view, "code", None) is Notice.NUDGE
                for e in effects
            )


def check_effects(script: Script, state: SessionState, effects: list[Any]) -> None:
    active, joined = active_roles(state), took_part(state)
    for effect in effects:
        for counts in role_counts_in(effect):
            assert min(counts.police, counts.resident, counts.leader, counts.unsaid) >= 0
            assert counts.total <= joined.total or isinstance(effect, Delete)
        view = getattr(effect, "view", None)
        if isinstance(view, WelcomeView):
            assert view.participants == active
        elif isinstance(view, PromptView):
            stage = script.stage(view.stage_id)
            assert stage is not None
            assert view.total == len(script.stages)
            assert view.number == script.index(stage.id) + 1
            assert all(v >= 0 for v in view.tally.values())
            if stage.kind in CHOICE_KINDS:
                votes = state.choices.get(stage.id, {})
                assert set(view.tally) == {o.id for o in stage.options}
                assert view.answered.total == len(votes)
                assert sum(view.tally.values()) == sum(len(p) for p in votes.values())
                if stage.kind is StageKind.CHOICE:
                    assert sum(view.tally.values()) == view.answered.total
            else:
                assert view.tally == {}
        elif isinstance(view, CommitmentView):
            commitment = state.commitment(view.commitment_id)
            if commitment is not None:
                assert view.endorsements == endorsement_counts(commitment, state)
                assert view.endorsements.total == len(commitment.endorsers)
            assert view.shared == (
                view.endorsements.police >= 1 and view.endorsements.resident >= 1
            )
        elif isinstance(view, StatusView):
            assert view.participants == active
            assert len(view.answered) + len(view.quiet) == active.total
        elif isinstance(view, StatementView | SharedAnswerView) and view.tally is not None:
            votes = list(state.agreements.get(view.answer_id, {}).values())
            assert view.tally == AgreementTally(
                agree=votes.count(Agreement.AGREE),
                unsure=votes.count(Agreement.UNSURE),
                disagree=votes.count(Agreement.DISAGREE),
            )
        elif isinstance(view, SummaryView | RecordView):
            check_summary(script, state, view.summary)
        elif isinstance(view, SharedAnswerView) and view.author is None:
            dump = effect.model_dump_json()
            for user, name in NAMES.items():
                assert name not in dump
                assert str(user) not in dump


def check_summary(script: Script, state: SessionState, summary: Summary) -> None:
    for counts in role_counts_in(summary):
        assert min(counts.police, counts.resident, counts.leader, counts.unsaid) >= 0
        assert counts.total <= summary.participants.total
    assert summary.participants == took_part(state)
    assert summary.withheld >= 0
    text_stages = [s for s in script.stages if s.in_summary and s.kind in TEXT_KINDS]
    answers = [a for s in text_stages for a in state.answers_for(s.id) if not a.held]
    notes = sum(len(line.notes) for line in summary.earlier)  # quoted under their commitment
    assert len(summary.quotes) + notes + summary.withheld == len(answers)
    for choice in summary.choices:
        stage = script.stage(choice.stage_id)
        assert stage is not None
        if stage.kind is StageKind.CHOICE:
            assert sum(o.votes.total for o in choice.options) <= summary.participants.total
    shared = [line.shared for line in summary.commitments]
    assert shared == sorted(shared, reverse=True), "shared commitments come first"
    assert len(summary.commitments) == sum(c.complete for c in state.commitments)
    for line in summary.commitments:
        assert line.shared == (line.endorsements.police >= 1 and line.endorsements.resident >= 1)
    # Names: only authors of named answers; user ids: never.
    dump = summary.model_dump_json()
    named = {a.user_id for a in answers if a.visibility is Visibility.NAMED}
    for user, name in NAMES.items():
        assert str(user) not in dump
        if user not in named:
            assert name not in dump, f"{name} is in the summary without a named answer"
    for quote in summary.quotes:
        assert (quote.author is None) == (quote.role is None)
    # Votes: on statements that exist, by people of the session; bridging as defined.
    answer_ids = {a.id for a in state.answers}
    for answer_id, votes in state.agreements.items():
        assert answer_id in answer_ids
        assert set(votes) <= set(state.participants)
    for statement in summary.vision:
        assert statement.votes == len(state.agreements.get(statement.answer_id, {})) or any(
            state.participants[u].role is None
            for u in state.agreements.get(statement.answer_id, {})
        )
        police = statement.agree.police + statement.unsure.police + statement.disagree.police
        residents = (
            statement.agree.resident + statement.unsure.resident + statement.disagree.resident
        )
        assert statement.bridging == (
            police > 0
            and residents > 0
            and 2 * statement.agree.police > police
            and 2 * statement.agree.resident > residents
        )
        assert (statement.author is None) == (statement.role is None)
    bridging = [s.bridging for s in summary.vision]
    assert bridging == sorted(bridging, reverse=True), "agreed statements come first"


def check_anonymity(after: SessionState, event: Any, effects: list[Any]) -> None:
    """Nothing the group sees of an anonymous answer names its author.

    After an anonymous ``ShareChosen``, no group-bound effect at all carries the author's name
    or id; and any post or edit of an anonymous answer's message (``share:<id>``) names nobody.
    """
    anonymous = {a.id for a in after.answers if a.visibility is Visibility.ANONYMOUS}
    sharing = isinstance(event, ev.ShareChosen) and event.visibility is Visibility.ANONYMOUS
    for effect in effects:
        if not (
            (isinstance(effect, Send) and isinstance(effect.to, Group))
            or isinstance(effect, Edit | Delete | Pin)
        ):
            continue
        dump = effect.model_dump_json()
        if sharing:
            assert NAMES[event.actor] not in dump
            assert str(event.actor) not in dump
        key = effect.key or ""
        if key.startswith("share:") and key.removeprefix("share:") in anonymous:
            for user, name in NAMES.items():
                assert name not in dump
                assert str(user) not in dump


def check_role_not_betrayed(
    script: Script, before: SessionState, after: SessionState, event: Any
) -> None:
    """Sharing without one's name, or a held anonymous post going out, moves no count at all.

    Otherwise a stage's count would change as the anonymous story appears (or, as telling,
    fail to change because its author had already replied in public), and in a small group
    point at its author.
    """
    unnamed_share = isinstance(event, ev.ShareChosen) and event.visibility is not Visibility.NAMED
    released = any(a.held for a in before.answers) and not any(a.held for a in after.answers)
    if not (unnamed_share or released) or isinstance(event, ev.ParticipantErased | ev.Consented):
        return
    if isinstance(event, ev.Answered | ev.ShareChosen) and not unnamed_share:
        return  # a named answer that also let held posts out: its own count rises, rightly
    for stage in script.stages:
        assert voice_counts(before, stage) == voice_counts(after, stage)


def check_erasure(script: Script, before: SessionState, after: SessionState, event: Any) -> None:
    erased = isinstance(event, ev.ParticipantErased) or (
        isinstance(event, ev.Consented)
        and not event.accept
        and before.opened_at is not None
        and before.status is not Status.ENDED
    )
    if not erased:
        return
    user = event.actor
    dumps = [after.model_dump_json(), build_summary(script, after).model_dump_json()]
    for dump in dumps:
        assert NAMES[user] not in dump
    assert user not in after.participants
    if isinstance(event, ev.ParticipantErased):
        for dump in dumps:
            assert str(user) not in dump, "the erased user's id is still in the state"


# --- the properties ------------------------------------------------------------------------------


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scenarios())
def test_random_sessions_keep_every_invariant(scenario: tuple[Script, list[Any]]) -> None:
    script, ops = scenario
    Run(script).play(ops)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    script=scripts,
    joiners=st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(list(Role))), max_size=4),
    tail=st.data(),
)
def test_erasing_everyone_leaves_no_trace(
    script: Script, joiners: list[tuple[int, Role]], tail: st.DataObject
) -> None:
    """A busy session, then every person asks to be forgotten: nobody remains anywhere."""
    run = Run(script)
    run.apply(run.new(ev.Opened, actor=OPENER))
    for user, role in joiners:
        for event in run.events(("join", user, role)):
            run.apply(event)
    for op in tail.draw(st.lists(any_op, max_size=30)):
        for event in run.events(op):
            run.apply(event)
    for user in USERS:
        run.apply(run.new(ev.ParticipantErased, actor=user))
    state = run.state
    assert state.participants == {}
    assert state.facilitators == []
    assert state.answers == []
    assert state.drafts == {}
    assert state.commitments == []
    assert all(not votes for votes in state.choices.values())
    summary = build_summary(script, state)
    assert summary.participants.total == 0
    assert summary.quotes == ()
    assert summary.withheld == 0


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(guided_scenarios())
def test_guided_sessions_keep_every_invariant(scenario: tuple[Script, list[Any]]) -> None:
    script, ops = scenario
    Run(script).play(ops)
