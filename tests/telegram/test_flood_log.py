"""A flood wait is one line in the operator's log, not a traceback.

PTB's ``AIORateLimiter`` (kept for the bot's overall rate, ``max_retries=0``) logs every 429 it
passes on at ERROR with a whole traceback, though nothing failed: the sender waits the time out
and logs it in one line. In a busy group that is a traceback a minute, which tells an operator
the bot is broken when it is doing exactly what Telegram asks.
"""

from __future__ import annotations

import io
import logging

import pytest
from telegram.error import RetryAfter

from bot.cli import guard
from bot.offline.api import FakeBotApi
from bot.offline.limits import TelegramLimits
from bot.telegram.app import RateLimits, build_application

GROUP = -1001234567890


async def test_a_429_passed_on_by_ptbs_limiter_leaves_no_traceback_in_the_log() -> None:
    api = FakeBotApi(limits=TelegramLimits())
    api.add_group(GROUP, "Flood")
    app = build_application("123456:TEST", request=api, limits=RateLimits())
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    guard(handler, "123456:TEST")
    logging.getLogger().addHandler(handler)
    try:
        await app.initialize()
        for n in range(20):  # the group's twenty a minute
            await app.bot.send_message(GROUP, f"message {n}")
        with pytest.raises(RetryAfter):  # then Telegram says wait
            await app.bot.send_message(GROUP, "one too many")
        assert api.calls_to("sendMessage")[-1].error is not None  # the server did refuse
    finally:
        logging.getLogger().removeHandler(handler)
        await app.shutdown()
    assert "Traceback" not in out.getvalue()
    assert "Rate limit hit" not in out.getvalue()
