"""How fast the sender empties a crowded outbox, and what each message costs the disk.

A thousand workshops at once leave many groups' operations waiting together. Telegram lets a
bot token send about 30 messages a second in all, so the sender must never be the slower of
the two: this bench queues operations for many groups (a prompt, an answer, the prompt's
progress edit, a card and its edit: five per group), lets the real sender deliver them all to
the in-memory Bot API with Telegram's limits off, and prints the sender's own throughput
beside Telegram's 30 a second, the write transactions per delivered message (each one a
durable commit, an fsync) and how many outbox rows it read per row waiting.

The counts come from SQLite itself (a trace callback on the store's two connections), not
from the sender's own bookkeeping.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import delivery as op
from bot.offline.api import FakeBotApi
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application
from bot.telegram.sender import Sender

TELEGRAM_PER_SECOND = 30  # what one bot token may send in all
GOAL_PER_SECOND = 30  # the sender must not be the bottleneck
HOPE_PER_SECOND = 300
UNLIMITED = RateLimits(overall_per_second=1_000_000, group_per_minute=1_000_000)
FIRST_GROUP = -1_002_000_000_000


def operations(chat_id: int) -> list[op.Operation]:
    """A group's five waiting operations, as a stage's opening leaves them."""
    return [
        op.Send(chat_id=chat_id, parts=("Stage 2 of 5: what does safety mean?",), key="prompt:2"),
        op.Send(chat_id=chat_id, parts=("Thank you, your answer is kept.",)),
        op.Edit(chat_id=chat_id, parts=("Stage 2 of 5 (3 voices so far)",), key="prompt:2"),
        op.Send(chat_id=chat_id, parts=("Commitment: a patrol on market days",), key="card:1"),
        op.Edit(chat_id=chat_id, parts=("Commitment: a patrol on market days (2)",), key="card:1"),
    ]


class Statements:
    """Counts what SQLite runs on one connection: its ``BEGIN IMMEDIATE``s (write transactions)
    and the statements that read outbox payloads."""

    def __init__(self) -> None:
        self.begins = 0
        self.outbox_reads = 0

    def __call__(self, sql: str) -> None:
        if sql.startswith("BEGIN IMMEDIATE"):
            self.begins += 1
        elif sql.startswith("SELECT") and "payload_enc FROM outbox" in sql:
            self.outbox_reads += 1


async def run(groups: int, path: Path) -> dict[str, Any]:
    api = FakeBotApi(bot_username="ikiganiro_bot")
    chats = [FIRST_GROUP - n for n in range(groups)]
    for chat_id in chats:
        api.add_group(chat_id, "Hill", admins=())
    store = await Store.open(path, DataKey.generate())
    app = build_application("123456:BENCH", request=api, limits=UNLIMITED)
    await app.initialize()
    try:
        async with store.write() as tx:
            for number, chat_id in enumerate(chats):
                for operation in operations(chat_id):
                    await tx.enqueue(f"s{number}", op.dump(operation))
        rows = groups * len(operations(0))
        writer, reader = Statements(), Statements()
        await store._writer.set_trace_callback(writer)
        await store._reader.set_trace_callback(reader)
        sender = Sender(app.bot, store, budget=UNLIMITED.budget())
        started = time.perf_counter()
        settled = await sender.drain(patient=True)
        elapsed = time.perf_counter() - started
        await store._writer.set_trace_callback(None)
        await store._reader.set_trace_callback(None)
        calls = sum(1 for call in api.calls if call.ok and call.chat_id in set(chats))
        left = len(await store.outbox_pending(limit=rows))
    finally:
        await app.shutdown()
        await store.close()
    return {
        "rows": rows,
        "settled": settled,
        "calls": calls,
        "left": left,
        "seconds": elapsed,
        "commits": writer.begins,
        "outbox_reads": reader.outbox_reads,
    }


def report(groups: int, figures: dict[str, Any]) -> bool:
    rows, seconds = figures["rows"], figures["seconds"]
    per_second = rows / seconds
    verdict = "ok" if per_second >= GOAL_PER_SECOND else "TOO SLOW"
    print(
        f"sender: {groups} groups x {rows // groups} operations = {rows} outbox rows, "
        f"{figures['calls']} Bot API calls, {figures['left']} left, in {seconds:.2f} s"
    )
    print(
        f"  throughput: {per_second:.0f} rows/s ({figures['calls'] / seconds:.0f} calls/s); "
        f"Telegram allows {TELEGRAM_PER_SECOND}/s; goal >= {GOAL_PER_SECOND}/s, "
        f"ideally >= {HOPE_PER_SECOND}/s: {verdict}"
    )
    print(
        f"  write transactions: {figures['commits']} "
        f"({figures['commits'] / rows:.3f} per row; each a durable commit)"
    )
    print(f"  outbox reads (statements reading payloads): {figures['outbox_reads']}")
    return per_second >= GOAL_PER_SECOND and figures["left"] == 0


async def main_async(groups: int) -> bool:
    with tempfile.TemporaryDirectory() as tmp:
        figures = await run(groups, Path(tmp) / "sender.db")
    return report(groups, figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=1_000, help="groups with rows waiting")
    return 0 if asyncio.run(main_async(parser.parse_args().groups)) else 1


if __name__ == "__main__":
    sys.exit(main())
