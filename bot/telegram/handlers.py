"""Telegram updates become requests here, and nothing else happens here.

Each handler reads what the update says (who, where, which words, which button, which message
it replies to), builds one ``bot.inbound`` request and hands it to ``Service.handle``. Which
session it concerns, whether a text is an answer, whether the caller may lead: the service and
the engine decide; these functions know no stage, no participant and no rule.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, cast

from telegram import ChatMember, Message, Update, User
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import commands
from bot.callbacks import decode, parse_start
from bot.inbound import (
    BotMembership,
    Command,
    MemberLeft,
    Migrated,
    NotText,
    OnBehalf,
    Origin,
    Pressed,
    Request,
    Start,
    Text,
    VoiceNote,
)
from bot.service import Service
from bot.storage import Store
from bot.storage.faults import storage_fault
from bot.telegram.admins import Administrators, Members

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """What every handler needs, kept in ``application.bot_data`` under ``"runtime"``."""

    service: Service
    store: Store
    admins: Administrators
    members: Members


Context = ContextTypes.DEFAULT_TYPE
_GONE = (ChatMember.LEFT, ChatMember.BANNED)


def runtime(context: Context) -> Runtime:
    return cast(Runtime, context.bot_data["runtime"])


def _thread(message: Message | None) -> int | None:
    """Sessions live per forum topic where topics are on; otherwise per chat."""
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


def _name(user: User) -> str:
    """Only the first name: it is what the group already sees, and the least we can keep."""
    return (user.first_name or "?").strip()[:64]


def _origin(message: Message | None, user: User | None, callback_id: str | None = None) -> Origin:
    return Origin(
        user_id=user.id if user else None,
        chat_id=message.chat_id if message else None,
        thread_id=_thread(message),
        message_id=message.message_id if message else None,
        private=message is not None and message.chat.type == ChatType.PRIVATE,
        callback_id=callback_id,
        first_name=_name(user) if user else "",
        chat_title=message.chat.title if message else None,
    )


async def _handle(update: Update, context: Context, origin: Origin, request: Request) -> None:
    await runtime(context).service.handle(update.update_id, origin, request)


# --- what people write -------------------------------------------------------------------------


async def on_command(update: Update, context: Context) -> None:
    """Any command of ``bot.commands`` (and, privately, any other); the service answers one
    used in the wrong place, or unknown."""
    message, user = update.message, update.effective_user
    if message is not None and message.sender_chat is not None:
        await _handle(update, context, _origin(message, None), OnBehalf(asks=True))
        return  # sent as a channel or as the group: whoever is in ``from``, it is nobody
    if message is None or user is None or user.is_bot or not message.text:
        return  # bots (an anonymous admin, a linked channel) are nobody the engine knows
    name = message.text.split()[0][1:].split("@")[0].lower()
    args = tuple(context.args or ())
    request: Request
    if name == "start" and message.chat.type == ChatType.PRIVATE:
        request = Start(link=parse_start(args[0] if args else None))
    else:
        replied = message.reply_to_message.from_user if message.reply_to_message else None
        request = Command(
            name,
            args,
            replied_user=replied.id if replied else None,
            replied_is_bot=bool(replied and replied.is_bot),
        )
    await _handle(update, context, _origin(message, user), request)


async def on_text(update: Update, context: Context) -> None:
    """A message or an edit of one; the engine decides whether it answers a stage."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    replied = message.reply_to_message
    author = replied.from_user if replied else None
    to_bot = replied.message_id if replied and author and author.id == context.bot.id else None
    if message.sender_chat is not None:  # as a channel or the group: nobody's answer
        asks = to_bot is not None and update.edited_message is None
        await _handle(update, context, _origin(message, None), OnBehalf(asks=asks))
        return
    if user.is_bot:
        return
    request = Text(
        message.text, replies_to_bot_message=to_bot, edited=update.edited_message is not None
    )
    await _handle(update, context, _origin(message, user), request)


async def on_voice(update: Update, context: Context) -> None:
    """A voice note or round video message: its file id only; the engine decides if it answers."""
    message, user = update.message, update.effective_user
    media = (message.voice or message.video_note) if message else None
    if message is None or user is None or user.is_bot or media is None:
        return
    replied = message.reply_to_message
    author = replied.from_user if replied else None
    to_bot = replied.message_id if replied and author and author.id == context.bot.id else None
    request = VoiceNote(media.file_id, replies_to_bot_message=to_bot)
    await _handle(update, context, _origin(message, user), request)


async def on_not_text(update: Update, context: Context) -> None:
    """Photos, voice notes, stickers… in the private chat: not read, not kept."""
    message = update.effective_message
    if message is not None:
        await _handle(update, context, _origin(message, update.effective_user), NotText())


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None or query.from_user.is_bot:
        return  # Telegram lets no bot press a button: a press "by" one is forged
    message = query.message if isinstance(query.message, Message) else None
    origin = _origin(message, query.from_user, callback_id=query.id)
    await _handle(update, context, origin, Pressed(decode(query.data)))


# --- what happens to the chat ------------------------------------------------------------------


async def on_my_membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None:
        return
    present = change.new_chat_member.status not in _GONE
    if not present:
        runtime(context).admins.forget(change.chat.id)
    request = BotMembership(
        present=present,
        was_present=change.old_chat_member.status not in _GONE,
        group=change.chat.type != ChatType.PRIVATE,
    )
    origin = Origin(chat_id=change.chat.id)
    await _handle(update, context, origin, request)


async def on_member_change(update: Update, context: Context) -> None:
    """Someone joined or left the group (a ``chat_member`` update, sent to administrators)."""
    change = update.chat_member
    if change is None:
        return
    user_id, chat_id = change.new_chat_member.user.id, change.chat.id
    runtime(context).members.forget(chat_id, user_id)  # whatever happened, ask again
    if change.new_chat_member.status in _GONE and change.old_chat_member.status not in _GONE:
        await _handle(update, context, Origin(chat_id=chat_id), MemberLeft(user_id))


async def on_joined(update: Update, context: Context) -> None:
    """``new_chat_members``: whoever was remembered as gone is asked about again."""
    message = update.effective_message
    if message is not None:
        for user in message.new_chat_members:
            runtime(context).members.forget(message.chat_id, user.id)


async def on_left(update: Update, context: Context) -> None:
    """The ``left_chat_member`` service message: every bot in the group gets it."""
    message = update.effective_message
    gone = message.left_chat_member if message else None
    if message is None or gone is None or gone.id == context.bot.id:
        return  # the bot itself leaving is a my_chat_member update
    runtime(context).members.forget(message.chat_id, gone.id)
    await _handle(update, context, Origin(chat_id=message.chat_id), MemberLeft(gone.id))


async def on_migrated(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if not message.migrate_to_chat_id:
        await runtime(context).service.done(update.update_id)
        return
    await _handle(update, context, _origin(message, None), Migrated(message.migrate_to_chat_id))


async def on_error(update: object, context: Context) -> None:
    """Log without the update's content (it may hold a story); the bot carries on. A fault of
    the storage (a full disk, a damaged page) is the intake's to judge and to say, in one line:
    the update is kept and tried again, or the bot stops; no traceback for it here."""
    update_id = update.update_id if isinstance(update, Update) else None
    if context.error is not None and storage_fault(context.error) is not None:
        log.info("update %s met a storage fault (%s)", update_id, type(context.error).__name__)
        return
    log.error("update %s failed", update_id, exc_info=context.error)


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler; the order matters only where filters overlap.

    Commands are only read from new messages: editing a ``/next`` must not run it again.
    """
    new = filters.UpdateType.MESSAGE
    add = application.add_handler
    add(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrated))
    add(MessageHandler(filters.StatusUpdate.LEFT_CHAT_MEMBER, on_left))
    add(MessageHandler(filters.StatusUpdate.NEW_CHAT_MEMBERS, on_joined))
    add(ChatMemberHandler(on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    add(ChatMemberHandler(on_member_change, ChatMemberHandler.CHAT_MEMBER))
    add(CallbackQueryHandler(on_button))
    add(CommandHandler(commands.NAMES, on_command, filters=new))
    # Any other command in the private chat is answered too (in a group it may be another bot's).
    add(MessageHandler(new & filters.ChatType.PRIVATE & filters.COMMAND, on_command))
    add(MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.TEXT, on_text))
    add(MessageHandler(new & filters.TEXT & ~filters.COMMAND, on_text))
    add(MessageHandler(new & (filters.VOICE | filters.VIDEO_NOTE), on_voice))
    add(MessageHandler(new & filters.ChatType.PRIVATE & ~filters.COMMAND, on_not_text))
    application.add_error_handler(on_error)
