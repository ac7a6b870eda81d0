"""Flood control and faults of the offline Bot API served over real HTTP.

``ikiganiro run`` in a separate process meets the fake through ``tests/e2e/http_api.py``;
here PTB's own ``HTTPXRequest`` does, with a short read timeout so a held connection times
out quickly, and each fault must reach PTB as it does in process (``test_faults.py``).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import pytest
from telegram import Bot
from telegram.error import TelegramError
from telegram.request import HTTPXRequest

from bot.offline.api import FakeBotApi
from bot.offline.chaos import FaultKind
from bot.offline.limits import TelegramLimits, Window
from tests.e2e.http_api import serve_over_http

GROUP = -100_1234
FAC = 7_100_001
TOKEN = "123456:TEST"


@pytest.fixture(autouse=True)
def timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # int retry_after is deprecated in PTB 22.2+


async def outcome(call: Awaitable[Any]) -> str:
    """What PTB raised (class, then message), or ``"ok"``."""
    try:
        await call
    except TelegramError as error:
        return f"{type(error).__name__}: {error.message}"
    except Exception as error:  # a null result is not a TelegramError
        return f"not a TelegramError: {type(error).__name__}"
    return "ok"


async def test_over_http_flood_control_and_faults_reach_ptb_as_in_process() -> None:
    fake = FakeBotApi(limits=TelegramLimits(group=Window(4, 60.0)))
    fake.add_user(FAC, "Facilitator", "fr")
    fake.add_group(GROUP, "Quartier Rohero", admins=(FAC,))
    async with serve_over_http(fake, hang=0.6) as url:
        request = HTTPXRequest(read_timeout=0.3)
        async with Bot(TOKEN, base_url=f"{url}/bot", request=request) as bot:
            seen = {}
            for kind in FaultKind:
                fake.glitch("sendMessage", kind)
                seen[kind] = await outcome(bot.send_message(GROUP, kind.value))
            flood = [await outcome(bot.send_message(GROUP, "n")) for _ in range(3)]
    disconnected = "Server disconnected without sending a response."
    assert seen == {
        FaultKind.SERVER_ERROR: "NetworkError: Internal Server Error",
        FaultKind.TIMEOUT: "TimedOut: Timed out",
        FaultKind.RESET: f"NetworkError: httpx.RemoteProtocolError: {disconnected}",
        FaultKind.NULL_RESULT: "not a TelegramError: AttributeError",
        FaultKind.MALFORMED: "TelegramError: Invalid server response",
        FaultKind.LOST_RESPONSE: "TimedOut: Timed out",
    }
    assert fake.sent_texts(GROUP) == ["null_result", "lost_response", "n", "n"]
    assert flood[:2] == ["ok", "ok"]
    assert flood[2].startswith("RetryAfter: Flood control exceeded")
