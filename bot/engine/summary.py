"""The summary model: everything a group's summary is rendered from, and nothing more.

Built from the state alone, so a draft and the final summary always agree. Quotes honour each
author's choices: facilitator-only answers are counted, never quoted; an anonymous quote carries
neither name nor role (in a small group a role can be enough to identify someone); a story from a
``quote_with_consent`` stage is quoted only if its author said yes at the review stage, and
someone who said no there is quoted nowhere: every answer of theirs is counted, not quoted.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from bot.engine.script import CHOICE_KINDS, Script, Stage, StageKind
from bot.engine.state import (
    Commitment,
    Due,
    Owner,
    Progress,
    Role,
    SessionState,
    Status,
    Visibility,
)


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RoleCounts(_Frozen):
    police: int = 0
    resident: int = 0
    leader: int = 0
    unsaid: int = 0

    @property
    def total(self) -> int:
        return self.police + self.resident + self.leader + self.unsaid

    @classmethod
    def of(cls, roles: list[Role]) -> RoleCounts:
        return cls(**{role.value: roles.count(role) for role in Role})


class StageBalance(_Frozen):
    """Who spoke at one stage, by role: the balance of voices a facilitator watches."""

    stage_id: str
    title: str
    kind: StageKind
    voices: RoleCounts  # people who spoke with their name
    unnamed: int = 0  # answers without a name: counted, never attributed


class OptionTally(_Frozen):
    option_id: str
    label: str
    votes: RoleCounts


class ChoiceResult(_Frozen):
    stage_id: str
    title: str
    options: tuple[OptionTally, ...]


class Quote(_Frozen):
    stage_id: str
    text: str
    author: str | None  # None: anonymous
    role: Role | None  # None: anonymous


class CommitmentLine(_Frozen):
    text: str
    owner: Owner | None
    due: Due | None
    due_date: str | None  # ISO date, rendered per language by the shell
    endorsements: RoleCounts
    shared: bool
    complete: bool = True  # False: a proposal still without who acts or by when
    status: Progress = Progress.OPEN  # where it stands, and since when (ISO date; None: open)
    status_date: str | None = None


class StatusStep(_Frozen):
    status: Progress
    date: str  # ISO date


class EarlierLine(_Frozen):
    """An earlier commitment as a follow-up went through it: its whole history of reports,
    and what was said of it (quoted as the authors allowed)."""

    text: str
    owner: Owner | None
    due_date: str | None
    history: tuple[StatusStep, ...]
    notes: tuple[Quote, ...] = ()


class Summary(_Frozen):
    script_id: str
    title: str
    final: bool
    participants: RoleCounts
    balance: tuple[StageBalance, ...]
    choices: tuple[ChoiceResult, ...]
    quotes: tuple[Quote, ...]
    commitments: tuple[CommitmentLine, ...]
    withheld: int  # answers counted but not quoted (facilitators only, or no consent to quote)
    # k of disclosure control (the script's privacy_threshold): no count by role below it is
    # shown as a number; see ``bot.words.names.summary_counts``.
    threshold: int = 1
    earlier: tuple[EarlierLine, ...] = ()  # a follow-up's earlier commitments, with history


def is_shared(commitment: Commitment, state: SessionState) -> bool:
    """Endorsed by at least one police officer and one resident: a commitment across the line."""
    roles = {state.participants[u].role for u in commitment.endorsers if u in state.participants}
    return Role.POLICE in roles and Role.RESIDENT in roles


def endorsement_counts(commitment: Commitment, state: SessionState) -> RoleCounts:
    return RoleCounts.of(_roles(state, commitment.endorsers))


def _roles(state: SessionState, users: list[int]) -> list[Role]:
    roles: list[Role] = []
    for user_id in users:
        participant = state.participants.get(user_id)
        if participant is not None and participant.role is not None:
            roles.append(participant.role)
    return roles


def voice_counts(state: SessionState, stage: Stage) -> RoleCounts:
    """Who has spoken at a stage with their name, by role.

    An answer shared without a name (anonymously, or for the facilitators only) moves no count
    at all: not its author's role, nor "not said". Otherwise a count would change at the very
    moment an anonymous story appears, or fail to change when its author had already replied in
    public, and in a small group either is as good as a name. Votes and commitments are counted
    as before: nobody casts them anonymously.
    """
    if stage.kind in CHOICE_KINDS:
        users = set(state.choices.get(stage.id, {}))
    elif stage.kind is StageKind.COMMITMENT:
        users = {c.proposer for c in state.commitments if c.stage_id == stage.id}
    else:
        answers = state.answers_for(stage.id)
        users = {a.user_id for a in answers if a.visibility is Visibility.NAMED}
    return RoleCounts.of(
        [role for user_id in sorted(users) if (role := _role(state, user_id)) is not None]
    )


def unnamed_answers(state: SessionState, stage: Stage) -> int:
    """How many answers to a stage went without their author's name and are shown (or counted)
    by now: anonymous ones the group has seen, and those kept for the facilitators."""
    return sum(
        a.visibility is not Visibility.NAMED and not a.held for a in state.answers_for(stage.id)
    )


def _role(state: SessionState, user_id: int) -> Role | None:
    participant = state.participants.get(user_id)
    return participant.role if participant is not None else None


def build_summary(script: Script, state: SessionState) -> Summary:
    active = [p for p in state.participants.values() if p.active]
    stages = [s for s in script.stages if s.in_summary and s.takes_input]
    quotes: list[Quote] = []
    withheld = 0
    for stage in stages:
        if stage.kind not in CHOICE_KINDS and stage.kind is not StageKind.COMMITMENT:
            stage_quotes, stage_withheld = _quotes(state, stage)
            if stage.kind is StageKind.EARLIER:  # its notes are quoted under each commitment
                stage_withheld += sum(
                    _quotes(state, stage, about=c.key)[1] for c in state.earlier
                )
            quotes += stage_quotes
            withheld += stage_withheld
    return Summary(
        script_id=script.id,
        title=script.title,
        final=state.status is Status.ENDED,
        participants=RoleCounts.of([p.role for p in active if p.role is not None]),
        balance=tuple(_balance(state, stage) for stage in stages),
        choices=tuple(_choice_result(state, s) for s in stages if s.kind in CHOICE_KINDS),
        quotes=tuple(quotes),
        commitments=tuple(_commitment_lines(state)),
        withheld=withheld,
        threshold=script.privacy_threshold,
        earlier=tuple(_earlier_lines(script, state)),
    )


def _earlier_lines(script: Script, state: SessionState) -> list[EarlierLine]:
    stage = next((s for s in script.stages if s.kind is StageKind.EARLIER), None)
    lines = []
    for c in state.earlier:
        notes, _ = _quotes(state, stage, about=c.key) if stage is not None else ([], 0)
        lines.append(
            EarlierLine(
                text=c.text,
                owner=c.owner,
                due_date=c.due_date.date().isoformat() if c.due_date else None,
                history=tuple(
                    StatusStep(status=h.status, date=h.at.date().isoformat()) for h in c.history
                ),
                notes=tuple(notes),
            )
        )
    return lines


def _balance(state: SessionState, stage: Stage) -> StageBalance:
    return StageBalance(
        stage_id=stage.id,
        title=stage.title,
        kind=stage.kind,
        voices=voice_counts(state, stage),
        unnamed=unnamed_answers(state, stage),
    )


def _choice_result(state: SessionState, stage: Stage) -> ChoiceResult:
    votes = state.choices.get(stage.id, {})
    tallies = tuple(
        OptionTally(
            option_id=option.id,
            label=option.label,
            votes=RoleCounts.of(
                _roles(state, [u for u, picked in votes.items() if option.id in picked])
            ),
        )
        for option in stage.options
    )
    return ChoiceResult(stage_id=stage.id, title=stage.title, options=tallies)


def _quotes(
    state: SessionState, stage: Stage, about: str | None = None
) -> tuple[list[Quote], int]:
    """The quotable answers of a text stage (those about one earlier commitment, if given),
    and how many were counted but withheld."""
    quotes: list[Quote] = []
    withheld = 0
    for answer in state.answers_for(stage.id):
        if answer.about != about:
            continue
        author = state.participants.get(answer.user_id)
        if author is None or answer.held:  # a held post is not shown anywhere yet
            continue
        # One consent, whole summary: a "no" at the review withholds every answer of theirs.
        quotable = (
            answer.visibility is not Visibility.FACILITATORS
            and author.quote_consent is not False
            and (not stage.quote_with_consent or author.quote_consent is True)
        )
        if not quotable:
            withheld += 1
            continue
        named = answer.visibility is Visibility.NAMED
        quotes.append(
            Quote(
                stage_id=stage.id,
                text=answer.text,
                author=author.name if named else None,
                role=author.role if named else None,
            )
        )
    return quotes, withheld


def _commitment_lines(state: SessionState) -> list[CommitmentLine]:
    lines = [
        CommitmentLine(
            text=c.text,
            owner=c.owner,
            due=c.due,
            due_date=c.due_date.date().isoformat() if c.due_date else None,
            endorsements=endorsement_counts(c, state),
            shared=is_shared(c, state),
            complete=c.complete,
            status=c.status,
            status_date=c.history[-1].at.date().isoformat() if c.history else None,
        )
        for c in state.commitments
    ]
    # Shared commitments first: they are what police and residents agreed on together. A
    # proposal nobody completed stays, last: it was said, and it must not vanish.
    lines.sort(key=lambda line: (not line.shared, not line.complete, -line.endorsements.total))
    return lines
