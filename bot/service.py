"""The imperative shell's core: one event in, one transaction out. No Telegram in here.

For every event the service loads the session, asks the engine for the new state and effects,
and commits in ONE write transaction: the new state, the rendered messages in the outbox, the
reminders, an audit line for privileged actions, and the inbox row marked processed. A crash
before the commit leaves the update unprocessed (it is replayed at start); a crash after it
leaves only messages to send. Nothing is ever half-applied.

Messages are rendered here, when the effect is born, in the language of who will read them:
the sender then only delivers, and a message waiting in the outbox survives a restart as is.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import (
    Cancel,
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
    Schedule,
    Send,
)
from bot.engine.machine import new_session, step
from bot.engine.script import Script
from bot.engine.state import SessionState
from bot.i18n.catalog import negotiate, translator
from bot.storage import StorageError, Store, Tx
from bot.words.markup import Context, Rendered
from bot.words.shell import ShellText
from bot.words.views import render

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


def source_ref(chat_id: int, message_id: int) -> str:
    """How the engine refers to a Telegram message, without knowing what one is."""
    return f"{chat_id}:{message_id}"


def parse_ref(ref: str | None) -> tuple[int, int] | None:
    if not ref:
        return None
    chat, _, message = ref.partition(":")
    try:
        return int(chat), int(message)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Origin:
    """Where the actor acted, so a ``Reply`` effect reaches them there and nowhere else."""

    chat_id: int | None = None
    thread_id: int | None = None
    message_id: int | None = None
    private: bool = False
    callback_id: str | None = None
    language: str | None = None


@dataclass(slots=True)
class Outcome:
    """What happened, for the handler: whether a session was found and what changed."""

    session_id: str | None = None
    applied: bool = False
    effects: list[Effect] = field(default_factory=list)


class Service:
    def __init__(
        self,
        store: Store,
        library: Library,
        *,
        bot_username: str,
        default_language: str = "en",
        clock: Clock = utcnow,
        retention_days: int = 90,
    ) -> None:
        self.store = store
        self.library = library
        self.bot_username = bot_username
        self.default_language = negotiate(default_language)
        self.clock = clock
        self.retention_days = retention_days

    # --- context ------------------------------------------------------------------------------

    def _context(self, language: str | None, script: Script | None, session_id: str) -> Context:
        return Context(
            tr=translator(language or self.default_language),
            script=script,
            session_id=session_id,
            bot_username=self.bot_username,
            extras={"retention_days": str(self.retention_days)},
        )

    def script_of(self, state: SessionState) -> Script | None:
        return self.library.get(state.script_id)

    # --- entry points -------------------------------------------------------------------------

    async def open_session(
        self,
        update_id: int | None,
        *,
        chat_id: int,
        thread_id: int | None,
        actor: int,
        script_id: str,
        language: str | None,
        origin: Origin,
    ) -> Literal["opened", "running", "unknown_script"]:
        script = self.library.get(script_id)
        async with self.store.write() as tx:
            if await tx.session_for_chat(chat_id, thread_id) is not None:
                result: Literal["opened", "running", "unknown_script"] = "running"
            elif script is None:
                result = "unknown_script"
            else:
                session_id = secrets.token_hex(4)
                lang = negotiate(language, self.default_language) if language else None
                state = new_session(session_id, script, lang or self.default_language)
                event = ev.Opened(event_id=_event_id(update_id, session_id), actor=actor)
                await self._apply(tx, state, script, event, origin, chat_id, thread_id)
                await tx.audit(session_id, actor, "opened")
                result = "opened"
            if update_id is not None:
                await tx.mark_processed(update_id)
        return result

    async def in_chat(
        self,
        update_id: int | None,
        chat_id: int,
        thread_id: int | None,
        make_event: Callable[[SessionState, Script, str], ev.Event | None],
        origin: Origin,
    ) -> Outcome:
        """Apply the event ``make_event`` builds for the session open in this chat, if any."""
        async with self.store.write() as tx:
            outcome = Outcome()
            session_id = await tx.session_for_chat(chat_id, thread_id)
            if session_id is not None:
                outcome = await self._run(tx, session_id, make_event, update_id, origin)
            if update_id is not None:
                await tx.mark_processed(update_id)
        return outcome

    async def in_session(
        self,
        update_id: int | None,
        session_id: str,
        make_event: Callable[[SessionState, Script, str], ev.Event | None],
        origin: Origin,
        *,
        bind_user: int | None = None,
    ) -> Outcome:
        """Apply an event to a session named by a button or a private chat's binding."""
        async with self.store.write() as tx:
            outcome = await self._run(tx, session_id, make_event, update_id, origin)
            if bind_user is not None and outcome.session_id is not None:
                await tx.bind_private(bind_user, session_id)
            if update_id is not None:
                await tx.mark_processed(update_id)
        return outcome

    async def private_session(self, user_id: int) -> str | None:
        async with self.store.read() as tx:
            return await tx.private_binding(user_id)

    async def bind(self, user_id: int, session_id: str) -> bool:
        async with self.store.write() as tx:
            if await tx.load_state(session_id) is None:
                return False
            await tx.bind_private(user_id, session_id)
            return True

    async def state(self, session_id: str) -> SessionState | None:
        async with self.store.read() as tx:
            return await tx.load_state(session_id)

    async def say(
        self,
        update_id: int | None,
        text: ShellText,
        *,
        chat_id: int,
        thread_id: int | None = None,
        language: str | None = None,
        reply_to: int | None = None,
        callback_id: str | None = None,
        session_id: str | None = None,
    ) -> None:
        """Queue a shell-level message (help, refusals the engine never sees) and mark done."""
        rendered = text(translator(language or self.default_language))
        async with self.store.write() as tx:
            if callback_id is not None:
                await tx.enqueue(
                    session_id, {"op": "popup", "callback_id": callback_id, "text": rendered.popup}
                )
            else:
                await tx.enqueue(
                    session_id,
                    _send_op(chat_id, thread_id, rendered, reply_to=reply_to),
                )
            if update_id is not None:
                await tx.mark_processed(update_id)

    async def done(self, update_id: int) -> None:
        """An update that needed no change: mark it so it is not replayed."""
        async with self.store.write() as tx:
            await tx.mark_processed(update_id)

    async def forget(self, update_id: int | None, user_id: int, origin: Origin) -> int:
        """Erase a person from every session and every table; returns sessions touched."""
        async with self.store.write() as tx:
            sessions = await tx.sessions_of_user(user_id)
            for session_id in sessions:
                await self._run(
                    tx,
                    session_id,
                    lambda _s, _sc, eid: ev.ParticipantErased(event_id=eid, actor=user_id),
                    update_id,
                    Origin(),  # the single confirmation below replaces per-session replies
                )
                await tx.audit(session_id, None, "participant_erased")
            await tx.forget_user(user_id)
            if update_id is not None:
                await tx.mark_processed(update_id)
        # Deleted rows are scrubbed (secure_delete); the checkpoint clears them from the WAL.
        # A reader holding the WAL open defers that to the next checkpoint; the erasure stands.
        try:
            await self.store.checkpoint()
        except StorageError as error:
            log.warning("checkpoint after erasure deferred: %s", error)
        return len(sessions)

    async def chat_migrated(self, update_id: int | None, old: int, new: int) -> None:
        async with self.store.write() as tx:
            await tx.migrate_chat(old, new)
            if update_id is not None:
                await tx.mark_processed(update_id)

    async def bot_removed(self, update_id: int | None, chat_id: int) -> None:
        """Pause every session of the chat (all its topics) and tell the facilitators."""
        async with self.store.write() as tx:
            for session_id in await tx.sessions_in_chat(chat_id):
                await self._run(
                    tx,
                    session_id,
                    lambda _s, _sc, eid: ev.BotRemoved(event_id=eid),
                    update_id,
                    Origin(),
                )
                await tx.audit(session_id, None, "bot_removed")
            if update_id is not None:
                await tx.mark_processed(update_id)

    async def fire_reminders(self) -> int:
        """Feed every reminder that has come due back to its session."""
        fired = 0
        for session_id, name, event_json in await self.store.due_reminders(self.clock()):
            reminder = ev.ReminderDue.model_validate(event_json)
            async with self.store.write() as tx:
                await tx.cancel(session_id, name)
                await self._run(tx, session_id, lambda *_, r=reminder: r, None, Origin())
            fired += 1
        return fired

    async def expire_idle(self, days: int) -> int:
        """End the sessions nobody has acted in for ``days`` days (see ``events.Expired``)."""
        ended = 0
        for session_id in await self.store.idle_sessions(self.clock(), days):
            expired = ev.Expired(event_id=f"expired:{session_id}", idle_days=days)
            async with self.store.write() as tx:
                await self._run(tx, session_id, lambda *_, e=expired: e, None, Origin())
            ended += 1
        return ended

    # --- the transaction ----------------------------------------------------------------------

    async def _run(
        self,
        tx: Tx,
        session_id: str,
        make_event: Callable[[SessionState, Script, str], ev.Event | None],
        update_id: int | None,
        origin: Origin,
    ) -> Outcome:
        state = await tx.load_state(session_id)
        if state is None:
            return Outcome()
        script = self.script_of(state)
        located = await tx.session_chat(session_id)
        if script is None or located is None:
            log.error("session %s refers to a missing script or chat", session_id)
            return Outcome(session_id=session_id)
        event = make_event(state, script, _event_id(update_id, session_id))
        if event is None:
            return Outcome(session_id=session_id)
        chat_id, thread_id = located
        effects = await self._apply(tx, state, script, event, origin, chat_id, thread_id)
        if isinstance(event, ev.PRIVILEGED) and effects:
            await tx.audit(session_id, getattr(event, "actor", None), event.type)
        return Outcome(session_id=session_id, applied=True, effects=effects)

    async def _apply(
        self,
        tx: Tx,
        state: SessionState,
        script: Script,
        event: ev.Event,
        origin: Origin,
        chat_id: int,
        thread_id: int | None,
    ) -> list[Effect]:
        new, effects = step(script, state, event, self.clock())
        if new is state:
            return []
        await tx.save_state(new, chat_id, thread_id)
        replied = False
        for effect in effects:
            replied |= isinstance(effect, Reply)
            await self._route(tx, new, script, effect, origin, chat_id, thread_id)
        if origin.callback_id is not None and not replied:
            # Every button press must be answered, or the user's client keeps spinning.
            await tx.enqueue(
                new.session_id, {"op": "popup", "callback_id": origin.callback_id, "text": None}
            )
        return effects

    async def _route(
        self,
        tx: Tx,
        state: SessionState,
        script: Script,
        effect: Effect,
        origin: Origin,
        chat_id: int,
        thread_id: int | None,
    ) -> None:
        sid = state.session_id
        group_ctx = self._context(state.language, script, sid)
        match effect:
            case Schedule():
                await tx.schedule(
                    sid, effect.name, effect.at, effect.event.model_dump(mode="json")
                )
            case Cancel():
                await tx.cancel(sid, effect.name)
            case Send(to=Group()):
                reply = parse_ref(effect.reply_to)
                reply_to = reply[1] if reply and reply[0] == chat_id else None
                rendered = render(effect.view, group_ctx)
                await tx.enqueue(
                    sid,
                    _send_op(chat_id, thread_id, rendered, key=effect.key, reply_to=reply_to),
                )
            case Send(to=Person(user_id=user_id)):
                ctx = self._context(self._language_of(state, user_id, origin), script, sid)
                op = _send_op(user_id, None, render(effect.view, ctx), key=None)
                # If they never opened a private chat with the bot, tell them in the group how to.
                op["fallback"] = {
                    "chat_id": chat_id,
                    "thread_id": thread_id,
                    "session_id": sid,
                    "language": state.language,
                }
                await tx.enqueue(sid, op)
            case Edit():
                rendered = render(effect.view, group_ctx)
                await tx.enqueue(
                    sid,
                    {
                        "op": "edit",
                        "key": effect.key,
                        "text": rendered.text,
                        "keys": _keys(rendered),
                        "chat_id": chat_id,
                        "thread_id": thread_id,
                    },
                )
            case Delete():
                await tx.enqueue(sid, {"op": "delete", "key": effect.key, "chat_id": chat_id})
            case Pin():
                await tx.enqueue(sid, {"op": "pin", "key": effect.key, "chat_id": chat_id})
            case React():
                ref = parse_ref(effect.source_ref)
                if ref is not None:
                    await tx.enqueue(
                        sid,
                        {
                            "op": "react",
                            "chat_id": ref[0],
                            "message_id": ref[1],
                            "emoji": effect.emoji,
                        },
                    )
            case Reply():
                await self._reply(tx, state, script, effect, origin)

    async def _reply(
        self, tx: Tx, state: SessionState, script: Script, effect: Reply, origin: Origin
    ) -> None:
        sid = state.session_id
        language = origin.language if origin.private or origin.callback_id else state.language
        rendered = render(effect.view, self._context(language, script, sid))
        quiet = isinstance(effect.view, NoticeView) and effect.view.code is Notice.DONE
        if origin.callback_id is not None:
            await tx.enqueue(
                sid, {"op": "popup", "callback_id": origin.callback_id, "text": rendered.popup}
            )
        elif origin.chat_id is None:
            return  # a reminder or an internal event: nobody to answer
        elif quiet and origin.message_id is not None:
            await tx.enqueue(
                sid,
                {
                    "op": "react",
                    "chat_id": origin.chat_id,
                    "message_id": origin.message_id,
                    "emoji": "👍",
                },
            )
        else:
            await tx.enqueue(
                sid,
                _send_op(
                    origin.chat_id,
                    origin.thread_id,
                    rendered,
                    reply_to=None if origin.private else origin.message_id,
                ),
            )

    def _language_of(self, state: SessionState, user_id: int, origin: Origin) -> str:
        """A person reads in their own language; someone not yet joined, in the one they use."""
        participant = state.participants.get(user_id)
        if participant is not None and participant.language:
            return participant.language
        if participant is None and origin.language and (origin.private or origin.callback_id):
            return origin.language
        return state.language


def _event_id(update_id: int | None, session_id: str) -> str:
    """Derived from the update, so a redelivered update is recognised by the engine too."""
    if update_id is None:
        return f"x:{session_id}:{secrets.token_hex(6)}"
    return f"u{update_id}:{session_id}"


def _keys(rendered: Rendered) -> list[list[dict[str, str]]]:
    return [
        [
            {"text": key.text, **({"url": key.url} if key.url else {"data": key.data or ""})}
            for key in row
        ]
        for row in rendered.keys
    ]


def _send_op(
    chat_id: int,
    thread_id: int | None,
    rendered: Rendered,
    *,
    key: str | None = None,
    reply_to: int | None = None,
) -> dict[str, Any]:
    return {
        "op": "send",
        "chat_id": chat_id,
        "thread_id": thread_id,
        "text": rendered.text,
        "keys": _keys(rendered),
        "key": key,
        "reply_to": reply_to,
    }
