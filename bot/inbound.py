"""What people did, as the handlers read it off an update: plain data, no session state.

A handler only reads an update (who, where, which words, which button, which message it
replies to) and hands one of these to ``Service.handle``. Whether a text is an answer, which
stage a command is about, whether a button still means anything: the service finds the session
and the engine decides. Nothing here knows a stage, a participant or a rule.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.callbacks import Button, StartLink


@dataclass(frozen=True, slots=True)
class Origin:
    """Where and by whom something was done, so an answer reaches that person there only."""

    user_id: int | None = None
    chat_id: int | None = None
    thread_id: int | None = None
    message_id: int | None = None
    private: bool = False
    callback_id: str | None = None
    language: str | None = None
    first_name: str = ""
    is_admin: bool = False  # a chat administrator, as Telegram said (False when it would not)
    chat_title: str | None = None  # a group's name, as Telegram shows it (the charter's heading)


@dataclass(frozen=True, slots=True)
class Command:
    """A ``/command`` (see ``bot.commands``), with its words and the person replied to."""

    name: str
    args: tuple[str, ...] = ()
    replied_user: int | None = None  # for /cofacilitate: whose message it answers
    replied_is_bot: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """A message in a group or a private chat, or an edit of one (``edited``)."""

    text: str
    replies_to_bot_message: int | None = None  # the bot's message it replies to, if any
    edited: bool = False


@dataclass(frozen=True, slots=True)
class VoiceNote:
    """A voice note or round video message: only Telegram's id of the file, never its sound."""

    file_id: str
    replies_to_bot_message: int | None = None


@dataclass(frozen=True, slots=True)
class NotText:
    """A photo, voice note, sticker…: not read, not kept."""


@dataclass(frozen=True, slots=True)
class Start:
    """``/start`` in the private chat, with the deep link it came from (None for a bare one)."""

    link: StartLink | None


@dataclass(frozen=True, slots=True)
class Pressed:
    """A button; ``button`` is None when its data is malformed, forged or from another age."""

    button: Button | None


@dataclass(frozen=True, slots=True)
class OnBehalf:
    """A message sent on behalf of a chat (``sender_chat``): as a channel, or by an anonymous
    administrator as the group itself. Nothing in it says which person wrote it, so it acts as
    nobody; ``asks`` when it is a command or a reply to the bot, which deserves an answer."""

    asks: bool


@dataclass(frozen=True, slots=True)
class MemberLeft:
    """Someone else left the group or was removed (``origin.chat_id`` says which group)."""

    user_id: int


@dataclass(frozen=True, slots=True)
class BotMembership:
    """The bot was added to (``present``) or removed from a chat."""

    present: bool
    was_present: bool
    group: bool


@dataclass(frozen=True, slots=True)
class Migrated:
    """A group became a supergroup with a new chat id."""

    new_chat_id: int


Request = (
    Command
    | Text
    | VoiceNote
    | NotText
    | Start
    | Pressed
    | OnBehalf
    | MemberLeft
    | BotMembership
    | Migrated
)
