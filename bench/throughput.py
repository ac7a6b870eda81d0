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

from sessions import full_session

from bot.offline.cast import PEOPLE


async def main_async(script: str, sessions: int) -> None:
    latencies: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        for index in range(sessions):
            _, took = await full_session(script, Path(tmp) / f"bench-{index}.db", PEOPLE)
            latencies += took
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
