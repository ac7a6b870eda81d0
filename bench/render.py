"""What the end of a 200-person session costs to render: summary, record, charter (``make bench``).

At ``/end`` the engine builds the summary model from the state (``bot.engine.summary``), the
planner renders it as the take-home summary the group keeps (edited into the draft's message,
split into Telegram's parts), as the full record each facilitator gets privately, and draws the
charter PDF; all of it inside the transaction that ends the session. Issue #14's goals: the
summary of a 200-person session in 100 ms (the model and the take-home text together), its
charter in a second.

The session is the default script walked through the engine (``bot.offline.walk``) by 200 of
the demo's people, stopped as ``/end`` is confirmed: everyone answers every stage (a risky
story shared without a name, answers mended, someone added without a phone), chooses, votes
on the vision's statements, and endorses commitments. Two sessions, both through the engine:

- ``usual``: each person votes on the ten statements around their own (about 3,900 votes),
  every tenth proposes a commitment (22 with the demo's) and each endorses 15 of them;
- ``worst``: each votes on 50 statements (about 11,400 votes) and everyone proposes a
  commitment (202): more than any real group says, to show the margin. (Everyone voting on
  every statement, 40,000 votes, takes the engine minutes to walk; the summary's cost grows
  with the votes linearly.)

Each figure is the median of several runs of exactly what the planner does (the script is
loaded once when the bot starts: not timed); the full record is printed apart, without a goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.charter import charter_pdf
from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import RecordView, SummaryView
from bot.engine.machine import charter_view
from bot.engine.script import Script, Stage
from bot.engine.state import SessionState
from bot.engine.summary import Summary, build_summary
from bot.i18n.catalog import LANGUAGES, translator
from bot.offline.cast import COMMITMENTS, Person
from bot.offline.walk import Walk, crowd
from bot.words.markup import Context, split_message
from bot.words.views import render

SUMMARY_GOAL = 0.100  # seconds: the model and the take-home summary together
CHARTER_GOAL = 1.0  # seconds: state to PDF bytes
VOTES_EACH = 10  # statements each person votes on in the usual session
VOTE_CYCLE = ("agree", "agree", "unsure", "agree", "disagree")
T = TypeVar("T")


@dataclass(frozen=True)
class Shape:
    """How much a session of the crowd says besides what the walk has everyone say."""

    name: str
    votes_each: int  # statements of the vision each person votes on
    propose_every: int  # one person in this many proposes a commitment
    endorse_each: int  # commitments each person endorses (at most all of them)


SHAPES = (
    Shape("usual", votes_each=10, propose_every=10, endorse_each=15),
    Shape("worst", votes_each=50, propose_every=1, endorse_each=15),
)


class Crowded(Walk):
    """The walk of a big session, up to the confirmed ``/end`` (nothing after it)."""

    def __init__(self, script: Script, people: tuple[Person, ...], shape: Shape) -> None:
        super().__init__(script, people, session_id="render")
        self.shape = shape

    def vote(self, stage: Stage) -> None:
        """The walk's votes, then each person's on the statements they see around their own,
        police and residents agreeing on some, divided on others."""
        super().vote(stage)
        statements = [a.id for a in self.state.answers_for(stage.id) if not a.held]
        for n, person in enumerate(self.people):
            for k in range(min(self.shape.votes_each, len(statements))):
                m = (n + k) % len(statements)
                vote = VOTE_CYCLE[(m + n * (m % 3 == 1)) % len(VOTE_CYCLE)]
                self.act(ev.AgreementSet, actor=person.user_id, answer_id=statements[m], vote=vote)

    def commit(self, stage: Stage) -> None:
        """The walk's commitments, then one by every few people, each settled; then each
        person endorses some of them (the first four did in the walk)."""
        super().commit(stage)
        for n, person in enumerate(self.people[:: self.shape.propose_every]):
            text, owner, due = COMMITMENTS[n % len(COMMITMENTS)]
            ref = f"{stage.id}:{person.user_id}:crowd"
            self.act(
                ev.Answered, actor=person.user_id, stage_id=stage.id, text=text, source_ref=ref
            )
            cid = self.state.commitments[-1].id
            self.act(ev.CommitmentOwnerSet, actor=person.user_id, commitment_id=cid, owner=owner)
            self.act(ev.CommitmentDueSet, actor=person.user_id, commitment_id=cid, due=due)
        ids = [c.id for c in self.state.commitments]
        for n, person in enumerate(self.people[4:]):
            for k in range(min(self.shape.endorse_each, len(ids))):
                cid = ids[(n + k) % len(ids)]
                self.act(ev.EndorsementToggled, actor=person.user_id, commitment_id=cid)

    def afterwards(self) -> None:
        """Nothing: what is timed is what ``/end`` renders."""


def median(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    """The median seconds of ``runs`` calls of ``work``, and its last result."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def row(what: str, seconds: float, goal: float | None = None) -> tuple[str, bool]:
    """One line of the table: what was timed, its median, and its goal with ok / NOT MET."""
    met = goal is None or seconds <= goal
    verdict = "" if goal is None else f"<= {goal * 1000:4.0f} ms  {'ok' if met else 'NOT MET'}"
    return f"  {what:50} {seconds * 1000:8.1f} ms  {verdict}".rstrip(), met


def summary_rows(script: Script, state: SessionState, runs: int) -> list[tuple[str, bool]]:
    """The summary model; per language the take-home summary as the group gets it (the
    planner's render and split), and the two together against the goal; the record apart."""
    model_s, summary = median(runs, lambda: build_summary(script, state))
    rows = [row("summary model (build_summary)", model_s)]
    records = []
    for language in LANGUAGES:
        ctx = Context(translator(language), script, state.session_id, "ikiganiro_bot")

        def take_home(summary: Summary = summary, ctx: Context = ctx) -> list[str]:
            return split_message(render(SummaryView(summary=summary), ctx).text)

        def whole(ctx: Context = ctx) -> list[str]:
            return take_home(build_summary(script, state), ctx)

        def record(ctx: Context = ctx) -> list[str]:
            return split_message(render(RecordView(summary=summary), ctx).text)

        text_s, parts = median(runs, take_home)
        rows.append(row(f"take-home summary, {language} ({len(parts)} messages)", text_s))
        whole_s, _ = median(runs, whole)
        rows.append(row(f"  summary, {language}: model + take-home", whole_s, SUMMARY_GOAL))
        record_s, record_parts = median(runs, record)
        records.append(row(f"full record, {language} ({len(record_parts)} messages)", record_s))
    return [*rows, ("  the full record, to each facilitator privately (no goal):", True), *records]


def charter_rows(script: Script, walk: Walk, runs: int) -> list[tuple[str, bool]]:
    """State to PDF bytes, as at ``/end``: the charter view (its own summary model), the
    words, the layout; in English, and Kirundi with French beside it."""
    rows = []
    for languages in (("en",), ("rn", "fr")):

        def pdf(languages: tuple[str, ...] = languages) -> bytes:
            view = charter_view(script, walk.state, walk.now)
            return charter_pdf(view, languages, group_title="Bench")

        seconds, content = median(runs, pdf)
        what = f"charter PDF, {' + '.join(languages)} ({len(content) / 1024:.0f} KiB)"
        rows.append(row(what, seconds, CHARTER_GOAL))
    return rows


def describe(name: str, state: SessionState) -> str:
    votes = sum(len(v) for v in state.agreements.values())
    endorsements = sum(len(c.endorsers) for c in state.commitments)
    return (
        f"{name}: {len(state.participants)} people, {len(state.answers)} answers, {votes} votes, "
        f"{len(state.commitments)} commitments, {endorsements} endorsements"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sessions", default=",".join(shape.name for shape in SHAPES))
    args = parser.parse_args()
    script = Library.load()["community-safety"]  # loaded once when the bot starts: not timed
    print(
        f"Rendering at /end, a {args.people}-person session of {script.id} walked through the "
        f"engine (median of {args.runs} runs each)"
    )
    ok = True
    for shape in [s for s in SHAPES if s.name in args.sessions.split(",")]:
        walk = Crowded(script, crowd(args.people), shape)
        walk.run()
        print(describe(shape.name, walk.state))
        print(f"  {'what was timed':50} {'median':>11}  goal")
        rows = summary_rows(script, walk.state, args.runs)
        rows += charter_rows(script, walk, max(3, args.runs // 2))
        for line, met in rows:
            print(line)
            ok &= met
    print("goals met" if ok else "GOAL NOT MET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
