"""Ten thousand odd updates against a running session (``make soak``); nothing may give.

The default session is played by the demo's people on a real SQLite file; in its middle, odd
updates (``bot.offline.oddities``: wrong types, unknown kinds, forged buttons, strangers, other
bots…) go straight into the intake; then the people finish it. Prints the figures beside their
goals: errors 0, the session unchanged by them, and then completed with its summary.
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

from tests.e2e.trials import odd_session


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())  # counted, not printed
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="ikiganiro-odd-") as tmp:
        figures, _ = asyncio.run(
            odd_session(Path(tmp) / "odd.db", count=args.count, seed=args.seed)
        )
    rows = [
        ("odd updates fed", figures.fed, f"{args.count}"),
        ("dropped at the door", figures.dropped, "-"),
        ("set aside", figures.set_aside, "-"),
        ("errors", figures.errors, "0"),
        ("session fields changed", len(figures.changed), "0"),
        ("applied ids not the odd updates' own", figures.applied_foreign, "0"),
        ("session completed, summary posted", figures.completed, "True"),
        ("seconds", round(time.monotonic() - started, 1), "-"),
    ]
    print(f"odd updates, seed {args.seed}; families: {dict(sorted(figures.families.items()))}")
    for name, value, goal in rows:
        print(f"  {name:<40} {value!s:>8}   goal {goal}")
    for line in [*figures.escaped, *figures.handled, *figures.logged][:10]:
        print(f"  error: {line}")
    ok = (
        figures.fed == args.count
        and figures.errors == 0
        and not figures.changed
        and figures.applied_foreign == 0
        and figures.completed
    )
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
