"""Start-up to first poll with many stored sessions (issue #14: 10,000 sessions, goal <= 1 s).

A database is filled with ``--sessions`` copies of a finished 20-person session of the default
script (each in its own group), then ``ikiganiro run`` is started as its own process against the
in-memory Bot API served over loopback HTTP, as in production: settings from the environment,
``Store.open`` (the queue tables checked, the whole file's ``PRAGMA quick_check`` started
alongside, the key check), ``getMe``, command menus, the leftover inbox, then the first
``getUpdates``. One update waits at the Bot API, so the first poll brings it and the bot answers
it once it is stored, which waits for the full check. It prints, with an empty database and
with the full one, what the time to the first poll is made of and when that answer went out,
the goal beside the figure, and then ``Store.open``'s parts timed in this process on the full
file (warm cache: the file was just written and read).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sessions import crowd, full_session

from bot.offline.api import FakeBotApi
from bot.offline.cast import GROUP_ID
from bot.storage import DataKey, Store
from bot.storage.check import check_queues, quick_check
from bot.storage.crypto import generate_key
from bot.storage.migrations import migrate
from bot.storage.store import _connect_writer

GOAL_SECONDS = 1.0
WAITING_USER = 7
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the loopback Bot API server lives with the end-to-end tests

from tests.e2e.http_api import serve_over_http  # noqa: E402


@dataclass
class Run:
    """Seconds from starting ``ikiganiro run`` to each call the Bot API saw."""

    get_me: float  # imports, settings, Store.open (queue tables, key check), PTB set up
    first_poll: float  # + getMe, command menus, the (empty) leftover inbox
    answered: float  # + the first update stored and handled: after the full check passed


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


async def first_poll(path: Path, key: str) -> Run:
    """Start ``ikiganiro run`` and time its first calls; see :class:`Run`."""
    api = FakeBotApi(bot_username="ikiganiro_bot", long_poll_cap=30)
    api.add_user(WAITING_USER, "Waiting", language_code="en")
    api.deliver(api.start(WAITING_USER))  # so the first poll is recorded (empty ones are not)
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
        seen: dict[str, float] = {}
        try:
            while "answered" not in seen:
                if process.returncode is not None:
                    raise SystemExit(f"ikiganiro run exited with {process.returncode}")
                now = time.perf_counter() - started
                for name, method, chat in (
                    ("get_me", "getMe", None),
                    ("first_poll", "getUpdates", None),
                    ("answered", "sendMessage", WAITING_USER),
                ):
                    if name not in seen and api.calls_to(method, chat):
                        seen[name] = now
                await asyncio.sleep(0.005)
            return Run(**seen)
        finally:
            process.terminate()
            await process.wait()


def imports() -> float:
    """Median seconds of a Python process that imports what ``ikiganiro run`` imports."""
    code = "import bot.cli, bot.settings, bot.storage, bot.telegram.serve"
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def open_parts(path: Path, key: str) -> dict[str, float]:
    """``Store.open``'s parts on ``path``, timed one by one in this process."""
    parts: dict[str, float] = {}
    started = time.perf_counter()
    conn = await _connect_writer(path)
    parts["connect, pragmas set and read back"] = time.perf_counter() - started
    try:
        for name, step in (
            ("quick_check of the queue tables (at open)", check_queues(conn, path)),
            ("quick_check of the whole file (alongside)", quick_check(conn, path)),
            ("migrations (none due)", migrate(conn)),
        ):
            started = time.perf_counter()
            await step
            parts[name] = time.perf_counter() - started
    finally:
        await conn.close()
    started = time.perf_counter()
    store = await Store.open(path, DataKey.from_env_value(key), check_alongside=True)
    parts["Store.open as ikiganiro run opens it"] = time.perf_counter() - started
    await store.checked()
    parts["... until its full check passed"] = time.perf_counter() - started
    await store.close()
    return parts


def verdict(seconds: float) -> str:
    return f"(goal <= {GOAL_SECONDS} s) {'ok' if seconds <= GOAL_SECONDS else 'NOT MET'}"


def report(sessions: int, size: float, started: float, empty: Run, full: Run) -> None:
    print("start-up to first poll (ikiganiro run as its own process, over loopback HTTP):")
    print(f"  {'seconds from process start':42} {'empty':>7} {f'{sessions:,} sessions':>16}")
    rows = (
        ("process start + imports (python -c import)", started, started),
        ("getMe sent (+ settings, Store.open)", empty.get_me, full.get_me),
        ("first getUpdates (+ getMe, menus, inbox)", empty.first_poll, full.first_poll),
        ("first update answered (after full check)", empty.answered, full.answered),
    )
    for label, one, other in rows:
        print(f"  {label:42} {one:>6.2f}s {other:>15.2f}s")
    print(f"  first poll, {sessions:,} stored sessions ({size:.0f} MB): {full.first_poll:.2f} s")
    print(f"    {verdict(full.first_poll)}")


async def main_async(sessions: int) -> bool:
    key = generate_key()
    started = imports()
    with tempfile.TemporaryDirectory() as tmp:
        empty = await first_poll(Path(tmp) / "empty.db", key)
        full = Path(tmp) / "full.db"
        await fill(full, key, sessions)
        size = full.stat().st_size / 1e6
        loaded = await first_poll(full, key)
        parts = await open_parts(full, key)
    report(sessions, size, started, empty, loaded)
    print(f"Store.open's parts on the {sessions:,}-session file, in this process:")
    for name, seconds in parts.items():
        print(f"  {name:46} {seconds:6.3f} s")
    return loaded.first_poll <= GOAL_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main_async(args.sessions))


if __name__ == "__main__":
    main()
