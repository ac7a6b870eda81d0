"""Whole default sessions while the offline Bot API fails 30 % of the counted calls
(``make soak``): every answer stored once, the summary posted, no message posted more than
twice. Several seeds, every fault kind (5xx, timeouts, resets, null results, malformed bodies,
lost responses); prints the figures of each beside the goals.

The people act on what they see (``tests.e2e.trials.OnScreen``): a post set aside after two
tries without an answer ("unconfirmed") may or may not be on screen; when it is not, they do
what people do (tap the join link again, the facilitator presses /next, /end or /summary again)
and the bot shows it again. "asked again" counts those second tries.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.trials import EXPECTED_COMMITMENTS, FaultFigures, faulty_session


def _ok(figures: FaultFigures) -> bool:
    return (
        figures.completed
        and figures.answers_stored == figures.answers_expected
        and figures.duplicated_answers == 0
        and figures.commitments == EXPECTED_COMMITMENTS
        and figures.max_posts <= 2
    )


async def _run(seeds: list[int], rate: float, directory: Path) -> list[FaultFigures]:
    return [
        await faulty_session(directory / f"s{seed}.db", seed=seed, rate=rate) for seed in seeds
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5, 6, 7, 8])
    parser.add_argument("--rate", type=float, default=0.3)
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.CRITICAL)
    logging.getLogger().addHandler(logging.NullHandler())
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ikiganiro-faults-") as tmp:
        runs = asyncio.run(_run(args.seeds, args.rate, Path(tmp)))
    print(f"whole sessions with {args.rate:.0%} of counted calls failing")
    print(
        "  goals: answers stored = expected, none twice, max posts of one message <= 2, completed"
    )
    for f in runs:
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(f.faults.items()))
        print(
            f"  seed {f.seed:>3}: answers {f.answers_stored}/{f.answers_expected}, "
            f"twice {f.duplicated_answers}, commitments {f.commitments}/{EXPECTED_COMMITMENTS}, "
            f"max posts {f.max_posts}, completed {f.completed}, "
            f"unconfirmed {f.unconfirmed}, asked again {f.repeats}  [{kinds}]"
        )
        if f.failure:
            print(f"            stopped by {f.failure}")
    passed = sum(_ok(f) for f in runs)
    print(f"  {passed}/{len(runs)} sessions met every goal in {time.monotonic() - started:.1f} s")
    print("PASS" if passed == len(runs) else "FAIL")
    return 0 if passed == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
