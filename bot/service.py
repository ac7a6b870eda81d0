"""The imperative shell's core: one request in, one transaction out. No Telegram in here.

``Service.handle`` takes what a person did (``bot.inbound``), finds the session it concerns,
asks the engine for the new state and effects, and commits in ONE write transaction: the new
state, the planned deliveries in the outbox, the reminders, an audit line for privileged
actions, and the inbox row marked processed. A crash before the commit leaves the update
unprocessed (it is replayed at start); a crash after it leaves only messages to send. Nothing
is ever half-applied.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Literal, cast

from bot import commands
from bot import delivery as op
from bot.callbacks import Action, Button, StartKind
from bot.commands import Place as CommandPlace
from bot.dialogues import DEFAULT_SCRIPT, Library
from bot.engine import events as ev
from bot.engine.effects import Cancel, CharterView, Edit, Effect, Relay, Schedule, Send
from bot.engine.followup import earlier_commitments
from bot.engine.machine import new_session, step
from bot.engine.script import Channel, Script
from bot.engine.state import (
    Agreement,
    Due,
    EarlierCommitment,
    Owner,
    Progress,
    Role,
    SessionState,
    Status,
    Visibility,
)
from bot.i18n.catalog import LANGUAGES, negotiate
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
from bot.planner import (
    Place,
    Scene,
    Voice,
    fallback,
    menus,
    message,
    plan,
    popup,
    source_ref,
)
from bot.storage import Sighting, StorageError, Store, Tx
from bot.words import shell as texts
from bot.words.commitments import open_commitments
from bot.words.names import role_at_end
from bot.words.shell import ShellText, private_chat_pointer

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
AdminCheck = Callable[[int, int], Awaitable[bool]]  # (chat id, user id) -> administrator?
# (chat id, user id) -> in the chat now? None when Telegram would not say.
MemberCheck = Callable[[int, int], Awaitable[bool | None]]

# What only a member of the session's group may do: join, answer, vote, endorse, share, settle.
_MEMBERS_ONLY = (
    ev.LinkOpened,
    ev.Consented,
    ev.RoleChosen,
    ev.Said,
    ev.ShareChosen,
    ev.ChoiceToggled,
    ev.EndorsementToggled,
    ev.CommitmentOwnerSet,
    ev.CommitmentDueSet,
    ev.CommitmentStatusReported,
    ev.QuoteConsentSet,
)

_PENDING = "pending"  # an event's id until its session, and so its id, is known
_PURPOSE: dict[StartKind, Literal["join", "answer", "hello"]] = {
    StartKind.JOIN: "join",
    StartKind.ANSWER: "answer",
    StartKind.HELLO: "hello",
}


# A group is told at most this often that messages sent as a chat act as nobody.
ON_BEHALF_QUIET = timedelta(minutes=10)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Result(Enum):
    MISSING = "missing"  # no such session
    UNCHANGED = "unchanged"  # the engine saw nothing to do
    APPLIED = "applied"


async def _nobody_is_admin(_chat_id: int, _user_id: int) -> bool:
    return False


async def _nobody_asked(_chat_id: int, _user_id: int) -> bool | None:
    return None


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
        admins: AdminCheck = _nobody_is_admin,
        members: MemberCheck = _nobody_asked,
    ) -> None:
        self.store = store
        self.library = library
        self.voice = Voice(bot_username, negotiate(default_language), retention_days)
        self.clock = clock
        self.admins = admins
        self.members = members
        # When each group was last told that a message sent as a chat acts as nobody.
        self._told_on_behalf: dict[int, datetime] = {}

    def script_of(self, state: SessionState) -> Script | None:
        return self.library.get(state.script_id)

    async def state(self, session_id: str) -> SessionState | None:
        async with self.store.read() as tx:
            return await tx.load_state(session_id)

    # --- the one entry -----------------------------------------------------------------------

    async def handle(self, update_id: int | None, origin: Origin, request: Request) -> None:
        """Apply what a person did; the update is marked processed in the same transaction."""
        origin = await self._chosen_language(origin)
        match request:
            case Command():
                await self._command(update_id, origin, request)
            case Text():
                await self._text(update_id, origin, request)
            case VoiceNote():
                await self._voice(update_id, origin, request)
            case NotText():
                await self._say(update_id, origin, texts.text_only if origin.private else None)
            case Start():
                await self._start(update_id, origin, request)
            case Pressed():
                await self._pressed(update_id, origin, request.button)
            case OnBehalf():
                await self._on_behalf(update_id, origin, asks=request.asks)
            case MemberLeft():
                await self._member_left(update_id, origin, request.user_id)
            case BotMembership():
                await self._membership(update_id, origin, request)
            case Migrated():
                await self._migrated(update_id, origin, request.new_chat_id)

    async def _chosen_language(self, origin: Origin) -> Origin:
        """The language the person chose with /language, or none: Telegram's ``language_code``
        is the phone's, and no phone speaks Kirundi, so it decides nothing here."""
        chosen = None
        if origin.user_id is not None:
            async with self.store.read() as tx:
                chosen = await tx.user_language(origin.user_id)
        return replace(origin, language=chosen)

    async def done(self, update_id: int) -> None:
        """An update that needed no change: mark it so it is not replayed."""
        await self.store.processed(update_id)

    # --- requests ----------------------------------------------------------------------------

    async def _command(self, update_id: int | None, origin: Origin, cmd: Command) -> None:
        place = CommandPlace.PRIVATE if origin.private else CommandPlace.GROUP
        unknown = texts.unknown_command
        if commands.find(cmd.name, place) is None:
            wrong = texts.group_only if origin.private else texts.private_only
            await self._say(update_id, origin, wrong if cmd.name in commands.NAMES else unknown)
            return
        match cmd.name, place:
            case "newsession", _:
                await self._open(update_id, origin, cmd.args)
            case "commitments", _:
                await self._commitments(update_id, origin)
            case "help", CommandPlace.GROUP:
                await self._group_help(update_id, origin)
            case "help", _:
                await self._private_help(update_id, origin)
            case "language", CommandPlace.GROUP:
                await self._session_language(update_id, origin, cmd.args)
            case "language", _:
                await self._own_language(update_id, origin, cmd.args)
            case "role", _:
                asked = ev.RoleChangeAsked(event_id=_PENDING, actor=_actor(origin))
                await self._act(update_id, origin, asked, missing=texts.no_private_session)
            case "addperson" | "for", _:
                await self._proxy(update_id, origin, cmd)
            case "mydata", _:
                await self._mydata(update_id, origin)
            case "forget", _ if cmd.args:  # /forget N: someone the facilitator added
                await self._proxy(update_id, origin, cmd)
            case "forget", _:  # only asks; the erasure happens when its button is pressed
                await self._say(update_id, origin, texts.forget_confirm)
            case "start", _:
                await self._start(update_id, origin, Start(link=None))
            case "charter", _:
                await self._charter(update_id, origin, cmd.args)
            case "cofacilitate", _ if cmd.replied_user is None or cmd.replied_is_bot:
                await self._say(update_id, origin, texts.cofacilitate_how)
            case "cofacilitate", _:
                added = ev.FacilitatorAdded(
                    event_id=_PENDING, actor=_actor(origin), user_id=cmd.replied_user
                )
                await self._act(update_id, origin, added, missing=texts.no_session)
            case name, _:
                lead = commands.LEAD_EVENTS[name](event_id=_PENDING, actor=_actor(origin))
                ended = await self._just_ended(origin) if name == "summary" else None
                await self._act(
                    update_id, origin, cast(ev.Event, lead), session_id=ended,
                    missing=texts.no_session,
                )  # fmt: skip

    async def _text(self, update_id: int | None, origin: Origin, said: Text) -> None:
        ref = source_ref(origin.chat_id or 0, origin.message_id or 0)
        actor = _actor(origin)
        event: ev.Event
        if said.edited:
            event = ev.AnswerEdited(event_id=_PENDING, actor=actor, source_ref=ref, text=said.text)
        else:
            replies_to = await self._key_of(origin, said.replies_to_bot_message)
            channel = Channel.PRIVATE if origin.private else Channel.GROUP
            event = ev.Said(
                event_id=_PENDING,
                actor=actor,
                text=said.text,
                channel=channel,
                replies_to=replies_to,
                source_ref=ref,
            )
        missing = texts.no_private_session if origin.private and not said.edited else None
        await self._act(update_id, origin, event, missing=missing)

    async def _voice(self, update_id: int | None, origin: Origin, note: VoiceNote) -> None:
        """A voice note is said like a text: the engine decides whether it answers a stage."""
        ref = source_ref(origin.chat_id or 0, origin.message_id or 0)
        replies_to = await self._key_of(origin, note.replies_to_bot_message)
        event = ev.Said(
            event_id=_PENDING,
            actor=_actor(origin),
            text="",
            voice=note.file_id,
            channel=Channel.PRIVATE if origin.private else Channel.GROUP,
            replies_to=replies_to,
            source_ref=ref,
        )
        missing = texts.no_private_session if origin.private else None
        await self._act(update_id, origin, event, missing=missing)

    async def _start(self, update_id: int | None, origin: Origin, start: Start) -> None:
        if start.link is None:
            await self._say(update_id, origin, texts.private_welcome)
            return
        purpose = _PURPOSE[start.link.kind]
        event = ev.LinkOpened(event_id=_PENDING, actor=_actor(origin), purpose=purpose)
        await self._act(
            update_id,
            origin,
            event,
            session_id=start.link.session_id,
            bind=True,
            missing=texts.unknown_link,
            unchanged=texts.write_here,
        )

    async def _pressed(
        self, update_id: int | None, origin: Origin, pressed: Button | None
    ) -> None:
        if pressed is not None and pressed.action is Action.FORGET:
            await self._forget(update_id, origin, erase=pressed.args[0] == "1")
            return
        if pressed is not None and pressed.action is Action.REMOVE and pressed.args[1] == "0":
            await self._say(update_id, origin, texts.kept)  # the added person stays
            return
        if pressed is not None and pressed.action is Action.LANGUAGE:
            await self._own_language(update_id, origin, pressed.args)
            return
        event = _button_event(pressed, origin) if pressed is not None else None
        if pressed is None or event is None:
            await self._say(update_id, origin, texts.stale_button)
            return
        accept = pressed.action is Action.CONSENT and pressed.args[0] == "1"
        result = await self._act(
            update_id,
            origin,
            event,
            session_id=pressed.session_id,
            bind=accept,
            missing=texts.stale_button,
        )
        if isinstance(event, ev.PersonRemoved) and result is Result.APPLIED:
            await self._scrub()  # someone added without a phone was erased

    async def _on_behalf(self, update_id: int | None, origin: Origin, *, asks: bool) -> None:
        """A message sent as a channel or as the group acts as nobody. A command or a reply to
        the bot is answered in the group (there is nobody to write to privately), at most once
        every few minutes, so posting as a channel cannot spend the group's budget."""
        chat_id, now = origin.chat_id or 0, self.clock()
        last = self._told_on_behalf.get(chat_id)
        quiet = last is not None and now - last < ON_BEHALF_QUIET
        async with self.store.write() as tx:
            session_id = await tx.session_for_chat(chat_id, origin.thread_id)
            state = await tx.load_state(session_id) if session_id else None
            if asks and session_id is not None:  # on record, like any refused command
                await tx.audit(session_id, None, "on_behalf.refused")
            if asks and not quiet:
                self._told_on_behalf[chat_id] = now
                language = state.language if state else None
                await self._queue(
                    tx, origin, texts.not_a_person, None, language=language, aside=False
                )
            await _mark(tx, update_id)

    async def _open(self, update_id: int | None, origin: Origin, args: tuple[str, ...]) -> None:
        if args and args[0].lower() in LANGUAGES and self.library.get(args[0]) is None:
            args = (DEFAULT_SCRIPT, *args)  # "/newsession rn": the default script, in Kirundi
        script_id = args[0] if args else DEFAULT_SCRIPT
        language = negotiate(args[1], self.voice.default_language) if len(args) > 1 else None
        script = self.library.get(script_id)
        chat_id, thread_id = origin.chat_id or 0, origin.thread_id
        async with self.store.write() as tx:
            if await tx.session_for_chat(chat_id, thread_id) is not None:
                await self._queue(tx, origin, texts.session_running, None)
            elif script is None:
                unknown = texts.unknown_script(script_id, self.library.ids())
                await self._queue(tx, origin, unknown, None)
            else:
                session_id = secrets.token_hex(4)
                earlier = await self._earlier(tx, script, chat_id, thread_id)
                language = language or self.voice.default_language
                state = new_session(session_id, script, language, earlier)
                opened = ev.Opened(event_id=_event_id(update_id, session_id), actor=_actor(origin))
                await self._apply(tx, state, script, opened, origin, Place(chat_id, thread_id))
                await tx.audit(session_id, opened.actor, "opened")
                if language is None:
                    await self._offer_session_language(tx, origin, state)
            await _mark(tx, update_id)

    async def _earlier(
        self, tx: Tx, script: Script, chat_id: int, thread_id: int | None
    ) -> list[EarlierCommitment]:
        """For a follow-up script: the group's earlier commitments (``bot.engine.followup``)."""
        if not script.follows_up:
            return []
        ids = await tx.sessions_of_place(chat_id, thread_id)
        return earlier_commitments([s for i in ids if (s := await tx.load_state(i)) is not None])

    async def _offer_session_language(self, tx: Tx, origin: Origin, state: SessionState) -> None:
        """The language was not named: the opener may change it with one press, privately.
        Only if they can be reached there: it is worth no pointer in the group."""
        if origin.user_id is None:
            return
        offer = texts.session_language_offer(state.session_id, state.language)
        rendered = self.voice.shell(offer, origin.language or state.language)
        await tx.enqueue(
            state.session_id, op.dump(message(origin.user_id, None, rendered, None, None))
        )

    async def _charter(self, update_id: int | None, origin: Origin, args: tuple[str, ...]) -> None:
        """The charter of the chat's latest session, ended or not, posted to the group; the
        words after /charter name the place."""
        place = " ".join(args).strip() or None
        if place is not None and len(place) > ev.PLACE_MAX:
            await self._say(update_id, origin, texts.place_too_long(ev.PLACE_MAX))
            return
        async with self.store.read() as tx:
            session_id = await tx.latest_session(origin.chat_id or 0, origin.thread_id)
        event = ev.CharterRequested(event_id=_PENDING, actor=_actor(origin), place=place)
        await self._act(update_id, origin, event, session_id=session_id, missing=texts.no_session)

    async def _group_help(self, update_id: int | None, origin: Origin) -> None:
        chat_id, user_id = origin.chat_id or 0, _actor(origin)
        async with self.store.read() as tx:
            session_id = await tx.session_for_chat(chat_id, origin.thread_id)
            state = await tx.load_state(session_id) if session_id else None
        leads = (state is not None and state.is_facilitator(user_id)) or await self.admins(
            chat_id, user_id
        )
        text = texts.group_help(leads=leads, running=state is not None)
        language = state.language if state else None
        await self._say(update_id, origin, text, language=language, aside=False)

    async def _commitments(self, update_id: int | None, origin: Origin) -> None:
        """The open commitments of every session this group held, ended ones included."""
        async with self.store.read() as tx:
            ids = await tx.sessions_of_place(origin.chat_id or 0, origin.thread_id)
            states = [s for sid in ids if (s := await tx.load_state(sid)) is not None]
        commitments = [c for state in states for c in state.commitments]
        language = states[-1].language if states else None
        text = open_commitments(commitments)
        await self._say(update_id, origin, text, language=language, aside=False)

    async def _proxy(self, update_id: int | None, origin: Origin, cmd: Command) -> None:
        """/addperson NAME ROLE and /for NUMBER TEXT, in private: the session the facilitator
        leads. Words that do not fit get one sentence saying how to write them."""
        event = _proxy_event(cmd, _actor(origin))
        if event is None:
            await self._say(update_id, origin, texts.addperson_how)
            return
        ended = isinstance(event, ev.PersonRemoved)  # erasing someone is possible after the end
        async with self.store.read() as tx:
            found = await self._led_session(tx, _actor(origin), ended=ended)
        await self._act(update_id, origin, event, session_id=found, missing=texts.no_session)

    async def _led_session(self, tx: Tx, user_id: int, *, ended: bool = False) -> str | None:
        """The live session this person leads (the latest opened; with ``ended``, else the
        latest they led), or their private chat's."""
        led = [
            state
            for sid in await tx.sessions_of_user(user_id)
            if (state := await tx.load_state(sid)) is not None and state.is_facilitator(user_id)
        ]
        live = [state for state in led if state.status is not Status.ENDED]
        chosen = live or (led if ended else [])
        if not chosen:
            return await tx.private_binding(user_id)
        latest = max(chosen, key=lambda s: s.opened_at or datetime.min.replace(tzinfo=UTC))
        return latest.session_id

    async def _private_help(self, update_id: int | None, origin: Origin) -> None:
        """/help in private: a facilitator of a live session is shown their commands too."""
        user_id = _actor(origin)
        async with self.store.read() as tx:
            found = await self._led_session(tx, user_id)
            state = await tx.load_state(found) if found else None
        leads = (
            state is not None
            and state.is_facilitator(user_id)
            and state.status is not Status.ENDED
        )
        await self._say(update_id, origin, texts.private_help(leads=leads))

    async def _mydata(self, update_id: int | None, origin: Origin) -> None:
        user_id = _actor(origin)
        async with self.store.read() as tx:
            states = [
                s for sid in await tx.sessions_of_user(user_id) if (s := await tx.load_state(sid))
            ]
        entries = [(s, sc) for s in states if (sc := self.script_of(s)) is not None]
        await self._say(update_id, origin, texts.my_data(user_id, entries, origin.language))

    async def _own_language(
        self, update_id: int | None, origin: Origin, args: tuple[str, ...]
    ) -> None:
        """/language in private (or its button): the person's own language, in every session;
        without a known code, the choices as buttons."""
        code = args[0].lower() if args else ""
        if code not in LANGUAGES:
            offer = texts.language_offer(origin.language, unknown=code or None)
            await self._say(update_id, origin, offer)
            return
        async with self.store.write() as tx:
            await tx.set_user_language(_actor(origin), code)
            chosen = replace(origin, language=code)
            await self._queue(tx, chosen, texts.language_chosen(code), None)
            await _mark(tx, update_id)

    async def _session_language(
        self, update_id: int | None, origin: Origin, args: tuple[str, ...]
    ) -> None:
        """/language xx in the group: the session's language, if a facilitator asks."""
        code = args[0].lower() if args else ""
        if code in LANGUAGES:
            event = ev.SessionLanguageSet(event_id=_PENDING, actor=_actor(origin), language=code)
            await self._act(update_id, origin, event, missing=texts.no_session)
            return
        async with self.store.read() as tx:
            found = await self._session_of(tx, origin)
            state = await tx.load_state(found) if found else None
        current = state.language if state else self.voice.default_language
        await self._say(update_id, origin, texts.session_language_how(current))

    async def _forget(self, update_id: int | None, origin: Origin, *, erase: bool) -> None:
        """Erase a person from every session and every table, after their confirmation."""
        user_id = _actor(origin)
        async with self.store.write() as tx:
            if erase:
                for session_id in await tx.sessions_of_user(user_id):
                    erased = ev.ParticipantErased(event_id=_PENDING, actor=user_id)
                    await self._run(tx, session_id, erased, update_id, Origin())
                    await tx.audit(session_id, None, "participant_erased")
                await tx.forget_user(user_id)
            await self._queue(tx, origin, texts.erased if erase else texts.kept, None)
            await _mark(tx, update_id)
        if erase:
            await self._scrub()

    async def _scrub(self) -> None:
        """After an erasure: deleted rows are scrubbed (secure_delete); the checkpoint clears
        them from the WAL. A reader holding the WAL open defers that to the next checkpoint."""
        try:
            await self.store.checkpoint()
        except StorageError as error:
            log.warning("checkpoint after erasure deferred: %s", error)

    async def _membership(
        self, update_id: int | None, origin: Origin, change: BotMembership
    ) -> None:
        """Removed: pause every session of the chat (all its topics) and tell the facilitators.
        Added back to a group: say hello."""
        if not change.present:
            async with self.store.write() as tx:
                for session_id in await tx.sessions_in_chat(origin.chat_id or 0):
                    removed = ev.BotRemoved(event_id=_PENDING)
                    await self._run(tx, session_id, removed, update_id, Origin())
                    await tx.audit(session_id, None, "bot_removed")
                await _mark(tx, update_id)
        elif not change.was_present and change.group:
            hello = Origin(chat_id=origin.chat_id, language=origin.language)
            await self._say(update_id, hello, texts.hello_group, language=origin.language)
        else:
            await self._say(update_id, origin, None)

    async def _member_left(self, update_id: int | None, origin: Origin, user_id: int) -> None:
        """Someone left the group: out of every live session of the chat and its nudges.

        Telegram is asked first (the handler dropped what was remembered): an old update
        replayed after they came back, or one that is not what it claims, changes nothing."""
        if await self.members(origin.chat_id or 0, user_id):
            await self._say(update_id, origin, None)
            return
        async with self.store.write() as tx:
            for session_id in await tx.sessions_in_chat(origin.chat_id or 0):
                left = ev.MemberLeft(event_id=_PENDING, user_id=user_id)
                await self._run(tx, session_id, left, update_id, Origin())
            await _mark(tx, update_id)

    async def _migrated(self, update_id: int | None, origin: Origin, new_chat_id: int) -> None:
        async with self.store.write() as tx:
            await tx.migrate_chat(origin.chat_id or 0, new_chat_id)
            await _mark(tx, update_id)

    # --- housekeeping ------------------------------------------------------------------------

    async def fire_reminders(self) -> int:
        """Feed every reminder that has come due back to its session."""
        fired = 0
        for session_id, name, event_json in await self.store.due_reminders(self.clock()):
            reminder = ev.ReminderDue.model_validate(event_json)
            async with self.store.write() as tx:
                await tx.cancel(session_id, name)
                await self._run(tx, session_id, reminder, None, Origin())
            fired += 1
        return fired

    async def expire_idle(self, days: int) -> int:
        """End the sessions nobody has acted in for ``days`` days (see ``events.Expired``)."""
        ended = 0
        for session_id in await self.store.idle_sessions(self.clock(), days):
            expired = ev.Expired(event_id=f"expired:{session_id}", idle_days=days)
            async with self.store.write() as tx:
                await self._run(tx, session_id, expired, None, Origin())
            ended += 1
        return ended

    # --- the transaction ---------------------------------------------------------------------

    async def _act(
        self,
        update_id: int | None,
        origin: Origin,
        event: ev.Event,
        *,
        session_id: str | None = None,
        bind: bool = False,
        missing: ShellText | None = None,
        unchanged: ShellText | None = None,
    ) -> Result:
        """Apply ``event`` to the session named, or else to the one of the chat or private
        binding where it happened; say ``missing`` or ``unchanged`` if that is what came of it."""
        if isinstance(event, ev.PrivilegedEvent):
            event = await self._with_admin(event, session_id, origin)
        if isinstance(event, _MEMBERS_ONLY):
            event = await self._with_member(event, session_id, origin)
        async with self.store.write() as tx:
            found = session_id or await self._session_of(tx, origin)
            result = await self._run(tx, found, event, update_id, origin) if found else None
            result = result or Result.MISSING
            # Only a participant's private chat is bound: nothing of a person is kept before
            # they consent (pressing Join, then declining, leaves no id).
            actor = _actor(origin) if bind else None
            if actor and found and result is not Result.MISSING:
                state = await tx.load_state(found)  # in memory: no query
                if state is not None and state.names(actor):
                    await tx.bind_private(actor, found)
            text = {Result.MISSING: missing, Result.UNCHANGED: unchanged}.get(result)
            if text is not None:
                await self._queue(tx, origin, text, found)
            await _mark(tx, update_id)
        return result

    async def _run(
        self, tx: Tx, session_id: str, event: ev.Event, update_id: int | None, origin: Origin
    ) -> Result:
        state = await tx.load_state(session_id)
        if state is None:
            return Result.MISSING
        script = self.script_of(state)
        located = await tx.session_chat(session_id)
        if script is None or located is None:
            log.error("session %s refers to a missing script or chat", session_id)
            return Result.UNCHANGED
        if event.event_id == _PENDING:
            event = event.model_copy(update={"event_id": _event_id(update_id, session_id)})
        if isinstance(event, ev.SummaryRequested) and state.status is Status.ENDED:
            # Posted with its id unread may be the review's draft, which the end's edit of
            # the final summary could not reach: only a known id proves the final is there.
            missing = not await self._shown(state.session_id, "summary", ())
            event = event.model_copy(update={"summary_missing": missing})
        if isinstance(event, ev.Advanced | ev.WentBack) and event.seen_index is None:
            seen, missing = await self._seen_index(state, script)
            event = event.model_copy(update={"seen_index": seen, "prompt_missing": missing})
        applied = await self._apply(tx, state, script, event, origin, Place(*located))
        if applied is not None and isinstance(event, ev.PRIVILEGED):
            # A refusal is on record too, but not who was refused: a stranger leaves no id.
            allowed = state.is_facilitator(event.actor) or event.actor_is_admin
            actor = event.actor if allowed else None
            await tx.audit(session_id, actor, event.type if allowed else f"{event.type}.refused")
        return Result.APPLIED if applied is not None else Result.UNCHANGED

    async def _apply(
        self,
        tx: Tx,
        state: SessionState,
        script: Script,
        event: ev.Event,
        origin: Origin,
        place: Place,
    ) -> list[Effect] | None:
        """One engine step, saved with its reminders and planned deliveries; None if the
        engine changed nothing (the effects otherwise, possibly none)."""
        new, effects = step(script, state, event, self.clock())
        if new is state:
            return None
        sid = new.session_id
        await tx.save_state(new, place.chat_id, place.thread_id)
        if origin.chat_title and not origin.private and origin.chat_id == place.chat_id:
            await tx.set_chat_title(sid, origin.chat_title)
        if any(_is_charter(effect) for effect in effects):
            place = replace(place, title=await tx.chat_title(sid))
        for effect in effects:
            if isinstance(effect, Schedule):
                await tx.schedule(
                    sid, effect.name, effect.at, effect.event.model_dump(mode="json")
                )
            elif isinstance(effect, Cancel):
                await tx.cancel(sid, effect.name)
            elif isinstance(effect, Relay):
                await self._run(tx, effect.session_id, effect.event, None, Origin())
        people = [*new.participants, *new.facilitators]
        languages = await tx.user_languages(people)
        operations = plan(effects, Scene(new, script, place, origin, languages), self.voice)
        for operation in [*operations, *menus(state, new, place, self.voice)]:
            await tx.enqueue(sid, op.dump(operation))
        return list(effects)

    async def _say(
        self,
        update_id: int | None,
        origin: Origin,
        text: ShellText | None,
        *,
        language: str | None = None,
        aside: bool = True,
    ) -> None:
        """Queue a shell-level message (help, refusals the engine never sees) and mark done."""
        async with self.store.write() as tx:
            if text is not None:
                await self._queue(tx, origin, text, None, language=language, aside=aside)
            await _mark(tx, update_id)

    async def _queue(
        self,
        tx: Tx,
        origin: Origin,
        text: ShellText,
        session_id: str | None,
        *,
        language: str | None = None,
        aside: bool = True,
    ) -> None:
        """A shell text to whoever acted: a button's popup, a message in their private chat,
        or (``aside=False``, or nobody in particular acted) a reply in the group.

        A refusal meant for one person (a command in the wrong place, no session here, a
        session already open) is theirs alone: in a group it goes to their private chat, and
        if they never opened one the group is shown, at most every few minutes, how to.
        """
        spoken = language or await self._session_language_of(tx, origin, session_id)
        private = origin.private or origin.callback_id is not None
        reader = (origin.language or spoken) if private else spoken
        rendered = self.voice.shell(text, reader)
        operation: op.Operation
        if origin.callback_id is not None:
            operation = popup(origin.callback_id, rendered)
        elif origin.chat_id is None:
            return
        elif aside and not origin.private and origin.user_id is not None:
            personal = self.voice.shell(text, origin.language or spoken)
            pointer = self.voice.shell(
                private_chat_pointer(self.voice.bot_username, session_id), reader
            )
            operation = message(origin.user_id, None, personal, None, None).model_copy(
                update={"fallback": fallback(origin.chat_id, origin.thread_id, pointer)}
            )
        else:
            reply_to = None if origin.private else origin.message_id
            operation = message(origin.chat_id, origin.thread_id, rendered, None, reply_to)
        await tx.enqueue(session_id, op.dump(operation))

    async def _session_language_of(
        self, tx: Tx, origin: Origin, session_id: str | None
    ) -> str | None:
        """The language of the session a shell text is about (the one named, else the one of
        the chat, or of the person's private chat): what someone who never chose reads."""
        found = session_id or await self._session_of(tx, origin)
        state = await tx.load_state(found) if found else None
        return state.language if state else None

    async def _seen_index(self, state: SessionState, script: Script) -> tuple[int, bool]:
        """The stage the group has been shown, and whether the open stage's prompt is missing.

        The open stage, unless its prompt still waits in the outbox (the group's budget is
        spent): then the one before it, and a /next pressed again because nothing seemed to
        happen moves nothing (the engine says so privately). If the prompt is not on its way
        and there is no sign it arrived (no message id kept, Telegram never said it was posted,
        nobody answered or chose on the stage), it went missing on the way: the one before
        it too, and the engine shows the prompt again instead of moving on."""
        index = state.stage_index
        if not 0 <= index < len(script.stages):
            return index, False
        stage_id = script.stages[index].id
        prompt = f"prompt:{stage_id}"
        if await self._waiting(state.session_id, prompt):
            return index - 1, False
        sighting = await self.store.sighting(state.session_id, prompt)
        acted = bool(
            state.answers_for(stage_id)
            or state.choices.get(stage_id)
            or any(c.stage_id == stage_id for c in state.commitments)
        )
        if acted or sighting in (Sighting.KNOWN, Sighting.POSTED):
            return index, False
        return index - 1, True

    async def _just_ended(self, origin: Origin) -> str | None:
        """For /summary in a group with no open session: the session that ended there last,
        whose summary the engine posts again if it never reached the group."""
        if origin.private or origin.chat_id is None:
            return None
        async with self.store.read() as tx:
            if await tx.session_for_chat(origin.chat_id, origin.thread_id):
                return None
            return await tx.last_ended_session(origin.chat_id, origin.thread_id)

    async def _waiting(self, session_id: str, key: str) -> bool:
        """Whether a post of the live message ``key`` is still waiting in the outbox."""
        return any(
            (payload.get("op"), payload.get("key")) == ("send", key)
            for _, _, payload in await self.store.outbox_of(session_id)
        )

    async def _shown(self, session_id: str, key: str, seen: tuple[Sighting, ...]) -> bool:
        """Whether the live message ``key`` reached its chat or is on its way: its id is kept,
        it waits in the outbox, or its sighting is one of ``seen``."""
        if await self._waiting(session_id, key):
            return True
        return await self.store.sighting(session_id, key) in (Sighting.KNOWN, *seen)

    async def _session_of(self, tx: Tx, origin: Origin) -> str | None:
        if origin.private:
            return await tx.private_binding(_actor(origin))
        if origin.chat_id is None:
            return None
        return await tx.session_for_chat(origin.chat_id, origin.thread_id)

    async def _key_of(self, origin: Origin, bot_message: int | None) -> str | None:
        """The key of the bot's message a text replies to ("prompt:<stage>", ...), if known."""
        if bot_message is None or origin.chat_id is None:
            return None
        found = await self.store.message_key(origin.chat_id, bot_message)
        if found:
            return found[1]
        return await self._unsure_prompt(origin.chat_id, origin.thread_id)

    async def _unsure_prompt(self, chat_id: int, thread_id: int | None) -> str | None:
        """A reply to a message of the bot's whose id it does not know: the open stage's prompt,
        if that prompt was posted without a readable answer (or may have been). People reply to
        what they see; a commitment, which only a reply proposes, would be lost otherwise."""
        async with self.store.read() as tx:
            session_id = await tx.session_for_chat(chat_id, thread_id)
            state = await tx.load_state(session_id) if session_id else None
        script = self.script_of(state) if state else None
        if state is None or script is None or not 0 <= state.stage_index < len(script.stages):
            return None
        prompt = f"prompt:{script.stages[state.stage_index].id}"
        return prompt if await self.store.unsure(state.session_id, prompt) else None

    async def _with_member(
        self, event: ev.Event, session_id: str | None, origin: Origin
    ) -> ev.Event:
        """Whether the actor is in the session's group now (``getChatMember``, cached by the
        shell), asked outside any transaction. Writing in the group shows it without asking;
        declining, or only opening the private chat, needs no membership."""
        if isinstance(event, ev.Consented) and not event.accept:
            return event
        if isinstance(event, ev.LinkOpened) and event.purpose == "hello":
            return event
        if not origin.private and origin.callback_id is None:
            return event.model_copy(update={"actor_is_member": True})
        async with self.store.read() as tx:
            found = session_id or await self._session_of(tx, origin)
            located = await tx.session_chat(found) if found else None
        if located is None:
            return event
        member = await self.members(located[0], _actor(origin))
        return event.model_copy(update={"actor_is_member": member})

    async def _with_admin(
        self, event: ev.PrivilegedEvent, session_id: str | None, origin: Origin
    ) -> ev.Event:
        """Whether the actor administers the session's chat, asked of Telegram outside any
        transaction (the engine lets administrators lead too)."""
        chat_id = origin.chat_id if not origin.private else None
        if session_id is not None:
            async with self.store.read() as tx:
                located = await tx.session_chat(session_id)
            chat_id = located[0] if located else None
        admin = chat_id is not None and await self.admins(chat_id, event.actor)
        return event.model_copy(update={"actor_is_admin": admin})  # type: ignore[return-value]


def _proxy_event(cmd: Command, actor: int) -> ev.Event | None:
    """The event /addperson or /for asks for, or None when its words do not fit."""
    args = cmd.args
    if cmd.name == "addperson" and (said := role_at_end(args)) is not None:
        role, taken = said  # the role in any shipped language, after the name
        name = " ".join(args[:-taken])[:48]
        return ev.PersonAdded(event_id=_PENDING, actor=actor, name=name, role=role)
    number = int(args[0]) if args and args[0].isdigit() else None
    if number is None or cmd.name not in ("for", "forget"):
        return None
    if cmd.name == "forget":
        return ev.PersonRemoved(event_id=_PENDING, actor=actor, number=number)
    if len(args) == 1:  # /for N alone: the card to choose, vote and endorse for them
        return ev.ProxyCardAsked(event_id=_PENDING, actor=actor, number=number)
    text = " ".join(args[1:])
    return ev.AnsweredFor(event_id=_PENDING, actor=actor, number=number, text=text)


# The buttons of a facilitator's card for someone they added, and of /forget N's question.
_PROXY_BUTTONS = (
    Action.PROXY_CARD,
    Action.CHOICE_FOR,
    Action.AGREE_FOR,
    Action.ENDORSE_FOR,
    Action.REMOVE,
)


def _proxy_button(pressed: Button, actor: int) -> ev.Event | None:
    """The event a button for someone added as number N stands for: their own act (its
    actor their id below zero) wrapped in the facilitator's ``ActedFor``, the card, or the
    confirmed erasure. Raises ValueError on values that are not ours."""
    args, pending = pressed.args, _PENDING
    number = int(args[0])
    act: ev.ChoiceToggled | ev.AgreementSet | ev.EndorsementToggled
    match pressed.action:
        case Action.PROXY_CARD:
            return ev.ProxyCardAsked(event_id=pending, actor=actor, number=number, by_button=True)
        case Action.REMOVE if args[1] == "1":
            return ev.PersonRemoved(event_id=pending, actor=actor, number=number, confirmed=True)
        case Action.CHOICE_FOR:
            act = ev.ChoiceToggled(
                event_id=pending, actor=-number, stage_id=args[1], option_id=args[2]
            )
        case Action.AGREE_FOR:
            act = ev.AgreementSet(
                event_id=pending, actor=-number, answer_id=args[1], vote=Agreement(args[2])
            )
        case Action.ENDORSE_FOR:
            act = ev.EndorsementToggled(event_id=pending, actor=-number, commitment_id=args[1])
        case _:
            return None
    return ev.ActedFor(event_id=pending, actor=actor, act=act)


def _is_charter(effect: Effect) -> bool:
    return isinstance(effect, Send | Edit) and isinstance(effect.view, CharterView)


def _actor(origin: Origin) -> int:
    if origin.user_id is None:
        raise ValueError("a person's request without a person")
    return origin.user_id


async def _mark(tx: Tx, update_id: int | None) -> None:
    if update_id is not None:
        await tx.mark_processed(update_id)


def _event_id(update_id: int | None, session_id: str) -> str:
    """Derived from the update, so a redelivered update is recognised by the engine too."""
    if update_id is None:
        return f"x:{session_id}:{secrets.token_hex(6)}"
    return f"u{update_id}:{session_id}"


_YES_NO = ("1", "0")


def _button_event(pressed: Button, origin: Origin) -> ev.Event | None:
    """The event a well-formed button stands for, or None if its values are not ours."""
    actor, args, pending = _actor(origin), pressed.args, _PENDING
    try:
        if pressed.action in _PROXY_BUTTONS:
            return _proxy_button(pressed, actor)
        match pressed.action:
            case Action.CONSENT if args[0] in _YES_NO:  # anything else is no answer at all
                yes = args[0] == "1"  # the language is the person's own choice, kept apart
                name = origin.first_name if yes else ""
                return ev.Consented(event_id=pending, actor=actor, accept=yes, name=name)
            case Action.ROLE:
                return ev.RoleChosen(event_id=pending, actor=actor, role=Role(args[0]))
            case Action.CHOICE:
                return ev.ChoiceToggled(
                    event_id=pending, actor=actor, stage_id=args[0], option_id=args[1]
                )
            case Action.SHARE:
                visibility = Visibility(args[0])
                return ev.ShareChosen(event_id=pending, actor=actor, visibility=visibility)
            case Action.OWNER:
                return ev.CommitmentOwnerSet(
                    event_id=pending, actor=actor, commitment_id=args[0], owner=Owner(args[1])
                )
            case Action.DUE:
                return ev.CommitmentDueSet(
                    event_id=pending, actor=actor, commitment_id=args[0], due=Due(args[1])
                )
            case Action.ENDORSE:
                return ev.EndorsementToggled(event_id=pending, actor=actor, commitment_id=args[0])
            case Action.AGREE:
                return ev.AgreementSet(
                    event_id=pending, actor=actor, answer_id=args[0], vote=Agreement(args[1])
                )
            case Action.PROGRESS:
                return ev.CommitmentStatusReported(
                    event_id=pending, actor=actor, commitment_id=args[0], status=Progress(args[1])
                )
            case Action.QUOTE if args[0] in _YES_NO:
                return ev.QuoteConsentSet(event_id=pending, actor=actor, allow=args[0] == "1")
            case Action.NUDGE:
                return ev.NudgeRequested(event_id=pending, actor=actor, stage_id=args[0])
            case Action.END if args[0] == "1":  # the answer to the question /end asked
                return ev.Ended(event_id=pending, actor=actor, confirmed=True)
            case Action.END if args[0] == "0":
                return ev.EndDeclined(event_id=pending, actor=actor)
            case Action.KEEP if args[0] == "1":
                return ev.AnswerKept(event_id=pending, actor=actor)
            case Action.PLAY:
                return ev.VoicePlayRequested(event_id=pending, actor=actor, answer_id=args[0])
            case Action.SESSION_LANGUAGE if args[0] in LANGUAGES:
                return ev.SessionLanguageSet(
                    event_id=pending, actor=actor, language=args[0], by_button=True
                )
    except ValueError:
        return None
    return None
