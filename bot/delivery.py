"""The delivery contract: what the outbox holds and the sender delivers, and nothing more.

The planner (``bot.planner``) turns the engine's effects into these operations, already in the
reader's words and already cut to Telegram's size, inside the same transaction as the state they
come from. The sender (``bot.telegram.sender``) turns each into one or more Bot API calls and
renders nothing. Operations are frozen and discriminated by ``op``; they are stored as validated
JSON, so a row written by one version is either read back exactly or refused by name, never
guessed at.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

ChatId = int


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Priority(IntEnum):
    """What a group waits for first when its budget (about 20 calls a minute) runs short.

    Telegram counts a message, an edit and a reaction alike; people wait for the next prompt,
    not for a progress line or a thumbs-up. The sender spends the budget in this order.
    """

    ESSENTIAL = 0  # prompts, summaries, answers someone waits for, files
    CARD = 1  # commitment and share cards, deletions of what the group was shown
    PROGRESS = 2  # live progress edits, pins
    ACK = 3  # reactions, asides to one person: dropped under pressure or once the stage moved on


class Button(_Frozen):
    """One inline button: callback data (at most 64 bytes, see ``bot.callbacks``) or a URL."""

    text: str
    data: str | None = None
    url: str | None = None


Keyboard = tuple[tuple[Button, ...], ...]


class Fallback(_Frozen):
    """Where to point someone the bot cannot write to privately (they never opened the chat).

    Already rendered in the group's language; the sender posts it at most once per group every
    few minutes, so a round of nudges to people it cannot reach costs one group message.
    """

    chat_id: ChatId
    thread_id: int | None = None
    text: str
    keys: Keyboard = ()


class _Message(_Frozen):
    """Text for a chat, already cut into parts below Telegram's limit; buttons on the last."""

    chat_id: ChatId
    thread_id: int | None = None
    parts: tuple[str, ...] = Field(min_length=1)
    keys: Keyboard = ()

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        return _parts_from_text(data)


class Send(_Message):
    """A new message; ``key`` names it (its first part) for later edits."""

    op: Literal["send"] = "send"
    priority: Priority = Priority.ESSENTIAL
    key: str | None = None
    reply_to: int | None = None
    fallback: Fallback | None = None


class Edit(_Message):
    """New parts for the live message named ``key``; posted anew if it was never sent."""

    op: Literal["edit"] = "edit"
    priority: Priority = Priority.PROGRESS
    key: str


class Delete(_Frozen):
    op: Literal["delete"] = "delete"
    priority: Priority = Priority.CARD
    chat_id: ChatId
    key: str


class Popup(_Frozen):
    """The answer to a button press: free, private to the presser, at most 200 characters."""

    op: Literal["popup"] = "popup"
    priority: Priority = Priority.ESSENTIAL
    callback_id: str
    text: str | None = None


class React(_Frozen):
    op: Literal["react"] = "react"
    priority: Priority = Priority.ACK
    chat_id: ChatId
    message_id: int
    emoji: str = "👍"


class Pin(_Frozen):
    op: Literal["pin"] = "pin"
    priority: Priority = Priority.PROGRESS
    chat_id: ChatId
    key: str


class Document(_Frozen):
    """A file for a chat (a printable charter, an export), its bytes base64-encoded.

    With a ``key`` the file is a live message: a new one takes the place of the one before
    (which is deleted), and ``replace`` puts new content in the one posted, if any, without a
    new message (a charter redrawn after someone asked to be forgotten).
    """

    op: Literal["document"] = "document"
    priority: Priority = Priority.ESSENTIAL
    chat_id: ChatId
    thread_id: int | None = None
    filename: str
    content_b64: str
    caption: str | None = None
    key: str | None = None
    replace: bool = False


class Voice(_Frozen):
    """A voice answer sent again by Telegram's file id (the bot never holds its sound): to the
    group as its author chose, or to a facilitator who asked. The new message is the bot's, so
    nothing in it names who recorded it; ``caption`` says what it is (HTML)."""

    op: Literal["voice"] = "voice"
    priority: Priority = Priority.ESSENTIAL
    chat_id: ChatId
    thread_id: int | None = None
    file_id: str
    caption: str | None = None
    key: str | None = None


class Menu(_Frozen):
    """The command menu one member of one group sees: a facilitator gets the leading commands.

    Not a message: it costs the group nothing and waits behind nothing.
    """

    op: Literal["menu"] = "menu"
    priority: Priority = Priority.PROGRESS
    group_id: ChatId
    user_id: int
    commands: tuple[tuple[str, str], ...]


Operation = Annotated[
    Send | Edit | Delete | Popup | React | Pin | Document | Voice | Menu,
    Field(discriminator="op"),
]

_OPERATION: TypeAdapter[Operation] = TypeAdapter(Operation)


def parse(payload: dict[str, Any]) -> Operation:
    """An outbox row's operation; raises ``pydantic.ValidationError`` for one that is not."""
    return _OPERATION.validate_python(payload)


def dump(operation: Operation) -> dict[str, Any]:
    """What the outbox stores for an operation."""
    return operation.model_dump(mode="json", exclude_defaults=False)


def key_of(operation: Operation) -> str | None:
    """The live message an operation is about, if any: operations on one key keep their order."""
    return getattr(operation, "key", None)


def calls(operation: Operation) -> int:
    """How many Bot API calls the operation costs a chat at least."""
    return len(operation.parts) if isinstance(operation, Send | Edit) else 1


def lane(operation: Operation) -> str:
    """The chat an operation is for; a button's answer has none and goes alone, at once."""
    if isinstance(operation, Popup):
        return f"popup:{operation.callback_id}"
    if isinstance(operation, Menu):
        return f"menu:{operation.group_id}:{operation.user_id}"
    return f"chat:{operation.chat_id}"


def _parts_from_text(data: Any) -> Any:
    """Rows queued before operations carried ``parts`` held one ``text`` (then cut at sending)
    and a fallback still to be rendered: read them as one part and without the fallback, so an
    upgrade never drops a message still waiting in the outbox."""
    if isinstance(data, dict) and "parts" not in data and isinstance(data.get("text"), str):
        text = data["text"]
        data = {k: v for k, v in data.items() if k not in ("text", "fallback")}
        data["parts"] = (text,)
    return data
