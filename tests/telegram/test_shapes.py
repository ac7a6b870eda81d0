"""The shape check at the intake's door: Telegram's real updates pass, odd ones are named."""

from __future__ import annotations

from typing import Any

import pytest

from bot.offline.api import FakeBotApi
from bot.telegram.shapes import MAX_DEPTH, MAX_INTEGER, malformed

GROUP, BASIC, ALICE, BOB = -1001, -5, 11, 12


def _api() -> FakeBotApi:
    api = FakeBotApi()
    api.add_group(GROUP, "Group", admins=(ALICE,))
    api.add_group(BASIC, "Basic", supergroup=False, admins=(ALICE,))
    api.add_user(ALICE, "Alice", language_code="fr")
    api.add_user(BOB, "Bob")
    return api


def _real_updates() -> list[dict[str, Any]]:
    """One of every update the offline Telegram writes, as Telegram would."""
    api = _api()
    said = api.text(ALICE, GROUP, "hello")
    reply = api.text(BOB, GROUP, "hi back", reply_to=said["message"]["message_id"])
    sent = api._send_message({"chat_id": GROUP, "text": "pick", "reply_markup": {
        "inline_keyboard": [[{"text": "A", "callback_data": "c|abcd|s|a"}]]}})  # fmt: skip
    return [
        said,
        reply,
        api.command(ALICE, GROUP, "/next@ikiganiro_bot"),
        api.start(BOB, "j_abcd1234"),
        api.text(BOB, BOB, "privately"),
        api.edit(ALICE, GROUP, said["message"]["message_id"], "hello again"),
        api.press(BOB, GROUP, sent["message_id"], "c|abcd|s|a"),
        api.bot_added(BASIC, ALICE, admin=True),
        api.bot_removed(BASIC, ALICE),
        api.new_chat_members(GROUP, BOB, [BOB]),
        *api.migrate(BASIC, -1002, by_user=ALICE),
    ]


@pytest.mark.parametrize("update", _real_updates())
def test_every_update_telegram_sends_has_its_shape(update: dict[str, Any]) -> None:
    assert malformed(update) is None


def _forged_next() -> dict[str, Any]:
    return _api().command(ALICE, GROUP, "/next")


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("from.id", "11", "message.from.id is a string"),
        ("from.id", 11.0, "message.from.id is a number"),
        ("from.id", True, "message.from.id is a boolean"),
        ("from.id", MAX_INTEGER + 1, "message.from.id is an integer out of range"),
        ("from.id", {"id": 11}, "message.from.id is an object"),
        ("from", "Alice", "message.from is a string, not an object"),
        ("chat.id", None, "message.chat.id is null"),
        ("date", "today", "message.date is a string"),
        ("text", ["/next"], "message.text is an array"),
    ],
)
def test_a_field_of_another_type_is_named_not_shown(field: str, value: object, said: str) -> None:
    update = _forged_next()
    *parents, last = field.split(".")
    node = update["message"]
    for key in parents:
        node = node[key]
    node[last] = value
    assert malformed(update) == said


def test_fields_telegram_always_sends_must_be_there() -> None:
    for path, missing in [(("message",), "chat"), (("message", "from"), "first_name")]:
        update = _forged_next()
        node = update
        for key in path:
            node = node[key]
        del node[missing]
        assert malformed(update) == f"{'.'.join(path)} has no {missing}"


def test_two_kinds_or_deep_nesting_are_not_an_update() -> None:
    update = _forged_next()
    update["edited_message"] = update["message"]
    assert malformed(update) == "2 kinds in one update"
    deep: dict[str, Any] = {"x": 1}
    for _ in range(MAX_DEPTH + 1):
        deep = {"x": deep}
    assert malformed({"update_id": 1, "poll": deep}) is not None
    assert malformed({"update_id": 1, "frobnicate": {"anything": [1, "two"]}}) is None
