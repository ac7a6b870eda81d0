"""The offline Bot API: an in-memory Telegram that python-telegram-bot uses as its HTTP layer.

Why it exists: the dialogue bot must behave correctly against the *real* platform — privacy
mode, byte-limited ``callback_data``, "message is not modified", flood control, group → supergroup
migration, users who never pressed Start. Mocking ``Bot`` methods hides exactly those rules, so
instead :class:`FakeBotApi` answers at the HTTP boundary (``BaseRequest.do_request``) with the
JSON Telegram would send, and PTB's own error mapping turns failures into ``BadRequest``,
``Forbidden``, ``RetryAfter`` and ``ChatMigrated`` just as in production::

    fake = FakeBotApi()
    app = (ApplicationBuilder().token("123456:TEST").request(fake)
           .get_updates_request(fake).updater(None).build())

The token's numeric prefix must equal ``bot_id`` (Telegram derives the bot id from it); a
mismatch answers 401 so a wrong wiring fails loudly instead of producing odd ids.

What is modelled: chats (private, group, supergroup, forum) with per-chat message ids shared by
users and the bot, a clock-driven ``date``, HTML parsing into plain text + entities, inline
keyboards, replies and reply threads, edits, deletions, pins (with their service message),
reactions, callback queries, documents (uploaded with ``sendDocument``, replaced with
``editMessageMedia``, their bytes kept for :meth:`World.documents`), command menus, membership
and the update queue with
``getUpdates`` offset confirmation and privacy-mode filtering. Anything else answers 404 like an
unknown method. Errors can also be injected per method and chat (:meth:`FakeBotApi.fail`) or made
permanent for optional features (:meth:`FakeBotApi.refuse`).

Saying no as Telegram does, on demand (all off by default): flood control
(``limits=TelegramLimits()``, :mod:`bot.offline.limits`) over a rate clock that can run fast
(``monotonic``, ``speed``); a delay before every answer (``latency``); and faults of the network
and of Telegram's front ends, at random and reproducible (:meth:`FakeBotApi.chaos`) or one by one
(:meth:`FakeBotApi.glitch`), see :mod:`bot.offline.chaos`.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from telegram.constants import ReactionEmoji
from telegram.request import BaseRequest, RequestData

from bot.offline.chaos import Chaos, FaultKind, Glitches, NoAnswer, answer_for
from bot.offline.faults import QUERY_INVALID, ApiError, Failure, Faults, bad
from bot.offline.html import parse_html
from bot.offline.limits import COUNTED_METHODS, RateLimiter, TelegramLimits, busiest
from bot.offline.transcript import transcript
from bot.offline.users import UserSide
from bot.offline.wire import JSON, canonical, norm_chat_id, upload, utf16_len
from bot.offline.world import Chat, Message

__all__ = ["NOT_MODIFIED", "Call", "FakeBotApi"]

MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
MAX_CAPTION_LENGTH: Final = 1024
MAX_UPLOAD_BYTES: Final = 50 * 1024 * 1024  # what a bot may upload through the public Bot API
DELETE_WINDOW_SECONDS: Final = 48 * 3600
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_VALID_REACTIONS: Final = frozenset(emoji.value for emoji in ReactionEmoji)
# Update kinds Telegram withholds unless ``allowed_updates`` names them explicitly.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass
class Call:
    """One Bot API request as the fake saw it.

    ``params`` holds JSON-decoded values (ints, strings, dicts for ``reply_markup`` ...), so
    tests can assert on what PTB actually put on the wire; ``result`` is the decoded ``result``
    of a successful answer, ``error`` the failure otherwise (a 429 from flood control too).
    ``fault`` is the fault injected instead of the normal answer, if any, and ``at`` the rate
    clock's time of the call (simulated seconds, see ``FakeBotApi.elapsed``).
    """

    method: str
    params: JSON
    result: Any = None
    error: ApiError | None = None
    fault: FaultKind | None = None
    at: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the call took effect at Telegram (``"ok": true``).

        A call whose response was lost is ok, though its caller saw a timeout; one that met
        any other fault is not.
        """
        return self.error is None and (self.fault is None or self.fault.applies)

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, normalised to ``int`` when numeric."""
        return norm_chat_id(self.params.get("chat_id"))


class FakeBotApi(UserSide, BaseRequest):
    """An in-memory Bot API server; pass it to ``ApplicationBuilder.request()`` and
    ``get_updates_request()``.

    Set-up methods (``add_user``, ``add_group``, ``started``, ``block``, ``kick_bot``,
    ``migrate``...) shape the world; user-side factories (``text``, ``press``, ``press_label``,
    ``start``...) return Update JSON and record the user's message so later replies resolve;
    ``deliver`` queues an update for ``getUpdates``. ``calls``, ``message()`` and
    ``transcript()`` inspect the result.
    """

    __slots__ = (
        "_commands",
        "_latency",
        "_monotonic",
        "_origin",
        "calls",
        "faults",
        "glitches",
        "limiter",
        "long_poll_cap",
        "speed",
    )

    def __init__(
        self,
        bot_username: str = "ikiganiro_bot",
        can_read_all_group_messages: bool = False,
        *,
        bot_id: int = 123456,
        bot_name: str = "Ikiganiro",
        clock: Callable[[], float] = time.time,
        first_update_id: int = 1,
        long_poll_cap: float = 0.05,
        limits: TelegramLimits | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        speed: float = 1.0,
        latency: float | Callable[[str], float] = 0.0,
        chaos: Chaos | None = None,
    ) -> None:
        """Create an empty world.

        ``long_poll_cap`` bounds how long an empty ``getUpdates`` with a ``timeout`` waits for a
        delivery: long enough to keep a polling demo from spinning, short enough that tests
        never hang.

        Saying no, all off by default: ``limits`` enforces flood control over the rate clock,
        ``monotonic`` (real seconds) times ``speed`` (60.0: a real second is a simulated
        minute), which is apart from ``clock`` (the dates messages show); ``latency`` delays
        every answer by that many real seconds (or by ``latency(method)``); ``chaos`` injects
        random faults (also :meth:`chaos`).
        """
        super().__init__(
            bot_username,
            can_read_all_group_messages,
            bot_id=bot_id,
            bot_name=bot_name,
            clock=clock,
            first_update_id=first_update_id,
        )
        self.long_poll_cap = long_poll_cap
        self.calls: list[Call] = []
        self.faults = Faults()
        self._commands: dict[tuple[str, str], list[JSON]] = {}
        self.limiter = RateLimiter(limits) if limits is not None else None
        self.speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._latency = latency
        self.glitches = Glitches(chaos)

    # ---------------------------------------------------------------- BaseRequest interface

    async def initialize(self) -> None:
        """Nothing to open: the server lives in this object."""

    async def shutdown(self) -> None:
        """Nothing to close; state survives so tests can inspect it after ``app.shutdown()``."""

    @property
    def read_timeout(self) -> float | None:
        """PTB adds this to a long-poll ``timeout``; the value only needs to be positive."""
        return 5.0

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Answer one Bot API call with Telegram's status code and JSON body."""
        params: JSON = json.loads(json.dumps(request_data.parameters)) if request_data else {}
        files = request_data.multipart_data if request_data else {}
        for name, (file_name, content, _) in files.items():
            data = content if isinstance(content, bytes) else content.read()
            params[name] = upload(file_name or name, data)
        try:
            return await self.answer(url, params)
        except NoAnswer as missing:
            raise missing.ptb_error() from None

    async def answer(self, url: str, params: JSON) -> tuple[int, bytes]:
        """Answer ``…/bot<token>/<method>`` with decoded ``params``: the server's one door.

        PTB reaches it through :meth:`do_request`; an HTTP front (the test of ``ikiganiro
        run`` in a separate process) through its decoded form fields. Raises :class:`NoAnswer`
        for a call that gets no HTTP answer at all (an injected timeout, reset or lost response).
        """
        prefix, _, endpoint = url.rpartition("/")
        token = prefix.rpartition("/")[2].removeprefix("bot")
        name, handler = self._HANDLERS.get(endpoint.lower(), (endpoint, None))
        call = Call(name, params)
        await self._delay(name)
        call.at = self.elapsed()
        try:
            if token.partition(":")[0] != str(self.bot_id):
                raise Failure(401, "Unauthorized")
            if handler is None:
                raise Failure(404, "Not Found")
            self.faults.check(name, params)
            self._admit(call)
            call.fault = self.glitches.draw(name, params)
            if call.fault is not None and not call.fault.applies:
                return self._unapplied(call, call.fault)
            if name == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                result = handler(self, params)
        except Failure as failure:
            call.error = failure.error
            return self._record(call, (failure.error.status, failure.error.body()))
        # A copy no later change of the chat reaches; through JSON, as Telegram's answer is
        # (a deep copy of a message took longer than everything else the call did).
        call.result = json.loads(json.dumps(result))
        self._took_slot(call)
        if call.fault is not None or not (name == "getUpdates" and result == []):
            self.calls.append(call)  # idle polls would drown the record
        if call.fault is FaultKind.NULL_RESULT:  # done, but answered with nothing to read
            result = None
        return self._record(call, (200, {"ok": True, "result": result}), log=False)

    def _record(
        self, call: Call, answer: tuple[int, JSON], *, log: bool = True
    ) -> tuple[int, bytes]:
        """Log ``call`` (unless done) and encode its answer, or lose the answer if so injected."""
        if log:
            self.calls.append(call)
        if call.fault is FaultKind.LOST_RESPONSE:
            raise NoAnswer(call.fault)
        status, body = answer
        return status, json.dumps(body).encode()

    def _unapplied(self, call: Call, fault: FaultKind) -> tuple[int, bytes]:
        """Log a call that met a fault keeping it from Telegram, and answer as the fault does."""
        self.calls.append(call)
        status, body = answer_for(fault, self.glitches.server_errors)  # or raises NoAnswer
        if status != 200:
            self.glitches.server_errors += 1
            call.error = ApiError(status, json.loads(body)["description"])
        return status, body

    async def _delay(self, method: str) -> None:
        seconds = self._latency(method) if callable(self._latency) else self._latency
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _admit(self, call: Call) -> None:
        """Flood control: raise the 429 if this call would exceed a limit."""
        if self.limiter is not None and self.limiter.counts(call.method):
            self.limiter.check(call.chat_id, call.at)

    def _took_slot(self, call: Call) -> None:
        if self.limiter is not None and self.limiter.counts(call.method):
            self.limiter.record(call.chat_id, call.at)

    # ---------------------------------------------------------------- error injection

    def fail(
        self,
        method: str,
        status: int,
        description: str,
        *,
        times: int | None = 1,
        chat_id: int | None = None,
        **parameters: Any,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``None``: all) fail with this error.

        ``parameters`` become ResponseParameters, e.g. ``retry_after=3`` or
        ``migrate_to_chat_id=...``; ``chat_id`` limits the failure to one chat. Injected
        failures win over every other rule and have no side effects.
        """
        error = ApiError(status, description, parameters)
        self.faults.fail(method, error, times=times, chat_id=chat_id)

    def refuse(
        self, method: str, *, chat_id: int | None = None, description: str | None = None
    ) -> None:
        """Make an optional feature (pin, reaction, command menu, admin list...) always fail.

        Uses the description Telegram gives when rights or chat settings forbid it.
        """
        self.faults.refuse(method, chat_id=chat_id, description=description)

    def allow(self, method: str, *, chat_id: int | None = None) -> None:
        """Undo :meth:`refuse`."""
        self.faults.allow(method, chat_id=chat_id)

    def glitch(
        self,
        method: str,
        kind: FaultKind | str,
        *,
        times: int | None = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (``None``: all) meet fault ``kind``.

        ``chat_id`` limits it to one chat. Queued faults come before :meth:`chaos`'s draws and
        after :meth:`fail`, :meth:`refuse` and flood control.
        """
        self.glitches.queue(method, FaultKind(kind), times=times, chat_id=chat_id)

    def chaos(
        self,
        rate: float,
        *,
        seed: int = 0,
        kinds: tuple[FaultKind | str, ...] = tuple(FaultKind),
        methods: frozenset[str] = COUNTED_METHODS,
    ) -> Chaos:
        """From now on each call of ``methods`` meets one of ``kinds`` with probability ``rate``.

        Reproducible: the same seed and the same calls give the same faults. ``rate=0`` stops.
        """
        chaos = Chaos(rate, seed, tuple(FaultKind(kind) for kind in kinds), methods)
        self.glitches.start(chaos if rate > 0 else None)
        return chaos

    def calm(self) -> None:
        """No more faults: stop :meth:`chaos`, drop what :meth:`glitch` queued."""
        self.glitches = Glitches(None)

    def elapsed(self) -> float:
        """The rate clock: simulated seconds since this fake was made (``monotonic × speed``)."""
        return (self._monotonic() - self._origin) * self.speed

    # ---------------------------------------------------------------- records

    def busiest_minute(self, chat_id: int, *, seconds: float = 60.0) -> int:
        """The most calls to ``chat_id`` that took effect and count against flood control
        within any ``seconds`` (simulated) seconds: how close the bot came to the limit.
        """
        counted = self.limiter.limits.counted if self.limiter is not None else COUNTED_METHODS
        times = [
            call.at
            for call in self.calls
            if call.ok and call.method in counted and call.chat_id == chat_id
        ]
        return busiest(times, seconds)

    def calls_to(self, method: str, chat_id: int | None = None) -> list[Call]:
        """Calls of ``method`` (case-insensitive), optionally only those for ``chat_id``."""
        wanted = method.lower()
        return [
            call
            for call in self.calls
            if call.method.lower() == wanted and (chat_id is None or call.chat_id == chat_id)
        ]

    def sent_texts(self, chat_id: int | None = None) -> list[str]:
        """Plain texts of successful ``sendMessage`` calls (tags stripped, as users see them)."""
        return [call.result["text"] for call in self.calls_to("sendMessage", chat_id) if call.ok]

    def commands(self, *, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command menu stored for ``scope`` (default scope if omitted) and language."""
        key = (canonical(scope or {"type": "default"}), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    def transcript(
        self, chat_id: int, *, width: int = 80, thread_id: int | None = None, since: int = 0
    ) -> str:
        """The chat as a person reads it (see :mod:`bot.offline.transcript`)."""
        return transcript(self, chat_id, width=width, thread_id=thread_id, since=since)

    # ------------------------------------------------ parameters, as Telegram checks them

    def _chat_param(self, params: JSON, *, sending: bool = False) -> Chat:
        """Resolve ``chat_id`` the way Telegram gates access to a chat."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad("chat_id is empty")
        chat_id = norm_chat_id(raw)
        if not isinstance(chat_id, int):
            raise bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None and chat_id in self._users:
            chat = self._private(chat_id)
        if chat is None:
            raise bad("chat not found")
        if chat.migrated_to is not None:
            raise bad(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.type == "private":
            if chat.id in self._blocked:
                raise Failure(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self._started:
                if sending:
                    raise Failure(403, "Forbidden: bot can't initiate conversation with a user")
                raise bad("chat not found")
        elif chat.bot_status == "kicked":
            raise Failure(403, f"Forbidden: bot was kicked from the {chat.kind} chat")
        elif chat.bot_status == "left":
            raise Failure(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        return chat

    def _message_param(self, chat: Chat, params: JSON, missing: str) -> Message:
        message_id = params.get("message_id")
        if message_id is None:
            raise bad("message identifier is not specified")
        msg = self._live(chat.id, int(message_id))
        if msg is None:
            raise bad(missing)
        return msg

    def _text_param(self, params: JSON) -> tuple[str, list[JSON]]:
        """Text and entities after parsing, with Telegram's emptiness and length checks."""
        source = params.get("text")
        if not isinstance(source, str) or not source.strip():
            raise bad("message text is empty")
        parse_mode = str(params.get("parse_mode") or "").lower()
        if parse_mode == "html":
            text, entities = parse_html(source, self._users)
        elif parse_mode:
            raise bad(f"unsupported parse_mode {params['parse_mode']!r} in this fake")
        else:
            text, entities = source, list(params.get("entities") or [])
        if not text.strip():
            raise bad("message text is empty")
        if utf16_len(text) > MAX_TEXT_LENGTH:
            raise bad("message is too long")
        return text, entities

    @staticmethod
    def _markup_param(params: JSON) -> JSON | None:
        """The inline keyboard to store; validates buttons like Telegram does.

        Reply keyboards, ForceReply and ReplyKeyboardRemove are accepted but are not part of
        the message Telegram returns, so they are not stored.
        """
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        if not isinstance(markup, dict) or "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if not button.get("text"):
                    raise bad("BUTTON_TEXT_INVALID")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise bad("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                        raise bad("BUTTON_URL_INVALID")
                elif not set(button) - {"text"}:
                    raise bad(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
        return dict(markup)

    # ---------------------------------------------------------------- method handlers

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self._bot_json(),
            "can_join_groups": True,
            "can_read_all_group_messages": self.can_read_all_group_messages,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: JSON) -> list[JSON]:
        """Serve the queue; an update is confirmed by a later call with a higher offset."""
        offset = params.get("offset")
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = float(params.get("timeout") or 0)
        allowed = params.get("allowed_updates")
        if allowed is not None:
            self._allowed_updates = frozenset(allowed)
        if offset is not None:
            offset = int(offset)
            if offset < 0:
                self._queue = self._queue[offset:]
            else:
                self._queue = [u for u in self._queue if u["update_id"] >= offset]
        batch = self._serve(limit)
        if not batch:
            if timeout > 0 and self.long_poll_cap > 0:
                waiter = asyncio.Event()
                self._waiters.append(waiter)
                try:
                    await asyncio.wait_for(waiter.wait(), min(timeout, self.long_poll_cap))
                except TimeoutError:
                    pass
                finally:
                    self._waiters.remove(waiter)
                batch = self._serve(limit)
            else:
                await asyncio.sleep(0)
        return batch

    def _serve(self, limit: int) -> list[JSON]:
        def wanted(update: JSON) -> bool:
            kind = next((key for key in update if key != "update_id"), "")
            if self._allowed_updates:
                return kind in self._allowed_updates
            return kind not in _OPT_IN_UPDATES

        self._queue = [update for update in self._queue if wanted(update)]
        return copy.deepcopy(self._queue[:limit])

    def _delete_webhook(self, params: JSON) -> bool:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }

    def _send_message(self, params: JSON) -> JSON:
        chat = self._chat_param(params, sending=True)
        text, entities = self._text_param(params)
        markup = self._markup_param(params)
        reply = params.get("reply_parameters") or {}
        reply_id = reply.get("message_id", params.get("reply_to_message_id"))
        target = None
        if reply_id is not None:
            target = self._live(chat.id, int(reply_id))
            reply_chat = norm_chat_id(reply.get("chat_id", chat.id))
            if reply_chat != chat.id:
                target = None
            allow = reply.get(
                "allow_sending_without_reply", params.get("allow_sending_without_reply")
            )
            if target is None and not allow:
                raise bad("message to be replied not found")
        raw_thread = params.get("message_thread_id")
        thread_id = int(raw_thread) if raw_thread is not None else None
        thread, is_topic = self._thread_for(chat, thread_id, target)
        if thread_id is not None and chat.is_forum and not is_topic:
            # A reply-chain root is not a topic: the bug PTB's reply shortcuts guard against.
            raise bad("message thread not found")
        if thread_id is not None and not chat.is_forum and chat.type == "supergroup":
            if self._live(chat.id, thread_id) is None:
                raise bad("message thread not found")
            thread = thread or thread_id  # posting into an existing reply thread
        msg = self._store(
            chat,
            self.bot_id,
            text=text,
            entities=entities,
            reply_markup=markup,
            reply_to=target.message_id if target is not None else None,
            thread_id=thread,
            is_topic=is_topic,
        )
        return self._render(msg)

    def _send_document(self, params: JSON) -> JSON:
        """A file uploaded with the request (an id or a URL of a file already on Telegram's
        servers is not modelled); its bytes are kept for :meth:`documents`."""
        chat = self._chat_param(params, sending=True)
        raw_thread = params.get("message_thread_id")
        thread, is_topic = self._thread_for(
            chat, int(raw_thread) if raw_thread is not None else None, None
        )
        name, data, caption = self._upload(params.get("document"), params.get("caption"))
        msg = self._store(chat, self.bot_id, thread_id=thread, is_topic=is_topic)
        self._attach(msg, name, data, caption)
        return self._render(msg)

    def _send_voice(self, params: JSON) -> JSON:
        """A voice note sent again by its ``file_id`` (the bot never holds its sound): the new
        message is the bot's, with nothing of who recorded it."""
        chat = self._chat_param(params, sending=True)
        file_id = params.get("voice")
        if not isinstance(file_id, str) or not file_id:
            raise bad("wrong remote file identifier specified")
        caption = params.get("caption")
        if caption is not None and len(str(caption)) > 1024:
            raise bad("message caption is too long")
        raw_thread = params.get("message_thread_id")
        thread, is_topic = self._thread_for(
            chat, int(raw_thread) if raw_thread is not None else None, None
        )
        msg = self._store(chat, self.bot_id, thread_id=thread, is_topic=is_topic)
        msg.voice = {"file_id": file_id, "file_unique_id": f"u{file_id}", "duration": 7}
        msg.caption = str(caption) if caption is not None else None
        return self._render(msg)

    def _edit_message_media(self, params: JSON) -> JSON:
        """A document's file (and caption) replaced; only uploads of documents are modelled."""
        _, msg = self._edit_target(params)
        media = params.get("media")
        if isinstance(media, str):  # sent as a JSON string, as Telegram accepts it
            media = json.loads(media)
        if not isinstance(media, dict) or media.get("type") != "document":
            raise bad("only a document can replace a document in this fake")
        if msg.document is None:
            raise bad("there is no media in the message to edit")
        attached = str(media.get("media", "")).removeprefix("attach://")
        name, data, caption = self._upload(params.get(attached), media.get("caption"))
        self._attach(msg, name, data, caption)
        msg.edit_date = self._now()
        return self._render(msg)

    @staticmethod
    def _upload(document: Any, caption: Any) -> tuple[str, bytes, str | None]:
        """An uploaded file and its caption, checked as Telegram checks them."""
        if not isinstance(document, dict) or "data_b64" not in document:
            raise bad("there is no document in the request")
        data = base64.b64decode(document["data_b64"])
        if not data:
            raise bad("file must be non-empty")
        if len(data) > MAX_UPLOAD_BYTES:
            raise Failure(413, "Request Entity Too Large")
        if caption is not None and utf16_len(str(caption)) > MAX_CAPTION_LENGTH:
            raise bad("message caption is too long")
        return str(document["file_name"]), data, str(caption) if caption else None

    def _attach(self, msg: Message, name: str, data: bytes, caption: str | None) -> None:
        """Give a message its file; the bytes are kept for :meth:`documents`."""
        file_id = f"doc{msg.chat_id}_{msg.message_id}_{len(self._files)}"
        self._files[file_id] = data
        msg.document = {
            "file_id": file_id,
            "file_unique_id": file_id,
            "file_name": name,
            "mime_type": "application/pdf" if data.startswith(b"%PDF") else "text/plain",
            "file_size": len(data),
        }
        msg.caption = caption

    def _edit_target(self, params: JSON) -> tuple[Chat, Message]:
        if params.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to edit not found")
        if msg.sender_id != self.bot_id:
            raise bad("message can't be edited")
        return chat, msg

    def _edit_message_text(self, params: JSON) -> JSON:
        _, msg = self._edit_target(params)
        if msg.text is None:
            raise bad("there is no text in the message to edit")
        text, entities = self._text_param(params)
        markup = self._markup_param(params)
        same = (text, canonical(entities), canonical(markup)) == (
            msg.text,
            canonical(msg.entities),
            canonical(msg.reply_markup),
        )
        if same:
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.text, msg.entities, msg.reply_markup = text, self._kept(entities), self._kept(markup)
        msg.edit_date = self._now()
        return self._render(msg)

    def _edit_message_reply_markup(self, params: JSON) -> JSON:
        _, msg = self._edit_target(params)
        markup = self._markup_param(params)
        if canonical(markup) == canonical(msg.reply_markup):
            raise bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.reply_markup = self._kept(markup)
        msg.edit_date = self._now()
        return self._render(msg)

    def _delete_message(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to delete not found")
        mine = msg.sender_id == self.bot_id
        if not mine and chat.type != "private" and chat.bot_status != "administrator":
            raise bad("message can't be deleted")
        if self._now() - msg.date > DELETE_WINDOW_SECONDS:
            raise bad("message can't be deleted")
        msg.deleted, msg.pinned = True, False
        return True

    def _set_message_reaction(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to react not found")
        reactions = params.get("reaction") or []
        if len(reactions) > 1:
            raise bad("REACTIONS_TOO_MANY")
        emojis: list[str] = []
        for reaction in reactions:
            emoji = str(reaction.get("emoji")) if reaction.get("type") == "emoji" else ""
            if emoji not in _VALID_REACTIONS:
                raise bad("REACTION_INVALID")
            emojis.append(emoji)
        msg.reactions = tuple(emojis)
        return True

    def _pin_chat_message(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to pin not found")
        msg.pinned = True
        # Pinning posts a service message, which takes the chat's next message id.
        self._store(
            chat,
            self.bot_id,
            service={"pinned_message": self._render(msg, nested=False)},
            thread_id=msg.thread_id if chat.is_forum else None,
            is_topic=msg.is_topic,
        )
        return True

    def _unpin_chat_message(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        if params.get("message_id") is not None:
            msg = self._message_param(chat, params, "message to unpin not found")
        else:
            pinned = [m for m in self._messages[chat.id].values() if m.pinned and not m.deleted]
            if not pinned:
                raise bad("message to unpin not found")
            msg = max(pinned, key=lambda m: m.message_id)
        msg.pinned = False
        return True

    def _unpin_all_chat_messages(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        for msg in self._messages[chat.id].values():
            msg.pinned = False
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        query = self._queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answered:
            raise bad(QUERY_INVALID.removeprefix("Bad Request: "))
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad("MESSAGE_TOO_LONG")
        query.answered = True
        return True

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return canonical(scope), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    def _delete_my_commands(self, params: JSON) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._chat_param(params)
        data: JSON = {
            **chat.json(),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": dict.fromkeys(
                (
                    "unlimited_gifts",
                    "limited_gifts",
                    "unique_gifts",
                    "premium_subscription",
                    "gifts_from_channels",
                ),
                False,
            ),
        }
        pinned = [m for m in self._messages[chat.id].values() if m.pinned and not m.deleted]
        if pinned:
            data["pinned_message"] = self._render(max(pinned, key=lambda m: m.message_id))
        return data

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._chat_param(params)
        if chat.type == "private":
            raise bad("there are no administrators in the private chat")
        return [self._member_json(uid, chat) for uid in chat.admins]  # bots are never listed

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._chat_param(params)
        raw = params.get("user_id")
        user_id = int(raw) if raw is not None else 0
        if user_id != self.bot_id and user_id not in self._users:
            raise bad("user not found")
        if chat.type == "private":
            user = self._bot_json() if user_id == self.bot_id else self._users[user_id]
            if user_id not in (self.bot_id, chat.id):
                return {"status": "left", "user": copy.deepcopy(user)}
            return {"status": "member", "user": copy.deepcopy(user)}
        return self._member_json(user_id, chat)

    def _leave_chat(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        if chat.type == "private":
            raise bad("chat member status can't be changed in private chats")
        chat.bot_status = "left"
        return True

    _HANDLERS: Final[dict[str, tuple[str, Callable[[FakeBotApi, JSON], Any] | None]]] = {
        name.lower(): (name, handler)
        for name, handler in (
            ("getMe", _get_me),
            ("getUpdates", _get_updates),
            ("deleteWebhook", _delete_webhook),
            ("getWebhookInfo", _get_webhook_info),
            ("sendMessage", _send_message),
            ("sendDocument", _send_document),
            ("sendVoice", _send_voice),
            ("editMessageMedia", _edit_message_media),
            ("editMessageText", _edit_message_text),
            ("editMessageReplyMarkup", _edit_message_reply_markup),
            ("deleteMessage", _delete_message),
            ("setMessageReaction", _set_message_reaction),
            ("pinChatMessage", _pin_chat_message),
            ("unpinChatMessage", _unpin_chat_message),
            ("unpinAllChatMessages", _unpin_all_chat_messages),
            ("answerCallbackQuery", _answer_callback_query),
            ("setMyCommands", _set_my_commands),
            ("deleteMyCommands", _delete_my_commands),
            ("getMyCommands", _get_my_commands),
            ("getChat", _get_chat),
            ("getChatAdministrators", _get_chat_administrators),
            ("getChatMember", _get_chat_member),
            ("leaveChat", _leave_chat),
        )
    }
