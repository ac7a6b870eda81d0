"""A crowded group under Telegram's limits: is the next prompt quick, and the group quiet?

Twenty participants and a facilitator go through the default dialogue against the in-memory
Bot API with Telegram's limits on (429 past 20 calls a minute in the group). At every stage all
twenty answer (reply, vote, propose, endorse) in a burst of a few seconds; ten seconds after the
last of them the facilitator sends /next. It prints, beside each goal (issue #9):

- the time from that /next to the next prompt being delivered, p50 and p95;
- the most calls the group received in any sixty seconds;
- the bot's messages posted into the group per participant contribution, prompts, the welcome
  and the summary excluded (what the group was shown that one person alone needed).

Time is simulated (``SimulatedPace``, shared by the sender and the in-memory Bot API): it passes
as people act and as the sender waits for the group's budget, so the figures are the waits
Telegram's limits impose, the same on any machine. What one update costs the machine is
``bench/throughput.py``'s figure.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bot.cli import guard
from bot.demo import DEMO_LIMITS, Demo, demo_api, demo_sender
from bot.dialogues import Library
from bot.engine.state import Role
from bot.offline.api import FakeBotApi
from bot.offline.cast import FACILITATOR, GROUP_ID, Person, demo_world
from bot.storage import DataKey, Store
from bot.telegram.app import build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake
from bot.words.markup import strip_tags

ROLES = (Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.LEADER)
BURST_SECONDS = 0.25  # between two people's acts within a burst
BEFORE_NEXT = 10.0  # seconds between the last answer and the facilitator's /next


def crowd(size: int) -> tuple[Person, ...]:
    return tuple(Person(5_000 + n, f"Person {n + 1}", ROLES[n % len(ROLES)]) for n in range(size))


class Counting:
    """Feeds updates a few simulated seconds apart and counts the crowd's contributions."""

    def __init__(self, intake: Intake, pace: SimulatedPace, people: tuple[Person, ...]) -> None:
        self.intake, self.pace = intake, pace
        self.ids = {p.user_id for p in people}
        self.contributions = 0
        self.counting = False

    async def __call__(self, update: dict[str, Any]) -> None:
        self.pace.advance(BURST_SECONDS)
        body = update.get("message") or update.get("callback_query") or {}
        if self.counting and body.get("from", {}).get("id") in self.ids:
            self.contributions += 1
        await self.intake.feed(update)


def crowded_api(pace: SimulatedPace, size: int) -> tuple[FakeBotApi, tuple[Person, ...]]:
    """The demo's Telegram, with Telegram's limits, and a crowd of ``size`` in its group."""
    api = demo_api(pace)
    demo_world(api)
    people = crowd(size)
    for person in people:
        api.add_user(person.user_id, person.name, language_code=person.language)
    api.add_members(GROUP_ID, [p.user_id for p in people])
    return api, people


async def session(size: int, directory: Path) -> dict[str, float]:
    library = Library.load()
    script = library["community-safety"]
    pace = SimulatedPace()
    api, people = crowded_api(pace, size)
    store = await Store.open(directory / "group.db", DataKey.generate())
    app = build_application("123456:BENCH", request=api, limits=DEMO_LIMITS)
    try:
        runtime = await start_runtime(app, store, library)
        intake = Intake(app, runtime, demo_sender(app.bot, store, pace))
        feed = Counting(intake, pace, people)
        # Someone waits to see a card the group's budget still holds back (the vote cards of
        # twenty statements take the group's whole minute).
        demo = Demo(
            api, store, feed, people=people, patience=lambda: intake.sender.drain(patient=True)
        )
        await demo.open(script.id)
        delays = []
        for index in range(len(script.stages)):
            pace.advance(BEFORE_NEXT)
            asked = pace.now()
            await intake.feed(api.command(FACILITATOR.user_id, GROUP_ID, "/next"))
            delays.append(_delivered(api, index + 1) - asked)
            feed.counting = True
            await demo.stage(script, index)
            feed.counting = False
        await demo.end(FACILITATOR)
        await intake.sender.drain(patient=True)
        return await _figures(api, store, demo.session_id, delays, feed.contributions)
    finally:
        await app.shutdown()
        await store.close()


def _delivered(api: Any, number: int) -> float:
    """When the prompt of stage ``number`` reached the group (the in-memory API's clock)."""
    for call in api.calls:
        text = strip_tags(str(call.params.get("text", "")))
        posted = call.method == "sendMessage" and call.ok and call.chat_id == GROUP_ID
        if posted and text.startswith(f"Stage {number} of"):
            return float(call.at)
    raise RuntimeError(f"the prompt of stage {number} never reached the group")


async def _figures(
    api: Any, store: Store, session_id: str, delays: list[float], contributions: int
) -> dict[str, float]:
    kept = set()
    for key in ("welcome", "summary", "draft"):
        for index in range(10):
            ref = await store.message_ref(session_id, key if index == 0 else f"{key}#{index}")
            if ref is not None:
                kept.add(ref[1])
    posted = [
        c
        for c in api.calls
        if c.method == "sendMessage" and c.ok and c.chat_id == GROUP_ID
        and not strip_tags(str(c.params.get("text", ""))).startswith("Stage ")
        and (c.result or {}).get("message_id") not in kept
    ]  # fmt: skip
    refused = [c for c in api.calls if c.chat_id == GROUP_ID and c.error and c.error.status == 429]
    quantiles = statistics.quantiles(delays, n=20, method="inclusive")
    return {
        "p50": statistics.median(delays),
        "p95": quantiles[18],
        "busiest": api.busiest_minute(GROUP_ID),
        "per_contribution": len(posted) / max(contributions, 1),
        "posted": len(posted),
        "contributions": contributions,
        "refused": len(refused),
        "group_calls": len([c for c in api.calls if c.chat_id == GROUP_ID and c.ok]),
    }


def report(size: int, figures: dict[str, float]) -> str:
    rows = [
        ("/next → next prompt delivered, p50", f"{figures['p50']:.2f} s", ""),
        ("/next → next prompt delivered, p95", f"{figures['p95']:.2f} s", "≤ 2 s"),
        ("busiest minute, calls into the group", f"{figures['busiest']:.0f}", "≤ 20"),
        (
            "group messages per contribution",
            f"{figures['per_contribution']:.3f}",
            "≤ 0.1",
        ),
        ("  messages posted", f"{figures['posted']:.0f}", ""),
        ("  contributions", f"{figures['contributions']:.0f}", ""),
        ("calls into the group in all", f"{figures['group_calls']:.0f}", ""),
        ("calls refused for flood (429)", f"{figures['refused']:.0f}", "0"),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    lines = [f"A group of {size} participants under Telegram's limits (simulated time)", ""]
    lines += [f"{'figure':<{width}}  {'value':>10}  goal", "-" * (width + 20)]
    lines += [f"{name:<{width}}  {value:>10}  {goal}" for name, value, goal in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--participants", type=int, default=20)
    args = parser.parse_args()
    logging.basicConfig(format="%(message)s")
    guard(logging.getLogger().handlers[0], "123456:BENCH")  # as `ikiganiro run` logs
    with tempfile.TemporaryDirectory(prefix="ikiganiro-bench-") as tmp:
        figures = asyncio.run(session(args.participants, Path(tmp)))
    print(report(args.participants, figures))


if __name__ == "__main__":
    main()
