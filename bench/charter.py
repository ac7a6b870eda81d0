"""How long the charter of a crowded session takes to render, and how big it is (``make bench``).

A session of 200 people where everyone wrote a vision statement and proposed a commitment (a
worst case: real groups agree on a handful) goes from its state to the PDF's bytes the way the
planner does it at /end: summary model, charter view, words, layout. The charter is rendered
inside the transaction that ends the session, so it must stay well under a second.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from bot.charter import charter_pdf
from bot.dialogues import Library
from bot.engine.machine import charter_view
from bot.engine.state import (
    Answer,
    Commitment,
    Due,
    Owner,
    Participant,
    Role,
    SessionState,
    Status,
    Visibility,
)

GOAL_SECONDS = 1.0
MOMENT = datetime(2025, 6, 14, 9, 0, tzinfo=UTC)
VISION = (
    "Officers known by name in every quarter, and people who call them early; lights on the "
    "river path, and women who walk there at night without fear. ({n})"
)
COMMITMENT = (
    "Walk the river path together once a month, residents and police, from the market. ({n})"
)


def crowd(people: int) -> SessionState:
    """An ended session of ``people`` participants, each with a vision and a commitment."""
    roles = (Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.LEADER)
    state = SessionState(
        session_id="bench",
        script_id="community-safety",
        status=Status.ENDED,
        opened_at=MOMENT,
        ended_at=MOMENT + timedelta(hours=3),
    )
    for n in range(1, people + 1):
        state.participants[n] = Participant(
            user_id=n, name=f"P{n}", consented=True, role=roles[n % 4], joined_at=MOMENT
        )
        state.answers.append(
            Answer(
                id=f"a{n}",
                stage_id="vision",
                user_id=n,
                text=VISION.format(n=n),
                visibility=Visibility.NAMED,
                created_at=MOMENT,
            )
        )
        state.commitments.append(
            Commitment(
                id=f"c{n}",
                stage_id="commitments",
                text=COMMITMENT.format(n=n),
                proposer=n,
                owner=(Owner.POLICE, Owner.RESIDENTS, Owner.BOTH)[n % 3],
                due=Due.ONE_MONTH,
                due_date=MOMENT + timedelta(days=30),
                created_at=MOMENT,
                endorsers=list(range(1, min(people, 8) + 1)),
            )
        )
    return state


def measure(state: SessionState, languages: tuple[str, ...], runs: int) -> tuple[float, int]:
    """The median seconds from state to PDF bytes, and the PDF's size."""
    script = Library.load()["community-safety"]  # loaded once when the bot starts: not timed
    times, size = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        content = charter_pdf(charter_view(script, state, MOMENT), languages, group_title="Bench")
        times.append(time.perf_counter() - start)
        size = len(content)
    return statistics.median(times), size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    state = crowd(args.people)
    ok = True
    print(
        f"charter of a {args.people}-person session ({args.people} commitments, median of "
        f"{args.runs} runs)"
    )
    for languages in (("rn",), ("rn", "fr")):
        seconds, size = measure(state, languages, args.runs)
        ok = ok and seconds <= GOAL_SECONDS
        print(
            f"  {' + '.join(languages):8} {seconds:6.3f} s (goal <= {GOAL_SECONDS:.1f} s)"
            f"   {size / 1024:7.1f} KiB"
        )
    small, size = measure(crowd(4), ("en",), args.runs)
    print(f"  the demo's 4 people: {small:.3f} s, {size / 1024:.1f} KiB")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
