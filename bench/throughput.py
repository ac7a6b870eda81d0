"""How fast one bot process handles a session's updates, end to end (``make bench``).

Runs whole sessions of a script through the real Application, service, encrypted storage and
sender against the in-memory Bot API, and prints updates per second and per-update latency.
Telegram's own limits (about 20 messages a minute per group) are far below these figures; the
number says how much head-room a cheap server has, not how fast a group can talk.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.demo import Demo
from bot.dialogues import Library
from bot.offline.api import FakeBotApi
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application, start_runtime
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender

# The cost of handling updates, not Telegram's pace: no limits here (bench/group.py keeps them).
UNLIMITED = RateLimits(overall_per_second=1_000_000, group_per_minute=1_000_000)


class TimedIntake(Intake):
    """Records how long each update takes from arrival to its last message sent."""

    latencies: list[float]

    async def feed(self, raw: dict[str, Any]) -> None:
        start = time.perf_counter()
        await super().feed(raw)
        self.latencies.append(time.perf_counter() - start)


async def one_session(script_id: str, directory: Path, index: int) -> list[float]:
    library = Library.load()
    script = library[script_id]
    api = FakeBotApi(bot_username="ikiganiro_bot")
    api.add_group(GROUP_ID, "Bench", admins=(FACILITATOR.user_id,))
    for person in (FACILITATOR, *PEOPLE):
        api.add_user(person.user_id, person.name, language_code=person.language)
    api.add_members(GROUP_ID, [p.user_id for p in PEOPLE])
    store = await Store.open(directory / f"bench-{index}.db", DataKey.generate())
    app = build_application("123456:BENCH", request=api, limits=UNLIMITED)
    try:
        runtime = await start_runtime(app, store, library)
        intake = TimedIntake(app, runtime, Sender(app.bot, store, budget=UNLIMITED.budget()))
        intake.latencies = []
        demo = Demo(api, store, intake.feed)
        await intake.feed(api.start(FACILITATOR.user_id))
        await demo.command(FACILITATOR, f"/newsession {script.id}")
        async with store.read() as tx:
            demo.session_id = await tx.session_for_chat(GROUP_ID, None) or ""
        for person in PEOPLE:
            await demo.join(person)
        for stage in range(len(script.stages)):
            await demo.command(FACILITATOR, "/next")
            await demo.stage(script, stage)
        await demo.end(FACILITATOR)
        return intake.latencies
    finally:
        await app.shutdown()
        await store.close()


async def main_async(script: str, sessions: int) -> None:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for index in range(sessions):
            latencies += await one_session(script, Path(tmp), index)
        elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    print(f"script {script}: {sessions} sessions, {len(latencies)} updates in {elapsed:.1f} s")
    print(f"throughput: {len(latencies) / elapsed:.0f} updates/s (one process, sequential)")
    print(
        "latency per update (stored, processed, every message sent): "
        f"median {statistics.median(ordered) * 1000:.1f} ms, "
        f"p95 {ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms, "
        f"max {ordered[-1] * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--script", default="community-safety")
    parser.add_argument("--sessions", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main_async(args.script, args.sessions))


if __name__ == "__main__":
    main()
