"""How long is the take-home summary? Characters and messages for 4, 20 and 60 participants.

A whole session of the default dialogue (``community-safety``) is played on the engine alone
(no Telegram: the lengths depend only on what was said), with the demo's answers going round
the group: everyone introduces themself, tells both stories (one in four the unsafe one
privately and without a name), picks two dimensions, gives a statement of the vision and
votes Agree / Not sure / Disagree on every statement, says what they can bring; one in five
proposes a commitment that most endorse; one in four says "do not quote me" at the review.

It prints, per group size and language, the final take-home summary's length as Telegram
counts it (UTF-16 units of the text shown) and in messages (parts of at most 4096), beside the
facilitators' full record (what the group used to be posted) and the goal (docs/summary.md):

- 1 message for a small group (4): pinned whole, forwarded in one tap;
- at most 2 messages for 20 and for 60: the group takes home a text of a few phone screens
  whatever its size, and the first message, the one pinned, starts with the commitments and
  the shared vision (the longer lists are shortened, each with a count of what the
  facilitators' record holds besides).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import RecordView, SummaryView
from bot.engine.machine import new_session, step
from bot.engine.script import CHOICE_KINDS, Script, StageKind
from bot.engine.state import Role, SessionState
from bot.engine.summary import build_summary
from bot.i18n.catalog import translator
from bot.offline.cast import ANSWERS, COMMITMENTS, GENERAL_ANSWER
from bot.words.markup import Context, split_message, telegram_length
from bot.words.views import render

ROLES = (Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.LEADER)
SIZES = (4, 20, 60)
GOALS = {4: 1, 20: 2, 60: 2}  # messages at most
FACILITATOR = 1
START = datetime(2025, 6, 14, 9, 0, tzinfo=UTC)


class Session:
    """The engine, stepped with events as the shell would build them."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.state: SessionState = new_session("bench1", script)
        self.now = START
        self.serial = 0

    def do(self, cls: type[Any], **fields: Any) -> None:
        self.serial += 1
        self.now += timedelta(seconds=5)
        event = cls(event_id=f"e{self.serial}", **fields)
        self.state, _ = step(self.script, self.state, event, self.now)


def play(size: int) -> Session:
    """A whole session of ``size`` participants; see the module's docstring for who says what."""
    s = Session(Library.load()["community-safety"])
    s.do(ev.Opened, actor=FACILITATOR)
    people = [10_000 + n for n in range(size)]
    for n, person in enumerate(people):
        s.do(ev.Joined, actor=person)
        s.do(ev.Consented, actor=person, accept=True, name=f"Person {n + 1}")
        s.do(ev.RoleChosen, actor=person, role=ROLES[n % len(ROLES)])
    for stage in s.script.stages:
        s.do(ev.Advanced, actor=FACILITATOR)
        if stage.kind is StageKind.TEXT:
            _texts(s, stage.id, people, anonymous=stage.id == "unsafe_story")
            if stage.agree:
                _votes(s, stage.id, people)
        elif stage.kind in CHOICE_KINDS:
            for n, person in enumerate(people):
                for k in (0, 3):
                    option = stage.options[(n + k) % len(stage.options)].id
                    s.do(ev.ChoiceToggled, actor=person, stage_id=stage.id, option_id=option)
        elif stage.kind is StageKind.COMMITMENT:
            _commitments(s, stage.id, people)
        elif stage.kind is StageKind.REVIEW:
            for n, person in enumerate(people):
                s.do(ev.QuoteConsentSet, actor=person, allow=n % 4 != 1)
    s.do(ev.Ended, actor=FACILITATOR, confirmed=True)
    return s


def _texts(s: Session, stage_id: str, people: list[int], *, anonymous: bool) -> None:
    answers = ANSWERS.get(stage_id, (GENERAL_ANSWER,))
    for n, person in enumerate(people):
        text = answers[n % len(answers)]
        if anonymous and n % 4 == 2:
            s.do(ev.Said, actor=person, text=text, channel="private")
            s.do(ev.ShareChosen, actor=person, visibility="anonymous")
        else:
            s.do(ev.Said, actor=person, text=text, replies_to=f"prompt:{stage_id}")


def _votes(s: Session, stage_id: str, people: list[int]) -> None:
    """Everyone votes on every statement. One in three statements everyone agrees on (the
    leaders are not sure), one in three the residents agree on and the police do not, one in
    three half are not sure: bridging, dividing and undecided statements alike."""
    vote = getattr(ev, "AgreementSet", None)
    if vote is None:  # before the group could vote on its vision
        return
    for i, answer in enumerate(s.state.answers_for(stage_id)):
        for n, person in enumerate(people):
            role = ROLES[n % len(ROLES)]
            choice = "agree"
            if role is Role.LEADER or (i % 3 == 2 and n % 2):
                choice = "unsure"
            elif i % 3 == 1 and role is Role.POLICE:
                choice = "disagree"
            s.do(vote, actor=person, answer_id=answer.id, vote=choice)


def _commitments(s: Session, stage_id: str, people: list[int]) -> None:
    for n, proposer in enumerate(people[::5]):
        text = COMMITMENTS[n % len(COMMITMENTS)][0]
        s.do(ev.Said, actor=proposer, text=text, replies_to=f"prompt:{stage_id}")
        cid = s.state.commitments[-1].id
        for m, person in enumerate(people):
            if (m + n) % 3:
                s.do(ev.EndorsementToggled, actor=person, commitment_id=cid)


def measure(s: Session, view_type: type, language: str) -> tuple[int, int]:
    """(characters as Telegram counts them, messages) of one rendering."""
    ctx = Context(translator(language), s.script, s.state.session_id, "ikiganiro_bot")
    text = render(view_type(summary=build_summary(s.script, s.state)), ctx).text
    parts = split_message(text)
    return sum(telegram_length(p) for p in parts), len(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--languages", default="en,fr,sw,rn")
    args = parser.parse_args(argv)
    ok = True
    print("Take-home summary at /end (final), default dialogue; goal = messages at most")
    head = f"{'people':>6} {'lang':>4} {'take-home':>18} {'goal':>5}"
    print(f"{head}   {'full record (private)':>24}")
    for size in SIZES:
        session = play(size)
        for language in args.languages.split(","):
            chars, messages = measure(session, SummaryView, language)
            record_chars, record_messages = measure(session, RecordView, language)
            met = messages <= GOALS[size]
            ok &= met
            print(
                f"{size:>6} {language:>4} {chars:>7} chars, {messages} msg {GOALS[size]:>4}"
                f"{'' if met else ' !'}   {record_chars:>7} chars, {record_messages:>2} msg"
            )
    print("goal met" if ok else "GOAL MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
