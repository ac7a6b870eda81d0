"""The summary model: everything a group's summary is rendered from, and nothing more.

Built from the state alone, so a draft and the final summary always agree. One model serves two
renderings (``bot.words.summary``): the take-home summary the group keeps (commitments first,
then the shared vision, what people offered, the choices, one line on the balance of voices and
the stories as consented) and the full per-stage record the facilitators receive privately.

Quotes honour each author's choices: facilitator-only answers are counted, never quoted; an
anonymous quote carries neither name nor role (in a small group a role can be enough to identify
someone); a story from a ``quote_with_consent`` stage is quoted only if its author said yes at
the review stage, and someone who said no there is quoted nowhere: every answer of theirs is
counted, not quoted.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from bot.engine.script import CHOICE_KINDS, Script, Stage, StageKind
from bot.engine.state import (
    Agreement,
    Answer,
    Commitment,
    Due,
    Owner,
    Participant,
    Progress,
    Role,
    SessionState,
    Status,
    UserId,
    Visibility,
    shown,
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


class Section(StrEnum):
    """Where a quote goes in the take-home summary (the full record has every one by stage)."""

    VISION = "vision"  # an ``agree`` stage: in "Our shared vision", as a statement
    OFFERS = "offers"  # a text stage quoted as it is: what people offered
    STORIES = "stories"  # a ``quote_with_consent`` stage: quoted last, with consent only
    RECORD = "record"  # ``in_take_home: false``: in the facilitators' record only


class Quote(_Frozen):
    stage_id: str
    text: str  # VOICE_MARK for a voice answer: its file id never leaves the state
    author: str | None  # None: anonymous
    role: Role | None  # None: anonymous
    section: Section = Section.OFFERS
    answer_id: str = ""  # what a facilitator's Play button names


class Statement(_Frozen):
    """One statement of the shared vision with its votes by role; ``bridging`` when a majority
    of the police officers and a majority of the residents who voted on it agree."""

    answer_id: str
    stage_id: str
    text: str
    author: str | None  # None: anonymous (the statement takes part without its author)
    role: Role | None
    agree: RoleCounts = RoleCounts()
    unsure: RoleCounts = RoleCounts()
    disagree: RoleCounts = RoleCounts()
    bridging: bool = False

    @property
    def votes(self) -> int:
        return self.agree.total + self.unsure.total + self.disagree.total


class CommitmentLine(_Frozen):
    text: str
    owner: Owner | None
    due: Due | None
    due_date: str | None  # ISO date, rendered per language by the shell
    endorsements: RoleCounts
    shared: bool
    complete: bool = True  # False: a proposal still without who acts or by when
    status: Progress = Progress.OPEN  # where it stands, as last reported
    status_date: str | None = None  # ISO date of that report; None while never reported


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
    # The shared vision: statements both sides agree on first (see ``shared_vision``).
    vision: tuple[Statement, ...] = ()
    # The balance of voices in one figure: the people who spoke with their name at any stage,
    # by role, and the answers given without a name.
    voices: RoleCounts = RoleCounts()
    unnamed: int = 0
    withheld: int  # answers counted but not quoted (facilitators only, or no consent to quote)
    # k of disclosure control (the script's privacy_threshold): no count by role below it is
    # shown as a number; see ``bot.words.names.summary_counts``.
    threshold: int = 1
    earlier: tuple[EarlierLine, ...] = ()  # a follow-up's earlier commitments, with history
    # Of those taking part, how many without a phone, through a facilitator (``/addperson``).
    added: int = 0


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
    users = _named_users(state, stage)
    return RoleCounts.of(
        [role for user_id in sorted(users) if (role := _role(state, user_id)) is not None]
    )


def _named_users(state: SessionState, stage: Stage) -> set[UserId]:
    if stage.kind in CHOICE_KINDS:
        return set(state.choices.get(stage.id, {}))
    if stage.kind is StageKind.COMMITMENT:
        return {c.proposer for c in state.commitments if c.stage_id == stage.id}
    return {a.user_id for a in state.answers_for(stage.id) if a.visibility is Visibility.NAMED}


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
    # Who took part: with a role, also those who left the group since (their answers stay).
    active = [p for p in state.participants.values() if p.consented and p.role is not None]
    stages = [s for s in script.stages if s.in_summary and s.takes_input]
    quotes: list[Quote] = []
    withheld = 0
    for stage in stages:
        if stage.kind not in CHOICE_KINDS and stage.kind is not StageKind.COMMITMENT:
            stage_quotes, stage_withheld = _quotes(state, stage)
            if stage.kind is StageKind.EARLIER:  # its notes are quoted under each commitment
                stage_withheld += sum(_quotes(state, stage, about=c.key)[1] for c in state.earlier)
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
        vision=shared_vision(script, state),
        voices=_all_voices(state, stages),
        unnamed=sum(unnamed_answers(state, stage) for stage in stages),
        withheld=withheld,
        threshold=script.privacy_threshold,
        earlier=tuple(_earlier_lines(script, state)),
        added=sum(p.proxy for p in active),
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


def shared_vision(script: Script, state: SessionState) -> tuple[Statement, ...]:
    """The statements of the ``agree`` stages the group may read, as the summary shows them:
    those a majority of both police officers and residents agree on first (bridging, in the
    order given), then the others, most agreed first. Only what may be quoted takes part (the
    same rules as every quote); an anonymous statement takes part without its author.

    The one source of "the shared vision" for every rendering (the summary, the charter).
    """
    statements: list[Statement] = []
    for stage in script.stages:
        if not (stage.agree and stage.in_summary):
            continue
        for answer in state.answers_for(stage.id):
            author = state.participants.get(answer.user_id)
            if author is None or answer.held or not _quotable(stage, answer, author):
                continue
            statements.append(_statement(state, stage, answer, author))
    bridging = [s for s in statements if s.bridging]
    others = sorted((s for s in statements if not s.bridging), key=lambda s: -s.agree.total)
    return (*bridging, *others)


def _statement(
    state: SessionState, stage: Stage, answer: Answer, author: Participant
) -> Statement:
    named = answer.visibility is Visibility.NAMED
    votes = state.agreements.get(answer.id, {})
    by_vote = {
        vote: RoleCounts.of(_roles(state, [u for u, v in votes.items() if v is vote]))
        for vote in Agreement
    }
    agree = by_vote[Agreement.AGREE]
    police = sum(counts.police for counts in by_vote.values())
    residents = sum(counts.resident for counts in by_vote.values())
    return Statement(
        answer_id=answer.id,
        stage_id=stage.id,
        text=shown(answer.text),
        author=author.name if named else None,
        role=author.role if named else None,
        agree=agree,
        unsure=by_vote[Agreement.UNSURE],
        disagree=by_vote[Agreement.DISAGREE],
        # Bridging: most of the police officers and most of the residents who voted agree.
        bridging=police > 0
        and residents > 0
        and 2 * agree.police > police
        and 2 * agree.resident > residents,
    )


def _all_voices(state: SessionState, stages: list[Stage]) -> RoleCounts:
    """Everyone who spoke with their name at any of the stages, once, by role."""
    users: set[UserId] = set()
    for stage in stages:
        users |= _named_users(state, stage)
    return RoleCounts.of([r for u in sorted(users) if (r := _role(state, u)) is not None])


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
        if not _quotable(stage, answer, author):
            withheld += 1
            continue
        named = answer.visibility is Visibility.NAMED
        quotes.append(
            Quote(
                stage_id=stage.id,
                text=shown(answer.text),
                answer_id=answer.id,
                author=author.name if named else None,
                role=author.role if named else None,
                section=_section(stage),
            )
        )
    return quotes, withheld


def quotable(stage: Stage, answer: Answer, author: Participant) -> bool:
    """Whether an answer may be quoted in any summary (see ``_quotable``)."""
    return _quotable(stage, answer, author)


def _quotable(stage: Stage, answer: Answer, author: Participant) -> bool:
    """Whether an answer may be quoted in any summary. One consent, whole summary: a "no" at
    the review withholds every answer of its author; facilitator-only answers never appear."""
    return (
        answer.visibility is not Visibility.FACILITATORS
        and author.quote_consent is not False
        and (not stage.quote_with_consent or author.quote_consent is True)
    )


def _section(stage: Stage) -> Section:
    if stage.agree:
        return Section.VISION
    if not stage.in_take_home:
        return Section.RECORD
    return Section.STORIES if stage.quote_with_consent else Section.OFFERS


def balanced(quotes: list[Quote], limit: int) -> list[Quote]:
    """At most ``limit`` quotes, taken in turn from each role (anonymous ones as one more
    group), in the order they were given: a shortened list keeps the balance of voices, and
    the same state always yields the same choice."""
    if len(quotes) <= limit:
        return list(quotes)
    groups: dict[Role | None, list[int]] = {}
    for index, quote in enumerate(quotes):
        groups.setdefault(quote.role, []).append(index)
    chosen: list[int] = []
    while len(chosen) < limit:
        for indexes in groups.values():
            if indexes and len(chosen) < limit:
                chosen.append(indexes.pop(0))
    return [quotes[i] for i in sorted(chosen)]


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
