"""Dialogue scripts as data: the pydantic models every ``dialogues/*.yaml`` file must satisfy.

A script is reviewed by facilitators and translators, not programmers, so the models are strict
(unknown fields are errors) and every rule lives here, where ``ikiganiro check`` can report it.
All text is English source text; it reaches people through gettext with the context
``<script id>.<stage id>.<field>`` (see ``bot.i18n.extract``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Stage and option ids travel inside callback data (64 bytes at most), so they stay short.
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", min_length=1, max_length=20)]
ScriptId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", min_length=1, max_length=40)]
# A message is at most 4096 characters; a prompt leaves room for the progress line and help.
PromptText = Annotated[str, Field(min_length=1, max_length=1500)]


class StageKind(StrEnum):
    """What a stage asks of people."""

    INFO = "info"  # read only: no input
    TEXT = "text"  # free answers: stories, visions, offers
    CHOICE = "choice"  # one option
    MULTI_CHOICE = "multi_choice"  # several options
    COMMITMENT = "commitment"  # proposals with owners and dates, then endorsements
    REVIEW = "review"  # the draft summary, and consent to quote stories
    # The group's earlier commitments, one card at a time (status buttons; replies to a card say
    # what helped and what got in the way); /next moves to the next card, then past the stage.
    EARLIER = "earlier_commitments"


class Channel(StrEnum):
    """Where an answer to a stage may be given."""

    GROUP = "group"  # a reply in the group, with the author's name
    PRIVATE = (
        "private"  # written to the bot privately, then shared with a name or kept for facilitators
    )
    ANONYMOUS = "anonymous"  # written privately and shared with no name


INPUT_KINDS = frozenset(
    {
        StageKind.TEXT,
        StageKind.CHOICE,
        StageKind.MULTI_CHOICE,
        StageKind.COMMITMENT,
        StageKind.EARLIER,
    }
)
# Stages answered in free text, kept as answers (a commitment stage's texts are proposals).
TEXT_KINDS = frozenset({StageKind.TEXT, StageKind.EARLIER})
CHOICE_KINDS = frozenset({StageKind.CHOICE, StageKind.MULTI_CHOICE})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Option(_Strict):
    """One answer to a choice stage."""

    id: Slug
    label: Annotated[str, Field(min_length=1, max_length=60)]


class Stage(_Strict):
    """One step of the dialogue, opened and closed by a facilitator."""

    id: Slug
    kind: StageKind
    title: Annotated[str, Field(min_length=1, max_length=80)]
    prompt: PromptText
    help: Annotated[str, Field(max_length=600)] = ""
    options: tuple[Option, ...] = ()
    answer_in: frozenset[Channel] | None = None
    min_length: Annotated[int, Field(ge=1, le=3000)] = 1
    max_length: Annotated[int, Field(ge=1, le=3000)] = 1500
    max_choices: Annotated[int, Field(ge=1)] | None = None
    timebox_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None
    nudge_after_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] | None = None
    in_summary: bool = True
    # False: the stage's answers are in the facilitators' full record, not the take-home
    # summary (introductions: worth reading once, not worth carrying home).
    in_take_home: bool = True
    quote_with_consent: bool = False
    # The group says Agree / Not sure / Disagree to each answer it can see; the summary's
    # shared vision is made of these statements, those both police and residents agree on first.
    agree: bool = False

    @property
    def channels(self) -> frozenset[Channel]:
        """Where answers may go; input stages default to the group and private chats."""
        if self.answer_in is not None:
            return self.answer_in
        if self.kind in TEXT_KINDS:
            return frozenset({Channel.GROUP, Channel.PRIVATE})
        if self.kind in INPUT_KINDS:
            return frozenset({Channel.GROUP})
        return frozenset()

    @property
    def takes_input(self) -> bool:
        return self.kind in INPUT_KINDS

    @field_validator("options")
    @classmethod
    def _unique_options(cls, options: tuple[Option, ...]) -> tuple[Option, ...]:
        seen: set[str] = set()
        for option in options:
            if option.id in seen:
                raise ValueError(f"option id {option.id!r} appears twice")
            seen.add(option.id)
        return options

    @model_validator(mode="after")
    def _kind_rules(self) -> Self:
        if self.kind in CHOICE_KINDS and len(self.options) < 2:
            raise _FieldError("options", f"a {self.kind} stage needs at least two options")
        if self.kind not in CHOICE_KINDS and self.options:
            raise _FieldError("options", f"a {self.kind} stage takes no options")
        if self.max_choices is not None:
            if self.kind is not StageKind.MULTI_CHOICE:
                raise _FieldError("max_choices", "only a multi_choice stage has max_choices")
            if self.max_choices > len(self.options):
                raise _FieldError(
                    "max_choices", "max_choices is larger than the number of options"
                )
        if self.min_length > self.max_length:
            raise _FieldError("min_length", "min_length is larger than max_length")
        if self.answer_in is not None:
            if not self.takes_input:
                raise _FieldError("answer_in", f"a {self.kind} stage takes no answers")
            if not self.answer_in:
                raise _FieldError(
                    "answer_in", "an input stage needs at least one place for answers"
                )
            if self.kind not in TEXT_KINDS and self.answer_in != {Channel.GROUP}:
                raise _FieldError(
                    "answer_in", f"a {self.kind} stage is answered in the group only"
                )
        if self.nudge_after_minutes is not None and not self.takes_input:
            raise _FieldError("nudge_after_minutes", f"a {self.kind} stage has nobody to nudge")
        if self.quote_with_consent and self.kind not in TEXT_KINDS:
            raise _FieldError("quote_with_consent", "only text stages hold stories to quote")
        if self.agree and self.kind is not StageKind.TEXT:
            raise _FieldError("agree", "only the answers of a text stage can be agreed on")
        if self.agree and not self.in_summary:
            raise _FieldError("agree", "a shared vision left out of the summary is not shared")
        return self


class Script(_Strict):
    """A whole dialogue: ordered stages under one id."""

    id: ScriptId
    schema_version: Literal[1]
    title: Annotated[str, Field(min_length=1, max_length=80)]
    description: Annotated[str, Field(min_length=1, max_length=600)]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}$")] = "en"
    # k of small-group disclosure control: an anonymous post waits until at least k people have
    # answered its stage (or the stage closes), and a summary shows no count of fewer than k
    # people by role. 1 turns both off.
    privacy_threshold: Annotated[int, Field(ge=1, le=50)] = 3
    # No ``min_length`` here: pydantic would count only the stages that validated, so one broken
    # stage would also read as "no stages". The rule lives in ``_stage_rules`` instead.
    stages: tuple[Stage, ...]

    @field_validator("stages")
    @classmethod
    def _stage_rules(cls, stages: tuple[Stage, ...]) -> tuple[Stage, ...]:
        # Runs only when every stage validated, so an empty tuple really means none were given.
        if not stages:
            raise ValueError("a script needs at least one stage")
        seen: set[str] = set()
        once = {StageKind.REVIEW: 0, StageKind.EARLIER: 0}
        for index, stage in enumerate(stages):
            if stage.id in seen:
                raise _StageError(index, stage.id, "id", "this stage id appears twice")
            seen.add(stage.id)
            if stage.kind in once:
                once[stage.kind] += 1
                if once[stage.kind] > 1:
                    message = f"a script has at most one {stage.kind} stage"
                    raise _StageError(index, stage.id, "kind", message)
        return stages

    @property
    def follows_up(self) -> bool:
        """Whether the script goes through the group's earlier commitments."""
        return any(s.kind is StageKind.EARLIER for s in self.stages)

    def stage(self, stage_id: str) -> Stage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def index(self, stage_id: str) -> int:
        return next(i for i, s in enumerate(self.stages) if s.id == stage_id)


class _FieldError(ValueError):
    """A rule broken by one field of a stage; the loader turns it into a located error."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _StageError(ValueError):
    """A rule broken across stages (such as a duplicate id) by the stage at ``index``.

    The index, not the id, locates the stage: with a duplicate id, the id names two stages.
    """

    def __init__(self, index: int, stage_id: str, field: str, message: str) -> None:
        super().__init__(f"{stage_id}.{field}: {message}")
        self.index = index
        self.stage_id = stage_id
        self.field = field
        self.message = message
