"""The world the offline Bot API serves: its people, chats, messages and pending updates.

:class:`World` holds the state and the rules of where a message lands (per-chat message ids
shared by users and the bot, reply threads, forum topics), and renders stored messages as the
Message JSON Telegram would send. The set-up methods a test or the demo calls to shape it
(``add_user``, ``add_group``, ``migrate``…) live here; what people do in it is in
:mod:`bot.offline.users`, the Bot API's answers in :mod:`bot.offline.api`.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bot.offline.wire import JSON, json_copy


@dataclass
class Chat:
    """A chat as the server keeps it: private (its id is the user's), group or supergroup."""

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


@dataclass(slots=True)
class Message:
    """A message as stored now; ``deleted`` ones stay, so their ids are never reused.

    Its JSON parts (``entities``, ``reply_markup``, ``service``) are never changed in place,
    only replaced: equal ones are one object, shared by every message that has them
    (:meth:`World._kept`), and :meth:`World._render` hands out copies.
    """

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
    reactions: tuple[str, ...] = ()
    document: JSON | None = None  # file_id, file_unique_id, file_name, mime_type, file_size
    caption: str | None = None
    voice: JSON | None = None  # a voice note: file_id, file_unique_id, duration
    video_note: JSON | None = None  # a round video message: file_id, file_unique_id, length


@dataclass(slots=True)
class Query:
    """A callback query the bot has still to answer (once)."""

    chat_id: int
    message_id: int
    user_id: int
    answered: bool = False


class World:
    """The server's state; :class:`~bot.offline.api.FakeBotApi` is a world that answers calls."""

    __slots__ = (
        "_allowed_updates",
        "_blocked",
        "_chats",
        "_files",
        "_interned",
        "_messages",
        "_queries",
        "_query_seq",
        "_queue",
        "_started",
        "_users",
        "_waiters",
        "bot_id",
        "bot_name",
        "bot_username",
        "can_read_all_group_messages",
        "clock",
        "next_update_id",
    )

    def __init__(
        self,
        bot_username: str,
        can_read_all_group_messages: bool,
        *,
        bot_id: int,
        bot_name: str,
        clock: Callable[[], float] = time.time,
        first_update_id: int = 1,
    ) -> None:
        self.bot_username = bot_username
        self.can_read_all_group_messages = can_read_all_group_messages
        self.bot_id = bot_id
        self.bot_name = bot_name
        self.clock = clock
        self.next_update_id = first_update_id
        self._users: dict[int, JSON] = {}
        self._chats: dict[int, Chat] = {}
        self._messages: dict[int, dict[int, Message]] = {}
        self._files: dict[str, bytes] = {}  # file_id -> the bytes a document carried
        self._started: set[int] = set()
        self._blocked: set[int] = set()
        self._queue: list[JSON] = []
        self._waiters: list[asyncio.Event] = []
        self._allowed_updates: frozenset[str] | None = None
        self._queries: dict[str, Query] = {}
        self._query_seq = 0
        self._interned: dict[str, Any] = {}  # a JSON value's repr -> the one object kept for it

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
        members: Iterable[int] = (),
    ) -> JSON:
        """Register a group the bot is in (unless ``bot_present=False``); returns its Chat JSON.

        The first of ``admins`` is the creator; ``members`` are in it too (as is anyone who
        writes in it). Forum topics need a supergroup, as on Telegram.
        """
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        admin_ids = list(admins)
        chat = Chat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            is_forum=forum,
            admins=admin_ids,
            members={*admin_ids, *members},
            bot_status=("administrator" if bot_admin else "member") if bot_present else "left",
        )
        self._chats[chat_id] = chat
        self._messages.setdefault(chat_id, {})
        return chat.json()

    def add_members(self, chat_id: int, user_ids: Iterable[int]) -> None:
        """Set-up: these people are in the group already (no update, as if long ago)."""
        self._group(chat_id).members.update(user_ids)

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
        new = Chat(
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

    # ---------------------------------------------------------------- what is there now

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

    def pending_updates(self) -> list[JSON]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        return copy.deepcopy(self._queue)

    def chat(self, chat_id: int) -> Chat | None:
        """The chat as stored, if the server knows it."""
        return self._chats.get(chat_id)

    def documents(self, chat_id: int) -> list[tuple[str, bytes]]:
        """Every document in the chat still there, oldest first: (file name, its bytes)."""
        return [
            (str(msg.document["file_name"]), self._files[msg.document["file_id"]])
            for msg in self.in_order(chat_id)
            if msg.document is not None and not msg.deleted
        ]

    def stored(self, chat_id: int, message_id: int) -> Message | None:
        """The stored message record (deleted ones too), if it ever existed."""
        return self._messages.get(chat_id, {}).get(message_id)

    def in_order(self, chat_id: int) -> list[Message]:
        """Every stored message of the chat (deleted ones too), oldest first."""
        chat = self._messages.get(chat_id, {})
        return [chat[message_id] for message_id in sorted(chat)]

    def display_name(self, sender_id: int | None) -> str:
        """The name a person reads above a message: the bot's first name, a user's full name."""
        if sender_id is None:
            return "Telegram"
        if sender_id == self.bot_id:
            return self.bot_name
        user = self._users.get(sender_id)
        return full_name(user) if user else str(sender_id)

    # ---------------------------------------------------------------- internals: world

    def _now(self) -> int:
        return int(self.clock())

    def _user(self, user_id: int) -> JSON:
        try:
            return self._users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}: call add_user first") from None

    def _group(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None or chat.type == "private":
            raise ValueError(f"unknown group {chat_id}: call add_group first")
        return chat

    def _private(self, user_id: int) -> Chat:
        chat = self._chats.get(user_id)
        if chat is None:
            user = self._user(user_id)
            chat = Chat(
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
        chat: Chat,
        sender_id: int | None,
        *,
        text: str | None = None,
        entities: list[JSON] | None = None,
        reply_markup: JSON | None = None,
        reply_to: int | None = None,
        thread_id: int | None = None,
        is_topic: bool = False,
        service: JSON | None = None,
    ) -> Message:
        """Record a new message under the chat's next id (users and the bot share the counter)."""
        chat.last_message_id += 1
        msg = Message(
            chat_id=chat.id,
            message_id=chat.last_message_id,
            sender_id=sender_id,
            date=self._now(),
            text=text,
            entities=self._kept(entities or []),
            reply_markup=self._kept(reply_markup),
            reply_to=reply_to,
            thread_id=thread_id,
            is_topic=is_topic,
            service=self._kept(service or {}),
        )
        self._messages[chat.id][msg.message_id] = msg
        return msg

    def _live(self, chat_id: int, message_id: int | None) -> Message | None:
        msg = self._messages.get(chat_id, {}).get(message_id or 0)
        return None if msg is None or msg.deleted else msg

    def _thread_for(
        self, chat: Chat, thread_id: int | None, target: Message | None
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

    def _render(self, msg: Message, *, nested: bool = True) -> JSON:
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
        if msg.document is not None:
            data["document"] = msg.document
        for kind, media in (("voice", msg.voice), ("video_note", msg.video_note)):
            if media is not None:
                data[kind] = media
        if msg.caption is not None and (msg.document or msg.voice):
            data["caption"] = msg.caption
        data.update(msg.service)
        if msg.reply_markup is not None:
            data["reply_markup"] = msg.reply_markup
        copied: JSON = json_copy(data)
        return copied

    def _kept(self, value: Any) -> Any:
        """The one stored object equal to this JSON value (``None`` as it is).

        A thousand groups' people see the same keyboards and the same bold words: kept once,
        the in-memory Telegram holds a fraction of what one copy per message would, and the
        bot's memory is what a bench's RSS shows. Nothing stored is changed in place.
        """
        if value is None:
            return None
        # repr spells equal JSON alike (as long as keys come in the same order): a third of
        # canonical()'s cost, for every message the bot sends
        return self._interned.setdefault(repr(value), value)

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

    def _member_json(self, user_id: int, chat: Chat) -> JSON:
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

    def _my_chat_member(self, chat: Chat, by_user: int, old: JSON) -> JSON:
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


def full_name(user: JSON) -> str:
    """First and last name, as Telegram clients show a user."""
    return " ".join(part for part in (user.get("first_name"), user.get("last_name")) if part)
