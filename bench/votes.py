"""Votes on the shared vision under Telegram's limits: how many edits do they cost the group?

Twenty participants open the default dialogue's vision stage; ten of them give a statement
(a reply in the group, so the bot posts a vote card under each), then all twenty vote on all
ten statements in a burst (one press every quarter of a second: 200 votes in 50 seconds), and
the group waits. Each vote is answered in the button's popup (free); the tally is an edit of
the statement's card, and an edit costs the group's budget (about 20 calls a minute) like a
message. The sender settles an edit that a later edit of the same card supersedes, so votes
that arrive while the budget is spent fold into one edit per card.

It prints, beside each goal: the edits of the cards for the 200 votes (goal: at most one per
five votes, 40: what the group's budget allows in the burst and the minute after it, not one
per vote), whether every card ends showing its exact tally (it must), the busiest minute in
the group and the calls refused for flood. Time is simulated, as in ``bench/group.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.group import crowded_api
from bot.callbacks import Action, button
from bot.demo import DEMO_LIMITS, Demo, demo_sender
from bot.dialogues import Library
from bot.offline.cast import FACILITATOR, GROUP_ID
from bot.storage import DataKey, Store
from bot.telegram.app import build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake
from bot.words.markup import strip_tags

BURST_SECONDS = 0.25
VOTES = ("agree", "agree", "unsure", "disagree")


async def session(people_count: int, statements: int, directory: Path) -> dict[str, Any]:
    library = Library.load()
    script = library["community-safety"]
    pace = SimulatedPace()
    api, people = crowded_api(pace, people_count)
    store = await Store.open(directory / "votes.db", DataKey.generate())
    app = build_application("123456:BENCH", request=api, limits=DEMO_LIMITS)
    try:
        runtime = await start_runtime(app, store, library)
        intake = Intake(app, runtime, demo_sender(app.bot, store, pace))

        async def feed(update: dict[str, Any]) -> None:
            pace.advance(BURST_SECONDS)
            await intake.feed(update)

        demo = Demo(api, store, feed, people=people)
        await demo.open(script.id)
        for _ in range(script.index("vision") + 1):
            await demo.command(FACILITATOR, "/next")
        prompt = await demo.live("prompt:vision")
        for n, person in enumerate(people[:statements]):
            await demo.reply(person, prompt, f"Statement {n + 1}: a safer hill, together.")
        await intake.sender.drain(patient=True)
        state = await runtime.service.state(demo.session_id)
        assert state is not None
        cards = {a.id: await demo.live(f"statement:{a.id}") for a in state.answers}
        edits_before = _card_edits(api, cards)
        for n, person in enumerate(people):
            for m, (answer_id, card) in enumerate(cards.items()):
                vote = VOTES[(n + m) % len(VOTES)]
                data = button(Action.AGREE, demo.session_id, answer_id, vote)
                await demo.press(person, GROUP_ID, card, data)
        await intake.sender.drain(patient=True)
        state = await runtime.service.state(demo.session_id)
        assert state is not None
        return {
            "votes": sum(len(v) for v in state.agreements.values()),
            "edits": _card_edits(api, cards) - edits_before,
            "exact": all(
                _shows(api, card, state.agreements.get(a, {})) for a, card in cards.items()
            ),
            "busiest": api.busiest_minute(GROUP_ID),
            "refused": len(
                [
                    c
                    for c in api.calls
                    if c.chat_id == GROUP_ID and c.error and c.error.status == 429
                ]
            ),
            "popups": len(api.calls_to("answerCallbackQuery")),
        }
    finally:
        await app.shutdown()
        await store.close()


def _card_edits(api: Any, cards: dict[str, int]) -> int:
    ids = set(cards.values())
    return len(
        [
            c
            for c in api.calls_to("editMessageText", GROUP_ID)
            if c.ok and c.params.get("message_id") in ids
        ]
    )


def _shows(api: Any, card: int, votes: dict[int, Any]) -> bool:
    """Whether a card's text shows the tally the state holds."""
    message = api.message(GROUP_ID, card)
    counts = [list(votes.values()).count(v) for v in ("agree", "unsure", "disagree")]
    expected = "Agree: {} · Not sure: {} · Disagree: {}".format(*counts)
    return message is not None and expected in strip_tags(str(message["text"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--participants", type=int, default=20)
    parser.add_argument("--statements", type=int, default=10)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ikiganiro-votes-") as tmp:
        figures = asyncio.run(session(args.participants, args.statements, Path(tmp)))
    goal = figures["votes"] // 5
    rows = [
        ("votes (each answered in its popup)", f"{figures['votes']}", ""),
        ("edits of the statement cards", f"{figures['edits']}", f"≤ {goal}"),
        ("every card shows its exact tally", "yes" if figures["exact"] else "NO", "yes"),
        ("busiest minute, calls into the group", f"{figures['busiest']}", "≤ 20"),
        ("calls refused for flood (429)", f"{figures['refused']}", "0"),
    ]
    print(
        f"{args.participants} people vote on {args.statements} statements "
        "under Telegram's limits (simulated time)\n"
    )
    for name, value, target in rows:
        print(f"{name:<40} {value:>6}  {target}")
    ok = figures["edits"] <= goal and figures["exact"] and figures["refused"] == 0
    print("goal met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
