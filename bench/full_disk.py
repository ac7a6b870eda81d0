"""A real full disk in the middle of a whole default session (``make soak``).

The database lives on a 16 MiB tmpfs mounted for the run (needs root: elsewhere the soak says
so and is skipped). Midway the disk is filled to the last byte for ``--full-for`` seconds while
the people answer, with ``ikiganiro run``'s own pauses (1 s doubling to 60 s). Prints what
happened beside the goals: nothing acknowledged while full, the operator told why (log and
``ikiganiro status``), growing pauses, then every answer stored exactly once, the session
completed and ``integrity_check`` ok.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e.full_disk import CannotMount, DiskFigures, full_disk_session, tmpfs


def _ok(f: DiskFigures) -> bool:
    growing = len(f.pauses) < 2 or all(
        b >= a for a, b in zip(f.pauses, f.pauses[1:], strict=False)
    )
    return (
        not f.failure
        and f.held_back == 4
        and "disk is full" in f.said_why
        and "nearly full" in f.status_says
        and growing
        and f.completed
        and f.answers_stored == f.answers_expected
        and f.duplicated_answers == 0
        and f.integrity == "ok"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full-for", type=float, default=6.0, help="seconds the disk is full")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger().addHandler(logging.NullHandler())
    print(f"a whole session with the disk full for {args.full_for:.0f} s (16 MiB tmpfs)")
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ikiganiro-disk-") as tmp,
            tmpfs(Path(tmp) / "disk", "16m") as disk,
        ):
            f = asyncio.run(full_disk_session(disk, full_for=args.full_for))
    except CannotMount as why:
        print(f"  SKIPPED: {why}")
        return 0
    pauses = ", ".join(f"{p:g}" for p in f.pauses)
    print(f"  answers given while full, still held by Telegram: {f.held_back}/4   (goal 4/4)")
    print(f"  tries to keep them the disk refused: {f.failed_keeps}, pauses {pauses} s   "
          "(goal: growing, no tight loop)")  # fmt: skip
    print(f"  the log said: {f.said_why}")
    print(f"  ikiganiro status said: {' '.join(f.status_says.split())}")
    print(f"  after freeing the space, everything processed in {f.recovered_in:.1f} s")
    print(
        f"  answers stored {f.answers_stored}/{f.answers_expected}, twice "
        f"{f.duplicated_answers}, completed {f.completed}, integrity {f.integrity}   "
        "(goal: all, none twice, True, ok)"
    )
    if f.failure:
        print(f"  stopped by {f.failure}")
    passed = _ok(f)
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
