"""Kill -9 a scripted dialogue at seeded random points; nothing may be lost or stored twice.

The parent builds the update stream (and the state it must end in) with the pure engine, then
runs this same file with ``--child`` over and over. The child plays "Telegram + bot": it feeds
every update again on each start (anything unacknowledged is redelivered), relies on the inbox
to drop duplicates, and processes each update in one transaction. The parent SIGKILLs it either
through ``KILL_AT`` (the child kills itself at its n-th write boundary: after an inbox commit,
inside a transaction, after a commit, between a send and its acknowledgement) or with a timer
that lands anywhere, including inside SQLite's commit. After every kill the file must pass
``integrity_check``; at the end every session must equal the reference state exactly.
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import TypeAdapter

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import Cancel, Schedule
from bot.engine.machine import new_session, step
from bot.engine.script import Channel, Script
from bot.engine.state import Due, Owner, Role, SessionState, Visibility
from bot.storage import DataKey, Store, generate_key

EVENT: TypeAdapter[ev.Event] = TypeAdapter(ev.Event)
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)
Update = tuple[int, dict[str, Any]]


def script() -> Script:
    return Library.load()["quick-demo"]


# --- the scripted workload ---------------------------------------------------------------------


class _Builder:
    """Runs the pure engine while recording events, so later ids (commitments) are known."""

    def __init__(self, sc: Script, session_id: str, chat_id: int, rng: random.Random) -> None:
        self.sc, self.chat_id, self.rng = sc, chat_id, rng
        self.state = new_session(session_id, sc)
        self.now = T0
        self.events: list[tuple[dict[str, Any], datetime]] = []

    def do(self, event_type: type[Any], **fields: Any) -> None:
        self.now += timedelta(seconds=self.rng.randint(1, 90))
        # the event id is fixed later from the update id; the engine only needs it unique
        event = event_type(event_id=f"b{len(self.events)}:{self.state.session_id}", **fields)
        self.state, _ = step(self.sc, self.state, event, self.now)
        self.events.append((event.model_dump(mode="json"), self.now))


def build_session(sc: Script, n: int, rng: random.Random, people: int) -> _Builder:
    b = _Builder(sc, f"sess-{n}", -1_000_000 - n, rng)
    fac = 10_000 * (n + 1)
    users = [fac + i for i in range(1, people + 1)]
    roles = [Role.POLICE, Role.RESIDENT, Role.LEADER]
    b.do(ev.Opened, actor=fac)
    for i, u in enumerate(users):
        b.do(ev.Joined, actor=u)
        b.do(ev.Consented, actor=u, accept=True, name=f"Person {n}-{i}")
        b.do(ev.RoleChosen, actor=u, role=roles[i % 3])
    b.do(ev.Advanced, actor=fac)
    shares = [Visibility.NAMED, Visibility.ANONYMOUS, Visibility.FACILITATORS]
    for i, u in enumerate(users):
        text = f"story of {u}: the market felt safe when neighbours walked together ({i})"
        if i % 2 == 0:
            b.do(ev.Answered, actor=u, stage_id="story", text=text)
        else:
            b.do(ev.Answered, actor=u, stage_id="story", text=text, channel=Channel.PRIVATE)
            b.do(ev.ShareChosen, actor=u, visibility=shares[i % 3])
    b.do(ev.Advanced, actor=fac)
    options = ["lighting", "patrols", "meetings"]
    for i, u in enumerate(users):
        b.do(ev.ChoiceToggled, actor=u, stage_id="priority", option_id=options[i % 3])
    b.do(ev.Advanced, actor=fac)
    for u in users[:3]:
        b.do(ev.Answered, actor=u, stage_id="commit", text=f"proposal from {u}")
        cid = b.state.commitments[-1].id
        b.do(ev.CommitmentOwnerSet, actor=u, commitment_id=cid, owner=Owner.BOTH)
        b.do(ev.CommitmentDueSet, actor=u, commitment_id=cid, due=Due.ONE_MONTH)
    for c in list(b.state.commitments):
        for u in users[3:]:
            b.do(ev.EndorsementToggled, actor=u, commitment_id=c.id)
    b.do(ev.Ended, actor=fac, confirmed=True)
    return b


def workload(seed: int, sessions: int, people: int) -> tuple[list[Update], dict[str, Any]]:
    """The interleaved update stream and, per session, the answers it must end with."""
    rng = random.Random(seed)
    sc = script()
    builders = [build_session(sc, n, rng, people) for n in range(sessions)]
    queues = [[(b, e, at) for e, at in b.events] for b in builders]
    stream = []
    while any(queues):
        q = rng.choice([q for q in queues if q])
        stream.append(q.pop(0))
    ids = rng.sample(range(1, 2_000_000_000), len(stream))  # not monotonic: a set, not a mark
    updates = []
    for uid, (b, raw_event, at) in zip(ids, stream, strict=True):
        event = {**raw_event, "event_id": f"u{uid}"}
        updates.append(
            (
                uid,
                {
                    "session": b.state.session_id,
                    "chat": b.chat_id,
                    "event": event,
                    "at": at.isoformat(),
                },
            )
        )
    expected = {b.state.session_id: len(b.state.answers) for b in builders}
    return updates, expected


def reference_states(updates: list[Update]) -> dict[str, SessionState]:
    """What each session must be after every update was applied once, in order."""
    sc = script()
    states: dict[str, SessionState] = {}
    for _, p in updates:
        sid = p["session"]
        state = states.get(sid) or new_session(sid, sc)
        states[sid], _ = step(sc, state, EVENT.validate_python(p["event"]), _at(p))
    return states


def _at(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["at"])


# --- the child: one life of the bot ------------------------------------------------------------


class _Crash:
    def __init__(self) -> None:
        self.at = int(os.environ.get("KILL_AT", "0"))
        self.n = 0

    def boundary(self) -> None:
        self.n += 1
        if self.n == self.at:
            os.kill(os.getpid(), signal.SIGKILL)


async def child(db: Path, updates: list[Update], sent_log: Path) -> None:
    sc = script()
    crash = _Crash()
    store = await Store.open(db, DataKey.from_env_value(os.environ["IKIGANIRO_DATA_KEY"]))
    print("ready", flush=True)
    with sent_log.open("a") as sent:

        async def drain() -> None:
            for oid, _sid, _payload in await store.outbox_pending():
                sent.write(f"{oid}\n")  # "sent" to Telegram; the kernel keeps it past a kill
                sent.flush()
                crash.boundary()
                await store.outbox_done(oid)

        async def process(update_id: int, payload: dict[str, Any]) -> None:
            sid = payload["session"]
            async with store.write() as tx:
                state = await tx.load_state(sid) or new_session(sid, sc)
                event = EVENT.validate_python(payload["event"])
                state, effects = step(sc, state, event, _at(payload))
                await tx.save_state(state, payload["chat"], None)
                for effect in effects:
                    if isinstance(effect, Schedule):
                        data = effect.event.model_dump(mode="json")
                        await tx.schedule(sid, effect.name, effect.at, data)
                    elif isinstance(effect, Cancel):
                        await tx.cancel(sid, effect.name)
                    else:
                        await tx.enqueue(sid, effect.model_dump(mode="json"))
                await tx.mark_processed(update_id)
                crash.boundary()  # killed here: the whole transaction must vanish
            crash.boundary()
            print(f"processed {update_id}", flush=True)
            await drain()

        await drain()
        for update_id, payload in await store.inbox_pending():
            await process(update_id, payload)
        for update_id, payload in updates:  # Telegram redelivers all it was not told of
            if await store.inbox_add(update_id, payload, _at(payload)):
                crash.boundary()
                await process(update_id, payload)
    await store.close()
    print("done", flush=True)


# --- the parent --------------------------------------------------------------------------------


async def _check(db: Path, key: DataKey) -> str:
    store = await Store.open(db, key)
    try:
        return await store.integrity_check()
    finally:
        await store.close()


async def _verify(
    db: Path, key: DataKey, updates: list[Update], expected: dict[str, int]
) -> dict[str, Any]:
    reference = reference_states(updates)
    store = await Store.open(db, key)
    try:
        stored = duplicates = mismatched = 0
        async with store.write() as tx:
            for sid, want in reference.items():
                state = await tx.load_state(sid)
                assert state is not None, f"session {sid} missing"
                stored += len(state.answers)
                duplicates += len(state.answers) - len({a.text for a in state.answers})
                mismatched += state != want
            cur = await tx._exec(
                "SELECT count(*), count(processed_at), count(payload_enc) FROM inbox"
            )
            inbox = await cur.fetchone()
            await cur.close()
            applied = await tx._one(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM applied_events GROUP BY session_id)"
            )
        return {
            "answers_expected": sum(expected.values()),
            "answers_stored": stored,
            "duplicates": duplicates,
            "sessions_differing_from_reference": mismatched,
            "inbox_rows": inbox[0] if inbox else None,
            "inbox_processed": inbox[1] if inbox else None,
            "inbox_payloads_left": inbox[2] if inbox else None,
            "outbox_left": len(await store.outbox_pending(limit=1_000_000)),
            "applied_ids_max_per_session": applied[0] if applied else None,
            "integrity": await store.integrity_check(),
        }
    finally:
        await store.close()


def _spawn(args: argparse.Namespace, workdir: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--workdir", str(workdir)]
    cmd += ["--seed", str(args.seed), "--sessions", str(args.sessions)]
    cmd += ["--people", str(args.people)]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)


def parent(args: argparse.Namespace, workdir: Path) -> int:
    rng = random.Random(args.seed)
    updates, expected = workload(args.seed, args.sessions, args.people)
    db, sent_log = workdir / "soak.db", workdir / "sent.log"
    key_text = generate_key()
    key = DataKey.from_env_value(key_text)
    base_env = {**os.environ, "IKIGANIRO_DATA_KEY": key_text}
    base_env.pop("KILL_AT", None)
    total, processed = len(updates), set()
    kills = timer_kills = runs = 0
    rate = 0.0  # updates per second, measured from earlier lives
    started = time.monotonic()
    while kills < args.kills:
        runs += 1
        remaining = max(1, total - len(processed))
        share = max(1.0, remaining / (args.kills - kills + 2))
        by_timer = rate > 0 and rng.random() < 0.5
        env = dict(base_env)
        if not by_timer:
            env["KILL_AT"] = str(rng.randint(1, max(2, int(1.5 * share * 6))))
        proc = _spawn(args, workdir, env)
        assert proc.stdout is not None
        if by_timer:
            assert proc.stdout.readline().strip() == "ready"
            life_start = time.monotonic()
            time.sleep(rng.uniform(0, 1.5 * share / rate))
            proc.send_signal(signal.SIGKILL)
        else:
            life_start = time.monotonic()
        lines = proc.stdout.read().splitlines()
        proc.wait()
        done_now = {ln.split()[1] for ln in lines if ln.startswith("processed ")}
        processed |= done_now
        life = time.monotonic() - life_start
        if done_now and life > 0:
            rate = len(done_now) / life if rate == 0 else (rate + len(done_now) / life) / 2
        if proc.returncode == -signal.SIGKILL:
            kills += 1
            timer_kills += by_timer
            result = asyncio.run(_check(db, key))
            if result != "ok":
                print(f"integrity check failed after kill {kills}: {result}")
                return 1
            print(
                f"kill {kills:>2} ({'timer' if by_timer else 'KILL_AT=' + env['KILL_AT']}): "
                f"{len(processed)}/{total} updates processed, integrity ok",
                flush=True,
            )
        elif proc.returncode == 0:
            print("the workload finished before all kills landed; use more --people")
            break
        else:
            print(f"child failed with exit code {proc.returncode}")
            return 1
    final = _spawn(args, workdir, base_env)
    out, _ = final.communicate()
    if final.returncode != 0 or not out.rstrip().endswith("done"):
        print(f"final run failed with exit code {final.returncode}")
        return 1
    figures = asyncio.run(_verify(db, key, updates, expected))
    sends = sent_log.read_text().split() if sent_log.exists() else []
    figures |= {
        "kills": kills,
        "timer_kills": timer_kills,
        "lives": runs + 1,
        "updates": total,
        "messages_sent": len(set(sends)),
        "messages_resent_after_kill": len(sends) - len(set(sends)),
        "seconds": round(time.monotonic() - started, 2),
    }
    print(json.dumps(figures, indent=2))
    ok = (
        figures["answers_stored"] == figures["answers_expected"]
        and figures["duplicates"] == 0
        and figures["sessions_differing_from_reference"] == 0
        and figures["inbox_rows"] == total == figures["inbox_processed"]
        and figures["inbox_payloads_left"] == 0
        and figures["outbox_left"] == 0
        and figures["integrity"] == "ok"
        and figures["messages_resent_after_kill"] <= kills
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--kills", type=int, default=20, help="SIGKILLs before the final run (the issue: 50)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=3)
    parser.add_argument("--people", type=int, default=12, help="participants per session")
    parser.add_argument("--workdir", type=Path, help="where the database goes (default: temp)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        updates, _ = workload(args.seed, args.sessions, args.people)
        asyncio.run(child(args.workdir / "soak.db", updates, args.workdir / "sent.log"))
        return 0
    if args.workdir:
        args.workdir.mkdir(parents=True, exist_ok=True)
        return parent(args, args.workdir)
    with tempfile.TemporaryDirectory(prefix="ikiganiro-soak-") as tmp:
        return parent(args, Path(tmp))


if __name__ == "__main__":
    sys.exit(main())
