"""An in-memory Telegram Bot API server that plugs into python-telegram-bot as its HTTP layer.

Why it exists: the dialogue bot must behave correctly against the *real* platform — privacy
mode, byte-limited ``callback_data``, "message is not modified", flood control, group → supergroup
migration, users who never pressed Start. Mocking ``Bot`` methods hides exactly those rules, so
instead this module answers at the HTTP boundary (``BaseRequest.do_request``) with the JSON
Telegram would send, and PTB's own error mapping turns failures into ``BadRequest``,
``Forbidden``, ``RetryAfter`` and ``ChatMigrated`` just as in production.

It serves both the test-suite and ``ikiganiro demo``::

    fake = FakeBotApi()
    app = (ApplicationBuilder().token("123456:TEST").request(fake)
           .get_updates_request(fake).updater(None).build())

The token's numeric prefix must equal ``bot_id`` (Telegram derives the bot id from it); a
mismatch answers 401 so a wrong wiring fails loudly instead of producing odd ids.

What is modelled: chats (private, group, supergroup, forum) with per-chat message ids shared by
users and the bot, a clock-driven ``date``, HTML parsing into plain text + entities, inline
keyboards, replies and reply threads, edits, deletions, pins (with their service message),
reactions, callback queries, command menus, membership and the update queue with
``getUpdates`` offset confirmation and privacy-mode filtering. Anything else answers 404 like an
unknown method. Errors can also be injected per method and chat (:meth:`FakeBotApi.fail`) or made
permanent for optional features (:meth:`FakeBotApi.refuse`).
"""

from __future__ import annotations

import asyncio
import copy
import html
import json
import re
import textwrap
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from telegram.constants import ReactionEmoji
from telegram.request import BaseRequest, RequestData

__all__ = ["ApiError", "Call", "FakeBotApi"]

JSON = dict[str, Any]

MAX_TEXT_LENGTH: Final = 4096
MAX_CALLBACK_DATA_BYTES: Final = 64
MAX_CALLBACK_ANSWER_LENGTH: Final = 200
DELETE_WINDOW_SECONDS: Final = 48 * 3600
NOT_MODIFIED: Final = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_QUERY_INVALID: Final = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
# What Telegram answers when a chat's settings or the bot's rights forbid an optional feature.
_REFUSALS: Final[dict[str, str]] = {
    "pinchatmessage": "Bad Request: not enough rights to manage pinned messages in the chat",
    "unpinchatmessage": "Bad Request: not enough rights to manage pinned messages in the chat",
    "unpinallchatmessages": "Bad Request: not enough rights to manage pinned messages in the chat",
    "setmessagereaction": "Bad Request: REACTION_INVALID",
    "setmycommands": "Bad Request: BOT_COMMAND_INVALID",
    "deletemycommands": "Bad Request: BOT_COMMAND_INVALID",
    "getchatadministrators": "Bad Request: member list is inaccessible",
    "getchatmember": "Bad Request: member list is inaccessible",
    "deletemessage": "Bad Request: message can't be deleted",
    "editmessagetext": "Bad Request: message can't be edited",
    "editmessagereplymarkup": "Bad Request: message can't be edited",
    "sendmessage": "Bad Request: not enough rights to send text messages to the chat",
    "answercallbackquery": _QUERY_INVALID,
}
_DEFAULT_REFUSAL: Final = "Bad Request: not enough rights to perform this action"
_VALID_REACTIONS: Final = frozenset(emoji.value for emoji in ReactionEmoji)
# Update kinds Telegram withholds unless ``allowed_updates`` names them explicitly.
_OPT_IN_UPDATES: Final = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_COMMAND_RE: Final = re.compile(r"^[a-z0-9_]{1,32}$")


# --------------------------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ApiError:
    """An error answer: HTTP status, Telegram's description and optional ResponseParameters."""

    status: int
    description: str
    parameters: JSON = field(default_factory=dict)

    def body(self) -> JSON:
        """The JSON body Telegram sends for this error."""
        data: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            data["parameters"] = dict(self.parameters)
        return data


class _Failure(Exception):
    """Raised inside method handlers to answer with an :class:`ApiError`."""

    def __init__(self, status: int, description: str, **parameters: Any) -> None:
        super().__init__(description)
        self.error = ApiError(status, description, parameters)


def _bad(description: str, **parameters: Any) -> _Failure:
    return _Failure(400, f"Bad Request: {description}", **parameters)


@dataclass
class Call:
    """One Bot API request as the fake saw it.

    ``params`` holds JSON-decoded values (ints, strings, dicts for ``reply_markup`` ...), so
    tests can assert on what PTB actually put on the wire; ``result`` is the decoded ``result``
    of a successful answer, ``error`` the failure otherwise.
    """

    method: str
    params: JSON
    result: Any = None
    error: ApiError | None = None

    @property
    def ok(self) -> bool:
        """Whether Telegram would have answered ``"ok": true``."""
        return self.error is None

    @property
    def chat_id(self) -> int | str | None:
        """The ``chat_id`` parameter, normalised to ``int`` when numeric."""
        return _norm_chat_id(self.params.get("chat_id"))


@dataclass
class _Injected:
    method: str
    error: ApiError
    times: int | None
    chat_id: int | None


@dataclass
class _Chat:
    id: int
    type: str  # "private" | "group" | "supergroup"
    title: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    is_forum: bool = False
    admins: list[int] = field(default_factory=list)  # the first one is the creator
    members: set[int] = field(default_factory=set)
    bot_status: str = "member"  # "member" | "administrator" | "left" | "kicked"
    migrated_to: int | None = None
    last_message_id: int = 0
    topics: dict[int, str] = field(default_factory=dict)

    def json(self) -> JSON:
        data: JSON = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name
            if self.last_name:
                data["last_name"] = self.last_name
        else:
            data["title"] = self.title
            if self.is_forum:
                data["is_forum"] = True
        return data

    @property
    def kind(self) -> str:
        """The word Telegram uses in 403 descriptions: "group" or "supergroup"."""
        return "supergroup" if self.type == "supergroup" else "group"


@dataclass
class _Message:
    chat_id: int
    message_id: int
    sender_id: int | None
    date: int
    text: str | None = None
    entities: list[JSON] = field(default_factory=list)
    reply_markup: JSON | None = None
    reply_to: int | None = None
    thread_id: int | None = None
    is_topic: bool = False
    service: JSON = field(default_factory=dict)
    edit_date: int | None = None
    deleted: bool = False
    pinned: bool = False
    reactions: list[str] = field(default_factory=list)


@dataclass
class _Query:
    chat_id: int
    message_id: int
    user_id: int
    answered: bool = False


# --------------------------------------------------------------------------------------------
# Helpers: parameters, HTML, UTF-16
# --------------------------------------------------------------------------------------------


def _norm_chat_id(value: Any) -> int | str | None:
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if isinstance(value, int | str) or value is None:
        return value
    return str(value)


def _utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram entity offsets and text limits."""
    return len(text.encode("utf-16-le")) // 2


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


_TAG_RE: Final = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9-]*)(\s[^<>]*)?>")
_ATTR_RE: Final = re.compile(r"""([A-Za-z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE: Final = re.compile(r"&(#[0-9]+|#[xX][0-9A-Fa-f]+|lt|gt|amp|quot);")
_SIMPLE_TAGS: Final[dict[str, str]] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}


def parse_html(source: str, users: dict[int, JSON] | None = None) -> tuple[str, list[JSON]]:
    """Parse Telegram-flavoured HTML into plain text and MessageEntity dicts.

    Follows https://core.telegram.org/bots/api#html-style closely enough to catch what breaks
    in production: unsupported or unbalanced tags, a bare ``<``, ``<span>`` without the spoiler
    class. Raises ``_Failure`` with Telegram's "can't parse entities" description.
    ``users`` resolves ``tg://user?id=`` links into text_mention entities carrying the full
    User, as Telegram does; links to unknown users produce no entity.
    """

    def fail(reason: str) -> _Failure:
        return _bad(f"can't parse entities: {reason}")

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    out: list[str] = []
    length = 0  # UTF-16 units written so far
    stack: list[tuple[str, JSON, int]] = []  # (tag, entity template, start offset)
    entities: list[JSON] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG_RE.match(source, i)
            if match is None:
                raise fail(f"Unexpected end of name token at byte offset {byte_offset(i)}")
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3) or ""
            if closing:
                if not stack:
                    raise fail(f"Unexpected end tag at byte offset {byte_offset(i)}")
                open_name, template, start = stack.pop()
                if open_name != name:
                    raise fail(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, expected "
                        f'"</{open_name}>", found "</{name}>"'
                    )
                inside_pre = any(tag == "pre" for tag, _, _ in stack)
                if name == "code" and inside_pre:
                    # <pre><code class="language-x"> is one pre entity with a language.
                    language = template.get("language")
                    if language:
                        for tag, parent, _ in reversed(stack):
                            if tag == "pre":
                                parent["language"] = language
                                break
                elif length > start and template:
                    entity = {"type": template["type"], "offset": start, "length": length - start}
                    entity.update({k: v for k, v in template.items() if k != "type"})
                    entities.append(entity)
            else:
                if name not in _SIMPLE_TAGS:
                    raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}')
                found = {
                    m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
                    for m in _ATTR_RE.finditer(attrs)
                }
                opened = _entity_template(name, found, users or {})
                if opened is None:
                    raise fail(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}'
                    )
                stack.append((name, opened, length))
            i = match.end()
            continue
        if char == "&":
            entity_match = _ENTITY_RE.match(source, i)
            if entity_match is not None:
                decoded = html.unescape(entity_match.group(0))
                out.append(decoded)
                length += _utf16_len(decoded)
                i = entity_match.end()
                continue
        out.append(char)
        length += _utf16_len(char)
        i += 1
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _entity_template(name: str, attrs: dict[str, str], users: dict[int, JSON]) -> JSON | None:
    """The entity an opening tag produces; ``{}`` for none, ``None`` if the tag is invalid."""
    kind = _SIMPLE_TAGS[name]
    if name == "span":
        return {"type": "spoiler"} if attrs.get("class") == "tg-spoiler" else None
    if name == "a":
        href = attrs.get("href", "")
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user:
            known = users.get(int(user.group(1)))
            return {"type": "text_mention", "user": copy.deepcopy(known)} if known else {}
        return {"type": "text_link", "url": href} if href else {}
    if name == "code":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            return {"type": "code", "language": language.removeprefix("language-")}
        return {"type": "code"}
    if name == "blockquote" and "expandable" in attrs:
        return {"type": "expandable_blockquote"}
    if name == "tg-emoji":
        return {"type": kind, "custom_emoji_id": attrs.get("emoji-id", "")}
    return {"type": kind}


def _command_entities(text: str) -> list[JSON]:
    """A bot_command entity for a leading ``/cmd`` or ``/cmd@bot``, as clients send it."""
    match = re.match(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if match is None:
        return []
    return [{"type": "bot_command", "offset": 0, "length": _utf16_len(match.group(0))}]


# --------------------------------------------------------------------------------------------
# The fake server
# --------------------------------------------------------------------------------------------


class FakeBotApi(BaseRequest):
    """An in-memory Bot API server; pass it to ``ApplicationBuilder.request()`` and
    ``get_updates_request()``.

    Set-up methods (``add_user``, ``add_group``, ``started``, ``block``, ``kick_bot``,
    ``migrate``...) shape the world; user-side factories (``text``, ``press``, ``start``...)
    return Update JSON and record the user's message so later replies resolve; ``deliver`` queues
    an update for ``getUpdates``. ``calls``, ``message()`` and ``transcript()`` inspect the result.
    """

    __slots__ = (
        "_allowed_updates",
        "_blocked",
        "_chats",
        "_commands",
        "_injected",
        "_messages",
        "_queries",
        "_query_seq",
        "_queue",
        "_refused",
        "_started",
        "_users",
        "_waiters",
        "bot_id",
        "bot_name",
        "bot_username",
        "calls",
        "can_read_all_group_messages",
        "clock",
        "long_poll_cap",
        "next_update_id",
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
    ) -> None:
        """Create an empty world.

        ``long_poll_cap`` bounds how long an empty ``getUpdates`` with a ``timeout`` waits for a
        delivery: long enough to keep a polling demo from spinning, short enough that tests
        never hang.
        """
        self.bot_username = bot_username
        self.can_read_all_group_messages = can_read_all_group_messages
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.clock = clock
        self.long_poll_cap = long_poll_cap
        self.next_update_id = first_update_id
        self.calls: list[Call] = []
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, _Chat] = {}
        self._messages: dict[int, dict[int, _Message]] = {}
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._queue: list[JSON] = []
        self._waiters: list[asyncio.Event] = []
        self._allowed_updates: frozenset[str] | None = None
        self._injected: list[_Injected] = []
        self._refused: dict[tuple[str, int | None], str] = {}
        self._queries: dict[str, _Query] = {}
        self._query_seq = 0
        self._commands: dict[tuple[str, str], list[JSON]] = {}

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
        return await self.answer(url, params)

    async def answer(self, url: str, params: JSON) -> tuple[int, bytes]:
        """Answer ``…/bot<token>/<method>`` with decoded ``params``: the server's one door.

        PTB reaches it through :meth:`do_request`; an HTTP front (the test of ``ikiganiro
        run`` in a separate process) through its decoded form fields.
        """
        prefix, _, endpoint = url.rpartition("/")
        token = prefix.rpartition("/")[2].removeprefix("bot")
        name, handler = self._HANDLERS.get(endpoint.lower(), (endpoint, None))
        call = Call(name, params)
        try:
            if token.partition(":")[0] != str(self.bot_id):
                raise _Failure(401, "Unauthorized")
            if handler is None:
                raise _Failure(404, "Not Found")
            self._check_injected(name, params)
            self._check_refused(name, params)
            if name == "getUpdates":
                result: Any = await self._get_updates(params)
            else:
                result = handler(self, params)
        except _Failure as failure:
            call.error = failure.error
            self.calls.append(call)
            return failure.error.status, json.dumps(failure.error.body()).encode()
        call.result = copy.deepcopy(result)
        if not (name == "getUpdates" and result == []):  # idle polls would drown the record
            self.calls.append(call)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # ---------------------------------------------------------------- world set-up

    def add_user(
        self,
        user_id: int,
        first_name: str,
        language_code: str | None = None,
        last_name: str | None = None,
        *,
        username: str | None = None,
    ) -> JSON:
        """Register a person; returns their User JSON."""
        user: JSON = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        return copy.deepcopy(user)

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = True,
        forum: bool = False,
        admins: Iterable[int] = (),
        bot_admin: bool = False,
        bot_present: bool = True,
    ) -> JSON:
        """Register a group the bot is in (unless ``bot_present=False``); returns its Chat JSON.

        The first of ``admins`` is the creator. Forum topics need a supergroup, as on Telegram.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        admin_ids = list(admins)
        chat = _Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            is_forum=forum,
            admins=admin_ids,
            members=set(admin_ids),
            bot_status=("administrator" if bot_admin else "member") if bot_present else "left",
        )
        self._chats[chat_id] = chat
        self._messages.setdefault(chat_id, {})
        return chat.json()

    def add_topic(self, chat_id: int, name: str, *, by_user: int | None = None) -> int:
        """Create a forum topic; returns its ``message_thread_id`` (its creation message id)."""
        chat = self._group(chat_id)
        if not chat.is_forum:
            raise ValueError(f"chat {chat_id} is not a forum")
        msg = self._store(
            chat,
            by_user,
            service={"forum_topic_created": {"name": name, "icon_color": 7322096}},
        )
        msg.thread_id, msg.is_topic = msg.message_id, True
        chat.topics[msg.message_id] = name
        return msg.message_id

    def started(self, user_id: int) -> None:
        """Record that the user pressed Start in a private chat with the bot."""
        self._user(user_id)
        self._started.add(user_id)
        self._blocked.discard(user_id)

    def block(self, user_id: int) -> None:
        """The user blocks the bot: private sends answer 403 until they start it again."""
        self._user(user_id)
        self._blocked.add(user_id)

    def kick_bot(self, chat_id: int) -> None:
        """Remove the bot from a group without producing an update."""
        self._group(chat_id).bot_status = "kicked"

    def migrate(
        self, chat_id: int, new_chat_id: int, *, by_user: int | None = None
    ) -> tuple[JSON, JSON]:
        """Upgrade a basic group to a supergroup.

        Returns the two service updates Telegram sends (old chat with ``migrate_to_chat_id``,
        new chat with ``migrate_from_chat_id``); the caller delivers them. Later sends to the old
        id fail with 400 and ``parameters.migrate_to_chat_id``.
        """
        old = self._group(chat_id)
        if old.type != "group":
            raise ValueError(f"chat {chat_id} is already a supergroup")
        new = _Chat(
            id=new_chat_id,
            type="supergroup",
            title=old.title,
            admins=list(old.admins),
            members=set(old.members),
            bot_status=old.bot_status,
        )
        self._chats[new_chat_id] = new
        self._messages.setdefault(new_chat_id, {})
        first = self._store(old, by_user, service={"migrate_to_chat_id": new_chat_id})
        old.migrated_to = new_chat_id
        second = self._store(new, by_user, service={"migrate_from_chat_id": chat_id})
        return self._update("message", self._render(first)), self._update(
            "message", self._render(second)
        )

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
        self._injected.append(
            _Injected(method.lower(), ApiError(status, description, parameters), times, chat_id)
        )

    def refuse(
        self, method: str, *, chat_id: int | None = None, description: str | None = None
    ) -> None:
        """Make an optional feature (pin, reaction, command menu, admin list...) always fail.

        Uses the description Telegram gives when rights or chat settings forbid it.
        """
        key = method.lower()
        self._refused[(key, chat_id)] = description or _REFUSALS.get(key, _DEFAULT_REFUSAL)

    def allow(self, method: str, *, chat_id: int | None = None) -> None:
        """Undo :meth:`refuse`."""
        self._refused.pop((method.lower(), chat_id), None)

    # ---------------------------------------------------------------- records

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

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """The message as stored now, or ``None`` if it never existed.

        The Message JSON (current text, entities, ``reply_markup``...) plus the fake's own
        bookkeeping keys ``deleted``, ``pinned`` and ``reactions`` (the bot's emoji).
        """
        msg = self._messages.get(chat_id, {}).get(message_id)
        if msg is None:
            return None
        data = self._render(msg)
        data.update(deleted=msg.deleted, pinned=msg.pinned, reactions=list(msg.reactions))
        return data

    def messages(self, chat_id: int) -> list[JSON]:
        """Every message of the chat in id order, as :meth:`message` returns them."""
        return [
            data
            for message_id in sorted(self._messages.get(chat_id, {}))
            if (data := self.message(chat_id, message_id)) is not None
        ]

    def commands(self, *, scope: JSON | None = None, language_code: str = "") -> list[JSON]:
        """The command menu stored for ``scope`` (default scope if omitted) and language."""
        key = (_canonical(scope or {"type": "default"}), language_code)
        return copy.deepcopy(self._commands.get(key, []))

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return copy.deepcopy(self._queue)

    # ---------------------------------------------------------------- user-side updates

    def text(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        thread_id: int | None = None,
    ) -> JSON:
        """A user writes ``text``; ``chat_id == user_id`` means the private chat with the bot.

        Returns the Update JSON. A leading ``/cmd`` or ``/cmd@bot`` carries a bot_command
        entity. ``reply_to`` must be a live message of the chat; ``thread_id`` a forum topic.
        """
        self._user(user_id)
        if chat_id == user_id:
            chat = self._private(user_id)
            self._started.add(user_id)  # a person cannot write to a bot before Start
        else:
            chat = self._group(chat_id)
            if chat.migrated_to is not None:
                raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
            chat.members.add(user_id)
        target = self._live(chat.id, reply_to) if reply_to is not None else None
        if reply_to is not None and target is None:
            raise ValueError(f"message {reply_to} does not exist in chat {chat_id}")
        thread, is_topic = self._thread_for(chat, thread_id, target)
        if thread_id is not None and thread is None:
            raise ValueError(f"chat {chat_id} has no forum topic {thread_id} (see add_topic)")
        msg = self._store(
            chat,
            user_id,
            text=text,
            entities=_command_entities(text),
            reply_to=reply_to,
            thread_id=thread,
            is_topic=is_topic,
        )
        return self._update("message", self._render(msg))

    def command(
        self, user_id: int, chat_id: int, command: str, *, reply_to: int | None = None
    ) -> JSON:
        """A command such as ``"/next"`` or ``"/next@ikiganiro_bot"``; see :meth:`text`."""
        if not command.startswith("/"):
            raise ValueError("commands start with '/'")
        return self.text(user_id, chat_id, command, reply_to=reply_to)

    def start(self, user_id: int, payload: str | None = None) -> JSON:
        """The user opens the private chat (``t.me/<bot>?start=<payload>``) and presses Start."""
        self.started(user_id)
        return self.text(user_id, user_id, f"/start {payload}" if payload else "/start")

    def edit(self, user_id: int, chat_id: int, message_id: int, new_text: str) -> JSON:
        """The user edits their own message; returns an ``edited_message`` Update."""
        msg = self._live(chat_id, message_id)
        if msg is None or msg.sender_id != user_id:
            raise ValueError(f"user {user_id} has no message {message_id} in chat {chat_id}")
        msg.text, msg.entities = new_text, _command_entities(new_text)
        msg.edit_date = self._now()
        return self._update("edited_message", self._render(msg))

    def press(self, user_id: int, chat_id: int, message_id: int, data: str) -> JSON:
        """The user presses the inline button carrying ``data``; returns a callback_query Update.

        The button must be on the message *now* — pressing a removed keyboard is a test bug.
        """
        self._user(user_id)
        msg = self._live(chat_id, message_id)
        if msg is None:
            raise ValueError(f"message {message_id} does not exist in chat {chat_id}")
        buttons = [
            button.get("callback_data")
            for row in (msg.reply_markup or {}).get("inline_keyboard", [])
            for button in row
        ]
        if data not in buttons:
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        self._query_seq += 1
        query_id = str(4_000_000_000_000_000 + self._query_seq)
        self._queries[query_id] = _Query(chat_id, message_id, user_id)
        return self._update(
            "callback_query",
            {
                "id": query_id,
                "from": copy.deepcopy(self._users[user_id]),
                "message": self._render(msg),
                "chat_instance": str(abs(chat_id) * 1_000_003),
                "data": data,
            },
        )

    def bot_added(self, chat_id: int, by_user: int, *, admin: bool = False) -> JSON:
        """Someone adds the bot to the group (as admin if ``admin``): a my_chat_member Update."""
        chat = self._group(chat_id)
        old = self._member_json(self.bot_id, chat)
        chat.bot_status = "administrator" if admin else "member"
        return self._my_chat_member(chat, by_user, old)

    def bot_removed(self, chat_id: int, by_user: int) -> JSON:
        """Someone removes the bot: a my_chat_member Update; later sends answer 403."""
        chat = self._group(chat_id)
        old = self._member_json(self.bot_id, chat)
        chat.bot_status = "kicked"
        return self._my_chat_member(chat, by_user, old)

    def new_chat_members(self, chat_id: int, by_user: int, user_ids: Sequence[int]) -> JSON:
        """``by_user`` adds ``user_ids`` (themselves: a join); a service message Update."""
        chat = self._group(chat_id)
        self._user(by_user)
        joined = [copy.deepcopy(self._user(uid)) for uid in user_ids]
        chat.members.update(user_ids)
        msg = self._store(
            chat,
            by_user,
            service={"new_chat_members": joined, "new_chat_member": joined[0]},
        )
        return self._update("message", self._render(msg))

    def deliver(self, *updates: JSON) -> list[bool]:
        """Queue updates for getUpdates, dropping those privacy mode hides from the bot.

        Returns, per update, whether the bot will see it.
        """
        seen = []
        for update in updates:
            visible = self.visible(update)
            if visible:
                self._queue.append(copy.deepcopy(update))
            seen.append(visible)
        for waiter in self._waiters:
            waiter.set()
        return seen

    def visible(self, update: JSON) -> bool:
        """Whether Telegram would send this update to the bot (privacy mode, §1.3 of the notes).

        With privacy on, a group message reaches the bot only if it is a service message, a
        command (``/cmd`` or ``/cmd@<this bot>``), or a reply to one of the bot's messages —
        unless the bot is an admin, which sees everything.
        """
        message = update.get("message") or update.get("edited_message")
        if message is None or message["chat"]["type"] == "private":
            return True
        if self.can_read_all_group_messages:
            return True
        chat = self._chats.get(message["chat"]["id"])
        if chat is not None and chat.bot_status == "administrator":
            return True
        text = message.get("text")
        if text is None:
            return True  # service messages reach every bot
        if text.startswith("/"):
            target = text.split()[0].partition("@")[2]
            return target in ("", self.bot_username)
        reply = message.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot_id)

    # ---------------------------------------------------------------- transcript

    def transcript(self, chat_id: int, *, width: int = 80, thread_id: int | None = None) -> str:
        """The chat as a person reads it: one block per live message, in order.

        ``Name: text`` (the bot as its first name, HTML already resolved to plain text), a
        ``↩ Name`` marker on replies, ``(pinned)`` and the bot's reactions after the text, inline
        buttons as ``[ Join ]  [ Answer privately ↗ ]`` rows below. Lines wrap at ``width``
        (0: never) with a two-space hanging indent.
        """
        blocks: list[str] = []
        chat = self._chats.get(chat_id)
        for message_id in sorted(self._messages.get(chat_id, {})):
            msg = self._messages[chat_id][message_id]
            if msg.deleted or "pinned_message" in msg.service:
                continue
            if thread_id is not None and msg.thread_id != thread_id:
                continue
            blocks.append(self._transcript_block(msg, chat, width))
        return "\n".join(blocks)

    def _transcript_block(self, msg: _Message, chat: _Chat | None, width: int) -> str:
        name = self._display_name(msg.sender_id)
        if msg.text is None:
            body = self._describe_service(msg, name)
            return _wrap(f"· {body}", width)
        head = name
        if msg.reply_to is not None:
            target = self._messages[msg.chat_id].get(msg.reply_to)
            if target is not None and not target.deleted:
                head += f" ↩ {self._display_name(target.sender_id)}"
        text = msg.text
        if msg.pinned:
            text += " (pinned)"
        for emoji in msg.reactions:
            text += f" {emoji}"
        lines = [_wrap(f"{head}: {text}", width)]
        for row in (msg.reply_markup or {}).get("inline_keyboard", []):
            labels = []
            for button in row:
                label = button.get("text", "")
                if ("url" in button or "login_url" in button) and not label.endswith("↗"):
                    label += " ↗"
                labels.append(f"[ {label} ]")
            lines.append("  " + "  ".join(labels))
        return "\n".join(lines)

    def _describe_service(self, msg: _Message, name: str) -> str:
        service = msg.service
        if "new_chat_members" in service:
            names = ", ".join(_full_name(user) for user in service["new_chat_members"])
            joined = [user["id"] for user in service["new_chat_members"]]
            return f"{names} joined" if joined == [msg.sender_id] else f"{name} added {names}"
        if "migrate_to_chat_id" in service:
            return f"the group was upgraded to a supergroup ({service['migrate_to_chat_id']})"
        if "migrate_from_chat_id" in service:
            return f"upgraded from the group {service['migrate_from_chat_id']}"
        if "forum_topic_created" in service:
            return f"{name} created the topic “{service['forum_topic_created']['name']}”"
        return f"{name}: ({', '.join(sorted(service))})"

    def _display_name(self, sender_id: int | None) -> str:
        if sender_id is None:
            return "Telegram"
        if sender_id == self.bot_id:
            return self.bot_name
        user = self._users.get(sender_id)
        return _full_name(user) if user else str(sender_id)

    # ---------------------------------------------------------------- internals: world

    def _now(self) -> int:
        return int(self.clock())

    def _user(self, user_id: int) -> JSON:
        try:
            return self._users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}: call add_user first") from None

    def _group(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"unknown group {chat_id}: call add_group first")
        return chat

    def _private(self, user_id: int) -> _Chat:
        chat = self._chats.get(user_id)
        if chat is None:
            user = self._user(user_id)
            chat = _Chat(
                id=user_id,
                type="private",
                first_name=user["first_name"],
                last_name=user.get("last_name"),
                members={user_id},
            )
            self._chats[user_id] = chat
            self._messages[user_id] = {}
        return chat

    def _store(
        self,
        chat: _Chat,
        sender_id: int | None,
        *,
        text: str | None = None,
        entities: list[JSON] | None = None,
        reply_markup: JSON | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        is_topic: bool = False,
        service: JSON | None = None,
    ) -> _Message:
        """Record a new message under the chat's next id (users and the bot share the counter)."""
        chat.last_message_id += 1
        msg = _Message(
            chat_id=chat.id,
            message_id=chat.last_message_id,
            sender_id=sender_id,
            date=self._now(),
            text=text,
            entities=entities or [],
            reply_markup=reply_markup,
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic=is_topic,
            service=service or {},
        )
        self._messages[chat.id][msg.message_id] = msg
        return msg

    def _live(self, chat_id: int, message_id: int | None) -> _Message | None:
        msg = self._messages.get(chat_id, {}).get(message_id or 0)
        return None if msg is None or msg.deleted else msg

    def _thread_for(
        self, chat: _Chat, thread_id: int | None, target: _Message | None
    ) -> tuple[int | None, bool]:
        """(message_thread_id, is_topic_message) for a new message, as Telegram assigns them.

        Forum: the explicit topic, else the replied-to message's topic. Other supergroups: a
        reply joins the reply thread rooted at the first message of the chain (PTB notes §1.6).
        """
        if chat.is_forum:
            if thread_id is not None:
                return (thread_id, True) if thread_id in chat.topics else (None, False)
            if target is not None and target.is_topic:
                return target.thread_id, True
            return None, False
        if chat.type == "supergroup" and target is not None:
            return target.thread_id or target.message_id, False
        return None, False

    def _render(self, msg: _Message, *, nested: bool = True) -> JSON:
        """The Message JSON Telegram would send now (one level of ``reply_to_message``)."""
        chat = self._chats[msg.chat_id]
        data: JSON = {"message_id": msg.message_id}
        if msg.thread_id is not None:
            data["message_thread_id"] = msg.thread_id
        if msg.sender_id is not None:
            data["from"] = self._sender_json(msg.sender_id)
        data["date"] = msg.date
        data["chat"] = chat.json()
        if msg.is_topic:
            data["is_topic_message"] = True
        if nested and msg.reply_to is not None:
            target = self._live(msg.chat_id, msg.reply_to)
            if target is not None:
                data["reply_to_message"] = self._render(target, nested=False)
        if msg.edit_date is not None:
            data["edit_date"] = msg.edit_date
        if msg.text is not None:
            data["text"] = msg.text
            if msg.entities:
                data["entities"] = msg.entities
        data.update(msg.service)
        if msg.reply_markup is not None:
            data["reply_markup"] = msg.reply_markup
        return copy.deepcopy(data)

    def _bot_json(self) -> JSON:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

    def _sender_json(self, sender_id: int) -> JSON:
        if sender_id == self.bot_id:
            return self._bot_json()
        return copy.deepcopy(self._users[sender_id])

    def _update(self, kind: str, payload: JSON) -> JSON:
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        return update

    def _member_json(self, user_id: int, chat: _Chat) -> JSON:
        """A ChatMember JSON valid for PTB's ``ChatMember.de_json``."""
        if user_id == self.bot_id:
            user, status = self._bot_json(), chat.bot_status
        else:
            user = copy.deepcopy(self._users[user_id])
            if chat.type != "private" and chat.admins and chat.admins[0] == user_id:
                status = "creator"
            elif user_id in chat.admins:
                status = "administrator"
            elif user_id in chat.members:
                status = "member"
            else:
                status = "left"
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            rights = dict.fromkeys(
                (
                    "can_manage_chat",
                    "can_delete_messages",
                    "can_manage_video_chats",
                    "can_restrict_members",
                    "can_change_info",
                    "can_invite_users",
                    "can_post_stories",
                    "can_edit_stories",
                    "can_delete_stories",
                    "can_pin_messages",
                ),
                True,
            )
            if chat.is_forum:
                rights["can_manage_topics"] = True
            return {
                "status": "administrator",
                "user": user,
                "can_be_edited": False,
                "is_anonymous": False,
                "can_promote_members": False,
                **rights,
            }
        if status == "kicked" and chat.type == "supergroup":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status in ("kicked", "left"):
            return {"status": "left", "user": user}
        return {"status": "member", "user": user}

    def _my_chat_member(self, chat: _Chat, by_user: int, old: JSON) -> JSON:
        return self._update(
            "my_chat_member",
            {
                "chat": chat.json(),
                "from": copy.deepcopy(self._user(by_user)),
                "date": self._now(),
                "old_chat_member": old,
                "new_chat_member": self._member_json(self.bot_id, chat),
            },
        )

    # ---------------------------------------------------------------- internals: checks

    def _check_injected(self, method: str, params: JSON) -> None:
        chat_id = _norm_chat_id(params.get("chat_id"))
        for injected in self._injected:
            if injected.method != method.lower():
                continue
            if injected.chat_id is not None and injected.chat_id != chat_id:
                continue
            if injected.times is not None:
                injected.times -= 1
                if injected.times <= 0:
                    self._injected.remove(injected)
            raise _Failure(
                injected.error.status, injected.error.description, **injected.error.parameters
            )

    def _check_refused(self, method: str, params: JSON) -> None:
        chat_id = _norm_chat_id(params.get("chat_id"))
        key = method.lower()
        description = self._refused.get((key, None))
        if isinstance(chat_id, int):
            description = self._refused.get((key, chat_id), description)
        if description is not None:
            raise _Failure(400, description)

    def _chat_param(self, params: JSON, *, sending: bool = False) -> _Chat:
        """Resolve ``chat_id`` the way Telegram gates access to a chat."""
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id = _norm_chat_id(raw)
        if not isinstance(chat_id, int):
            raise _bad("chat not found")
        chat = self._chats.get(chat_id)
        if chat is None and chat_id in self._users:
            chat = self._private(chat_id)
        if chat is None:
            raise _bad("chat not found")
        if chat.migrated_to is not None:
            raise _bad(
                "group chat was upgraded to a supergroup chat", migrate_to_chat_id=chat.migrated_to
            )
        if chat.type == "private":
            if chat.id in self._blocked:
                raise _Failure(403, "Forbidden: bot was blocked by the user")
            if chat.id not in self._started:
                if sending:
                    raise _Failure(403, "Forbidden: bot can't initiate conversation with a user")
                raise _bad("chat not found")
        elif chat.bot_status == "kicked":
            raise _Failure(403, f"Forbidden: bot was kicked from the {chat.kind} chat")
        elif chat.bot_status == "left":
            raise _Failure(403, f"Forbidden: bot is not a member of the {chat.kind} chat")
        return chat

    def _message_param(self, chat: _Chat, params: JSON, missing: str) -> _Message:
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad("message identifier is not specified")
        msg = self._live(chat.id, int(message_id))
        if msg is None:
            raise _bad(missing)
        return msg

    def _text_param(self, params: JSON) -> tuple[str, list[JSON]]:
        """Text and entities after parsing, with Telegram's emptiness and length checks."""
        source = params.get("text")
        if not isinstance(source, str) or not source.strip():
            raise _bad("message text is empty")
        parse_mode = str(params.get("parse_mode") or "").lower()
        if parse_mode == "html":
            text, entities = parse_html(source, self._users)
        elif parse_mode:
            raise _bad(f"unsupported parse_mode {params['parse_mode']!r} in this fake")
        else:
            text, entities = source, list(params.get("entities") or [])
        if not text.strip():
            raise _bad("message text is empty")
        if _utf16_len(text) > MAX_TEXT_LENGTH:
            raise _bad("message is too long")
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
                    raise _bad("BUTTON_TEXT_INVALID")
                if "callback_data" in button:
                    size = len(str(button["callback_data"]).encode("utf-8"))
                    if not 1 <= size <= MAX_CALLBACK_DATA_BYTES:
                        raise _bad("BUTTON_DATA_INVALID")
                elif "url" in button:
                    if not re.match(r"(https?|tg)://\S+$", str(button["url"])):
                        raise _bad("BUTTON_URL_INVALID")
                elif not set(button) - {"text"}:
                    raise _bad(
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
            reply_chat = _norm_chat_id(reply.get("chat_id", chat.id))
            if reply_chat != chat.id:
                target = None
            allow = reply.get(
                "allow_sending_without_reply", params.get("allow_sending_without_reply")
            )
            if target is None and not allow:
                raise _bad("message to be replied not found")
        raw_thread = params.get("message_thread_id")
        thread_id = int(raw_thread) if raw_thread is not None else None
        thread, is_topic = self._thread_for(chat, thread_id, target)
        if thread_id is not None and chat.is_forum and not is_topic:
            # A reply-chain root is not a topic: the bug PTB's reply shortcuts guard against.
            raise _bad("message thread not found")
        if thread_id is not None and not chat.is_forum and chat.type == "supergroup":
            if self._live(chat.id, thread_id) is None:
                raise _bad("message thread not found")
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

    def _edit_target(self, params: JSON) -> tuple[_Chat, _Message]:
        if params.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to edit not found")
        if msg.sender_id != self.bot_id:
            raise _bad("message can't be edited")
        return chat, msg

    def _edit_message_text(self, params: JSON) -> JSON:
        _, msg = self._edit_target(params)
        if msg.text is None:
            raise _bad("there is no text in the message to edit")
        text, entities = self._text_param(params)
        markup = self._markup_param(params)
        same = (text, _canonical(entities), _canonical(markup)) == (
            msg.text,
            _canonical(msg.entities),
            _canonical(msg.reply_markup),
        )
        if same:
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.text, msg.entities, msg.reply_markup = text, entities, markup
        msg.edit_date = self._now()
        return self._render(msg)

    def _edit_message_reply_markup(self, params: JSON) -> JSON:
        _, msg = self._edit_target(params)
        markup = self._markup_param(params)
        if _canonical(markup) == _canonical(msg.reply_markup):
            raise _bad(NOT_MODIFIED.removeprefix("Bad Request: "))
        msg.reply_markup = markup
        msg.edit_date = self._now()
        return self._render(msg)

    def _delete_message(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to delete not found")
        mine = msg.sender_id == self.bot_id
        if not mine and chat.type != "private" and chat.bot_status != "administrator":
            raise _bad("message can't be deleted")
        if self._now() - msg.date > DELETE_WINDOW_SECONDS:
            raise _bad("message can't be deleted")
        msg.deleted, msg.pinned = True, False
        return True

    def _set_message_reaction(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        msg = self._message_param(chat, params, "message to react not found")
        reactions = params.get("reaction") or []
        if len(reactions) > 1:
            raise _bad("REACTIONS_TOO_MANY")
        emojis: list[str] = []
        for reaction in reactions:
            emoji = str(reaction.get("emoji")) if reaction.get("type") == "emoji" else ""
            if emoji not in _VALID_REACTIONS:
                raise _bad("REACTION_INVALID")
            emojis.append(emoji)
        msg.reactions = emojis
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
                raise _bad("message to unpin not found")
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
            raise _bad(_QUERY_INVALID.removeprefix("Bad Request: "))
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        query.answered = True
        return True

    @staticmethod
    def _commands_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return _canonical(scope), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not _COMMAND_RE.match(str(command.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
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
            raise _bad("there are no administrators in the private chat")
        return [self._member_json(uid, chat) for uid in chat.admins]  # bots are never listed

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._chat_param(params)
        raw = params.get("user_id")
        user_id = int(raw) if raw is not None else 0
        if user_id != self.bot_id and user_id not in self._users:
            raise _bad("user not found")
        if chat.type == "private":
            user = self._bot_json() if user_id == self.bot_id else self._users[user_id]
            if user_id not in (self.bot_id, chat.id):
                return {"status": "left", "user": copy.deepcopy(user)}
            return {"status": "member", "user": copy.deepcopy(user)}
        return self._member_json(user_id, chat)

    def _leave_chat(self, params: JSON) -> bool:
        chat = self._chat_param(params)
        if chat.type == "private":
            raise _bad("chat member status can't be changed in private chats")
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


def _full_name(user: JSON) -> str:
    return " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)


def _wrap(text: str, width: int) -> str:
    """Wrap each paragraph of ``text`` at ``width`` with a two-space hanging indent."""
    lines: list[str] = []
    for index, paragraph in enumerate(text.split("\n")):
        indent = "" if index == 0 else "  "
        if not paragraph.strip():
            lines.append("")
        elif width <= 0:
            lines.append(indent + paragraph)
        else:
            lines.extend(
                textwrap.wrap(
                    paragraph,
                    width,
                    initial_indent=indent,
                    subsequent_indent="  ",
                    break_on_hyphens=False,
                )
            )
    return "\n".join(lines)
