"""What a batch of updates will ask Telegram is asked before the batch's transaction opens.

Membership and a group's administrators are round trips to Telegram. A batch of updates is one
transaction (group commit); asked inside it, each new person's first act held the whole batch,
its write lock and the sender's settlements for a round trip, one after the other. The real
bot and a real SQLite file; the in-memory Telegram notes, as it answers each lookup, whether
the bot's writer is inside a transaction then.
"""

from __future__ import annotations

from typing import Any

from bot.callbacks import Action, button
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.telegram.lookahead import wanted
from tests.e2e.conftest import Bot

LOOKUPS = ("getChatMember", "getChatAdministrators")


def watch(bot: Bot) -> list[tuple[str, bool]]:
    """Every lookup Telegram answers from now on, with whether a transaction was open."""
    seen: list[tuple[str, bool]] = []

    def latency(method: str) -> float:
        if method in LOOKUPS:
            seen.append((method, bot.store._writer.in_transaction))
        return 0.0

    bot.api._latency = latency
    return seen


async def test_people_joining_at_once_are_looked_up_before_the_transaction(bot: Bot) -> None:
    session_id = await bot.open("quick-demo", join=False)
    seen = watch(bot)
    links = [bot.api.start(p.user_id, f"j_{session_id}") for p in PEOPLE]
    await bot.intake.accept_batch(links)
    assert await bot.intake._process_stored() == len(PEOPLE)
    assert [m for m, _ in seen] == ["getChatMember"] * len(PEOPLE)
    assert [inside for _, inside in seen] == [False] * len(PEOPLE)
    await bot.flush()
    for person in PEOPLE:  # each was asked for consent: the lookup counted
        assert "Do you agree?" in bot.api.sent_texts(person.user_id)[-1]


async def test_presses_and_a_group_command_are_looked_up_before_the_transaction(
    bot: Bot,
) -> None:
    session_id = await bot.open("quick-demo", join=False)
    for person in PEOPLE[:2]:
        await bot.feed(bot.api.start(person.user_id, f"j_{session_id}"))
    runtime = bot.intake.runtime
    runtime.members.forget(GROUP_ID)  # minutes later: what was remembered is stale
    runtime.admins.forget(GROUP_ID)
    seen = watch(bot)
    consent = button(Action.CONSENT, session_id, "1")
    presses = [
        bot.api.press(p.user_id, p.user_id, bot.demo.last_private(p), consent) for p in PEOPLE[:2]
    ]
    command = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    await bot.intake.accept_batch([*presses, command])
    assert await bot.intake._process_stored() == 3
    assert sorted(m for m, _ in seen) == ["getChatAdministrators", *["getChatMember"] * 2]
    assert not any(inside for _, inside in seen)
    assert (await bot.state()).stage_index == 0  # the facilitator's /next counted


def test_what_a_batch_wants_is_read_from_the_raw_updates_alone() -> None:
    sid = "s1234567"
    batch: list[Any] = [
        {"update_id": 1, "message": _message(5, 5, f"/start j_{sid}")},
        {"update_id": 2, "message": _message(6, 6, f"/start h_{sid}")},  # hello: no lookup
        {"update_id": 3, "message": _message(7, 7, "my answer")},  # bound to a session
        {"update_id": 4, "message": _message(8, -100, "chatter in the group")},
        {"update_id": 5, "message": _message(9, -100, "/next")},
        {
            "update_id": 6,
            "callback_query": {
                "id": "q",
                "from": {"id": 10},
                "data": button(Action.CONSENT, sid, "1"),
                "message": _message(0, -100, "welcome"),
            },
        },
        {"update_id": 7, "message": {"from": {"id": "not a number"}, "chat": None}},
        "not even an object",
    ]
    want = wanted(batch)
    assert want.sessions == {(sid, 5), (sid, 10)}
    assert want.bound == {7}
    assert want.admins == {-100}


def _message(user_id: int, chat_id: int, text: str) -> dict[str, Any]:
    kind = "private" if chat_id > 0 else "supergroup"
    return {
        "message_id": 1,
        "date": 0,
        "from": {"id": user_id, "is_bot": False, "first_name": "A"},
        "chat": {"id": chat_id, "type": kind},
        "text": text,
    }


async def test_a_lookup_telegram_fails_ahead_is_not_asked_again_inside(bot: Bot) -> None:
    """Telegram failing (a 5xx, a timeout): the batch asks once, ahead, and lets the acts
    through as it always did when Telegram cannot say; it does not ask again, one by one,
    inside its transaction, where each timeout would hold the batch."""
    session_id = await bot.open("quick-demo", join=False)
    seen = watch(bot)
    bot.api.glitch("getChatMember", "server_error", times=None)
    links = [bot.api.start(p.user_id, f"j_{session_id}") for p in PEOPLE]
    await bot.intake.accept_batch(links)
    assert await bot.intake._process_stored() == len(PEOPLE)
    assert seen == [("getChatMember", False)] * len(PEOPLE)
    await bot.flush()
    for person in PEOPLE:
        assert "Do you agree?" in bot.api.sent_texts(person.user_id)[-1]


async def test_administrators_telegram_fails_to_list_ahead_are_not_asked_again_inside(
    bot: Bot,
) -> None:
    """The same for a group's administrators: asked once, ahead; inside, nobody is taken for
    one (the facilitator still leads), and Telegram is not asked again in the transaction."""
    await bot.open("quick-demo")
    bot.intake.runtime.admins.forget(GROUP_ID)
    seen = watch(bot)
    bot.api.glitch("getChatAdministrators", "server_error", times=None)
    command = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    await bot.intake.accept_batch([command])
    assert await bot.intake._process_stored() == 1
    assert seen == [("getChatAdministrators", False)]
    assert (await bot.state()).stage_index == 0
