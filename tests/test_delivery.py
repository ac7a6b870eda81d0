"""The delivery contract: typed operations in, the same operations out, anything else refused.

What the outbox holds survives restarts and upgrades, so it is read back through one parser:
an operation comes back exactly as planned, a row from before ``parts`` is still delivered,
and a row that is no operation is set aside by the sender without holding up the others.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot import delivery as op
from bot.offline.api import FakeBotApi
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application
from bot.telegram.sender import Sender

GROUP = -1001000000003
KEYS = ((op.Button(text="Join", data="k|abcd|1"), op.Button(text="Open ↗", url="https://t.me/x")),)

EXAMPLES: list[op.Operation] = [
    op.Send(
        chat_id=GROUP, thread_id=7, parts=("<b>Stage 1</b>", "more"), keys=KEYS, key="welcome"
    ),
    op.Send(
        chat_id=42,
        parts=("Hello",),
        fallback=op.Fallback(chat_id=GROUP, text="Open a chat", keys=KEYS),
    ),
    op.Edit(chat_id=GROUP, key="prompt:story", parts=("Voices so far: 3",), keys=KEYS),
    op.Delete(chat_id=GROUP, key="share:a3"),
    op.Popup(callback_id="77", text="Thank you"),
    op.React(chat_id=GROUP, message_id=5),
    op.Pin(chat_id=GROUP, key="welcome"),
    op.Document(chat_id=GROUP, filename="charter.pdf", content_b64="JVBERi0=", caption="Ours"),
]


@pytest.mark.parametrize("operation", EXAMPLES, ids=lambda o: o.op)
def test_an_operation_reads_back_as_it_was_planned(operation: op.Operation) -> None:
    assert op.parse(op.dump(operation)) == operation


def test_a_row_from_before_parts_is_still_delivered_whole() -> None:
    old = {"op": "send", "chat_id": GROUP, "thread_id": None, "text": "Welcome", "keys": [],
           "key": "welcome", "reply_to": None,
           "fallback": {"chat_id": GROUP, "session_id": "abcd", "language": "fr"}}  # fmt: skip
    parsed = op.parse(old)
    assert isinstance(parsed, op.Send)
    assert (parsed.parts, parsed.key, parsed.fallback) == (("Welcome",), "welcome", None)


@pytest.mark.parametrize(
    "payload",
    [
        {"op": "teleport", "chat_id": GROUP},
        {"op": "send", "chat_id": GROUP, "parts": []},
        {"op": "send", "chat_id": "the group", "parts": ["x"]},
        {"op": "edit", "chat_id": GROUP, "parts": ["x"]},  # which message?
        {"op": "popup", "callback_id": "1", "text": "x", "extra": True},
    ],
)
def test_anything_else_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        op.parse(payload)


async def test_the_sender_sets_aside_a_row_that_is_no_operation(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = FakeBotApi(bot_username="ikiganiro_bot")
    api.add_user(100, "Amani", language_code="en")
    api.add_group(GROUP, "Hill", admins=(100,))
    store = await Store.open(tmp_path / "bot.db", DataKey.generate())
    app = build_application(
        "123456:TEST", request=api, limits=RateLimits(10_000, 100_000, max_retries=0)
    )
    try:
        await app.initialize()
        async with store.write() as tx:
            await tx.enqueue(None, {"op": "teleport", "chat_id": GROUP, "text": "secret words"})
            await tx.enqueue(None, op.dump(op.Send(chat_id=GROUP, parts=("After it",))))
        with caplog.at_level(logging.ERROR):
            await Sender(app.bot, store).drain()
        assert api.sent_texts(GROUP) == ["After it"]
        assert await store.outbox_pending() == []
        assert (await store.status()).set_aside_outbox == {"invalid_operation": 1}
        assert "is no delivery operation" in caplog.text
        assert "secret words" not in caplog.text
    finally:
        await app.shutdown()
        await store.close()
