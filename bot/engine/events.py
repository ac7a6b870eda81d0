"""What can happen to a session: the engine's only input besides the script and the time.

Every event carries an ``event_id`` that the shell derives from what caused it (an update id, a
reminder name), so a redelivered update yields the same id and changes nothing. ``actor`` is the
Telegram user id of whoever caused the event; privileged events also carry ``actor_is_admin``,
which the shell fills from the chat's administrator list (False when that lookup is refused).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from bot.engine.script import Channel
from bot.engine.state import Agreement, Due, Owner, Progress, Role, UserId, Visibility


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    event_id: Annotated[str, Field(min_length=1, max_length=120)]


class _ByPerson(_Event):
    actor: UserId
    # Whether the actor is in the session's group now, as Telegram told the shell: filled for
    # the acts that need it (joining, answering, voting, endorsing); None when not asked or
    # Telegram would not say. False is refused: someone who left takes no further part.
    actor_is_member: bool | None = None


class _Privileged(_ByPerson):
    actor_is_admin: bool = False


PrivilegedEvent = _Privileged


class Opened(_ByPerson):
    """A facilitator opened the session; they become its first facilitator."""

    type: Literal["opened"] = "opened"
    language: str | None = None


class FacilitatorAdded(_Privileged):
    type: Literal["facilitator_added"] = "facilitator_added"
    user_id: UserId


class Joined(_ByPerson):
    """Someone asked to take part; they are asked for consent before anything is kept."""

    type: Literal["joined"] = "joined"


class Consented(_ByPerson):
    """The answer to the consent request; the name is kept only if the answer is yes."""

    type: Literal["consented"] = "consented"
    accept: bool
    name: Annotated[str, Field(max_length=64)] = ""
    language: str | None = None


class RoleChosen(_ByPerson):
    type: Literal["role_chosen"] = "role_chosen"
    role: Role


class RoleChangeAsked(_ByPerson):
    """``/role`` in private: the participant asks to change the role they chose; the next
    role button they press sets it, and everything counted by role is counted again."""

    type: Literal["role_change_asked"] = "role_change_asked"


class Answered(_ByPerson):
    """Text for a stage: an answer, a private draft, or a commitment proposal, by stage kind."""

    type: Literal["answered"] = "answered"
    stage_id: str
    text: str
    channel: Channel = Channel.GROUP
    source_ref: str | None = None
    voice: str | None = None  # a voice note's file id (``text`` is then empty)
    about: str | None = None  # the earlier commitment (its key) a follow-up answer speaks of


class Said(_ByPerson):
    """Someone wrote in the group or privately; the engine decides whether it is an answer.

    ``replies_to`` is the key of the bot's message it replies to ("prompt:<stage>", ...), if
    any. In the group a reply to a prompt answers that stage, and a participant's plain message
    answers the open text stage (the bot sees it only with privacy mode off); anything else is
    conversation and changes nothing. In private it answers the open stage.
    """

    type: Literal["said"] = "said"
    text: str
    channel: Channel = Channel.GROUP
    replies_to: str | None = None
    source_ref: str | None = None
    voice: str | None = None  # a voice note or round video: Telegram's file id, nothing else


class LinkOpened(_ByPerson):
    """Someone followed a start link: to join, to answer privately, or just to open the chat.

    It is a request to join unless they only came to open the chat, or came to answer and
    have joined already: then the open stage's question is asked again privately if it takes
    a private answer, and otherwise it changes nothing and the shell says how to answer.
    """

    type: Literal["link_opened"] = "link_opened"
    purpose: Literal["join", "answer", "hello"]


class ShareChosen(_ByPerson):
    """The author of a private draft chose how it may be shown."""

    type: Literal["share_chosen"] = "share_chosen"
    visibility: Visibility


class AnswerEdited(_ByPerson):
    type: Literal["answer_edited"] = "answer_edited"
    source_ref: str
    text: str


class ChoiceToggled(_ByPerson):
    type: Literal["choice_toggled"] = "choice_toggled"
    stage_id: str
    option_id: str


class AgreementSet(_ByPerson):
    """A participant's vote on a statement of the shared vision; a later vote replaces it."""

    type: Literal["agreement_set"] = "agreement_set"
    answer_id: str
    vote: Agreement


class CommitmentOwnerSet(_ByPerson):
    type: Literal["commitment_owner_set"] = "commitment_owner_set"
    commitment_id: str
    owner: Owner


class CommitmentDueSet(_ByPerson):
    type: Literal["commitment_due_set"] = "commitment_due_set"
    commitment_id: str
    due: Due


class CommitmentStatusReported(_ByPerson):
    """Someone of the commitment's owners' side, or a facilitator, says where it stands.

    Accepted after the session has ended too: commitments live on after their meeting.
    """

    type: Literal["commitment_status_reported"] = "commitment_status_reported"
    commitment_id: str
    status: Progress


class CommitmentStatusCarried(_Event):
    """A status reported for this session's commitment in a later follow-up session, which
    checked who reported it; carried back here so the commitment's own record is whole."""

    type: Literal["commitment_status_carried"] = "commitment_status_carried"
    commitment_id: str
    status: Progress


class EndorsementToggled(_ByPerson):
    type: Literal["endorsement_toggled"] = "endorsement_toggled"
    commitment_id: str


class QuoteConsentSet(_ByPerson):
    type: Literal["quote_consent_set"] = "quote_consent_set"
    allow: bool


class Advanced(_Privileged):
    """Open the next stage.

    ``seen_index`` is the stage index the group had been shown when the facilitator acted (the
    shell fills it from what was delivered). If the session has moved on since, the move was
    meant for a stage already left and is not applied; None means unknown: apply it.

    ``prompt_missing``: the shell has no sign the group was shown the open stage's prompt (its
    delivery failed or was never confirmed, and nobody has acted on the stage). The facilitator
    pressing /next sees nothing to move on from, so the move shows that prompt again instead.
    """

    type: Literal["advanced"] = "advanced"
    seen_index: int | None = None
    prompt_missing: bool = False


class WentBack(_Privileged):
    """Return to the previous stage; ``seen_index`` and ``prompt_missing`` as for
    ``Advanced``."""

    type: Literal["went_back"] = "went_back"
    seen_index: int | None = None
    prompt_missing: bool = False


class Paused(_Privileged):
    type: Literal["paused"] = "paused"


class Resumed(_Privileged):
    type: Literal["resumed"] = "resumed"


class Ended(_Privileged):
    """End the session and post its summary: it cannot be undone, so /end only asks.

    Unconfirmed, the facilitator is shown privately what is still open, with a button to
    confirm; the confirmed event (that button) ends the session.
    """

    type: Literal["ended"] = "ended"
    confirmed: bool = False


class SessionLanguageSet(_Privileged):
    """A facilitator chose the language the session speaks to the group (and to everyone who
    has not chosen their own)."""

    type: Literal["session_language_set"] = "session_language_set"
    language: str
    by_button: bool = False


class AnswerKept(_ByPerson):
    """ "Keep as my answer", pressed on the question about a group message taken for
    conversation: it is counted now, as the reply it was."""

    type: Literal["answer_kept"] = "answer_kept"


class VoicePlayRequested(_Privileged):
    """A facilitator asked to hear a voice answer: it is sent to them privately by its file id
    (a message of the bot's, which carries nothing of who recorded it)."""

    type: Literal["voice_play_requested"] = "voice_play_requested"
    answer_id: str


class EndDeclined(_ByPerson):
    """The facilitator answered "Not yet" to the question whether to end: nothing changes."""

    type: Literal["end_declined"] = "end_declined"


class StatusRequested(_Privileged):
    type: Literal["status_requested"] = "status_requested"


class SummaryRequested(_Privileged):
    """``summary_missing``: the session has ended and the shell has no sign its summary reached
    the group (the post failed, or was never confirmed): it is posted again."""

    type: Literal["summary_requested"] = "summary_requested"
    summary_missing: bool = False


PLACE_MAX = 80  # characters of the place a charter names: a village, a commune, a hall


class CharterRequested(_Privileged):
    """Post the printable charter to the group again (``/charter``), also after the end.

    ``place`` is where the group met, as the facilitator typed it after the command; without
    it the charter leaves a line to write the place by hand.
    """

    type: Literal["charter_requested"] = "charter_requested"
    place: Annotated[str, Field(min_length=1, max_length=PLACE_MAX)] | None = None


class NudgeRequested(_Privileged):
    type: Literal["nudge_requested"] = "nudge_requested"
    stage_id: str | None = None  # None: the stage open now (the /nudge command)


class PersonAdded(_Privileged):
    """``/addperson NAME ROLE`` in private: a facilitator adds someone present in the room who
    has no Telegram, having asked them aloud whether they agree to take part."""

    type: Literal["person_added"] = "person_added"
    name: Annotated[str, Field(min_length=1, max_length=48)]
    role: Role


class AnsweredFor(_Privileged):
    """``/for N TEXT`` in private: a facilitator gives the open stage the answer of the person
    they added as number N, who said it aloud; it is shown with their name, marked as added."""

    type: Literal["answered_for"] = "answered_for"
    number: int
    text: str


class ProxyCardAsked(_Privileged):
    """``/for N`` alone, or the button under ``/addperson``'s answer: the private card with
    which a facilitator votes, chooses and endorses for the person they added as number N."""

    type: Literal["proxy_card_asked"] = "proxy_card_asked"
    number: int
    by_button: bool = False


# What a facilitator may do for someone they added, from that card: the person's own act.
ProxyAct = Annotated[
    ChoiceToggled | AgreementSet | EndorsementToggled, Field(discriminator="type")
]


class ActedFor(_Privileged):
    """A button of that card: ``act`` is the choice, vote or endorsement of the added person
    (its actor is their id, below zero), which they said aloud to the facilitator."""

    type: Literal["acted_for"] = "acted_for"
    act: ProxyAct


class PersonRemoved(_Privileged):
    """``/forget N`` in private, then its button: a facilitator erases the person they added
    as number N and everything given for them, as a person's own erasure does. Unconfirmed,
    it only asks."""

    type: Literal["person_removed"] = "person_removed"
    number: int
    confirmed: bool = False


class ParticipantErased(_ByPerson):
    """The actor asked to be forgotten: every trace of them leaves the session."""

    type: Literal["participant_erased"] = "participant_erased"


class ReminderDue(_Event):
    """A reminder the engine scheduled has come due (fed back by the shell).

    A stage's nudge or timebox, or (``purpose="due"``) a commitment's due date: then
    ``commitment_id`` names it and ``stage_id`` is the stage it was proposed at.
    """

    type: Literal["reminder_due"] = "reminder_due"
    stage_id: str
    purpose: Literal["nudge", "timebox", "due"]
    snoozed: int = 0  # how often it already came during a pause
    commitment_id: str | None = None


class MemberLeft(_Event):
    """Someone left the group (or was removed): out of the live session and its nudges, and no
    longer a facilitator; what they said stays, as their consent says."""

    type: Literal["member_left"] = "member_left"
    user_id: UserId


class BotRemoved(_Event):
    """The bot was removed from the group: nothing more can reach it."""

    type: Literal["bot_removed"] = "bot_removed"


class Expired(_Event):
    """Nobody has acted in the session for ``idle_days`` days: it ends by itself.

    A session nobody ends would keep its stories for ever, since the retention period counts
    from the end; this gives it an end, and the group its summary.
    """

    type: Literal["expired"] = "expired"
    idle_days: int


Event = Annotated[
    Opened
    | FacilitatorAdded
    | Joined
    | Consented
    | RoleChosen
    | RoleChangeAsked
    | Answered
    | Said
    | LinkOpened
    | ShareChosen
    | AnswerEdited
    | ChoiceToggled
    | AgreementSet
    | CommitmentOwnerSet
    | CommitmentDueSet
    | CommitmentStatusReported
    | CommitmentStatusCarried
    | EndorsementToggled
    | QuoteConsentSet
    | Advanced
    | WentBack
    | Paused
    | Resumed
    | Ended
    | EndDeclined
    | SessionLanguageSet
    | VoicePlayRequested
    | AnswerKept
    | StatusRequested
    | SummaryRequested
    | CharterRequested
    | NudgeRequested
    | ParticipantErased
    | ReminderDue
    | MemberLeft
    | BotRemoved
    | Expired
    | PersonAdded
    | AnsweredFor
    | ProxyCardAsked
    | ActedFor
    | PersonRemoved,
    Field(discriminator="type"),
]

PRIVILEGED = (
    FacilitatorAdded,
    Advanced,
    WentBack,
    Paused,
    Resumed,
    Ended,
    StatusRequested,
    SummaryRequested,
    CharterRequested,
    NudgeRequested,
    SessionLanguageSet,
    VoicePlayRequested,
    PersonAdded,
    AnsweredFor,
    ProxyCardAsked,
    ActedFor,
    PersonRemoved,
)
