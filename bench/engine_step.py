"""What one engine step costs, and whether it grows with the session (``make bench``).

A session of the default script with 4, 20 and 60 people is walked through the engine alone
(``bot.offline.walk``: the demo's words, every stage up to the contributions, so the state
holds everyone's stories, vision statements and votes); then one more answer, a participant's
reply in the group, is stepped again and again on that state (``step`` is pure: each call does
the same work) and the median is printed beside the goal. Storage, Telegram and the words are
not in the figure: ``bench/throughput.py`` measures the whole update.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.machine import step
from bot.engine.script import Script
from bot.offline.walk import Walk, crowd

SIZES = (4, 20, 60)
STAGE = "contributions"
GOAL_US = 200.0


def median_step_us(script: Script, size: int, repeats: int) -> tuple[float, int]:
    """The median cost of one answer's step in a session of ``size`` people, and how many
    answers the state held."""
    walk = Walk(script, crowd(size))
    state = walk.run(stop=STAGE)
    answer = ev.Answered(
        event_id="bench:answer",
        actor=walk.people[0].user_id,
        stage_id=STAGE,
        text="I can lend my bicycle to the night patrol.",
        source_ref="bench:1",
    )
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        step(script, state, answer, walk.now)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1e6, len(state.answers)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=300)
    args = parser.parse_args()
    script = Library.load()["community-safety"]
    figures = {size: median_step_us(script, size, args.repeats) for size in SIZES}
    print(f"engine step, one answer to '{STAGE}' (median of {args.repeats}):")
    for size, (us, answers) in figures.items():
        held = f"{size:3d} people ({answers:3d} answers held)"
        print(f"  {held}: {us:7.0f} µs  (goal <= {GOAL_US:.0f} µs)")
    smallest, largest = figures[SIZES[0]][0], figures[SIZES[-1]][0]
    print(
        f"growth {SIZES[0]} -> {SIZES[-1]} people: x{largest / smallest:.1f} "
        f"(goal: flat in size, <= {GOAL_US:.0f} µs at every size)"
    )


if __name__ == "__main__":
    main()
