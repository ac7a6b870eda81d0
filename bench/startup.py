"""Start-up to first poll with many stored sessions (issue #14: 10,000 sessions, goal <= 1 s).

A database is filled with ``--sessions`` copies of a finished 20-person session of the default
script (each in its own group), then ``ikiganiro run`` is started as its own process against the
in-memory Bot API served over loopback HTTP, as in production: settings from the environment,
``PRAGMA quick_check`` and the key check at open, ``getMe``, command menus, the leftover inbox,
then the first ``getUpdates``. It prints the time from process start to that first poll, with an
empty database and with the full one, beside the goal, and the database's size.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

from sessions import crowd, full_session

from bot.offline.api import FakeBotApi
from bot.offline.cast import GROUP_ID
from bot.storage import DataKey, Store
from bot.storage.crypto import generate_key

GOAL_SECONDS = 1.0
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the loopback Bot API server lives with the end-to-end tests

from tests.e2e.http_api import serve_over_http  # noqa: E402


async def fill(path: Path, key: str, sessions: int) -> None:
    """``sessions`` copies of one finished session, each in a group of its own."""
    data_key = DataKey.from_env_value(key)
    model = path.with_name("model.db")
    await full_session("community-safety", model, crowd(20), key=data_key)
    source = await Store.open(model, data_key)
    async with source.read() as tx:
        session_id = (await tx.sessions_of_place(GROUP_ID, None))[-1]
        state = await tx.load_state(session_id)
    await source.close()
    assert state is not None
    store = await Store.open(path, data_key)
    try:
        for first in range(0, sessions, 500):
            async with store.write() as tx:
                for n in range(first, min(first + 500, sessions)):
                    copy = state.model_copy(update={"session_id": f"bench{n:06d}"})
                    await tx.save_state(copy, -1_002_000_000_000 - n, None)
    finally:
        await store.close()


async def first_poll(path: Path, key: str) -> float:
    """Seconds from starting ``ikiganiro run`` to its first ``getUpdates``."""
    api = FakeBotApi(bot_username="ikiganiro_bot", long_poll_cap=30)
    api.add_user(7, "Waiting", language_code="en")
    api.deliver(
        api.start(7)
    )  # an update waiting, so the first poll is recorded (empty polls are not)
    async with serve_over_http(api) as url:
        env = {k: v for k, v in os.environ.items() if not k.startswith("IKIGANIRO_")}
        env |= {
            "IKIGANIRO_TOKEN": f"{api.bot_id}:BENCHSTARTUP",
            "IKIGANIRO_API_URL": url,
            "IKIGANIRO_DB": str(path),
            "IKIGANIRO_DATA_KEY": key,
        }
        started = time.perf_counter()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            while not api.calls_to("getUpdates"):
                if process.returncode is not None:
                    raise SystemExit(f"ikiganiro run exited with {process.returncode}")
                await asyncio.sleep(0.005)
            return time.perf_counter() - started
        finally:
            process.terminate()
            await process.wait()


async def main_async(sessions: int) -> bool:
    key = generate_key()
    with tempfile.TemporaryDirectory() as tmp:
        empty = await first_poll(Path(tmp) / "empty.db", key)
        full = Path(tmp) / "full.db"
        await fill(full, key, sessions)
        size = full.stat().st_size / 1e6
        loaded = await first_poll(full, key)
    verdict = "ok" if loaded <= GOAL_SECONDS else "NOT MET"
    print("start-up to first poll (ikiganiro run as its own process, over loopback HTTP):")
    print(f"  empty database:                 {empty:.2f} s")
    goal = f"(goal <= {GOAL_SECONDS} s) {verdict}"
    print(f"  {sessions:,} stored sessions ({size:.0f} MB): {loaded:.2f} s {goal}")
    return loaded <= GOAL_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main_async(args.sessions))


if __name__ == "__main__":
    main()
