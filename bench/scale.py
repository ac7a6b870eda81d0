"""A thousand groups at once: the full bot under a national programme's busiest hour.

Issue #14 asks for 1,000 groups of 20 participants running the default script at the same
time, with their updates interleaved. Each group has its own group chat, facilitator and people
(``bot.demo.Demo``, one asyncio task per group); all groups share one bot: one Store (a real
SQLite file, a real data key), one PTB Application with no Telegram limits (the machine's own
speed), one intake and one sender, against one in-memory Bot API holding every group.

The loop is production's: people act, their updates queue up at the in-memory Telegram; the bot
takes up to 100 of them with ``getUpdates`` (the intake's own call), keeps them in its inbox
(``Intake.accept_batch``), processes them in slices of one transaction each and sends what they
caused (``process_pending``); only then do the people whose updates were in that poll see the
answers and act again. People and bot take turns (the people's simulation costs CPU too): the
bot's time is counted from the moment ``getUpdates`` handed it a poll until that poll is kept,
processed and sent, and nothing of the people's runs inside it. An update's handling time is
its slice's (:data:`HANDLING`), and is printed from the poll as well.

The same updates, recorded as the bot took them, are then given to two bare PTB Applications on
the same kind of in-memory Bot API (``sessions.bare``): one whose handler does nothing, one
whose handler sends one message per update. One table: each figure beside its goal.

A whole 1,000-group session is about 450,000 updates; ``--stages`` runs only the first stages
of the script (every group opens its session and everyone joins first), so ``make bench`` stays
short. ``--profile`` writes a cProfile dump of the bot's side and prints what dominates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import gc
import json
import pstats
import resource
import statistics
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from held import held
from sessions import TOKEN, UNLIMITED, add_group, bare, crowd, rate

from bot.collector import settle
from bot.demo import Demo
from bot.dialogues import DEFAULT_SCRIPT, Library
from bot.engine.script import Script
from bot.offline.api import FakeBotApi
from bot.offline.cast import Person
from bot.offline.limits import COUNTED_METHODS
from bot.storage import DataKey, Store
from bot.telegram.app import AnyApplication, build_application, start_runtime
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender

P99_GOAL_MS = 50.0
RATIO_GOAL = 2.0
RSS_GOAL_MB = 300.0
TELEGRAM_PER_SECOND = 30.0  # what Telegram lets one bot token send, all chats together
# The opening, everyone joining, welcome and ground rules: keeps `make bench` under ten minutes
# at today's speed; `--stages 3` adds the first stage everyone answers (docs/performance.md).
DEFAULT_STAGES = 2
CHUNK = 20_000  # updates per bare Application in the baselines: bounded memory

HANDLING = (
    "handling time of an update: from the moment the bot turned to the slice it came in (for"
    " a poll's first slice, the moment getUpdates handed the bot the poll; for a later one,"
    " the commit of the slice before) until the transaction holding the slice's state changes"
    " committed (the sender may send only then); every update of a slice gets the slice's"
    " figure, so it includes waiting for the updates before it in the slice, not the sending."
    " From the poll: the same, counted from getUpdates for every slice of the poll, so it"
    " includes waiting behind the poll's earlier slices (the bot's own queue)"
)


@dataclass(frozen=True)
class Group:
    """One workshop: its group chat, its facilitator, its participants."""

    chat_id: int
    facilitator: Person
    people: tuple[Person, ...]


def workshops(count: int, size: int) -> list[Group]:
    """``count`` groups of ``size`` participants, every chat and person id distinct."""
    step = size + 1
    return [
        Group(
            chat_id=-1_002_000_000_000 - index,
            facilitator=Person(10_000_000 + index * step, f"Facilitator {index + 1}", None),
            people=crowd(size, first_id=10_000_000 + index * step + 1),
        )
        for index in range(count)
    ]


def telegram(groups: list[Group], latency: float = 0.0) -> FakeBotApi:
    """One in-memory Telegram holding every group, no limits, answering ``latency`` s late."""
    api = FakeBotApi(bot_username="ikiganiro_bot", latency=latency)
    for group in groups:
        add_group(api, group.chat_id, group.facilitator, group.people)
    return api


class Turns:
    """The people's side: an update goes to Telegram's queue, and whoever sent it waits until
    the bot has handled the batch it came in (and sent its answers) before acting again.

    ``quiet`` is set when nobody is acting: every group waits for the bot, or is done. The bot
    starts a batch only then, so none of the people's work runs inside the bot's time.
    """

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.acting = 0
        self.waiting: dict[int, asyncio.Future[None]] = {}
        self.quiet = asyncio.Event()

    def start(self, group: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        """A group starts acting (it calls :meth:`finished` when done)."""
        self.acting += 1
        self.quiet.clear()
        return asyncio.create_task(group)

    async def deliver(self, update: dict[str, Any]) -> None:
        if not self.api.deliver(update)[0]:
            return  # privacy mode hides it from the bot: nothing to wait for
        future = asyncio.get_running_loop().create_future()
        self.waiting[int(update["update_id"])] = future
        self._idle()
        await future

    def finished(self) -> None:
        """A group is done (or failed): it acts no more."""
        self._idle()

    def answered(self, update_ids: list[int]) -> None:
        """The bot handled these updates: their people see the answers and act again."""
        for update_id in update_ids:
            future = self.waiting.pop(update_id, None)
            if future is not None:
                self.acting += 1
                future.set_result(None)
        if self.acting:
            self.quiet.clear()

    def _idle(self) -> None:
        self.acting -= 1
        if self.acting == 0:
            self.quiet.set()


class TimedSender(Sender):
    """The bot's own sender, noting how long it spends sending."""

    busy: float = 0.0

    async def drain(self, *, patient: bool = False) -> int:
        started = time.perf_counter()
        try:
            return await super().drain(patient=patient)
        finally:
            self.busy += time.perf_counter() - started


class TimedIntake(Intake):
    """The bot's own intake, noting when each slice (one transaction) committed and how many
    updates it held."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slices: list[tuple[float, int]] = []

    async def _process_slice(
        self, batch: list[tuple[int, dict[str, Any]]], began: float
    ) -> tuple[int, int, bool]:
        outcome = await super()._process_slice(batch, began)
        self.slices.append((time.perf_counter(), outcome[1]))
        return outcome


@dataclass
class Rig:
    """The bot and the world it serves, built and started, not yet run."""

    groups: list[Group]
    script: Script
    api: FakeBotApi
    store: Store
    app: AnyApplication
    intake: TimedIntake
    sender: TimedSender
    rss_world_mb: float


class Pauses:
    """The garbage collector's collections while the block runs: how many of each generation,
    and the longest (a batch that meets one waits for it)."""

    def __init__(self) -> None:
        self.counts = [0, 0, 0]
        self.longest = 0.0
        self._started = 0.0

    def __enter__(self) -> Pauses:
        gc.callbacks.append(self._note)
        return self

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self._note)

    def _note(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.counts[info["generation"]] += 1
        self.longest = max(self.longest, time.perf_counter() - self._started)


@dataclass
class Load:
    """What a run measured."""

    updates: int = 0
    batches: int = 0
    slices: int = 0
    handling: list[float] = field(default_factory=list)  # seconds, one per update
    from_poll: list[float] = field(default_factory=list)  # seconds, one per update
    bot_seconds: float = 0.0
    wall_seconds: float = 0.0
    messages: int = 0  # Bot API calls that posted or changed a message, delivered
    calls: int = 0  # every Bot API call the bot made but getUpdates
    rss_peak_mb: float = 0.0
    db_bytes: int = 0
    wal_bytes: int = 0
    kept_messages: int = 0  # messages the in-memory Telegram holds at the end
    world_mb: float = 0.0  # what the in-memory Telegram holds, walked (bench/held.py)
    pauses: Pauses = field(default_factory=Pauses)  # the collector's, in the load
    set_aside: int = 0


def peak_rss_mb() -> float:
    """The process's peak resident size so far (Linux gives ``ru_maxrss`` in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextlib.asynccontextmanager
async def rig(
    directory: Path, groups: int, people: int, latency: float = 0.0
) -> AsyncIterator[Rig]:
    """Every group's world in one in-memory Telegram, then the bot, started."""
    library = Library.load()
    crowds = workshops(groups, people)
    api = telegram(crowds, latency)
    rss_world = peak_rss_mb()
    store = await Store.open(directory / "scale.db", DataKey.generate())
    app = build_application(TOKEN, request=api, limits=UNLIMITED)
    try:
        runtime = await start_runtime(app, store, library)
        sender = TimedSender(app.bot, store, budget=UNLIMITED.budget())
        intake = TimedIntake(app, runtime, sender)
        script = library[DEFAULT_SCRIPT]
        yield Rig(crowds, script, api, store, app, intake, sender, rss_world)
    finally:
        await app.shutdown()
        await store.close()


async def play(demo: Demo, script: Script, stages: int, turns: Turns) -> None:
    """One group's session: opened, everyone joins, the first ``stages`` stages."""
    try:
        await demo.open(script.id)
        for index in range(stages):
            await demo.command(demo.facilitator, "/next")
            await demo.stage(script, index)
        if stages == len(script.stages):
            await demo.end(demo.facilitator)
    finally:
        turns.finished()


async def run_load(
    rig: Rig, stages: int, *, record: Path | None = None, profile: cProfile.Profile | None = None
) -> Load:
    """Every group through the first ``stages`` stages at once, the bot taking batches of what
    they sent; ``record`` keeps the updates as the bot took them (JSON lines)."""
    turns = Turns(rig.api)
    load = Load()
    started = time.perf_counter()
    tasks = [
        turns.start(play(demo, rig.script, stages, turns))
        for demo in (
            Demo(
                rig.api,
                rig.store,
                turns.deliver,
                g.people,
                group=g.chat_id,
                facilitator=g.facilitator,
            )
            for g in rig.groups
        )
    ]
    with record.open("w") if record else contextlib.nullcontext() as kept, load.pauses:
        try:
            await serve(rig, turns, load, kept, profile)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
    await asyncio.gather(*tasks)  # every group is done by now; one that failed says why
    load.wall_seconds = time.perf_counter() - started
    load.rss_peak_mb = peak_rss_mb()
    load.db_bytes = rig.store.path.stat().st_size
    wal = rig.store.path.with_name(rig.store.path.name + "-wal")
    load.wal_bytes = wal.stat().st_size if wal.exists() else 0
    load.kept_messages = sum(len(rig.api.messages(g.chat_id)) for g in rig.groups)
    load.world_mb = held(rig.api) / 1e6
    load.set_aside = rig.intake.set_aside
    return load


async def serve(
    rig: Rig, turns: Turns, load: Load, kept: Any, profile: cProfile.Profile | None
) -> None:
    """The bot's side: while anyone waits for an answer, take a batch and handle it."""
    offset: int | None = None
    while True:
        await turns.quiet.wait()
        batch = await rig.intake._fetch(offset, 0)  # the last call confirms the last batch
        if not turns.waiting:
            if batch:
                raise RuntimeError(f"{len(batch)} update(s) reached the bot after the end")
            return
        if not batch:
            raise RuntimeError(f"{len(turns.waiting)} update(s) awaited never reached the bot")
        rig.intake.slices.clear()
        if profile is not None:
            profile.enable()
        taken = time.perf_counter()
        offset = await rig.intake.accept_batch(batch)
        await rig.intake.process_pending()
        done = time.perf_counter()
        if profile is not None:
            profile.disable()
        timed(load, taken, rig.intake.slices)
        load.bot_seconds += done - taken
        load.updates += len(batch)
        load.batches += 1
        tally(rig.api, load)
        if kept is not None:
            kept.writelines(json.dumps(raw) + "\n" for raw in batch)
        turns.answered([int(raw["update_id"]) for raw in batch if isinstance(raw, dict)])


def timed(load: Load, taken: float, slices: list[tuple[float, int]]) -> None:
    """Each update's handling time, from its slice's start and from the poll (:data:`HANDLING`)."""
    turned = taken
    for committed, count in slices:
        load.handling += [committed - turned] * count
        load.from_poll += [committed - taken] * count
        turned = committed
    load.slices += len(slices)


def tally(api: FakeBotApi, load: Load) -> None:
    """Count the Bot API calls the bot made, then forget them: Telegram keeps no such log in
    the bot's process, and a thousand groups' worth would swell the memory measured."""
    load.messages += sum(1 for call in api.calls if call.ok and call.method in COUNTED_METHODS)
    load.calls += sum(1 for call in api.calls if call.method != "getUpdates")
    api.calls.clear()


def recorded(path: Path) -> Iterator[list[dict[str, Any]]]:
    """The recorded updates, in chunks of :data:`CHUNK`."""
    chunk: list[dict[str, Any]] = []
    with path.open() as lines:
        for line in lines:
            chunk.append(json.loads(line))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


async def baselines(groups: list[Group], path: Path) -> tuple[float, float]:
    """Seconds two bare PTB Applications take for the recorded updates: handler doing
    nothing, handler sending one message (each chunk on a fresh in-memory Telegram where
    everyone has opened a private chat with the bot, so a bare bot may write to them)."""
    idle = sending = 0.0
    for chunk in recorded(path):
        api = telegram(groups)
        for group in groups:
            for person in (group.facilitator, *group.people):
                api.started(person.user_id)
        idle += await bare(chunk, api, send=False)
        sending += await bare(chunk, api, send=True)
    return idle, sending


def row(name: str, measured: str, goal: str = "", ok: bool | None = None) -> str:
    """One line of the table: the figure, then its goal and whether it is met, if it has one."""
    mark = "" if ok is None else "ok" if ok else "NOT MET"
    return f"  {name:<36} {measured:<40} {goal:<20} {mark}".rstrip()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


NOTES = (
    f"{HANDLING}.",
    "full bot: updates / bot time (keeping, processing, sending; not getUpdates, not the"
    " simulated people); bare PTB: the same updates, one by one.",
    "peak RSS includes the simulated Telegram and its people, holding every message of every"
    " group ({kept:,} in the group chats at the end).",
    "sender throughput: Bot API calls that post or change a message, delivered, per second"
    " the sender spent sending (the in-memory Telegram's work included).",
)


def report(rig: Rig, stages: int, load: Load, idle: float, sending: float) -> bool:
    """The one table; True if every goal is met."""
    people = sum(len(g.people) for g in rig.groups)
    ran = (
        f"stages 1-{stages} of {len(rig.script.stages)}"
        f" ({', '.join(s.id for s in rig.script.stages[:stages])})"
        if stages
        else "no stage: opening the sessions and joining only"
    )
    p99 = percentile(load.handling, 0.99) * 1000
    full = rate(load.updates, load.bot_seconds)
    one_send = rate(load.updates, sending)
    ratio = one_send / full
    # What PTB and the in-memory Telegram alone cost the bot's calls, as a ratio: the baselines
    # give a dispatch (the idle one) and a call (one-send minus idle) per update.
    per_update = load.calls / load.updates
    floor = (idle + per_update * (sending - idle)) / sending
    sends = rate(load.messages, rig.sender.busy)
    others = load.wall_seconds - load.bot_seconds
    print(
        f"The 1,000-group load: {len(rig.groups):,} groups x {people // len(rig.groups)}"
        f" participants, {rig.script.id}, {ran}"
    )
    for line in (
        row(
            "updates handled",
            f"{load.updates:,} in {load.batches:,} polls, {load.slices:,} slices",
        ),
        row(
            "groups / participants",
            f"{len(rig.groups):,} / {people:,}",
            "1,000 / 20,000",
            len(rig.groups) >= 1_000 and people >= 20_000,
        ),
        row(
            "wall time",
            f"{load.wall_seconds:.1f} s (bot {load.bot_seconds:.1f} s,"
            f" people and getUpdates {others:.1f} s)",
        ),
        row("handling time per update, p50", f"{statistics.median(load.handling) * 1000:.1f} ms"),
        row(
            "handling time per update, p99",
            f"{p99:.1f} ms",
            f"<= {P99_GOAL_MS:.0f} ms",
            p99 <= P99_GOAL_MS,
        ),
        row(
            "  from the poll, p50 / p99",
            f"{statistics.median(load.from_poll) * 1000:.1f} /"
            f" {percentile(load.from_poll, 0.99) * 1000:.1f} ms",
        ),
        row("full bot", f"{full:,.0f} updates/s"),
        row("bare PTB, handler does nothing", f"{rate(load.updates, idle):,.0f} updates/s"),
        row("bare PTB, one send per update", f"{one_send:,.0f} updates/s"),
        row("ratio one-send / full bot", f"{ratio:.1f}", f"<= {RATIO_GOAL}", ratio <= RATIO_GOAL),
        row(
            "Bot API calls per update",
            f"{per_update:.2f} (one-send baseline: 1)",
        ),
        row(
            "  ratio from those calls alone",
            f"{floor:.2f} (PTB and the in-memory Telegram, nothing of the bot's own)",
        ),
        row(
            "garbage collections, gen 0/1/2",
            f"{'/'.join(map(str, load.pauses.counts))}, longest"
            f" {load.pauses.longest * 1000:.0f} ms",
        ),
        row("RSS after building the world", f"{rig.rss_world_mb:.0f} MB"),
        row(
            "peak RSS (bot + simulated Telegram)",
            f"{load.rss_peak_mb:.0f} MB",
            f"<= {RSS_GOAL_MB:.0f} MB",
            load.rss_peak_mb <= RSS_GOAL_MB,
        ),
        row(
            "  of which the simulated Telegram holds",
            f"at least {load.world_mb:.0f} MB at the end (its objects, walked)",
        ),
        row(
            "database at the end (file + WAL)",
            f"{(load.db_bytes + load.wal_bytes) / 1e6:.1f} MB"
            f" ({load.db_bytes / 1e6:.1f} + {load.wal_bytes / 1e6:.1f})",
        ),
        row(
            "sender throughput",
            f"{sends:,.0f} messages/s ({load.messages:,} in {rig.sender.busy:.1f} s)",
            f">= {TELEGRAM_PER_SECOND:.0f}/s (Telegram's)",
            sends >= TELEGRAM_PER_SECOND,
        ),
    ):
        print(line)
    for note in NOTES:
        text = note.format(kept=load.kept_messages)
        print(textwrap.fill(f"- {text}", 96, initial_indent="  ", subsequent_indent="    "))
    if load.set_aside:
        print(f"  ! {load.set_aside} update(s) set aside: the load is not what it should be")
    return p99 <= P99_GOAL_MS and ratio <= RATIO_GOAL and load.rss_peak_mb <= RSS_GOAL_MB


def top(profile: cProfile.Profile, path: Path) -> None:
    profile.dump_stats(str(path))
    print(f"\ncProfile of the bot's side written to {path}; top 30 by cumulative time:")
    print("(COMMIT, BEGIN and the reader's queries run on threads: shown as the loop waiting)")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(30)


async def main_async(args: argparse.Namespace) -> bool:
    groups, people, stages, profile = args.groups, args.people, args.stages, args.profile
    with tempfile.TemporaryDirectory(prefix="ikiganiro-scale-") as tmp:
        async with rig(Path(tmp), groups, people, args.latency / 1000) as built:
            count = len(built.script.stages) if stages is None else stages
            count = max(0, min(count, len(built.script.stages)))
            profiler = cProfile.Profile() if profile else None
            updates = Path(tmp) / "updates.jsonl"
            settle()  # as `ikiganiro run` does once its first poll is out (bot/collector.py)
            load = await run_load(built, count, record=updates, profile=profiler)
            idle, sending = await baselines(built.groups, updates)
            if args.latency:
                print(f"The bot's Telegram answers every call {args.latency:g} ms late.")
            met = report(built, count, load, idle, sending)
    if profiler is not None and profile is not None:
        top(profiler, profile)
    return met


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=1_000, help="groups at once")
    parser.add_argument("--people", type=int, default=20, help="participants per group")
    parser.add_argument(
        "--stages",
        type=int,
        default=DEFAULT_STAGES,
        help=f"run only the script's first N stages (default {DEFAULT_STAGES}; 0: open and"
        " join only; a number past the last: the whole session, /end included)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        nargs="?",
        const=Path("scale.prof"),
        help="write a cProfile dump of the bot's side (default file scale.prof)",
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="milliseconds the bot's Telegram takes to answer each call (default 0: at once;"
        " the bare baselines still answer at once, so the ratio then means little)",
    )
    args = parser.parse_args()
    if args.groups < 1 or args.people < 1 or args.stages < 0 or args.latency < 0:
        parser.error("--groups and --people need at least 1, --stages and --latency 0 or more")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
