"""Effects become delivery operations: who reads each message, in which language, where.

Pure: given the engine's effects, the session's state and place, and whoever acted, ``plan``
returns the operations for the outbox, rendered in each reader's language and cut to
Telegram's size. The sender then only delivers them; a message waiting in the outbox survives a
restart exactly as it was planned.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot import delivery as op
from bot.charter import charter_pdf
from bot.commands import Place as CommandPlace
from bot.engine.effects import (
    CharterView,
    Delete,
    Edit,
    Effect,
    Group,
    Notice,
    NoticeView,
    Person,
    Pin,
    React,
    Reply,
    Send,
    SharedAnswerView,
)
from bot.engine.script import Script
from bot.engine.state import SessionState, voice_of
from bot.i18n.catalog import translator
from bot.inbound import Origin
from bot.words.charter import caption as charter_caption
from bot.words.charter import filename as charter_filename
from bot.words.markup import Context, Rendered, split_message
from bot.words.menus import menu
from bot.words.shell import ShellText, private_chat_pointer
from bot.words.views import render as render_view


@dataclass(frozen=True, slots=True)
class Place:
    """Where a session lives: a group, or one forum topic of it (and the group's name, where
    a rendering needs it)."""

    chat_id: int
    thread_id: int | None = None
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Voice:
    """What every rendering needs besides the reader: the bot's name and its promises."""

    bot_username: str
    default_language: str = "en"
    retention_days: int = 90

    def context(self, language: str | None, script: Script | None, session_id: str) -> Context:
        return Context(
            tr=translator(language or self.default_language),
            script=script,
            session_id=session_id,
            bot_username=self.bot_username,
            extras={"retention_days": str(self.retention_days)},
        )

    def shell(self, text: ShellText, language: str | None) -> Rendered:
        return text(translator(language or self.default_language))


@dataclass(frozen=True, slots=True)
class Scene:
    """One transition's surroundings: the new state, its script and place, and who acted."""

    state: SessionState
    script: Script
    place: Place
    origin: Origin
    # The languages people chose with /language (by user id); everyone else reads the session's.
    languages: Mapping[int, str] = field(default_factory=dict)


def plan(effects: list[Effect], scene: Scene, voice: Voice) -> list[op.Operation]:
    """The operations that show ``effects``; a pressed button is always answered."""
    operations: list[op.Operation] = []
    for effect in effects:
        operations += _operations(effect, scene, voice)
    replied = any(isinstance(effect, Reply) for effect in effects)
    if scene.origin.callback_id is not None and not replied:
        # Every button press must be answered, or the presser's client keeps spinning.
        operations.append(op.Popup(callback_id=scene.origin.callback_id))
    return operations


def _operations(effect: Effect, scene: Scene, voice: Voice) -> list[op.Operation]:
    state, place = scene.state, scene.place
    group = voice.context(state.language, scene.script, state.session_id)
    match effect:
        case Send(to=Group(), view=CharterView() as charter):
            return [_charter(charter, scene, voice, effect.key)]
        case Edit(view=CharterView() as charter):
            return [_charter(charter, scene, voice, effect.key, replace=True)]
        case Send(to=Group(), view=SharedAnswerView(text=text)) if voice_of(text):
            return [_voice(effect, place.chat_id, place.thread_id, group)]
        case Send(to=Group()):
            reply = _ref(effect.reply_to)
            reply_to = reply[1] if reply and reply[0] == place.chat_id else None
            rendered = render_view(effect.view, group)
            sent = message(place.chat_id, place.thread_id, rendered, effect.key, reply_to)
            return [sent.model_copy(update={"priority": _priority(effect.key, edit=False)})]
        case Send(to=Person(user_id=user_id)):
            return [_to_person(effect, user_id, scene, voice)]
        case Edit():
            rendered = render_view(effect.view, group)
            return [
                op.Edit(
                    chat_id=place.chat_id,
                    thread_id=place.thread_id,
                    key=effect.key,
                    parts=tuple(split_message(rendered.text)),
                    keys=keyboard(rendered),
                    priority=_priority(effect.key, edit=True),
                )
            ]
        case Delete():
            return [op.Delete(chat_id=place.chat_id, key=effect.key)]
        case Pin():
            return [op.Pin(chat_id=place.chat_id, key=effect.key)]
        case React():
            ref = _ref(effect.source_ref)
            return [] if ref is None else [op.React(chat_id=ref[0], message_id=ref[1])]
        case Reply():
            return _reply(effect, scene, voice)
    return []  # Schedule and Cancel are the service's, not deliveries


def _charter(
    view: CharterView, scene: Scene, voice: Voice, key: str | None, *, replace: bool = False
) -> op.Document:
    """The charter as a document in the group's language: one call of the group's budget
    (a redrawn one replaces the file of the one posted, a card's worth of priority)."""
    tr = translator(scene.state.language or voice.default_language)
    content = charter_pdf(view, (tr.language,), group_title=scene.place.title)
    return op.Document(
        chat_id=scene.place.chat_id,
        thread_id=scene.place.thread_id,
        filename=charter_filename(tr, view.date),
        content_b64=base64.b64encode(content).decode("ascii"),
        caption=charter_caption(tr),
        key=key,
        replace=replace,
        priority=op.Priority.CARD if replace else op.Priority.ESSENTIAL,
    )


def menus(before: SessionState, after: SessionState, place: Place, voice: Voice) -> list[op.Menu]:
    """The leading commands in the menu of each person who has just become a facilitator."""
    tr = translator(after.language or voice.default_language)
    commands = tuple(menu(tr, CommandPlace.GROUP, leads=True))
    return [
        op.Menu(group_id=place.chat_id, user_id=user_id, commands=commands)
        for user_id in after.facilitators
        if user_id not in before.facilitators
    ]


def _priority(key: str | None, *, edit: bool) -> op.Priority:
    """Prompts and summaries first; cards next; a live message's running counts after them."""
    if edit and key is not None and key.startswith("statement:"):
        return op.Priority.PROGRESS  # a statement's live tally: one vote among many
    if key is not None and key.startswith(("commitment:", "share:", "statement:")):
        return op.Priority.CARD
    if edit and (key is None or key == "welcome" or key.startswith("prompt:")):
        return op.Priority.PROGRESS
    return op.Priority.ESSENTIAL


def _voice(effect: Send, chat_id: int, thread_id: int | None, ctx: Context) -> op.Voice:
    """A shared voice answer: its file id sent again, what it is as the caption."""
    assert isinstance(effect.view, SharedAnswerView)
    file_id = voice_of(effect.view.text) or ""
    caption = render_view(effect.view, ctx).text
    return op.Voice(
        chat_id=chat_id, thread_id=thread_id, file_id=file_id, caption=caption, key=effect.key
    )


def _to_person(effect: Send, user_id: int, scene: Scene, voice: Voice) -> op.Operation:
    state = scene.state
    language = _language_of(scene, user_id)
    ctx = voice.context(language, scene.script, state.session_id)
    if isinstance(effect.view, SharedAnswerView) and voice_of(effect.view.text):
        return _voice(effect, user_id, None, ctx)  # played to a facilitator who asked
    rendered = render_view(effect.view, ctx)
    # If they never opened a private chat with the bot, the group is shown how to.
    pointer = private_chat_pointer(voice.bot_username, state.session_id)(
        translator(state.language)
    )
    stand_in = fallback(scene.place.chat_id, scene.place.thread_id, pointer)
    return message(user_id, None, rendered, None, None).model_copy(update={"fallback": stand_in})


def fallback(chat_id: int, thread_id: int | None, pointer: Rendered) -> op.Fallback:
    """What the group is shown instead when a private message cannot reach its reader."""
    return op.Fallback(
        chat_id=chat_id, thread_id=thread_id, text=pointer.text, keys=keyboard(pointer)
    )


def _reply(effect: Reply, scene: Scene, voice: Voice) -> list[op.Operation]:
    """An answer to whoever acted, where they acted: a popup, a reaction, or a message."""
    origin, state = scene.origin, scene.state
    private = origin.private or origin.callback_id is not None
    language = (origin.language or state.language) if private else state.language
    rendered = render_view(effect.view, voice.context(language, scene.script, state.session_id))
    quiet = isinstance(effect.view, NoticeView) and effect.view.code is Notice.DONE
    if origin.callback_id is not None:
        return [op.Popup(callback_id=origin.callback_id, text=rendered.popup)]
    if origin.chat_id is None:
        return []  # a reminder or an internal event: nobody to answer
    if quiet and origin.message_id is not None:
        return [op.React(chat_id=origin.chat_id, message_id=origin.message_id)]
    reply_to = None if origin.private else origin.message_id
    return [message(origin.chat_id, origin.thread_id, rendered, None, reply_to)]


def _language_of(scene: Scene, user_id: int) -> str:
    """A person reads the language they chose, or else the session's: never their phone's
    (no phone speaks Kirundi, so it would put a Kirundi session's people in English)."""
    chosen = scene.languages.get(user_id)
    if chosen is None and user_id == scene.origin.user_id:
        chosen = scene.origin.language  # not a participant yet: what the service found
    return chosen or scene.state.language


def keyboard(rendered: Rendered) -> op.Keyboard:
    return tuple(
        tuple(op.Button(text=key.text, data=key.data, url=key.url) for key in row)
        for row in rendered.keys
    )


def message(
    chat_id: int,
    thread_id: int | None,
    rendered: Rendered,
    key: str | None,
    reply_to: int | None,
) -> op.Send:
    """A rendered text as a message, cut into parts Telegram accepts."""
    return op.Send(
        chat_id=chat_id,
        thread_id=thread_id,
        parts=tuple(split_message(rendered.text)),
        keys=keyboard(rendered),
        key=key,
        reply_to=reply_to,
    )


def popup(callback_id: str, rendered: Rendered) -> op.Popup:
    return op.Popup(callback_id=callback_id, text=rendered.popup)


def source_ref(chat_id: int, message_id: int) -> str:
    """How the engine refers to a Telegram message, without knowing what one is."""
    return f"{chat_id}:{message_id}"


def _ref(ref: str | None) -> tuple[int, int] | None:
    if not ref:
        return None
    chat, _, message_id = ref.partition(":")
    try:
        return int(chat), int(message_id)
    except ValueError:
        return None
