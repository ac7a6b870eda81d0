"""What the engine asks the shell to do, and the views it asks to show.

A view is a snapshot of what to show, not text: the shell renders it in the reader's language
(``bot.words``), so the engine never touches gettext or Telegram. Live messages (the welcome,
each stage's prompt, each commitment card) are named by a ``key``; the shell remembers which
Telegram message a key stands for and edits it in place instead of posting anew.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.events import CommitmentStatusCarried, ReminderDue
from bot.engine.state import Due, Owner, Progress, Role, Status, UserId
from bot.engine.summary import RoleCounts, Summary


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- views -------------------------------------------------------------------------------------


class Notice(StrEnum):
    """Short messages to one person; each has one declared template in ``bot.words.notices``."""

    CONSENT_REQUEST = "consent_request"
    CONSENT_DECLINED = "consent_declined"
    CHOOSE_ROLE = "choose_role"
    CHANGE_ROLE = "change_role"  # /role: the role question again, for a change
    ROLE_KEPT = "role_kept"  # an old role button: a role is chosen once
    ROLE_CHANGED = "role_changed"
    JOINED = "joined"
    ALREADY_JOINED = "already_joined"
    JOIN_FIRST = "join_first"
    NOT_FACILITATOR = "not_facilitator"
    NOT_A_MEMBER = "not_a_member"  # not in the session's group (now)
    STAGE_NOT_OPEN = "stage_not_open"
    NOT_RUNNING = "not_running"
    SESSION_ENDED = "session_ended"
    TOO_SHORT = "too_short"
    TOO_LONG = "too_long"
    TOO_MANY_ANSWERS = "too_many_answers"
    NOT_HERE = "not_here"  # this stage is not answered in this place
    SHARE_CHOICE = "share_choice"
    SHARED = "shared"
    SHARED_HELD = "shared_held"  # an anonymous answer waits for more answers before it is posted
    NO_DRAFT = "no_draft"
    ANSWER_UPDATED = "answer_updated"
    UNKNOWN_OPTION = "unknown_option"
    CHOICES_FULL = "choices_full"
    UNKNOWN_COMMITMENT = "unknown_commitment"
    NOT_PROPOSER = "not_proposer"
    VOTED = "voted"  # a vote on a statement of the shared vision, in its button's popup
    UNKNOWN_STATEMENT = "unknown_statement"  # no such statement to vote on (any more)
    ENDORSED = "endorsed"
    UNENDORSED = "unendorsed"
    QUOTE_CONSENT_REQUEST = "quote_consent_request"
    QUOTE_CONSENT_SAVED = "quote_consent_saved"
    FACILITATOR_ADDED = "facilitator_added"
    AT_FIRST_STAGE = "at_first_stage"
    AT_LAST_STAGE = "at_last_stage"
    ALREADY_ON_STAGE = "already_on_stage"  # a move issued from a stage the session has left
    NUDGE = "nudge"
    NUDGES_SENT = "nudges_sent"
    TIME_UP = "time_up"
    BOT_REMOVED = "bot_removed"
    EXPIRED = "expired"
    ERASED = "erased"
    WITHDRAWN = "withdrawn"  # what a message taken back at its author's request says
    PAUSED = "paused"
    RESUMED = "resumed"
    COMMITMENT_DEFAULTS = "commitment_defaults"  # who and when, chosen for now; change them
    ANSWER_HERE = "answer_here"  # the open stage's question, in the private chat
    SESSION_LANGUAGE = "session_language"  # the group is now spoken to in another language
    KEEP_AS_ANSWER = "keep_as_answer"  # a group message that looked like conversation
    VOICE_GONE = "voice_gone"  # a voice answer that can no longer be played
    VOICE_RECOGNISABLE = "voice_recognisable"  # before the share choice of a voice answer
    END_NOT_YET = "end_not_yet"  # the facilitator chose not to end after all
    STATUS_SAVED = "status_saved"  # a commitment's new status, in the presser's popup
    NOT_OWNER = "not_owner"  # only the commitment's owners' side or a facilitator reports
    NO_EARLIER = "no_earlier"  # a follow-up stage finds no earlier commitment to go through
    PERSON_ADDED = "person_added"  # /addperson: someone without Telegram, and their number
    NO_SUCH_PERSON = "no_such_person"  # /for N: nobody added by a facilitator has that number
    ANSWERED_FOR = "answered_for"  # /for N: the answer is kept as that person's
    CHOSEN_FOR = "chosen_for"  # the card's option: what that person has chosen now
    UNCHOSEN_FOR = "unchosen_for"  # the card's option pressed again: nothing chosen now
    VOTED_FOR = "voted_for"  # the card's Agree / Not sure / Disagree, for that person
    ENDORSED_FOR = "endorsed_for"  # the card's Endorse, for that person
    UNENDORSED_FOR = "unendorsed_for"  # pressed again: their endorsement taken back
    REMOVE_PERSON_ASK = "remove_person_ask"  # /forget N: erase that person? (two buttons)
    PERSON_REMOVED = "person_removed"  # they are erased, with all given for them
    DONE = "done"  # a quiet acknowledgement


class NoticeView(_Frozen):
    type: Literal["notice"] = "notice"
    code: Notice
    params: dict[str, str | int] = Field(default_factory=dict)


class WelcomeView(_Frozen):
    """The session's first message: purpose, ground rules, what is stored; the Join button."""

    type: Literal["welcome"] = "welcome"
    script_id: str
    status: Status
    participants: RoleCounts


class PromptView(_Frozen):
    """A stage's prompt, which doubles as its live progress (and tally) message."""

    type: Literal["prompt"] = "prompt"
    script_id: str
    stage_id: str
    number: int
    total: int
    open: bool
    answered: RoleCounts
    tally: dict[str, int] = Field(default_factory=dict)  # option id -> votes


class AgreementTally(_Frozen):
    """The live votes on one statement of the shared vision, in all (the summary has them by
    role, under the small-group rule)."""

    agree: int = 0
    unsure: int = 0
    disagree: int = 0


class SharedAnswerView(_Frozen):
    """An answer written privately and shared to the group; ``author`` None means anonymous.

    On an ``agree`` stage it is a statement of the shared vision: ``tally`` holds its votes and
    the message carries the Agree / Not sure / Disagree buttons (``answer_id`` names it)."""

    type: Literal["shared_answer"] = "shared_answer"
    script_id: str
    stage_id: str
    text: str
    author: str | None
    answer_id: str = ""
    tally: AgreementTally | None = None


class StatementView(_Frozen):
    """The vote card the bot posts under a group reply on an ``agree`` stage (the bot cannot
    add buttons to a person's own message): a short excerpt, the tally and the buttons."""

    type: Literal["statement"] = "statement"
    script_id: str
    stage_id: str
    answer_id: str
    text: str
    tally: AgreementTally


class CommitmentView(_Frozen):
    """A commitment's live card: who acts, by when, its endorsements and the Endorse button
    (and, while who or when is missing, the buttons to set them)."""

    type: Literal["commitment"] = "commitment"
    commitment_id: str
    text: str
    proposer: str
    owner: Owner | None
    due: Due | None
    due_date: str | None
    endorsements: RoleCounts
    shared: bool
    open: bool


class DueView(_Frozen):
    """A commitment whose due date has come: what, who acts, where it stands, and the buttons
    with which its owners' side (or a facilitator) reports its status."""

    type: Literal["due"] = "due"
    commitment_id: str
    text: str
    owner: Owner | None
    due_date: str | None
    status: Progress
    status_date: str | None  # ISO date of the last reported change; None while still open


class EarlierView(_Frozen):
    """One earlier commitment as a follow-up session goes through it: where it stands, the
    status buttons, and (while on show) how to say what helped and what got in the way."""

    type: Literal["earlier"] = "earlier"
    key: str
    number: int
    total: int
    text: str
    owner: Owner | None
    due_date: str | None
    status: Progress
    status_date: str | None
    open: bool


class ProxyItem(_Frozen):
    """A statement or commitment on a facilitator's card for someone they added."""

    id: str
    text: str


class ProxyCardView(_Frozen):
    """Sent privately to a facilitator: what the person they added as ``number`` may choose,
    vote on or endorse now (the open choice stage, the vision's statements, the commitments),
    each with its buttons; a press counts as that person's and is answered in its popup."""

    type: Literal["proxy_card"] = "proxy_card"
    script_id: str
    number: int
    name: str
    stage_id: str | None = None  # the open choice stage, if one is open
    statements: tuple[ProxyItem, ...] = ()
    commitments: tuple[ProxyItem, ...] = ()


class StatusLine(_Frozen):
    name: str
    role: Role | None


class StatusView(_Frozen):
    """Sent privately to a facilitator: who has answered the open stage with their name, how
    many answers came without one (never whose), and everyone else, private answerers
    included, as not heard by name yet."""

    type: Literal["status"] = "status"
    script_id: str
    stage_id: str | None
    status: Status
    answered: tuple[StatusLine, ...]
    unnamed: int = 0
    quiet: tuple[StatusLine, ...]
    participants: RoleCounts


class EndCheckView(_Frozen):
    """Sent privately to a facilitator who asked to end: what is still open, and the question.

    ``stage_id`` names the open stage when it takes answers and few (fewer than half of the
    participants) have given one; the rest are counts, never names: a draft's author may be
    about to share it anonymously.
    """

    type: Literal["end_check"] = "end_check"
    script_id: str
    stage_id: str | None = None
    voices: int = 0
    participants: int = 0
    incomplete_commitments: int = 0
    drafts: int = 0


class SummaryView(_Frozen):
    """The take-home summary the group keeps (as a draft at the review stage, then final)."""

    type: Literal["summary"] = "summary"
    summary: Summary


class CharterView(_Frozen):
    """The printable charter of the group's commitments: a document, not a message.

    ``date`` is the day it stands for (the session's end, or the day it was asked for while the
    session runs), ISO; ``place`` is where the group met, if a facilitator said so.
    """

    type: Literal["charter"] = "charter"
    summary: Summary
    date: str
    place: str | None = None


class RecordView(_Frozen):
    """The full per-stage record of the same summary, for a facilitator's private chat."""

    type: Literal["record"] = "record"
    summary: Summary


View = Annotated[
    NoticeView
    | WelcomeView
    | PromptView
    | SharedAnswerView
    | StatementView
    | CommitmentView
    | DueView
    | EarlierView
    | StatusView
    | EndCheckView
    | SummaryView
    | CharterView
    | RecordView
    | ProxyCardView,
    Field(discriminator="type"),
]


# --- targets and effects ---------------------------------------------------------------------


class Group(_Frozen):
    kind: Literal["group"] = "group"


class Person(_Frozen):
    kind: Literal["person"] = "person"
    user_id: UserId


Target = Annotated[Group | Person, Field(discriminator="kind")]


class Send(_Frozen):
    """Post a new message; with a ``key`` it becomes a live message later edits refer to."""

    type: Literal["send"] = "send"
    to: Target
    view: View
    key: str | None = None
    reply_to: str | None = None  # a source_ref to reply to, where the target is the group


class Edit(_Frozen):
    """Replace a live message's content (posting it if the shell never managed to)."""

    type: Literal["edit"] = "edit"
    key: str
    view: View


class Delete(_Frozen):
    """Remove a group message the bot posted (for example a shared answer whose author left)."""

    type: Literal["delete"] = "delete"
    key: str


class Reply(_Frozen):
    """Answer the actor of this event where they acted (a button's popup, a DM, a reaction).

    An act in the group answered this way would be answered in the group, for everyone to
    read; the engine uses it there only for the quiet ✓ (a reaction) and tells anything else
    meant for one person privately, with a ``Send`` to their ``Person``.
    """

    type: Literal["reply"] = "reply"
    view: View


class React(_Frozen):
    """Acknowledge a message with a reaction instead of a new message."""

    type: Literal["react"] = "react"
    source_ref: str
    emoji: str = "👍"


class Pin(_Frozen):
    type: Literal["pin"] = "pin"
    key: str


class Schedule(_Frozen):
    """Feed ``event`` back to the engine at ``at``; a later one of the same name replaces it."""

    type: Literal["schedule"] = "schedule"
    name: str
    at: datetime
    event: ReminderDue


class Cancel(_Frozen):
    type: Literal["cancel"] = "cancel"
    name: str


class Relay(_Frozen):
    """Apply ``event`` to another session of the group (a follow-up's report of an earlier
    commitment's status, carried to the session that made it), in the same transaction."""

    type: Literal["relay"] = "relay"
    session_id: str
    event: CommitmentStatusCarried


Effect = Annotated[
    Send | Edit | Delete | Reply | React | Pin | Schedule | Cancel | Relay,
    Field(discriminator="type"),
]
