"""Faults of the network and of Telegram's front ends, as PTB sees them.

Each fault kind goes through a real PTB ``Bot`` whose request object is the fake (and, once,
over real HTTP with PTB's own ``HTTPXRequest``), so the assertions are on what the bot's code
would meet: an exception type or a returned value, and whether Telegram applied the call.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TelegramError, TimedOut

from bot.offline.api import FakeBotApi
from bot.offline.chaos import Chaos, FaultKind
from bot.offline.limits import TelegramLimits, Window

GROUP = -100_1234
OTHER_GROUP = -100_5678
FAC = 7_100_001
TOKEN = "123456:TEST"


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # int retry_after is deprecated in PTB 22.2+


def world(fake: FakeBotApi) -> FakeBotApi:
    fake.add_user(FAC, "Facilitator", "fr", "Uwase")
    fake.add_group(GROUP, "Quartier Rohero", admins=(FAC,))
    fake.add_group(OTHER_GROUP, "Kamenge", admins=(FAC,))
    return fake


@pytest.fixture
def fake() -> FakeBotApi:
    return world(FakeBotApi())


@asynccontextmanager
async def connected(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, request=fake, get_updates_request=fake) as bot:
        yield bot


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with connected(fake) as bot:
        yield bot


# ------------------------------------------------------------------------------ each kind

# What PTB raises for each fault that keeps a call from Telegram, and must not raise instead.
UNAPPLIED = [
    (FaultKind.SERVER_ERROR, NetworkError, TimedOut),
    (FaultKind.TIMEOUT, TimedOut, None),
    (FaultKind.RESET, NetworkError, TimedOut),
    (FaultKind.MALFORMED, TelegramError, NetworkError),  # not a NetworkError: a bare one
]


@pytest.mark.parametrize(("kind", "raised", "not_raised"), UNAPPLIED)
async def test_a_fault_that_keeps_a_call_from_telegram(
    bot: Bot,
    fake: FakeBotApi,
    kind: FaultKind,
    raised: type[TelegramError],
    not_raised: type[TelegramError] | None,
) -> None:
    posted = await bot.send_message(GROUP, "before")
    fake.glitch("sendMessage", kind)
    fake.glitch("editMessageText", kind)
    with pytest.raises(raised) as send:
        await bot.send_message(GROUP, "lost in transit")
    with pytest.raises(raised) as edit:
        await bot.edit_message_text("edited", GROUP, posted.message_id)
    for error in (send.value, edit.value):
        assert not_raised is None or not isinstance(error, not_raised)
    assert fake.sent_texts(GROUP) == ["before"]
    assert fake.message(GROUP, posted.message_id)["text"] == "before"
    assert [(c.method, c.fault, c.ok) for c in fake.calls[-2:]] == [
        ("sendMessage", kind, False),
        ("editMessageText", kind, False),
    ]
    await bot.send_message(GROUP, "after")  # one fault each, then normal answers again


async def test_server_errors_alternate_500_and_502_with_an_error_body(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.glitch("sendMessage", "server_error", times=2)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(GROUP, "x")
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(GROUP, "x")
    statuses = [c.error.status for c in fake.calls_to("sendMessage") if c.error is not None]
    assert statuses == [500, 502]


async def test_a_null_result_is_not_what_ptb_expects(bot: Bot, fake: FakeBotApi) -> None:
    """``"ok": true`` with nothing to read: the server did the work all the same."""
    posted = await bot.send_message(GROUP, "delete me")
    fake.glitch("deleteMessage", FaultKind.NULL_RESULT)
    assert await bot.delete_message(GROUP, posted.message_id) is None  # not True
    assert fake.message(GROUP, posted.message_id)["deleted"] is True
    fake.glitch("sendMessage", FaultKind.NULL_RESULT)
    with pytest.raises(Exception) as raised:  # noqa: PT011 — the point is which class it is
        await bot.send_message(GROUP, "posted, unread")
    assert not isinstance(raised.value, TelegramError)  # PTB cannot build a Message from null
    assert fake.sent_texts(GROUP) == ["delete me", "posted, unread"]


async def test_a_lost_response_was_applied_so_a_blind_retry_posts_twice(
    bot: Bot, fake: FakeBotApi
) -> None:
    posted = await bot.send_message(GROUP, "first")
    fake.glitch("sendMessage", FaultKind.LOST_RESPONSE)
    fake.glitch("editMessageText", FaultKind.LOST_RESPONSE)
    for attempt in range(2):
        try:
            await bot.send_message(GROUP, "the question")
        except TimedOut:
            assert attempt == 0
    with pytest.raises(TimedOut):
        await bot.edit_message_text("first, edited", GROUP, posted.message_id)
    assert fake.sent_texts(GROUP) == ["first", "the question", "the question"]
    assert fake.message(GROUP, posted.message_id)["text"] == "first, edited"
    lost = [c for c in fake.calls if c.fault is FaultKind.LOST_RESPONSE]
    assert [(c.method, c.ok) for c in lost] == [("sendMessage", True), ("editMessageText", True)]
    assert fake.transcript(GROUP).count("the question") == 2


async def test_a_lost_response_to_a_refused_call_was_not_applied(
    bot: Bot, fake: FakeBotApi
) -> None:
    fake.glitch("editMessageText", FaultKind.LOST_RESPONSE)
    with pytest.raises(TimedOut):  # Telegram said "not found", but the answer never came
        await bot.edit_message_text("x", GROUP, 999)
    assert not fake.calls[-1].ok and fake.calls[-1].error is not None


async def test_glitches_can_repeat_and_target_one_chat(bot: Bot, fake: FakeBotApi) -> None:
    fake.glitch("sendMessage", FaultKind.TIMEOUT, times=None, chat_id=OTHER_GROUP)
    await bot.send_message(GROUP, "fine here")
    for _ in range(3):
        with pytest.raises(TimedOut):
            await bot.send_message(OTHER_GROUP, "not there")
    fake.calm()
    await bot.send_message(OTHER_GROUP, "calm again")
    assert fake.sent_texts() == ["fine here", "calm again"]


async def test_faults_and_flood_control(fake: FakeBotApi) -> None:
    limited = world(FakeBotApi(limits=TelegramLimits(group=Window(2, 60.0))))
    async with connected(limited) as bot:
        limited.glitch("sendMessage", FaultKind.TIMEOUT, times=3)
        for _ in range(3):
            with pytest.raises(TimedOut):
                await bot.send_message(GROUP, "never arrived")
        limited.glitch("sendMessage", FaultKind.LOST_RESPONSE)
        with pytest.raises(TimedOut):
            await bot.send_message(GROUP, "arrived, unheard")  # took a slot
        await bot.send_message(GROUP, "second")
        with pytest.raises(RetryAfter):
            await bot.send_message(GROUP, "third")
    assert limited.busiest_minute(GROUP) == 2


# ------------------------------------------------------------------------------ at random


async def play(fake: FakeBotApi) -> list[tuple[str, FaultKind | None]]:
    """The same calls every time, whatever they meet; what each met."""
    async with connected(fake) as bot:
        for n in range(60):
            try:
                await bot.send_message(GROUP, f"message {n}")
                await bot.get_chat(GROUP)
                await bot.get_updates()
            except Exception:  # whatever it met, the next call is the same
                continue
    return [(call.method, call.fault) for call in fake.calls]


async def test_chaos_is_seeded_and_reproducible() -> None:
    runs = []
    for seed in (7, 7, 8):
        fake = world(FakeBotApi())
        fake.chaos(0.3, seed=seed)
        runs.append(await play(fake))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    faults = [(method, kind) for method, kind in runs[0] if kind is not None]
    assert {method for method, _ in faults} == {"sendMessage"}  # getChat, getUpdates: free
    assert 8 <= len(faults) <= 30  # about 0.3 of 60
    assert len({kind for _, kind in faults}) >= 4  # drawn from all six kinds


async def test_chaos_from_the_constructor_is_the_same_chaos() -> None:
    by_method = world(FakeBotApi())
    by_method.chaos(0.3, seed=7)
    by_argument = world(FakeBotApi(chaos=Chaos(0.3, seed=7)))
    assert await play(by_method) == await play(by_argument)


async def test_chaos_kinds_and_methods_are_chosen() -> None:
    fake = world(FakeBotApi())
    fake.chaos(0.5, seed=1, kinds=("timeout",), methods=frozenset({"getChat", "getUpdates"}))
    faults = {(method, kind) for method, kind in await play(fake) if kind is not None}
    assert faults == {("getChat", FaultKind.TIMEOUT), ("getUpdates", FaultKind.TIMEOUT)}


async def test_chaos_stops_at_rate_zero(bot: Bot, fake: FakeBotApi) -> None:
    fake.chaos(1.0, seed=3)
    with pytest.raises(Exception):  # noqa: PT011, B017 — any fault: rate 1 spares none
        await bot.send_message(GROUP, "x")
    fake.chaos(0)
    for _ in range(20):
        await bot.send_message(GROUP, "calm")
    with pytest.raises(ValueError, match="rate"):
        fake.chaos(1.5)
