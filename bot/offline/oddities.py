"""Odd updates: what a broken proxy, a forger or Telegram's own corners may hand the bot.

Each is built from a real shape, as :mod:`bot.offline.users` writes it (a person's text,
command, edit, ``/start`` or button press, a membership change), then mutated: fields missing or
of another JSON type (``update_id``, ``date``, ``from.id`` as a string, an object, a boolean or a
65-bit number, ``chat``…), unknown kinds, 5,000-character and zero-width texts, channel posts,
other bots, edits of unknown messages, forged ``callback_data`` of every length from 0 to 80
bytes (well-formed data naming other sessions, wrong arities, values of no kind, non-ASCII),
strangers' commands and ``/start`` payloads of every shape.

None is valid input for the session it is aimed at (:class:`Scene`). A mutation Telegram's types
forbid is applied to an update that *would* change the session if it were read (the
facilitator's ``/next``, a participant's answer); what is well-formed comes from someone the
session does not know, names another session, or asks what the engine refuses. So a bot fed
any number of them must keep its session as it was, and carry on: ``tests/e2e/test_oddities.py``
feeds a few hundred in the middle of a session, ``bench/oddities.py`` ten thousand.

Building them acts in the offline world as people would (a stranger's message is stored there,
other groups are added); nothing is done to the scene's group that Telegram would act on (the
bot is never removed from it, the group never migrated).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from bot.callbacks import PERSONAL, Action
from bot.commands import NAMES
from bot.offline.api import FakeBotApi
from bot.offline.users import ANONYMOUS_ADMIN, CHANNEL_BOT
from bot.offline.wire import JSON

MISSING: Final = object()  # a field removed rather than set
INVISIBLE: Final = "\u200b\u200c\u200d\u2060\ufeff\u2800\u3164\u00ad\u180e"
# Values of the wrong JSON type, or out of Telegram's range, for a field that holds an id.
NOT_IDS: Final[tuple[Callable[[int], object], ...]] = (
    lambda n: MISSING,
    str,
    float,
    lambda n: True,
    lambda n: False,
    lambda n: None,
    lambda n: {"id": n},
    lambda n: [n],
    lambda n: 2**64 + n,
    lambda n: -(2**63) - n,
    lambda n: 2**53 + 1,
    lambda n: float("nan"),
    lambda n: "",
    lambda n: f"{n}\u200b",
)
# Arguments of the right form for each action, naming nothing this session has.
_ARGS: Final[dict[Action, tuple[str, ...]]] = {
    Action.CONSENT: ("1",),
    Action.ROLE: ("police",),
    Action.CHOICE: ("dimensions", "physical"),
    Action.SHARE: ("anonymous",),
    Action.OWNER: ("c1", "both"),
    Action.DUE: ("c1", "1m"),
    Action.ENDORSE: ("c1",),
    Action.AGREE: ("a1", "agree"),
    Action.QUOTE: ("1",),
    Action.NUDGE: ("story",),
    Action.END: ("1",),
    Action.PROGRESS: ("c1", "done"),
    Action.FORGET: ("1",),
    Action.LANGUAGE: ("zz",),  # no language: the choices are shown, nothing is kept
    Action.SESSION_LANGUAGE: ("rn",),  # refused: only a facilitator sets it
    Action.PLAY: ("a1",),  # refused: only a facilitator hears a voice answer
    Action.KEEP: ("1",),  # refused: no group message of theirs waits to be kept
    # Refused: only a facilitator acts for someone added without a phone.
    Action.PROXY_CARD: ("1",),
    Action.CHOICE_FOR: ("1", "dimensions", "physical"),
    Action.AGREE_FOR: ("1", "a1", "agree"),
    Action.ENDORSE_FOR: ("1", "c1"),
    Action.REMOVE: ("1", "1"),
}
# Well-formed data for the scene's session that the engine refuses from a participant
# (``{sid}`` is the session): not a facilitator, no such commitment, a stage not open.
_REFUSED_PRESSES: Final = (
    "x|{sid}|1",
    "x|{sid}|0",
    "n|{sid}|introductions",
    "o|{sid}|c999|both",
    "d|{sid}|c999|3m",
    "e|{sid}|c999",
    "c|{sid}|dimensions|physical",
    "c|{sid}|dimensions|nonsense",
    "C|{sid}|1|dimensions|physical",
    "A|{sid}|1|a1|agree",
    "E|{sid}|1|c1",
    "w|{sid}|1",
    "z|{sid}|1|1",
    "z|{sid}|1|0",
)
_BAD_VALUES: Final = (
    "k|{sid}|yes",
    "k|{sid}|2",
    "r|{sid}|mayor",
    "r|{sid}|POLICE",
    "v|{sid}|everyone",
    "o|{sid}|c1|mayor",
    "d|{sid}|c1|5y",
    "q|{sid}|",
    "x|{sid}|ok",
    "f|{sid}|1",
    "k|-|1",
    "z|{sid}|1",
    "K|{sid}|1",
    "k|{SID}|1",
    "ｋ|{sid}|1",
    "k|{sid}|１",
    "k|{sid}|1\u200b",
    "k|{sid}|1 ",
    " k|{sid}|1",
    "k||{sid}|1",
    "k|{sid}||1",
    "k|{sid}|1|",
    "|||",
    "k|séssïon|1",
    "k|{sid}|🙂",
)
_PAYLOADS: Final = (
    "",
    "j_",
    "a_",
    "h_",
    "j_{sid}",
    "a_{sid}",
    "h_{sid}",
    "j_{other}",
    "a_{other}",
    "x_{sid}",
    "J_{SID}",
    "j-{sid}",
    "j__{sid}",
    "j_{sid}_",
    "j_{sid} j_{sid}",
    "j_ {sid}",
    "j_\u200b{sid}",
    "j_{sid}\ufeff",
    "j_ßid",
    "j_🙂🙂🙂🙂",
    "{sid}",
    "j_{long}",
    "{long}{long}",
    "%6A_{sid}",
    "j_{sid}%00",
    "../../etc/passwd",
    "<b>j_{sid}</b>",
)


@dataclass(frozen=True)
class Scene:
    """The session the odd updates are aimed at, and the people around it.

    ``prompt`` is the open prompt's message in the group (ideally of a text stage, so that a
    participant's well-formed reply to it would be an answer); ``answers`` pairs each answer's
    author with the message that carried it; ``stranger`` is known to the offline world and in
    no session.
    """

    group_id: int
    session_id: str
    facilitator: int
    members: tuple[int, ...]
    stranger: int
    prompt: int
    answers: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class Odd:
    """One odd update (any JSON value, usually an object) and the family it comes from."""

    family: str
    update: Any


class Oddities:
    """An endless, seeded stream of odd updates for one :class:`Scene`."""

    def __init__(self, api: FakeBotApi, scene: Scene, *, seed: int = 0) -> None:
        self.api, self.scene = api, scene
        self.rng = random.Random(seed)  # noqa: S311 — reproducible, not secret
        self.issued: list[int] = []  # the well-formed update ids handed out
        self.first_id = api.next_update_id  # every id below was the scene's, seen by the bot
        self.strangers = [scene.stranger, *range(990_001, 990_006)]
        for user_id in self.strangers[1:]:
            api.add_user(user_id, self.rng.choice(["Zed", "Ιώ", "李", "\u200b", "a" * 64]))
        self.others = [-1009_000_000_001 - n for n in range(3)]
        for chat_id in self.others:
            api.add_group(chat_id, f"Elsewhere {chat_id}", admins=(scene.stranger,))
        self._families: dict[str, Callable[[], Any]] = {
            "update_id": self._update_id,
            "seen_id": self._seen_id,
            "date": self._date,
            "from": self._from,
            "chat": self._chat,
            "fields": self._fields,
            "kind": self._kind,
            "text": self._text,
            "channel": self._channel,
            "bot": self._bot,
            "edit": self._edit,
            "press": self._press,
            "command": self._command,
            "start": self._start,
            "membership": self._membership,
        }

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(self._families)

    def take(self, count: int) -> list[Odd]:
        """The next ``count`` odd updates: every family in turn, in a seeded order."""
        names = list(self._families)
        odds: list[Odd] = []
        while len(odds) < count:
            self.rng.shuffle(names)
            odds += [self.make(name) for name in names[: count - len(odds)]]
        return odds

    def make(self, family: str) -> Odd:
        update = self._families[family]()
        if isinstance(update, dict):
            update_id = update.get("update_id")
            if type(update_id) is int and 0 <= update_id <= 2**53:
                self.issued.append(update_id)
        return Odd(family, update)

    # --- the real shapes an odd update starts from -----------------------------------------------

    def _harmful(self) -> JSON:
        """An update that would change the session if it were read as it is."""
        scene, rng = self.scene, self.rng
        if rng.random() < 0.6:
            command = rng.choice(["/next", "/back", "/pause", "/next@ikiganiro_bot"])
            return self.api.command(scene.facilitator, scene.group_id, command)
        member = rng.choice(scene.members)
        text = "Neighbours walked me home after dark; that is when I felt safe."
        return self.api.text(member, scene.group_id, text, reply_to=scene.prompt)

    def _mutate(self, update: JSON, path: str, value: object) -> JSON:
        """``update`` with the dotted ``path`` (from its kind) set to ``value`` or removed."""
        kind = next(key for key in update if key != "update_id")
        node: Any = update[kind]
        *parents, last = path.split(".")
        for key in parents:
            node = node[key]
        if value is MISSING:
            node.pop(last, None)
        else:
            node[last] = value
        return update

    def _user_json(self, user_id: int) -> JSON:
        user = self.api._users.get(user_id)
        return copy.deepcopy(user) if user else {"id": user_id, "is_bot": False, "first_name": "?"}

    def _next_id(self) -> int:
        update_id = self.api.next_update_id
        self.api.next_update_id += 1
        return update_id

    # --- fields of the wrong type ----------------------------------------------------------------

    def _update_id(self) -> Any:
        update = self._harmful()
        if self.rng.random() < 0.1:
            return self.rng.choice([[], "update", 42, None, [update], True])
        value = self.rng.choice(NOT_IDS)(update["update_id"])
        if value is MISSING:
            del update["update_id"]
        elif not (type(value) is int and 0 <= value <= 2**53):
            update["update_id"] = value
        else:
            update["update_id"] = -1
        return update

    def _seen_id(self) -> JSON:
        """A harmful update under an id the bot has already seen: the inbox must refuse it."""
        update = self._harmful()
        update["update_id"] = self.rng.randrange(1, self.first_id)  # the scene's own updates
        return update

    def _date(self) -> JSON:
        update = self._harmful()
        values = [MISSING, "2025-06-14", 1.7e9, True, None, 2**60, -(2**60), {"s": 1}, [1]]
        return self._mutate(update, "date", self.rng.choice(values))

    def _from(self) -> JSON:
        update, rng = self._harmful(), self.rng
        author = update[next(k for k in update if k != "update_id")]["from"]["id"]
        choice = rng.randrange(4)
        if choice == 0:
            return self._mutate(update, "from.id", rng.choice(NOT_IDS)(author))
        if choice == 1:
            whole = [MISSING, "Amani", [], None, {"id": author}, {"id": author, "is_bot": False}]
            return self._mutate(update, "from", rng.choice(whole))
        if choice == 2:
            return self._mutate(update, "from.is_bot", rng.choice(["false", 0, None, MISSING]))
        field = rng.choice(["first_name", "language_code", "username"])
        return self._mutate(update, f"from.{field}", rng.choice([7, None, ["x"], {"x": 1}]))

    def _chat(self) -> JSON:
        update, rng = self._harmful(), self.rng
        group = self.scene.group_id
        choice = rng.randrange(3)
        if choice == 0:
            return self._mutate(update, "chat.id", rng.choice(NOT_IDS)(group))
        if choice == 1:
            whole = [MISSING, None, "group", [], {"id": group}, {"type": "supergroup"}]
            return self._mutate(update, "chat", rng.choice(whole))
        return self._mutate(update, "chat.type", rng.choice([MISSING, 5, None, ["group"]]))

    def _fields(self) -> JSON:
        update, rng = self._harmful(), self.rng
        options: list[tuple[str, list[Any]]] = [
            ("message_id", [MISSING, "12", 1.5, None, True, 2**64]),
            ("text", [5, ["/next"], None, {"t": 1}, True]),
            ("entities", ["bot_command", [5], [{"type": "bot_command"}]]),
            ("entities", [[{"type": "bot_command", "offset": "0", "length": 5}]]),
            ("entities", [[{"type": "bot_command", "offset": 0, "length": 2**70}]]),
            ("message_thread_id", ["1", 1.0, {"id": 1}]),
            ("edit_date", ["now", 1.5]),
            ("reply_to_message", ["x", 5, {"message_id": 1}, []]),
        ]
        path, values = rng.choice(options)
        if path == "reply_to_message" and "reply_to_message" in update.get("message", {}):
            reply_path = rng.choice(["reply_to_message.from.id", "reply_to_message.chat"])
            return self._mutate(update, reply_path, rng.choice([str(self.api.bot_id), MISSING]))
        return self._mutate(update, path, rng.choice(values))

    # --- kinds, texts and senders Telegram has, or has not ---------------------------------------

    def _kind(self) -> Any:
        rng, scene = self.rng, self.scene
        someone = self._user_json(rng.choice(self.strangers))
        group = {"id": scene.group_id, "type": "supergroup", "title": "x"}
        payloads: list[tuple[str, Any]] = [
            (rng.choice(["frobnicate", "message2", "Message", "update", "ok"]), {"a": [1, "b"]}),
            ("message", rng.choice(["hello", [], 5, None, True])),
            ("callback_query", rng.choice(["data", [], None])),
            (
                "message_reaction",
                {
                    "chat": group,
                    "message_id": scene.prompt,
                    "user": someone,
                    "date": 1,
                    "old_reaction": [],
                    "new_reaction": [{"type": "emoji", "emoji": "👍"}],
                },
            ),
            ("poll_answer", {"poll_id": "1", "user": someone, "option_ids": [0]}),
            ("inline_query", {"id": "1", "from": someone, "query": "j_", "offset": ""}),
            (
                "chat_join_request",
                {"chat": group, "from": someone, "user_chat_id": someone["id"], "date": 1},
            ),
            (
                "chat_member",
                {
                    "chat": group,
                    "from": someone,
                    "date": 1,
                    "old_chat_member": {"status": "member", "user": someone},
                    "new_chat_member": {"status": "left", "user": someone},
                },
            ),
            ("shipping_query", {"id": "1", "from": someone, "invoice_payload": "x"}),
            ("removed_chat_boost", {"chat": group, "boost_id": "1", "remove_date": 1}),
        ]
        if rng.random() < 0.15:
            both = self._harmful()
            both["callback_query"] = {"id": "1", "from": someone, "chat_instance": "1"}
            return both
        if rng.random() < 0.1:
            return {"update_id": self._next_id()}  # no kind at all
        kind, payload = rng.choice(payloads)
        return {"update_id": self._next_id(), kind: payload}

    def _words(self, *, visible: bool) -> str:
        """A 5,000-character text (as Telegram never sends), or one that shows nothing."""
        rng = self.rng
        if not visible:
            return "".join(rng.choice(INVISIBLE + " \n\t") for _ in range(rng.randint(1, 60)))
        alphabet = rng.choice(
            [
                "abc de",
                "🙂😟👨‍👩‍👧 ",
                "ijambo ry'umutekano ",
                "\u0627\u0644\u0633\u0644\u0627\u0645 ",
                "e\u0301\u0302\u0303 ",
                "<b>&amp;</b> /next ",
                "\ud800x ",
            ]
        )
        return "".join(rng.choice(alphabet) for _ in range(5000))

    def _text(self) -> JSON:
        """A stranger says anything anywhere; a participant only what cannot be an answer."""
        rng, scene = self.rng, self.scene
        if rng.random() < 0.5:
            member = rng.choice(scene.members)
            text = self._words(visible=rng.random() < 0.5)
            reply_to = scene.prompt if rng.random() < 0.7 else None
            return self.api.text(member, scene.group_id, text, reply_to=reply_to)
        stranger = rng.choice(self.strangers)
        text = self._words(visible=rng.random() < 0.6)
        where = rng.randrange(3)
        if where == 0:
            return self.api.text(stranger, stranger, text)
        if where == 1:
            return self.api.text(stranger, rng.choice(self.others), text)
        return self.api.text(stranger, scene.group_id, text, reply_to=scene.prompt)

    def _channel(self) -> JSON:
        """A channel's post, a linked channel's post in the group, an anonymous admin."""
        rng, scene = self.rng, self.scene
        text = rng.choice(["/next", "/end", "hello", self._words(visible=True)])
        channel = {"id": -1009_999_999_999, "type": "channel", "title": "News"}
        post: JSON = {"message_id": rng.randint(1, 9999), "date": 1, "chat": channel, "text": text}
        kind = rng.choice(["channel_post", "edited_channel_post", "message"])
        if kind != "message":
            post["sender_chat"] = channel
            return {"update_id": self._next_id(), kind: post}
        update = self.api.command(scene.facilitator, scene.group_id, "/next")
        sender, chat = rng.choice(
            [(CHANNEL_BOT, channel), (ANONYMOUS_ADMIN, update["message"]["chat"])]
        )
        update["message"]["from"] = {"id": sender, "is_bot": True, "first_name": "Telegram"}
        update["message"]["sender_chat"] = chat
        return update

    def _bot(self) -> JSON:
        """Another bot writes, replies or presses a button of this session (consent too)."""
        rng, scene = self.rng, self.scene
        me = {"id": rng.randint(5_000_000, 5_000_099), "is_bot": True, "first_name": "Helper"}
        choice = rng.randrange(3)
        if choice == 2:
            data = f"{rng.choice(list(Action)).value}|{scene.session_id}|1"
            return self._query(me, self._fill(rng.choice(["k|{sid}|1", "q|{sid}|1", data])))
        if choice == 0:
            update = self.api.command(
                scene.facilitator, scene.group_id, rng.choice(["/next", "/newsession", "/end"])
            )
        else:
            update = self.api.text(
                scene.facilitator, scene.group_id, "I answer too", reply_to=scene.prompt
            )
        update["message"]["from"] = me
        return update

    # --- edits, presses, commands, links, memberships --------------------------------------------

    def _edit(self) -> JSON:
        """An edit of a message nobody answered with, or of an answer into nothing valid."""
        rng, scene, api = self.rng, self.scene, self.api
        if scene.answers and rng.random() < 0.5:
            author, message_id = rng.choice(scene.answers)
            text = self._words(visible=rng.random() < 0.5)
            if rng.random() < 0.5:
                return api.edit(author, scene.group_id, message_id, text)
            editor = rng.choice([*self.strangers, *scene.members])
            update = api.edit(author, scene.group_id, message_id, text)
            update["edited_message"]["from"] = self._user_json(editor)
            if editor == author:
                update["edited_message"]["text"] = self._words(visible=False)
            return update
        update = self._harmful() if rng.random() < 0.5 else self._text()
        message = update.pop("message")
        message["edit_date"] = message["date"] + 1
        if rng.random() < 0.5:
            message["message_id"] = rng.randint(100_000, 2**31)
            if message.get("reply_to_message") and rng.random() < 0.5:
                message["text"] = "A well-formed answer, edited into a message never seen."
        update["edited_message"] = message
        return update

    def _fill(self, template: str) -> str:
        sid = self.scene.session_id
        other = "".join(self.rng.choice("0123456789abcdef") for _ in range(8))
        other = other if other != sid else "ffffffff"
        return template.format(sid=sid, SID=sid.upper(), other=other, long="x" * 62)

    def _forged(self, presser: int) -> str:
        """Callback data nobody could press here: any length 0..80 bytes, another session's,
        a wrong arity, a value of no kind; well-formed for this session only from a stranger
        (and never a consent), or what the engine refuses a participant."""
        rng, scene = self.rng, self.scene
        choice = rng.randrange(5)
        if choice == 0:
            return _sized(rng, rng.randint(0, 80))
        action = rng.choice(list(Action))
        if choice == 1:  # "f|-|1" names no session and would erase whoever pressed it
            return "|".join([action.value, self._fill("{other}"), *_ARGS[action]])
        if choice == 2:
            args = list(_ARGS[action])
            args = (
                args[: rng.randrange(len(args))]
                if rng.random() < 0.5
                else [*args, "1", "x"][: len(args) + rng.randint(1, 2)]
            )
            return "|".join([action.value, scene.session_id, *args])
        if choice == 3:
            return self._fill(rng.choice(_BAD_VALUES))
        if presser in self.strangers and action is not Action.CONSENT:
            session = "-" if action in PERSONAL else scene.session_id
            return "|".join([action.value, session, *_ARGS[action]])
        return self._fill(rng.choice(_REFUSED_PRESSES))

    def _query(self, user: JSON, data: str | None) -> JSON:
        """A press of a button saying ``data`` (as if it were there) on a message in view."""
        rng, scene, api = self.rng, self.scene, self.api
        query: JSON = {"id": str(rng.randint(1, 2**62)), "from": user, "chat_instance": "42"}
        where = rng.randrange(4)
        if where < 2:
            stored = api.stored(scene.group_id, scene.prompt)
            assert stored is not None
            query["message"] = api._render(stored)
        elif where == 2:
            query["message"] = {
                "message_id": scene.prompt,
                "date": 0,
                "chat": {"id": scene.group_id, "type": "supergroup", "title": "x"},
            }
        else:
            query["inline_message_id"] = "AgAAA" + str(rng.randint(1, 9999))
        if data is not None:
            query["data"] = (
                self._fill(data) if "{" in data and data.startswith(("k|", "q|")) else data
            )
        elif rng.random() < 0.5:
            query["game_short_name"] = "game"
        return {"update_id": self._next_id(), "callback_query": query}

    def _press(self) -> JSON:
        rng, scene = self.rng, self.scene
        presser = rng.choice([*self.strangers, *scene.members, scene.facilitator, 424242])
        data = self._forged(presser) if rng.random() < 0.97 else None
        if presser == scene.facilitator and data is not None and data.startswith("x|"):
            data = data.replace("x|", "x||", 1)  # the facilitator's own end stays theirs to press
        return self._query(self._user_json(presser), data)

    def _command(self) -> JSON:
        """Strangers' commands, in the group and privately; participants' lead commands."""
        rng, scene, api = self.rng, self.scene, self.api
        names = [*NAMES, "NEXT", "frobnicate", "next@otherbot", "next@ikiganiro_bot", "start"]
        name = rng.choice(names)
        args = rng.choice(
            ["", " quick-demo", " community-safety zz", " ../x", " 🙂", " " + "a" * 300]
        )
        stranger = rng.choice(self.strangers)
        where = rng.randrange(4)
        if where == 0:
            return api.command(stranger, stranger, f"/{name}{args}")
        if where == 1:
            theirs = [
                m.message_id
                for m in api.in_order(scene.group_id)
                if m.sender_id == scene.facilitator
            ]
            reply_to = rng.choice(theirs) if theirs and rng.random() < 0.5 else None
            return api.command(stranger, scene.group_id, f"/{name}{args}", reply_to=reply_to)
        member = rng.choice(scene.members)
        if where == 2:
            lead = rng.choice(
                ["next", "back", "pause", "end", "status", "summary", "nudge", "cofacilitate"]
            )
            return api.command(member, scene.group_id, f"/{lead}{args}")
        return api.command(
            member, member, f"/{rng.choice(['help', 'mydata', 'forget', 'newsession'])}"
        )

    def _start(self) -> JSON:
        """``/start`` with a payload of every shape, from strangers and participants."""
        rng = self.rng
        payload = self._fill(rng.choice(_PAYLOADS))
        person = rng.choice([*self.strangers, *self.scene.members])
        return self.api.text(person, person, f"/start {payload}".rstrip())

    def _membership(self) -> JSON:
        """The bot added to or removed from other groups; odd changes in this one."""
        rng, scene, api = self.rng, self.scene, self.api
        choice = rng.randrange(4)
        if choice == 0:
            chat_id = rng.choice(self.others)
            chat = api.chat(chat_id)
            if chat is not None and chat.bot_status in ("left", "kicked"):
                return api.bot_added(chat_id, scene.stranger, admin=rng.random() < 0.5)
            return api.bot_removed(chat_id, scene.stranger)
        if choice == 1:
            group = api.chat(scene.group_id)
            assert group is not None
            me = api._member_json(api.bot_id, group)
            member = {**me, "status": rng.choice(["member", "weird", "restricted", 5])}
            return api._my_chat_member(group, scene.stranger, member)  # it was "weird"
        if choice == 2:
            if rng.random() < 0.5:
                return api.new_chat_members(scene.group_id, scene.stranger, [scene.stranger])
            a_bot = {"id": 5_000_001, "is_bot": True, "first_name": "B"}
            joined = [self._user_json(rng.choice(self.strangers)), a_bot]
            return self._service({"new_chat_members": joined})
        return self._service(
            rng.choice(
                [
                    {"left_chat_member": self._user_json(rng.choice(scene.members))},
                    {"migrate_to_chat_id": "-100"},
                    {"migrate_from_chat_id": -5},
                    {"new_chat_title": "Renamed"},
                    {"group_chat_created": True},
                ]
            )
        )

    def _service(self, fields: JSON) -> JSON:
        """A service message in the scene's group carrying ``fields``."""
        update = self.api.command(self.scene.stranger, self.scene.group_id, "/help")
        message = update["message"]
        for key in ("text", "entities"):
            message.pop(key, None)
        message.update(fields)
        return update


def _sized(rng: random.Random, size: int) -> str:
    """Random callback data of exactly ``size`` UTF-8 bytes: ASCII, separators, or wider."""
    alphabet = rng.choice(
        ["abcdefghijklmnopqrstuvwxyz0123456789", "|k-_0", "é中🙂|", " \t\u200b|"]
    )
    data = ""
    while len(data.encode()) < size:
        char = rng.choice(alphabet)
        data += char if len((data + char).encode()) <= size else "a"
    return data
