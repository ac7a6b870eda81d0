"""An update's shape, checked before anything reads it: Telegram's own types, or set aside.

PTB builds its objects from whatever JSON it is given: a user id that is a string, a float or a
number beyond 64 bits becomes ``User.id`` as it came, and further on pydantic's lax mode and
SQLite's type affinity quietly take ``"100"`` or ``100.0`` for the person whose id is 100, so a
garbled ``/next`` moved a session for its facilitator. So the fields the bot reads are checked
here first, by the Bot API's types: Integer fields are whole numbers within 2**53 (``true`` is
not one), String fields strings, ``is_bot`` a Boolean, and the fields Telegram always sends with
a user, a chat, a message, a button press or a membership change are there. An update has at
most one kind. One that fails is set aside by the intake as ``malformed``; :func:`malformed`
names the field and the type it had, never its value (it may be someone's words).
"""

from __future__ import annotations

from typing import Final

MAX_INTEGER: Final = 2**53  # the Bot API's integers fit in 53 bits (JSON's safe range)
MAX_DEPTH: Final = 24  # Telegram nests a message in a reply in an update: a few levels

# What the object under a key is, by the key's name (a list's items take the list's key).
_SHAPES: Final[dict[str, str]] = {
    **dict.fromkeys(("from", "user", "left_chat_member", "via_bot", "forward_from"), "user"),
    "new_chat_members": "user",
    **dict.fromkeys(("chat", "sender_chat", "forward_from_chat"), "chat"),
    **dict.fromkeys(
        (
            "message",
            "edited_message",
            "channel_post",
            "edited_channel_post",
            "business_message",
            "edited_business_message",
            "reply_to_message",
            "pinned_message",
        ),
        "message",
    ),
    "callback_query": "callback_query",
    **dict.fromkeys(("my_chat_member", "chat_member"), "member_update"),
    **dict.fromkeys(("entities", "caption_entities"), "entity"),
}
# The fields Telegram always sends with each of them.
_REQUIRED: Final[dict[str, tuple[str, ...]]] = {
    "user": ("id", "is_bot", "first_name"),
    "chat": ("id", "type"),
    "message": ("message_id", "date", "chat"),
    "callback_query": ("id", "from", "chat_instance"),
    "member_update": ("chat", "from", "date", "old_chat_member", "new_chat_member"),
    "entity": ("type", "offset", "length"),
}
_INTEGERS: Final = frozenset(
    {"message_id", "date", "edit_date", "message_thread_id", "migrate_to_chat_id"}
    | {"migrate_from_chat_id", "forward_date", "until_date"}
)
_STRINGS: Final = frozenset(
    {"text", "caption", "first_name", "last_name", "username", "language_code", "type"}
    | {"status", "chat_instance"}
)
# Fields whose type depends on what holds them: (shape, field) -> the JSON type wanted.
_OWN: Final[dict[tuple[str, str], type]] = {
    ("user", "id"): int,
    ("chat", "id"): int,
    ("user", "is_bot"): bool,
    ("callback_query", "id"): str,
    ("callback_query", "data"): str,
    ("entity", "offset"): int,
    ("entity", "length"): int,
}


class MalformedUpdate(ValueError):
    """An update whose shape is not Telegram's (see :func:`malformed`)."""


def malformed(update: dict[str, object]) -> str | None:
    """What makes this raw update unfit to act on (a field's path and type), or None."""
    kinds = [key for key in update if key != "update_id"]
    if len(kinds) > 1:
        return f"{len(kinds)} kinds in one update"
    stack: list[tuple[str, str, object, int]] = [(kind, kind, update[kind], 1) for kind in kinds]
    while stack:
        path, key, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path} is nested too deeply"
        items = value if isinstance(value, list) and key in _SHAPES else [value]
        for item in items:
            problem = _check(path, key, item)
            if problem is not None:
                return problem
            if isinstance(item, dict):
                stack += [(f"{path}.{k}", k, v, depth + 1) for k, v in item.items()]
            elif isinstance(item, list):
                stack += [(f"{path}[]", key, v, depth + 1) for v in item]
    return None


def _check(path: str, key: str, value: object) -> str | None:
    """The first problem of one value, given the key it is under."""
    shape = _SHAPES.get(key)
    if shape is not None:
        if not isinstance(value, dict):
            return f"{path} is {_type(value)}, not an object"
        missing = [name for name in _REQUIRED.get(shape, ()) if name not in value]
        if missing:
            return f"{path} has no {missing[0]}"
        for (owner, field), wanted in _OWN.items():
            if owner == shape and field in value and not _is(value[field], wanted):
                return f"{path}.{field} is {_type(value[field])}"
    if key in _INTEGERS and not _is(value, int):
        return f"{path} is {_type(value)}"
    if key in _STRINGS and not isinstance(value, str):
        return f"{path} is {_type(value)}"
    return None


def _is(value: object, wanted: type) -> bool:
    if wanted is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) <= MAX_INTEGER
    return type(value) is wanted


def _type(value: object) -> str:
    """A JSON type's name, and whether a number is out of range: never the value itself."""
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer" if abs(value) <= MAX_INTEGER else "an integer out of range"
    names = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    return names.get(type(value), "a number" if isinstance(value, float) else "null")
