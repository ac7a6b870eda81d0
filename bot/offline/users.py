"""What people do in the offline Telegram: write, reply, edit, press buttons, add the bot.

Each method returns the Update JSON Telegram would send the bot and records the person's
message, so the bot's later replies resolve; :meth:`UserSide.deliver` queues updates for
``getUpdates`` as privacy mode lets them through. :meth:`UserSide.press_label` presses a button
the way a person does: by what it says, on the newest message that shows it.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Sequence
from typing import Final

from bot.offline.html import command_entities
from bot.offline.wire import JSON
from bot.offline.world import Message, Query, World

# Telegram's stand-ins in ``from`` when a message is sent on behalf of a chat (``sender_chat``).
ANONYMOUS_ADMIN: Final = 1087968824  # GroupAnonymousBot: an administrator posting as the group
CHANNEL_BOT: Final = 136817688  # Channel_Bot: someone posting as a channel


class UserSide(World):
    """The world, as the people in it act."""

    __slots__ = ()

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
            entities=command_entities(text),
            reply_to=reply_to,
            thread_id=thread,
            is_topic=is_topic,
        )
        return self._update("message", self._render(msg))

    def voice(
        self,
        user_id: int,
        chat_id: int,
        file_id: str,
        *,
        reply_to: int | None = None,
        video: bool = False,
    ) -> JSON:
        """A user records a voice note (or, ``video``, a round video message); see :meth:`text`.

        Telegram sends the bot only the file's id: its sound stays on Telegram's servers."""
        update = self.text(user_id, chat_id, "", reply_to=reply_to)
        msg = self._messages[update["message"]["chat"]["id"]][update["message"]["message_id"]]
        msg.text, msg.entities = None, []
        media = {"file_id": file_id, "file_unique_id": f"u{file_id}"}
        if video:
            msg.video_note = {**media, "length": 240, "duration": 7}
        else:
            msg.voice = {**media, "duration": 7, "mime_type": "audio/ogg"}
        update["message"] = self._render(msg)
        return update

    def command(
        self, user_id: int, chat_id: int, command: str, *, reply_to: int | None = None
    ) -> JSON:
        """A command such as ``"/next"`` or ``"/next@ikiganiro_bot"``; see :meth:`text`."""
        if not command.startswith("/"):
            raise ValueError("commands start with '/'")
        return self.text(user_id, chat_id, command, reply_to=reply_to)

    def as_chat(
        self,
        chat_id: int,
        text: str,
        *,
        channel: JSON | None = None,
        reply_to: int | None = None,
    ) -> JSON:
        """A message sent on behalf of a chat: by an anonymous administrator as the group
        itself, or (``channel``, a channel's Chat JSON) by someone posting as that channel.

        As on Telegram, ``from`` is then a shared stand-in bot and ``sender_chat`` the chat:
        nothing says which person wrote it.
        """
        chat = self._group(chat_id)
        stand_in = CHANNEL_BOT if channel is not None else ANONYMOUS_ADMIN
        self._users.setdefault(
            stand_in,
            {
                "id": stand_in,
                "is_bot": True,
                "first_name": "Channel" if channel is not None else "Group",
                "username": "Channel_Bot" if channel is not None else "GroupAnonymousBot",
            },
        )
        if reply_to is not None and self._live(chat.id, reply_to) is None:
            raise ValueError(f"message {reply_to} does not exist in chat {chat_id}")
        msg = self._store(
            chat, stand_in, text=text, entities=command_entities(text), reply_to=reply_to
        )
        message = self._render(msg)
        message["sender_chat"] = copy.deepcopy(channel) if channel is not None else chat.json()
        return self._update("message", message)

    def start(self, user_id: int, payload: str | None = None) -> JSON:
        """The user opens the private chat (``t.me/<bot>?start=<payload>``) and presses Start."""
        self.started(user_id)
        return self.text(user_id, user_id, f"/start {payload}" if payload else "/start")

    def edit(self, user_id: int, chat_id: int, message_id: int, new_text: str) -> JSON:
        """The user edits their own message; returns an ``edited_message`` Update."""
        msg = self._live(chat_id, message_id)
        if msg is None or msg.sender_id != user_id:
            raise ValueError(f"user {user_id} has no message {message_id} in chat {chat_id}")
        msg.text, msg.entities = new_text, command_entities(new_text)
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
        self._queries[query_id] = Query(chat_id, message_id, user_id)
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

    def press_anyway(self, user_id: int, chat_id: int, data: str) -> JSON:
        """A press of a button saying ``data`` that the newest message of the chat need not
        carry: one remembered from an old message, or forged by a modified client. What a
        person cannot do with an honest client, for tests of what the bot accepts."""
        self._user(user_id)
        shown = [m for m in self.in_order(chat_id) if not m.deleted]
        if not shown:
            raise ValueError(f"chat {chat_id} has no message to press a button on")
        self._query_seq += 1
        query_id = str(4_000_000_000_000_000 + self._query_seq)
        self._queries[query_id] = Query(chat_id, shown[-1].message_id, user_id)
        return self._update(
            "callback_query",
            {
                "id": query_id,
                "from": copy.deepcopy(self._users[user_id]),
                "message": self._render(shown[-1]),
                "chat_instance": str(abs(chat_id) * 1_000_003),
                "data": data,
            },
        )

    def press_label(
        self, user_id: int, chat_id: int, label: str, *, message_id: int | None = None
    ) -> JSON:
        """The user presses the inline button that says ``label``, as a person does.

        Looked for on ``message_id`` if given, else on the chat's live messages from the newest
        back. A button whose text is ``label`` exactly wins; only if none is, one whose text
        starts with ``label`` and a space (``"Join"`` presses ``"Join ↗"``). Two matches on one
        message are ambiguous. A callback button gives the callback_query Update of
        :meth:`press`; a ``https://t.me/<this bot>?start=<payload>`` link opens the user's
        private chat with ``/start <payload>``, as :meth:`start`. A label not on screen raises
        ``ValueError`` naming the labels that are.
        """
        self._user(user_id)
        chat = self._chats.get(chat_id)
        if chat is not None and chat.type == "private" and chat_id != user_id:
            raise ValueError(f"user {user_id} cannot see the private chat of user {chat_id}")
        shown = self._showing_buttons(chat_id, message_id)
        found = _find_button(shown, label)
        if found is None:
            raise ValueError(_not_on_screen(chat_id, label, shown))
        msg, button = found
        if "callback_data" in button:
            return self.press(user_id, chat_id, msg.message_id, str(button["callback_data"]))
        url = str(button.get("url", ""))
        link = _START_LINK.fullmatch(url)
        if link is None or link.group(1).lower() != self.bot_username.lower():
            raise ValueError(
                f"the button {button['text']!r} opens {url or 'nothing'}, not this bot"
            )
        return self.start(user_id, link.group(2))

    def _showing_buttons(self, chat_id: int, message_id: int | None) -> list[Message]:
        """The live messages with inline buttons a press may target, newest first."""
        if message_id is not None:
            msg = self._live(chat_id, message_id)
            if msg is None:
                raise ValueError(f"message {message_id} does not exist in chat {chat_id}")
            candidates = [msg]
        else:
            candidates = [m for m in reversed(self.in_order(chat_id)) if not m.deleted]
        return [m for m in candidates if _buttons(m)]

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

    def leave(self, chat_id: int, user_id: int) -> list[JSON]:
        """``user_id`` leaves the group: the ``left_chat_member`` service message, then the
        ``chat_member`` update (which Telegram sends only to a bot that is an administrator
        and asked for it in ``allowed_updates``; :meth:`visible` and ``getUpdates`` say so)."""
        chat = self._group(chat_id)
        user = copy.deepcopy(self._user(user_id))
        old = self._member_json(user_id, chat)
        chat.members.discard(user_id)
        if user_id in chat.admins:
            chat.admins.remove(user_id)
        msg = self._store(chat, user_id, service={"left_chat_member": user})
        service = self._update("message", self._render(msg))
        change = self._update(
            "chat_member",
            {
                "chat": chat.json(),
                "from": user,
                "date": self._now(),
                "old_chat_member": old,
                "new_chat_member": self._member_json(user_id, chat),
            },
        )
        return [service, change]

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
        if "chat_member" in update:  # only administrators hear of other members' changes
            chat = self._chats.get(update["chat_member"]["chat"]["id"])
            return chat is not None and chat.bot_status == "administrator"
        message = update.get("message") or update.get("edited_message")
        if message is None or message["chat"]["type"] == "private":
            return True
        if self.can_read_all_group_messages:
            return True
        chat = self._chats.get(message["chat"]["id"])
        if chat is not None and chat.bot_status == "administrator":
            return True
        text = message.get("text")
        if text is None and not ("voice" in message or "video_note" in message):
            return True  # service messages reach every bot
        if text is not None and text.startswith("/"):
            target = text.split()[0].partition("@")[2]
            return target in ("", self.bot_username)
        reply = message.get("reply_to_message")
        return bool(reply and reply.get("from", {}).get("id") == self.bot_id)


_START_LINK: Final = re.compile(r"https://t\.me/([A-Za-z0-9_]+)\?start=([A-Za-z0-9_-]+)")


def _buttons(msg: Message) -> list[JSON]:
    return [b for row in (msg.reply_markup or {}).get("inline_keyboard", []) for b in row]


def _find_button(shown: list[Message], label: str) -> tuple[Message, JSON] | None:
    """The newest exact match; failing any, the newest match of ``label`` and a space."""
    for exact in (True, False):
        for msg in shown:
            hits = [
                button
                for button in _buttons(msg)
                if (button.get("text") == label)
                or (not exact and str(button.get("text", "")).startswith(label + " "))
            ]
            if len(hits) > 1:
                names = ", ".join(repr(b.get("text")) for b in hits)
                raise ValueError(f"{label!r} could be any of {names} on message {msg.message_id}")
            if hits:
                return msg, hits[0]
    return None


def _not_on_screen(chat_id: int, label: str, shown: list[Message]) -> str:
    if not shown:
        return f"no button {label!r} in chat {chat_id}: no message there shows a button"
    visible = "; ".join(
        f"message {msg.message_id}: " + " ".join(f"[{b.get('text')}]" for b in _buttons(msg))
        for msg in shown
    )
    return f"no button {label!r} in chat {chat_id}; visible, newest first: {visible}"
