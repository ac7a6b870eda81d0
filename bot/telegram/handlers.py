"""Telegram updates become engine events here, and nothing else happens here.

Each handler reads what the update says (who, where, which button, which reply), turns it into
one event for the service, and returns. Authority, validation and every answer to the user come
from the engine and ``bot.render``; these functions decide nothing about the dialogue itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from telegram import (
    CallbackQuery,
    ChatMember,
    Message,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.callbacks import Action, StartKind, decode, parse_start
from bot.dialogues import DEFAULT_SCRIPT
from bot.engine import events as ev
from bot.engine.script import Channel, Script, StageKind
from bot.engine.state import Due, Owner, Role, SessionState, Status, Visibility
from bot.i18n.catalog import negotiate
from bot.service import Origin, Service, source_ref
from bot.storage import Store
from bot.words import shell as texts
from bot.words.shell import ShellText

log = logging.getLogger(__name__)

ADMIN_CACHE_SECONDS = 600
GROUP_COMMANDS = (
    "newsession",
    "cofacilitate",
    "next",
    "back",
    "pause",
    "resume",
    "status",
    "summary",
    "end",
)


@dataclass
class Runtime:
    """What every handler needs, kept in ``application.bot_data`` under ``"runtime"``."""

    service: Service
    store: Store
    admins: dict[int, tuple[float, frozenset[int]]] = field(default_factory=dict)
    admin_lookup_refused: bool = False


Context = ContextTypes.DEFAULT_TYPE


def runtime(context: Context) -> Runtime:
    return cast(Runtime, context.bot_data["runtime"])


def _thread(message: Message | None) -> int | None:
    """Sessions live per forum topic where topics are on; otherwise per chat."""
    if message is not None and message.is_topic_message:
        return message.message_thread_id
    return None


def _language(user: User | None) -> str:
    return negotiate(user.language_code if user else None)


def _name(user: User) -> str:
    """Only the first name: it is what the group already sees, and the least we can keep."""
    return (user.first_name or "?").strip()[:64]


async def is_admin(context: Context, chat_id: int, user_id: int) -> bool:
    """Chat administrators may co-facilitate; if Telegram will not say, nobody is assumed one."""
    rt = runtime(context)
    cached = rt.admins.get(chat_id)
    if cached is not None and time.monotonic() - cached[0] < ADMIN_CACHE_SECONDS:
        return user_id in cached[1]
    try:
        members = await context.bot.get_chat_administrators(chat_id)
    except TelegramError as error:
        if not rt.admin_lookup_refused:
            rt.admin_lookup_refused = True
            log.warning("administrator lookup refused (%s): only facilitators lead", error)
        return False
    ids = frozenset(m.user.id for m in members)
    rt.admins[chat_id] = (time.monotonic(), ids)
    return user_id in ids


def _origin(message: Message, user: User) -> Origin:
    return Origin(
        chat_id=message.chat_id,
        thread_id=_thread(message),
        message_id=message.message_id,
        private=message.chat.type == ChatType.PRIVATE,
        language=_language(user),
    )


# --- group commands ----------------------------------------------------------------------------


async def new_session(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = runtime(context).service
    args = context.args or []
    script_id = args[0] if args else DEFAULT_SCRIPT
    language = args[1] if len(args) > 1 else None
    result = await service.open_session(
        update.update_id,
        chat_id=message.chat_id,
        thread_id=_thread(message),
        actor=user.id,
        script_id=script_id,
        language=language,
        origin=_origin(message, user),
    )
    if result == "running":
        await service.say(
            None,
            texts.session_running,
            chat_id=message.chat_id,
            thread_id=_thread(message),
            reply_to=message.message_id,
        )
    elif result == "unknown_script":
        await service.say(
            None,
            texts.unknown_script(script_id, service.library.ids()),
            chat_id=message.chat_id,
            thread_id=_thread(message),
            reply_to=message.message_id,
        )


CommandEvent = Callable[[str, int, bool, str | None], ev.Event]

# Facilitator commands and the event each stands for: (event id, caller, is admin, open stage).
COMMAND_EVENTS: dict[str, CommandEvent] = {
    "next": lambda i, u, a, _: ev.Advanced(event_id=i, actor=u, actor_is_admin=a),
    "back": lambda i, u, a, _: ev.WentBack(event_id=i, actor=u, actor_is_admin=a),
    "pause": lambda i, u, a, _: ev.Paused(event_id=i, actor=u, actor_is_admin=a),
    "resume": lambda i, u, a, _: ev.Resumed(event_id=i, actor=u, actor_is_admin=a),
    "status": lambda i, u, a, _: ev.StatusRequested(event_id=i, actor=u, actor_is_admin=a),
    "summary": lambda i, u, a, _: ev.SummaryRequested(event_id=i, actor=u, actor_is_admin=a),
    "end": lambda i, u, a, _: ev.Ended(event_id=i, actor=u, actor_is_admin=a),
    "nudge": lambda i, u, a, stage: ev.NudgeRequested(
        event_id=i, actor=u, actor_is_admin=a, stage_id=stage or "-"
    ),
}


def _privileged(build: CommandEvent) -> Callable[[Update, Context], Any]:
    """A handler for a facilitator command: the engine decides whether the caller may."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None or user is None:
            return
        admin = await is_admin(context, message.chat_id, user.id)

        def make(state: SessionState, script: Script, event_id: str) -> ev.Event | None:
            return build(event_id, user.id, admin, _current_stage(state, script))

        await _in_chat_or_explain(update, context, make)

    return handler


async def _in_chat_or_explain(
    update: Update,
    context: Context,
    make: Callable[[SessionState, Script, str], ev.Event | None],
) -> None:
    message, user = update.effective_message, update.effective_user
    assert message is not None
    assert user is not None
    service = runtime(context).service
    outcome = await service.in_chat(
        update.update_id, message.chat_id, _thread(message), make, _origin(message, user)
    )
    if outcome.session_id is None:
        await service.say(
            None,
            texts.no_session,
            chat_id=message.chat_id,
            thread_id=_thread(message),
            reply_to=message.message_id,
        )


async def cofacilitate(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    target = message.reply_to_message.from_user if message.reply_to_message else None
    service = runtime(context).service
    if target is None or target.is_bot:
        await service.say(
            update.update_id,
            texts.cofacilitate_how,
            chat_id=message.chat_id,
            thread_id=_thread(message),
            reply_to=message.message_id,
        )
        return
    admin = await is_admin(context, message.chat_id, user.id)
    await _in_chat_or_explain(
        update,
        context,
        lambda _s, _sc, eid: ev.FacilitatorAdded(
            event_id=eid, actor=user.id, actor_is_admin=admin, user_id=target.id
        ),
    )


async def group_help(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = runtime(context).service
    leads = await is_admin(context, message.chat_id, user.id)
    async with service.store.read() as tx:
        session_id = await tx.session_for_chat(message.chat_id, _thread(message))
        state = await tx.load_state(session_id) if session_id else None
    if state is not None and state.is_facilitator(user.id):
        leads = True
    await service.say(
        update.update_id,
        texts.group_help(leads=leads, running=state is not None),
        chat_id=message.chat_id,
        thread_id=_thread(message),
        reply_to=message.message_id,
        language=state.language if state else None,
    )


# --- answers in the group ----------------------------------------------------------------------


def _current_stage(state: SessionState, script: Script) -> str | None:
    if 0 <= state.stage_index < len(script.stages):
        return script.stages[state.stage_index].id
    return None


async def group_text(update: Update, context: Context) -> None:
    """A reply to a prompt is an answer; so is a participant's plain message, if we can see it."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or user.is_bot or not message.text:
        return
    rt = runtime(context)
    stage_id: str | None = None
    replied = message.reply_to_message
    if replied is not None and replied.from_user and replied.from_user.id == context.bot.id:
        found = await rt.store.message_key(message.chat_id, replied.message_id)
        if found is not None and found[1].startswith("prompt:"):
            stage_id = found[1].removeprefix("prompt:")
    text = message.text
    ref = source_ref(message.chat_id, message.message_id)

    def make(state: SessionState, script: Script, event_id: str) -> ev.Event | None:
        if stage_id is not None:
            return ev.Answered(
                event_id=event_id,
                actor=user.id,
                stage_id=stage_id,
                text=text,
                channel=Channel.GROUP,
                source_ref=ref,
            )
        # A plain message counts only from a participant while a text stage is open; anything
        # else is ordinary conversation the bot leaves alone.
        participant = state.participants.get(user.id)
        current = _current_stage(state, script)
        stage = script.stage(current) if current else None
        if (
            participant is None
            or not participant.active
            or state.status is not Status.RUNNING
            or stage is None
            or stage.kind is not StageKind.TEXT
            or Channel.GROUP not in stage.channels
        ):
            return None
        return ev.Answered(
            event_id=event_id,
            actor=user.id,
            stage_id=stage.id,
            text=text,
            channel=Channel.GROUP,
            source_ref=ref,
        )

    await rt.service.in_chat(
        update.update_id, message.chat_id, _thread(message), make, _origin(message, user)
    )


async def edited_text(update: Update, context: Context) -> None:
    message, user = update.edited_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    service = runtime(context).service
    text = message.text
    ref = source_ref(message.chat_id, message.message_id)

    def make(_s: SessionState, _sc: Script, event_id: str) -> ev.Event:
        return ev.AnswerEdited(event_id=event_id, actor=user.id, source_ref=ref, text=text)

    origin = _origin(message, user)
    if message.chat.type == ChatType.PRIVATE:
        session_id = await service.private_session(user.id)
        if session_id is not None:
            await service.in_session(update.update_id, session_id, make, origin)
            return
        await service.done(update.update_id)
        return
    await service.in_chat(update.update_id, message.chat_id, _thread(message), make, origin)


# --- private chat ------------------------------------------------------------------------------


async def start(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = runtime(context).service
    language = _language(user)
    link = parse_start(context.args[0] if context.args else None)
    if link is None:
        await service.say(
            update.update_id, texts.private_welcome, chat_id=message.chat_id, language=language
        )
        return
    origin = _origin(message, user)

    def make(state: SessionState, script: Script, event_id: str) -> ev.Event | None:
        participant = state.participants.get(user.id)
        if link.kind is StartKind.HELLO or (
            link.kind is StartKind.ANSWER and participant is not None and participant.active
        ):
            return None
        return ev.Joined(event_id=event_id, actor=user.id)

    outcome = await service.in_session(
        update.update_id, link.session_id, make, origin, bind_user=user.id
    )
    if outcome.session_id is None:
        await service.say(None, texts.unknown_link, chat_id=message.chat_id, language=language)
    elif not outcome.applied:
        await service.say(
            None,
            texts.write_here,
            chat_id=message.chat_id,
            language=language,
            session_id=link.session_id,
        )


async def private_text(update: Update, context: Context) -> None:
    """Text written to the bot privately: an answer to the bound session's open stage."""
    message, user = update.effective_message, update.effective_user
    if message is None or user is None or not message.text:
        return
    service = runtime(context).service
    session_id = await service.private_session(user.id)
    if session_id is None:
        await service.say(
            update.update_id,
            texts.no_private_session,
            chat_id=message.chat_id,
            language=_language(user),
        )
        return
    text = message.text
    ref = source_ref(message.chat_id, message.message_id)

    def make(state: SessionState, script: Script, event_id: str) -> ev.Event:
        return ev.Answered(
            event_id=event_id,
            actor=user.id,
            stage_id=_current_stage(state, script) or "",
            text=text,
            channel=Channel.PRIVATE,
            source_ref=ref,
        )

    await service.in_session(update.update_id, session_id, make, _origin(message, user))


async def mydata(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None or user is None:
        return
    service = runtime(context).service
    async with service.store.read() as tx:
        states = [
            s for sid in await tx.sessions_of_user(user.id) if (s := await tx.load_state(sid))
        ]
    entries = [(s, sc) for s in states if (sc := service.script_of(s)) is not None]
    await service.say(
        update.update_id,
        texts.my_data(user.id, entries),
        chat_id=message.chat_id,
        language=_language(user),
    )


def _private_reply(text: ShellText) -> Callable[[Update, Context], Any]:
    """A private command (or message) whose whole answer is one shell text."""

    async def handler(update: Update, context: Context) -> None:
        message, user = update.effective_message, update.effective_user
        if message is None:
            return
        await runtime(context).service.say(
            update.update_id, text, chat_id=message.chat_id, language=_language(user)
        )

    return handler


# /forget only asks; the erasure happens when its confirmation button is pressed.
forget = _private_reply(texts.forget_confirm)
private_help = _private_reply(texts.private_help)
# Photos, voice notes, stickers…: say plainly that only text is read, keep nothing.
private_other = _private_reply(texts.text_only)


async def wrong_place(update: Update, context: Context) -> None:
    message, user = update.effective_message, update.effective_user
    if message is None:
        return
    private = message.chat.type == ChatType.PRIVATE
    await runtime(context).service.say(
        update.update_id,
        texts.group_only if private else texts.private_only,
        chat_id=message.chat_id,
        thread_id=_thread(message),
        reply_to=None if private else message.message_id,
        language=_language(user),
    )


# --- buttons -----------------------------------------------------------------------------------


async def button(update: Update, context: Context) -> None:
    query: CallbackQuery | None = update.callback_query
    if query is None:
        return
    user = query.from_user
    service = runtime(context).service
    pressed = decode(query.data)
    origin = Origin(
        chat_id=query.message.chat.id if query.message else None,
        thread_id=_thread(query.message if isinstance(query.message, Message) else None),
        message_id=query.message.message_id if query.message else None,
        private=bool(query.message and query.message.chat.type == ChatType.PRIVATE),
        callback_id=query.id,
        language=_language(user),
    )

    async def answer(text: ShellText, update_id: int | None = update.update_id) -> None:
        """The button's own short answer, in the presser's language."""
        await service.say(
            update_id, text, chat_id=user.id, callback_id=query.id, language=origin.language
        )

    if pressed is None:
        await answer(texts.stale_button)
        return
    if pressed.action is Action.FORGET:
        if pressed.args[0] == "1":
            await service.forget(update.update_id, user.id, origin)
            await answer(texts.erased, None)  # forget() has marked the update done
        else:
            await answer(texts.kept)
        return
    arg = pressed.args[0]
    admin = False
    if pressed.action is Action.NUDGE:
        chat = await _session_chat(service, pressed.session_id)
        admin = chat is not None and await is_admin(context, chat, user.id)
    make = _button_event(pressed.action, pressed.args, user, admin)
    if make is None:
        await answer(texts.stale_button)
        return
    bind = user.id if pressed.action is Action.CONSENT and arg == "1" else None
    outcome = await service.in_session(
        update.update_id, pressed.session_id, make, origin, bind_user=bind
    )
    if outcome.session_id is None:
        await answer(texts.stale_button, None)


async def _session_chat(service: Service, session_id: str) -> int | None:
    async with service.store.read() as tx:
        found = await tx.session_chat(session_id)
    return found[0] if found else None


def _button_event(
    action: Action, args: tuple[str, ...], user: User, admin: bool
) -> Callable[[SessionState, Script, str], ev.Event | None] | None:
    """The event a well-formed button stands for, or None if its values are not ours."""
    uid = user.id
    try:
        match action:
            case Action.CONSENT:
                accept = args[0] == "1"
                name, language = _name(user), _language(user)
                return lambda _s, _sc, eid: ev.Consented(
                    event_id=eid,
                    actor=uid,
                    accept=accept,
                    name=name if accept else "",
                    language=language if accept else None,
                )
            case Action.ROLE:
                role = Role(args[0])
                return lambda _s, _sc, eid: ev.RoleChosen(event_id=eid, actor=uid, role=role)
            case Action.CHOICE:
                stage_id, option_id = args
                return lambda _s, _sc, eid: ev.ChoiceToggled(
                    event_id=eid, actor=uid, stage_id=stage_id, option_id=option_id
                )
            case Action.SHARE:
                visibility = Visibility(args[0])
                return lambda _s, _sc, eid: ev.ShareChosen(
                    event_id=eid, actor=uid, visibility=visibility
                )
            case Action.OWNER:
                cid, owner = args[0], Owner(args[1])
                return lambda _s, _sc, eid: ev.CommitmentOwnerSet(
                    event_id=eid, actor=uid, commitment_id=cid, owner=owner
                )
            case Action.DUE:
                cid, due = args[0], Due(args[1])
                return lambda _s, _sc, eid: ev.CommitmentDueSet(
                    event_id=eid, actor=uid, commitment_id=cid, due=due
                )
            case Action.ENDORSE:
                cid = args[0]
                return lambda _s, _sc, eid: ev.EndorsementToggled(
                    event_id=eid, actor=uid, commitment_id=cid
                )
            case Action.QUOTE:
                allow = args[0] == "1"
                return lambda _s, _sc, eid: ev.QuoteConsentSet(
                    event_id=eid, actor=uid, allow=allow
                )
            case Action.NUDGE:
                stage_id = args[0]
                return lambda _s, _sc, eid: ev.NudgeRequested(
                    event_id=eid, actor=uid, actor_is_admin=admin, stage_id=stage_id
                )
    except ValueError:
        return None
    return None


# --- membership and migration ------------------------------------------------------------------


async def my_membership(update: Update, context: Context) -> None:
    change = update.my_chat_member
    if change is None:
        return
    service = runtime(context).service
    chat_id = change.chat.id
    gone = change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED)
    was_gone = change.old_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED)
    if gone:
        runtime(context).admins.pop(chat_id, None)
        await service.bot_removed(update.update_id, chat_id)
    elif was_gone and change.chat.type != ChatType.PRIVATE:
        await service.say(
            update.update_id,
            texts.hello_group,
            chat_id=chat_id,
            language=_language(change.from_user),
        )
    else:
        await service.done(update.update_id)


async def migrated(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    service = runtime(context).service
    if message.migrate_to_chat_id:
        await service.chat_migrated(update.update_id, message.chat_id, message.migrate_to_chat_id)
    else:
        await service.done(update.update_id)


async def on_error(update: object, context: Context) -> None:
    """Log without the update's content (it may hold a story); the bot carries on."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed", update_id, exc_info=context.error)


def install(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Register every handler; the order matters only where filters overlap."""
    groups = filters.ChatType.GROUPS
    private = filters.ChatType.PRIVATE
    add = application.add_handler
    add(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    add(ChatMemberHandler(my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    add(CallbackQueryHandler(button))
    add(CommandHandler("newsession", new_session, filters=groups))
    add(CommandHandler("cofacilitate", cofacilitate, filters=groups))
    for name, build in COMMAND_EVENTS.items():
        add(CommandHandler(name, _privileged(build), filters=groups))
    add(CommandHandler("help", group_help, filters=groups))
    add(CommandHandler("start", start, filters=private))
    add(CommandHandler("mydata", mydata, filters=private))
    add(CommandHandler("forget", forget, filters=private))
    add(CommandHandler("help", private_help, filters=private))
    add(CommandHandler(["mydata", "forget", "start"], wrong_place, filters=groups))
    add(CommandHandler([*GROUP_COMMANDS, "nudge"], wrong_place, filters=private))
    edited = filters.UpdateType.EDITED_MESSAGE & filters.TEXT
    add(MessageHandler(edited, edited_text))
    messages = filters.UpdateType.MESSAGE & filters.TEXT & ~filters.COMMAND
    add(MessageHandler(messages & groups, group_text))
    add(MessageHandler(messages & private, private_text))
    add(MessageHandler(filters.UpdateType.MESSAGE & private & ~filters.COMMAND, private_other))
    application.add_error_handler(on_error)
