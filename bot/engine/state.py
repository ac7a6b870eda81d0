"""A dialogue session's state: everything the engine knows, and nothing it does not need.

People are keyed by their Telegram user id only because the shell must be able to write to them
privately (consent, private answers, nudges); no username, phone number or profile is kept.
The state is plain data (pydantic) so storage can persist it and tests can compare it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

UserId = int
# The proposer of a commitment whose proposer asked to be forgotten while others endorsed it.
NOBODY: UserId = 0

# Bumped when the text a participant agrees to changes in substance; stored with the consent.
CONSENT_VERSION = 1


class Status(StrEnum):
    LOBBY = "lobby"  # opened, people join; no stage open yet
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class Role(StrEnum):
    """How a participant describes themself; seen by facilitators, counted for the group."""

    POLICE = "police"
    RESIDENT = "resident"
    LEADER = "leader"
    UNSAID = "unsaid"


class Visibility(StrEnum):
    """Where an answer may be shown, as its author chose."""

    NAMED = "named"  # in the group and the summary, with the author's name
    ANONYMOUS = (
        "anonymous"  # in the group and the summary, with nothing that identifies the author
    )
    FACILITATORS = "facilitators"  # to facilitators only; counted, never quoted


class Agreement(StrEnum):
    """What someone says to a statement of the shared vision (an answer to an ``agree`` stage)."""

    AGREE = "agree"
    UNSURE = "unsure"
    DISAGREE = "disagree"


class Owner(StrEnum):
    """Who will act on a commitment."""

    POLICE = "police"
    RESIDENTS = "residents"
    BOTH = "both"


class Due(StrEnum):
    TWO_WEEKS = "2w"
    ONE_MONTH = "1m"
    THREE_MONTHS = "3m"
    NONE = "none"


DUE_DAYS: dict[Due, int | None] = {
    Due.TWO_WEEKS: 14,
    Due.ONE_MONTH: 30,
    Due.THREE_MONTHS: 91,
    Due.NONE: None,
}


class Progress(StrEnum):
    """Where a commitment stands, as its owners' side or a facilitator last reported it."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    STUCK = "stuck"
    DROPPED = "dropped"


# The statuses a report may set: "open" is where every commitment starts, never reported.
REPORTED = (Progress.IN_PROGRESS, Progress.DONE, Progress.STUCK, Progress.DROPPED)
# A commitment in one of these asks nothing more of anyone: no reminder, not listed as open.
SETTLED = frozenset({Progress.DONE, Progress.DROPPED})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Participant(_Model):
    user_id: UserId
    name: Annotated[str, Field(max_length=64)]
    language: str | None = None
    consented: bool = False
    consent_version: int | None = None
    role: Role | None = None
    joined_at: datetime
    # None: not asked yet; the review stage asks whether their stories may be quoted.
    quote_consent: bool | None = None
    # They asked with /role to change their role: the next role button they press counts.
    # A role is otherwise chosen once, so an old role button pressed again changes nothing.
    role_change: bool = False
    # They left the group (Telegram said so): out of the live session and its nudges, their
    # answers kept as their consent says; joining again brings them back.
    left: bool = False

    @property
    def active(self) -> bool:
        """Consented and introduced with a role: may answer, vote, propose and endorse."""
        return self.consented and self.role is not None and not self.left

    @property
    def proxy(self) -> bool:
        """Someone in the room without Telegram, added by a facilitator (``/addperson``)."""
        return is_proxy(self.user_id)


# People without Telegram, added by a facilitator, get ids below zero from the session's serial:
# Telegram user ids are positive, so they never collide, and nothing is ever sent to them. Their
# name is kept behind this prefix (nobody can type it), so every place that shows a name shows
# "added by the facilitator" with it (``bot.words.names.person``).
PROXY_PREFIX = "\x1eproxy:"


def is_proxy(user_id: UserId) -> bool:
    return user_id < 0


# A voice note (or round video message) is kept as Telegram's file id, never its sound, in the
# answer's text field (so it is sealed and erased exactly as text is) behind this prefix, which
# nobody can type in a Telegram message. ``VOICE_MARK`` stands for it wherever text is shown.
VOICE_PREFIX = "\x1evoice:"
VOICE_MARK = "\x1evoice"


def voice_of(text: str) -> str | None:
    """The file id of a voice answer's text, or None for a written one."""
    return text.removeprefix(VOICE_PREFIX) if text.startswith(VOICE_PREFIX) else None


def shown(text: str) -> str:
    """An answer's text as summaries may carry it: a voice answer's file id stays behind."""
    return VOICE_MARK if voice_of(text) is not None else text


class Answer(_Model):
    id: str
    stage_id: str
    user_id: UserId
    text: str
    visibility: Visibility
    # Opaque reference to the message that carried it (shell-defined), so an edit can find it.
    source_ref: str | None = None
    # Written privately: if shown at all, the group saw it in a message the bot posted.
    via_private: bool = False
    created_at: datetime
    edited_at: datetime | None = None
    # An anonymous answer the group has not been shown yet: it waits until enough people have
    # answered its stage, or the stage closes, so the moment it appears points at nobody.
    held: bool = False
    # The earlier commitment (its key, "e2") a follow-up answer speaks of, if any.
    about: str | None = None

    @property
    def voice(self) -> str | None:
        """Telegram's file id of a voice answer; None for a written one."""
        return voice_of(self.text)

    @property
    def posted_by_bot(self) -> bool:
        """Shown in the group in a message the bot posted (so the bot can take it back)."""
        return (
            self.via_private and self.visibility is not Visibility.FACILITATORS and not self.held
        )


class Draft(_Model):
    """A private answer written but not yet shared: kept so nothing entrusted is lost."""

    stage_id: str
    text: str
    source_ref: str | None = None
    created_at: datetime
    about: str | None = None  # as for an answer: the earlier commitment it speaks of
    # Said in the group and taken for conversation ("ok", a question): kept only until its
    # author presses "Keep as my answer" privately, never counted before.
    in_group: bool = False


class StatusChange(_Model):
    """One report of where a commitment stands: no one's name, only what and when."""

    status: Progress
    at: datetime


class Commitment(_Model):
    id: str
    stage_id: str
    text: str
    proposer: UserId
    owner: Owner | None = None
    due: Due | None = None
    due_date: datetime | None = None
    created_at: datetime
    source_ref: str | None = None
    endorsers: list[UserId] = Field(default_factory=list)
    # Every reported change of status with its moment, oldest first; empty while still open.
    history: list[StatusChange] = Field(default_factory=list)
    # When the due-date reminder was posted in the group (its message is "due:<id>").
    reminded_at: datetime | None = None

    @property
    def complete(self) -> bool:
        return self.owner is not None and self.due is not None

    @property
    def status(self) -> Progress:
        return status_of(self.history)

    @property
    def status_at(self) -> datetime:
        """When the status last changed: the proposal itself while nobody reported one."""
        return self.history[-1].at if self.history else self.created_at


def status_of(history: list[StatusChange]) -> Progress:
    return history[-1].status if history else Progress.OPEN


class EarlierCommitment(_Model):
    """A commitment of an earlier session of the same group, as a follow-up session goes
    through it: a copy taken when the follow-up opened, with no one's id; reports made here
    are carried back to the session it came from."""

    key: str  # "e1", "e2"…: its place in this session (ids repeat across sessions)
    origin: str  # the session it was made in
    commitment_id: str  # its id there
    text: str
    owner: Owner | None = None
    due_date: datetime | None = None
    created_at: datetime
    history: list[StatusChange] = Field(default_factory=list)

    @property
    def status(self) -> Progress:
        return status_of(self.history)


class SessionState(_Model):
    """One session of one script in one group."""

    session_id: str
    script_id: str
    language: str = "en"
    status: Status = Status.LOBBY
    stage_index: int = -1  # -1 while in the lobby
    facilitators: list[UserId] = Field(default_factory=list)
    participants: dict[UserId, Participant] = Field(default_factory=dict)
    answers: list[Answer] = Field(default_factory=list)
    drafts: dict[UserId, Draft] = Field(default_factory=dict)
    # stage id -> user id -> chosen option ids, in the order chosen
    choices: dict[str, dict[UserId, list[str]]] = Field(default_factory=dict)
    commitments: list[Commitment] = Field(default_factory=list)
    # answer id -> user id -> what they said to it: one vote per person per statement.
    agreements: dict[str, dict[UserId, Agreement]] = Field(default_factory=dict)
    # A follow-up session's copies of the group's earlier commitments, and the one on show.
    earlier: list[EarlierCommitment] = Field(default_factory=list)
    earlier_index: int = 0
    opened_at: datetime | None = None
    ended_at: datetime | None = None
    stage_opened_at: datetime | None = None
    # Ids of the events applied, so a redelivered event changes nothing. Storage keeps the
    # most recent ones per session (bot.storage.tx.APPLIED_MEMORY); an older id cannot come
    # back, the inbox having refused its update id already.
    applied: set[str] = Field(default_factory=set)
    # Counter for ids the engine hands out (answers, commitments); never reused.
    serial: int = 0

    def participant(self, user_id: UserId) -> Participant | None:
        return self.participants.get(user_id)

    def is_facilitator(self, user_id: UserId) -> bool:
        return user_id in self.facilitators

    def names(self, user_id: UserId) -> bool:
        """Whether anything in the session is this person's (what erasure would remove)."""
        return (
            user_id in self.participants
            or user_id in self.drafts
            or user_id in self.facilitators
            or any(a.user_id == user_id for a in self.answers)
            or any(user_id in votes for votes in self.choices.values())
            or any(user_id in votes for votes in self.agreements.values())
            or any(c.proposer == user_id or user_id in c.endorsers for c in self.commitments)
        )

    def answers_for(self, stage_id: str) -> list[Answer]:
        return [a for a in self.answers if a.stage_id == stage_id]

    def commitment(self, commitment_id: str) -> Commitment | None:
        return next((c for c in self.commitments if c.id == commitment_id), None)

    def earlier_one(self, key: str) -> EarlierCommitment | None:
        return next((c for c in self.earlier if c.key == key), None)
