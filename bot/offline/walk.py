"""A whole session of a script walked through the engine alone, with the demo's people and words.

No Telegram, no storage: events straight into ``bot.engine.machine.step``, so what is measured
or watched is the engine. ``bench/engine_step.py`` builds its sessions of 4, 20 and 60 people
with it, and the engine's tests walk every shipped script with it, looking at every step.

Besides what the demo does (answers in the group and privately, a risky story shared with no
name and held back until enough people answered, votes on the vision, choices, commitments
settled and endorsed, quote consent at the review), a walk does what a real session also sees,
so that every kind of change a step makes is made at least once: someone added without a
phone who answers through the facilitator, small talk kept as an answer, an answer and a
private draft edited, a vote changed, a choice taken back, an endorsement withdrawn, a
member leaving and joining again, a role changed, a pause, a step back, a commitment's
reminder and reports of where it stands (before and after the end), the charter asked for,
and people forgotten during the session and after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.engine import events as ev
from bot.engine.effects import Effect, Relay, Schedule
from bot.engine.machine import new_session, step
from bot.engine.script import CHOICE_KINDS, Channel, Script, Stage, StageKind
from bot.engine.state import EarlierCommitment, Progress, Role, SessionState
from bot.offline.cast import (
    ANSWERS,
    COMMITMENTS,
    EARLIER_NOTES,
    EARLIER_STATUS,
    FACILITATOR,
    GENERAL_ANSWER,
    VOTES,
    VOTES_PER_PERSON,
    Person,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
# Someone a facilitator adds without a phone: they answer aloud, the facilitator types it.
ADDED = "Mama Nadine"
# Someone who joins late and changes their mind: declining consent then erases them.
LATECOMER = Person(9_001, "Latecomer", Role.RESIDENT)


class Walk:
    """One session of one script with these people; every step goes through ``apply``."""

    def __init__(
        self,
        script: Script,
        people: Sequence[Person],
        *,
        session_id: str = "walk",
        earlier: list[EarlierCommitment] | None = None,
    ) -> None:
        self.script = script
        self.people = tuple(people)
        self.state = new_session(session_id, script, earlier=earlier)
        self.now = START
        self.serial = 0
        self.relays: list[Relay] = []  # reports carried to the session a commitment came from
        self.reminders: list[ev.ReminderDue] = []

    def act(self, cls: type[Any], **fields: Any) -> list[Effect]:
        self.serial += 1
        return self.apply(cls(event_id=f"{self.state.session_id}:w{self.serial}", **fields))

    def apply(self, event: ev.Event) -> list[Effect]:
        self.now += timedelta(seconds=30)
        self.state, effects = step(self.script, self.state, event, self.now)
        self.relays += [e for e in effects if isinstance(e, Relay)]
        self.reminders += [e.event for e in effects if isinstance(e, Schedule)]
        return effects

    # --- the whole session ---------------------------------------------------------------------

    def run(self, stop: str | None = None) -> SessionState:
        """Open, everyone joins, every stage in turn, the end and what comes after it. With
        ``stop``, the walk ends as that stage opens (everything before it done)."""
        self.act(ev.Opened, actor=FACILITATOR.user_id)
        for person in self.people:
            self.join(person)
        for index, stage in enumerate(self.script.stages):
            self.act(ev.Advanced, actor=FACILITATOR.user_id)
            if stage.id == stop:
                return self.state
            self.stage(stage)
            self.interlude(index)
        self.act(ev.Ended, actor=FACILITATOR.user_id)
        self.act(ev.Ended, actor=FACILITATOR.user_id, confirmed=True)
        self.afterwards()
        return self.state

    def join(self, person: Person) -> None:
        self.act(ev.Joined, actor=person.user_id)
        self.act(ev.Consented, actor=person.user_id, accept=True, name=person.name)
        self.act(ev.RoleChosen, actor=person.user_id, role=person.role or Role.UNSAID)

    def stage(self, stage: Stage) -> None:
        if stage.kind is StageKind.TEXT:
            self.text_stage(stage)
        elif stage.kind in CHOICE_KINDS:
            self.choose(stage)
        elif stage.kind is StageKind.COMMITMENT:
            self.commit(stage)
        elif stage.kind is StageKind.EARLIER:
            self.look_back(stage)
        elif stage.kind is StageKind.REVIEW:
            for n, person in enumerate(self.people):
                self.act(ev.QuoteConsentSet, actor=person.user_id, allow=n != 1)

    # --- stages --------------------------------------------------------------------------------

    def text_stage(self, stage: Stage) -> None:
        """Everyone answers as the demo's people do; the third person, where the stage allows
        it, privately and with no name; the fourth privately with their name, after mending
        what they wrote; and the second mends an answer already given."""
        texts = ANSWERS.get(stage.id, (GENERAL_ANSWER,))
        for n, person in enumerate(self.people):
            text = texts[n % len(texts)]
            ref = f"{stage.id}:{person.user_id}"
            if n == 2 and Channel.ANONYMOUS in stage.channels:
                self.confide(person, stage, text, ref, "anonymous")
            elif n == 3 and Channel.PRIVATE in stage.channels:
                self.confide(person, stage, text + " (mended)", ref, "named", draft=text)
            elif Channel.GROUP in stage.channels:
                self.answer(person, stage, text, ref)
            elif Channel.PRIVATE in stage.channels:
                self.confide(person, stage, text, ref, "facilitators")
        if len(self.people) > 1 and Channel.GROUP in stage.channels:
            mended = texts[1 % len(texts)] + " And at night too."
            ref = f"{stage.id}:{self.people[1].user_id}"
            self.act(ev.AnswerEdited, actor=self.people[1].user_id, source_ref=ref, text=mended)
        if stage.agree:
            self.vote(stage)

    def answer(self, person: Person, stage: Stage, text: str, ref: str) -> None:
        self.act(ev.Answered, actor=person.user_id, stage_id=stage.id, text=text, source_ref=ref)

    def confide(
        self,
        person: Person,
        stage: Stage,
        text: str,
        ref: str,
        visibility: str,
        draft: str | None = None,
    ) -> None:
        """Written privately (first as ``draft``, then mended, if given), then shared."""
        private = Channel.PRIVATE if Channel.PRIVATE in stage.channels else Channel.ANONYMOUS
        first = draft if draft is not None else text
        self.act(
            ev.Answered,
            actor=person.user_id,
            stage_id=stage.id,
            text=first,
            channel=private,
            source_ref=ref,
        )
        if draft is not None:
            self.act(ev.AnswerEdited, actor=person.user_id, source_ref=ref, text=text)
        self.act(ev.ShareChosen, actor=person.user_id, visibility=visibility)

    def vote(self, stage: Stage) -> None:
        """Everyone votes on the first statements as the demo's ``VOTES`` say; the first
        person then changes their mind on the first statement."""
        shown = [a for a in self.state.answers_for(stage.id) if not a.held]
        shown = [a for a in shown if a.visibility.value != "facilitators"]
        for n, person in enumerate(self.people):
            for m, answer in enumerate(shown[:VOTES_PER_PERSON]):
                vote = VOTES.get((n, m), "agree")
                self.act(ev.AgreementSet, actor=person.user_id, answer_id=answer.id, vote=vote)
        if shown and self.people:
            first = self.people[0].user_id
            self.act(ev.AgreementSet, actor=first, answer_id=shown[0].id, vote="unsure")

    def choose(self, stage: Stage) -> None:
        """As the demo's people choose; the first person takes one choice back."""
        limit = 1 if stage.kind is StageKind.CHOICE else min(2, stage.max_choices or 2)
        for n, person in enumerate(self.people):
            for k in range(limit):
                option = stage.options[(n + 2 * k) % len(stage.options)]
                self.act(
                    ev.ChoiceToggled, actor=person.user_id, stage_id=stage.id, option_id=option.id
                )
        if self.people:
            first = self.people[0].user_id
            taken_back = stage.options[0].id
            self.act(ev.ChoiceToggled, actor=first, stage_id=stage.id, option_id=taken_back)

    def commit(self, stage: Stage) -> None:
        """The demo's commitments, settled and endorsed; one endorsement is withdrawn, and
        someone of the side that acts says the first is under way."""
        for n, (text, owner, due) in enumerate(COMMITMENTS):
            proposer = self.people[n * 3 % len(self.people)].user_id
            ref = f"{stage.id}:{proposer}:{n}"
            self.act(ev.Answered, actor=proposer, stage_id=stage.id, text=text, source_ref=ref)
            cid = self.state.commitments[-1].id
            self.act(ev.CommitmentOwnerSet, actor=proposer, commitment_id=cid, owner=owner)
            self.act(ev.CommitmentDueSet, actor=proposer, commitment_id=cid, due=due)
            for person in self.people[: 4 - n]:
                self.act(ev.EndorsementToggled, actor=person.user_id, commitment_id=cid)
        first = self.state.commitments[0].id if self.state.commitments else "c0"
        if len(self.people) > 1:
            self.act(ev.EndorsementToggled, actor=self.people[1].user_id, commitment_id=first)
        self.act(
            ev.CommitmentStatusReported,
            actor=FACILITATOR.user_id,
            commitment_id=first,
            status=Progress.IN_PROGRESS,
        )

    def look_back(self, stage: Stage) -> None:
        """A follow-up's earlier commitments, card by card, as the demo goes through them."""
        for n, card in enumerate(self.state.earlier):
            if n:
                self.act(ev.Advanced, actor=FACILITATOR.user_id)
            status = EARLIER_STATUS[n % len(EARLIER_STATUS)]
            self.act(
                ev.CommitmentStatusReported,
                actor=FACILITATOR.user_id,
                commitment_id=card.key,
                status=status,
            )
            notes = EARLIER_NOTES[n % len(EARLIER_NOTES)]
            for person, text in zip(self.people, notes, strict=False):
                reply = f"earlier:{card.key}"
                self.act(ev.Said, actor=person.user_id, text=text, replies_to=reply)

    # --- what else happens in a session --------------------------------------------------------

    def interlude(self, index: int) -> None:
        """Between stages, now and then: the acts a session sees besides answers."""
        fac = FACILITATOR.user_id
        stage = self.script.stages[index]
        added = any(p.proxy for p in self.state.participants.values())
        if stage.kind is StageKind.TEXT and not added:
            self.added_person(stage)
        if index == 1:
            for cls in (ev.Paused, ev.Resumed, ev.WentBack, ev.Advanced, ev.StatusRequested):
                self.act(cls, actor=fac)
            self.act(ev.NudgeRequested, actor=fac)
            self.remind("nudge")
            self.join(LATECOMER)
            self.act(ev.Consented, actor=LATECOMER.user_id, accept=False)
        if stage.kind is StageKind.TEXT and Channel.GROUP in stage.channels and self.people:
            self.small_talk(stage, self.people[-1])
        if len(self.people) > 3 and stage.kind is StageKind.TEXT:
            leaver = self.people[3].user_id
            self.act(ev.MemberLeft, user_id=leaver)
            self.act(ev.Joined, actor=leaver)
        if stage.kind is StageKind.COMMITMENT and len(self.people) > 3:
            self.change_role(self.people[1])
            self.act(ev.ParticipantErased, actor=self.people[-1].user_id)  # while it runs
        if stage.kind is StageKind.REVIEW:
            self.act(ev.SummaryRequested, actor=fac)

    def added_person(self, stage: Stage) -> None:
        fac = FACILITATOR.user_id
        self.act(ev.PersonAdded, actor=fac, name=ADDED, role=Role.RESIDENT)
        number = -max(u for u in self.state.participants if u < 0)
        text = ANSWERS.get(stage.id, (GENERAL_ANSWER,))[0]
        self.act(ev.AnsweredFor, actor=fac, number=number, text=text)

    def small_talk(self, stage: Stage, person: Person) -> None:
        """ "Ok" in the group: not counted until its author keeps it as their answer."""
        ref = f"{stage.id}:{person.user_id}:ok"
        self.answer(person, stage, "ok", ref)
        self.act(ev.AnswerKept, actor=person.user_id)

    def change_role(self, person: Person) -> None:
        self.act(ev.RoleChangeAsked, actor=person.user_id)
        role = Role.RESIDENT if person.role is Role.POLICE else Role.POLICE
        self.act(ev.RoleChosen, actor=person.user_id, role=role)

    def remind(self, purpose: str) -> None:
        """The latest reminder of this purpose comes."""
        due = [r for r in self.reminders if r.purpose == purpose]
        if due:
            self.apply(due[-1])

    def afterwards(self) -> None:
        """Weeks later: the reminders of the commitments come, one is reported done, the
        charter is asked for again, and the first person asks to be forgotten."""
        self.now += timedelta(weeks=5)
        for reminder in [r for r in self.reminders if r.purpose == "due"]:
            self.apply(reminder)
        for commitment in self.state.commitments[:1]:
            self.act(
                ev.CommitmentStatusReported,
                actor=FACILITATOR.user_id,
                commitment_id=commitment.id,
                status=Progress.DONE,
            )
        self.act(ev.CharterRequested, actor=FACILITATOR.user_id, place="Mutumba")
        if self.people:
            self.act(ev.ParticipantErased, actor=self.people[0].user_id)


def crowd(size: int) -> tuple[Person, ...]:
    """``size`` people, officers, residents and local leaders in turn."""
    roles = (Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.LEADER)
    return tuple(Person(5_000 + n, f"Person {n + 1}", roles[n % len(roles)]) for n in range(size))
