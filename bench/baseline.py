"""The full bot beside bare python-telegram-bot, fed the same updates in the same run.

Issue #14 asks how much heavier than a bare PTB ``Application`` the bot is. Whole sessions of a
script run through the full bot (Application, handlers, engine, encrypted SQLite with its durable
inbox and outbox, sender) against the in-memory Bot API; every update it handled is recorded.
The same updates are then given to two bare Applications on the same kind of in-memory Bot API:
one whose handler does nothing, and one whose handler sends one message per update (the least a
bot doing this job does). It prints updates per second of each, the ratio (one-send baseline ÷
full bot: how many times slower the bot is) beside its goal, and the full bot's cost per update
by session size (is it flat in the number of participants?).

Here sessions run one after another (``--groups`` sets how many); the issue's goal is the ratio
under a load of 1,000 groups at once, which ``bench/scale.py`` measures. Time is the machine's
own: no Telegram limits, no latency.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sessions import bare, crowd, full_session, rate, world

from bot.offline.cast import FACILITATOR

RATIO_GOAL = 2.0


async def main_async(script: str, groups: int, size: int, sizes: Sequence[int]) -> bool:
    people = crowd(size)
    updates: list[dict[str, Any]] = []
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(groups):
            fed, took = await full_session(script, Path(tmp) / f"g{index}.db", people)
            updates += fed
            latencies += took
        by_size = {n: await full_session(script, Path(tmp) / f"n{n}.db", crowd(n)) for n in sizes}
    api = world(people)
    for person in (FACILITATOR, *people):
        api.started(person.user_id)  # the bare bots may write to everyone privately
    idle = await bare(updates, api, send=False)
    sending = await bare(updates, api, send=True)
    full = rate(len(updates), sum(latencies))
    baseline = rate(len(updates), sending)
    ratio = baseline / full
    print(f"baseline: {groups} sessions of {script}, {size} people each, {len(updates)} updates")
    print(f"  bare PTB, handler does nothing:  {rate(len(updates), idle):8.0f} updates/s")
    print(f"  bare PTB, one send per update:   {baseline:8.0f} updates/s")
    print(f"  full bot (stored, processed, sent): {full:5.0f} updates/s")
    verdict = "ok" if ratio <= RATIO_GOAL else "NOT MET"
    print(f"  ratio one-send / full bot: {ratio:.1f} (goal <= {RATIO_GOAL}) {verdict}")
    for n, (_, took) in by_size.items():
        first, last = took[: len(took) // 4], took[-len(took) // 4 :]
        print(
            f"  cost per update, {n:3d} people: median {statistics.median(took) * 1000:.1f} ms"
            f" (first quarter {statistics.median(first) * 1000:.1f} ms,"
            f" last quarter {statistics.median(last) * 1000:.1f} ms)"
        )
    return ratio <= RATIO_GOAL


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--script", default="community-safety")
    parser.add_argument("--groups", type=int, default=3, help="sessions run through the full bot")
    parser.add_argument("--people", type=int, default=20, help="participants per session")
    parser.add_argument("--sizes", type=int, nargs="*", default=[4, 20, 60])
    args = parser.parse_args()
    asyncio.run(main_async(args.script, args.groups, args.people, args.sizes))


if __name__ == "__main__":
    main()
