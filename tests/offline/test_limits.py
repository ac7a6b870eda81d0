"""Flood control, the rate clock and latency of the offline Bot API, as PTB sees them.

All off by default; switched on per fake. Every test talks through a real PTB ``Bot`` whose
request object is the fake, so PTB's own error mapping turns a 429 into ``RetryAfter``.
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, RetryAfter

from bot.offline.api import FakeBotApi
from bot.offline.limits import TelegramLimits, Window

GROUP = -100_1234
OTHER_GROUP = -100_5678
FAC = 7_100_001
RES = 7_300_003
TOKEN = "123456:TEST"


class Hand:
    """A monotonic clock moved by hand: the fake's rate clock in these tests."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # int retry_after is deprecated in PTB 22.2+


@pytest.fixture
def hand() -> Hand:
    return Hand()


def world(fake: FakeBotApi, *, users: int = 0) -> FakeBotApi:
    fake.add_user(FAC, "Facilitator", "fr", "Uwase")
    fake.add_user(RES, "Zawadi", "rn")
    fake.add_group(GROUP, "Quartier Rohero", admins=(FAC,))
    fake.add_group(OTHER_GROUP, "Kamenge", admins=(FAC,))
    fake.started(RES)
    for n in range(users):
        fake.add_user(8_000_000 + n, f"Person {n}", "fr")
        fake.started(8_000_000 + n)
    return fake


@pytest.fixture
def limited(hand: Hand) -> FakeBotApi:
    return world(FakeBotApi(limits=TelegramLimits(), monotonic=hand))


@asynccontextmanager
async def connected(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=fake, get_updates_request=fake) as bot:
        yield bot


@pytest.fixture
async def bot(limited: FakeBotApi) -> AsyncIterator[Bot]:
    async with connected(limited) as bot:
        yield bot


async def refused(send: Callable[[], Any]) -> timedelta:
    """The ``retry_after`` of a call PTB raised ``RetryAfter`` for."""
    with pytest.raises(RetryAfter) as raised:
        await send()
    retry_after = raised.value.retry_after
    assert isinstance(retry_after, timedelta)
    return retry_after


# ------------------------------------------------------------------------------ groups


async def test_a_21st_group_message_within_a_minute_waits_for_a_slot(
    bot: Bot, limited: FakeBotApi, hand: Hand
) -> None:
    start = hand.now
    for _ in range(3):  # a call that fails takes no slot
        with pytest.raises(BadRequest, match="empty"):
            await bot.send_message(GROUP, " ")
    for n in range(20):
        hand.now = start + n  # one a second: 20 in 19 seconds
        await bot.send_message(GROUP, f"message {n}")
    hand.now = start + 19.5
    assert await refused(lambda: bot.send_message(GROUP, "too many")) == timedelta(seconds=41)
    assert "too many" not in limited.sent_texts(GROUP)  # refused calls are not applied
    refusal = limited.calls[-1]
    assert refusal.error is not None and refusal.error.status == 429 and not refusal.ok
    await bot.send_message(OTHER_GROUP, "another group has its own budget")

    hand.now = start + 59.9  # the first message is still within the minute
    assert await refused(lambda: bot.send_message(GROUP, "too many")) == timedelta(seconds=1)
    hand.now = start + 60  # it slid out
    await bot.send_message(GROUP, "now fine")
    assert await refused(lambda: bot.send_message(GROUP, "but only one")) == timedelta(seconds=1)
    assert limited.sent_texts(GROUP)[-1] == "now fine"


async def test_the_refusal_is_telegrams_answer(limited: FakeBotApi, hand: Hand) -> None:
    url = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
    for _ in range(20):
        assert (await limited.answer(url, {"chat_id": GROUP, "text": "x"}))[0] == 200
    hand.now += 10
    status, body = await limited.answer(url, {"chat_id": GROUP, "text": "x"})
    assert (status, json.loads(body)) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 50",
            "parameters": {"retry_after": 50},
        },
    )


async def test_edits_deletions_pins_and_reactions_share_the_budget(
    bot: Bot, limited: FakeBotApi
) -> None:
    posted = [await bot.send_message(GROUP, f"message {n}") for n in range(10)]
    for n, message in enumerate(posted[:7]):
        await bot.edit_message_text(f"edited {n}", GROUP, message.message_id)
    await bot.set_message_reaction(GROUP, posted[7].message_id, "👍")
    await bot.pin_chat_message(GROUP, posted[8].message_id)
    await bot.delete_message(GROUP, posted[9].message_id)
    assert limited.busiest_minute(GROUP) == 20
    await refused(lambda: bot.edit_message_text("one more", GROUP, posted[0].message_id))
    await refused(lambda: bot.delete_message(GROUP, posted[0].message_id))
    assert limited.message(GROUP, posted[0].message_id)["text"] == "edited 0"


async def test_free_methods_are_never_refused(bot: Bot, limited: FakeBotApi) -> None:
    join = InlineKeyboardMarkup([[InlineKeyboardButton("Join", callback_data="join")]])
    button = await bot.send_message(GROUP, "press me", reply_markup=join)
    for n in range(19):
        await bot.send_message(GROUP, f"message {n}")
    await refused(lambda: bot.send_message(GROUP, "over"))
    for _ in range(40):  # past the per-chat and the overall limits, at one instant
        await bot.get_me()
        await bot.get_updates()
        await bot.set_my_commands([("join", "Join")])
        await bot.get_chat_administrators(GROUP)
        await bot.get_chat_member(GROUP, FAC)
    for _ in range(3):
        limited.deliver(limited.press(FAC, GROUP, button.message_id, "join"))
    for update in await bot.get_updates():
        assert update.callback_query is not None
        assert await bot.answer_callback_query(update.callback_query.id)
    assert all(call.error is None for call in limited.calls if call.method != "sendMessage")


async def test_limits_are_off_unless_asked() -> None:
    fake = world(FakeBotApi())
    async with connected(fake) as bot:
        for n in range(100):
            await bot.send_message(GROUP, f"message {n}")
    assert len(fake.sent_texts(GROUP)) == 100


# ------------------------------------------------------------------------------ private, overall


async def test_a_private_chat_allows_a_short_burst_then_one_a_second(
    bot: Bot, limited: FakeBotApi, hand: Hand
) -> None:
    for n in range(3):
        await bot.send_message(RES, f"burst {n}")
    assert await refused(lambda: bot.send_message(RES, "fourth")) == timedelta(seconds=3)
    hand.now += 1.5
    assert await refused(lambda: bot.send_message(RES, "fourth")) == timedelta(seconds=2)
    hand.now += 1.5
    await bot.send_message(RES, "fourth")
    hand.now += 1
    await bot.send_message(RES, "fifth")  # the second burst message slid out
    assert limited.sent_texts(RES) == ["burst 0", "burst 1", "burst 2", "fourth", "fifth"]


async def test_thirty_calls_a_second_overall(hand: Hand) -> None:
    fake = world(FakeBotApi(limits=TelegramLimits(), monotonic=hand), users=31)
    async with connected(fake) as bot:
        for n in range(30):
            await bot.send_message(8_000_000 + n, "news")
        assert await refused(lambda: bot.send_message(8_000_030, "news")) == timedelta(seconds=1)
        hand.now += 0.5
        assert await refused(lambda: bot.send_message(GROUP, "news")) == timedelta(seconds=1)
        hand.now += 0.5
        await bot.send_message(8_000_030, "news")


async def test_limits_and_counted_methods_can_be_tuned(hand: Hand) -> None:
    limits = TelegramLimits(group=Window(2, 10.0), counted=frozenset({"sendMessage"}))
    fake = world(FakeBotApi(limits=limits, monotonic=hand))
    async with connected(fake) as bot:
        first = await bot.send_message(GROUP, "one")
        await bot.send_message(GROUP, "two")
        assert await refused(lambda: bot.send_message(GROUP, "three")) == timedelta(seconds=10)
        for n in range(5):
            await bot.edit_message_text(f"edit {n}", GROUP, first.message_id)  # now free


# ------------------------------------------------------------------------------ the rate clock


async def test_time_can_run_fast_and_retry_after_is_simulated(hand: Hand) -> None:
    dates = [1_741_000_000.0]
    fake = world(
        FakeBotApi(limits=TelegramLimits(), monotonic=hand, speed=60.0, clock=lambda: dates[0])
    )
    async with connected(fake) as bot:
        for n in range(20):
            hand.now += 0.01  # 0.6 simulated seconds apart
            await bot.send_message(GROUP, f"message {n}")
        assert fake.elapsed() == pytest.approx(12.0)
        assert await refused(lambda: bot.send_message(GROUP, "over")) == timedelta(seconds=49)
        hand.now += 49 / 60  # 49 simulated seconds
        message = await bot.send_message(GROUP, "after a simulated minute")
    assert message.date.timestamp() == dates[0]  # the dates' clock is apart from the rate clock


async def test_busiest_minute_counts_what_took_effect_per_chat(hand: Hand) -> None:
    fake = world(FakeBotApi(monotonic=hand))
    async with connected(fake) as bot:
        for _ in range(5):
            await bot.send_message(GROUP, "early")
        hand.now += 30
        for _ in range(10):
            hand.now += 1
            await bot.send_message(GROUP, "busy")
            await bot.get_chat(GROUP)  # free: not counted
        fake.fail("sendMessage", 400, "Bad Request: message text is empty", times=3)
        for _ in range(3):
            with pytest.raises(Exception, match="empty"):
                await bot.send_message(GROUP, "refused")
        await bot.send_message(OTHER_GROUP, "elsewhere")
        hand.now += 100
        for _ in range(8):
            await bot.send_message(GROUP, "late")
    assert fake.busiest_minute(GROUP) == 15  # the 5 early and the 10 busy: 40 s apart
    assert fake.busiest_minute(OTHER_GROUP) == 1
    assert fake.busiest_minute(GROUP, seconds=1) == 8
    assert fake.busiest_minute(RES) == 0


# ------------------------------------------------------------------------------ latency


async def test_every_answer_can_be_delayed() -> None:
    fake = world(FakeBotApi(latency=0.2))
    async with connected(fake) as bot:
        started = time.monotonic()
        await bot.send_message(GROUP, "slow")
        await bot.get_chat(GROUP)
        assert time.monotonic() - started >= 0.4


async def test_latency_can_depend_on_the_method() -> None:
    fake = world(FakeBotApi(latency=lambda method: 0.3 if method == "sendMessage" else 0.0))
    async with connected(fake) as bot:
        started = time.monotonic()
        await bot.get_chat(GROUP)
        fast = time.monotonic() - started
        await bot.send_message(GROUP, "slow")
        slow = time.monotonic() - started - fast
    assert slow >= 0.3
    assert fast < 0.2
