"""Kill -9 the real sender while many groups' messages go out: none lost, few repeated.

The sender commits the settlements of the lanes that delivered meanwhile together (one write
transaction), and a lane sends its next message only once its last one is settled. So a kill
may repeat, after the restart, at most the one message each lane had in flight, and never
loses one. The parent queues messages for many groups once, then runs this file with
``--child`` over and over: the child opens the store and lets the real ``Sender`` deliver to
the in-memory Bot API, logging each message Telegram accepted. The parent SIGKILLs it either
through ``KILL_AT`` (the child kills itself just after Telegram accepted its n-th message,
before the sender heard of it) or with a timer that lands anywhere, inside SQLite's commit
too. At the end the outbox must be empty, every message sent, each group's messages first
seen in the order they were queued, and no kill may have repeated more messages than there
are lanes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import delivery as op
from bot.offline.api import FakeBotApi
from bot.storage import DataKey, Store, generate_key
from bot.telegram.app import RateLimits, build_application
from bot.telegram.sender import Sender

UNLIMITED = RateLimits(overall_per_second=1_000_000, group_per_minute=1_000_000)
FIRST_GROUP = -1_004_000_000_000


def chats(groups: int) -> list[int]:
    return [FIRST_GROUP - n for n in range(groups)]


class LoggingApi(FakeBotApi):
    """The in-memory Bot API, writing down each message it accepted (the kernel keeps the line
    past a kill), and dying just after the ``KILL_AT``-th, before the sender hears of it."""

    def __init__(self, log: Any, kill_at: int) -> None:
        super().__init__(bot_username="ikiganiro_bot")
        self.log, self.kill_at, self.accepted = log, kill_at, 0

    async def do_request(self, url: str, method: str, *args: Any, **kwargs: Any) -> Any:
        before = len(self.calls)
        answer = await super().do_request(url, method, *args, **kwargs)
        posted = [c for c in self.calls[before:] if c.method == "sendMessage" and c.ok]
        for call in posted:
            self.log.write(f"{call.params['text']}\n")
            self.log.flush()
            self.accepted += 1
            if self.accepted == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)
        return answer


async def child(db: Path, sent_log: Path, groups: int) -> None:
    store = await Store.open(db, DataKey.from_env_value(os.environ["IKIGANIRO_DATA_KEY"]))
    with sent_log.open("a") as log:
        api = LoggingApi(log, int(os.environ.get("KILL_AT", "0")))
        for chat_id in chats(groups):
            api.add_group(chat_id, "Hill", admins=())
        app = build_application("123456:SOAK", request=api, limits=UNLIMITED)
        await app.initialize()
        print("ready", flush=True)
        await Sender(app.bot, store, budget=UNLIMITED.budget()).drain(patient=True)
        await app.shutdown()
    await store.close()
    print("done", flush=True)


async def _queue(db: Path, key: DataKey, groups: int, messages: int) -> list[str]:
    store = await Store.open(db, key)
    texts = []
    try:
        async with store.write() as tx:
            for n in range(messages):
                for g, chat_id in enumerate(chats(groups)):
                    texts.append(f"g{g}:m{n}")
                    await tx.enqueue(
                        f"s{g}", op.dump(op.Send(chat_id=chat_id, parts=(texts[-1],)))
                    )
    finally:
        await store.close()
    return texts


async def _after(db: Path, key: DataKey) -> tuple[int, str]:
    store = await Store.open(db, key)
    try:
        return len(await store.outbox_pending(limit=1_000_000)), await store.integrity_check()
    finally:
        await store.close()


def _spawn(args: argparse.Namespace, workdir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--workdir", str(workdir)]
    cmd += ["--groups", str(args.groups)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def _in_order(texts: list[str], sent: list[str]) -> bool:
    """Whether each group's messages were first seen in the order they were queued."""
    first = {text: n for n, text in reversed(list(enumerate(sent)))}
    by_group: dict[str, list[int]] = {}
    for text in texts:
        by_group.setdefault(text.split(":")[0], []).append(first.get(text, -1))
    return all(seen == sorted(seen) and -1 not in seen for seen in by_group.values())


def parent(args: argparse.Namespace, workdir: Path) -> int:
    rng = random.Random(args.seed)
    db, sent_log = workdir / "soak.db", workdir / "sent.log"
    key_text = generate_key()
    key = DataKey.from_env_value(key_text)
    texts = asyncio.run(_queue(db, key, args.groups, args.messages))
    env = {**os.environ, "IKIGANIRO_DATA_KEY": key_text}
    env.pop("KILL_AT", None)
    kills = timer_kills = lives = worst = 0
    rate = 0.0
    started = time.monotonic()
    while kills < args.kills:
        lives += 1
        sent = sent_log.read_text().split() if sent_log.exists() else []
        by_timer = rng.random() < 0.5
        share = max(2, 2 * (len(texts) - len(set(sent))) // (args.kills - kills + 1))
        life_env = dict(env) if by_timer else {**env, "KILL_AT": str(rng.randint(1, share))}
        proc = _spawn(args, workdir, life_env)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        life_start = time.monotonic()
        if by_timer:  # within about the time this life's share of the messages takes
            time.sleep(rng.uniform(0, 1.5 * share / rate if rate else args.window))
            proc.send_signal(signal.SIGKILL)
        proc.stdout.read()
        proc.wait()
        life = time.monotonic() - life_start
        if proc.returncode != -signal.SIGKILL:
            print("the outbox emptied before all kills landed; queue more --messages")
            break
        kills += 1
        timer_kills += by_timer
        now = sent_log.read_text().split() if sent_log.exists() else []
        repeated = (len(now) - len(set(now))) - (len(sent) - len(set(sent)))
        worst = max(worst, repeated)
        if len(now) > len(sent) and life > 0:  # messages a second, from the lives so far
            rate = (
                (len(now) - len(sent)) / life
                if rate == 0
                else (rate + (len(now) - len(sent)) / life) / 2
            )
        left, integrity = asyncio.run(_after(db, key))
        how = "timer" if by_timer else f"KILL_AT={life_env['KILL_AT']}"
        print(
            f"kill {kills:>2} ({how}): {len(now) - len(sent)} sent, {repeated} of them again, "
            f"{left} rows left, integrity {integrity}"
        )
        if integrity != "ok":
            return 1
        if left == 0:
            print("the outbox emptied before all kills landed; queue more --messages")
            break
    final = _spawn(args, workdir, env)
    out, _ = final.communicate()
    left, integrity = asyncio.run(_after(db, key))
    sent = sent_log.read_text().split()
    figures = {
        "groups (lanes)": args.groups,
        "messages_queued": len(texts),
        "kills": kills,
        "timer_kills": timer_kills,
        "lives": lives + 1,
        "messages_sent": len(set(sent)),
        "messages_repeated": len(sent) - len(set(sent)),
        "most_repeated_by_one_kill": worst,
        "in_queue_order_per_group": _in_order(texts, sent),
        "outbox_left": left,
        "integrity": integrity,
        "seconds": round(time.monotonic() - started, 2),
    }
    print(json.dumps(figures, indent=2))
    ok = (
        out.rstrip().endswith("done")
        and set(sent) == set(texts)
        and figures["in_queue_order_per_group"]
        and left == 0
        and integrity == "ok"
        and worst <= args.groups
    )
    verdict = "PASS" if ok else "FAIL"
    print(f"goal: every message sent, at most one repeat per lane and kill: {verdict}")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--groups", type=int, default=40, help="lanes delivering side by side")
    parser.add_argument("--messages", type=int, default=40, help="messages queued per group")
    parser.add_argument("--window", type=float, default=0.25, help="a timer kill lands within")
    parser.add_argument("--workdir", type=Path, help="where the database goes (default: temp)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        asyncio.run(child(args.workdir / "soak.db", args.workdir / "sent.log", args.groups))
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return parent(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="ikiganiro-sender-soak-") as tmp:
        return parent(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
