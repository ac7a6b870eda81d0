"""Silence where nothing is needed: nothing a person alone needs is said in the group.

A reply the bot cannot use on a stage that takes no text is conversation; a refusal meant for
one person (not a participant, stage not open, too short, not a facilitator, ...) is sent to
that person privately, never answered in the group. A ``Reply`` to an act in the group is a
group message (the planner answers a group act where it happened), so these events may answer
with ``Reply`` only for the quiet acknowledgement (a reaction).
"""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from bot.engine import events as ev
from bot.engine.effects import Effect, Group, Notice, NoticeView, Reply, Send
from bot.engine.script import Channel

from .helpers import FAC, POL, RES, STRANGER, Driver, group_bound, notices_to


def group_messages(effects: Iterable[Effect]) -> list[Effect]:
    """What becomes a new message in the group when the act happened in the group."""
    return [
        e
        for e in effects
        if (isinstance(e, Send) and isinstance(e.to, Group))
        or (
            isinstance(e, Reply)
            and not (isinstance(e.view, NoticeView) and e.view.code is Notice.DONE)
        )
    ]


def said(d: Driver, actor: int, text: str, replies_to: str | None) -> list[Effect]:
    ref = f"-100:{d.next_id()}"
    return d.do(ev.Said, actor=actor, text=text, replies_to=replies_to, source_ref=ref)


def test_thanks_to_an_info_prompt_are_conversation(lobby: Driver) -> None:
    lobby.goto("intro")
    before = lobby.state
    for actor in (POL, RES, STRANGER, FAC):
        assert said(lobby, actor, "thank you!", "prompt:intro") == []
    assert lobby.state is before


@pytest.mark.parametrize("stage_id", ["pick", "multi", "review", "outro"])
def test_a_reply_to_a_prompt_that_takes_no_text_is_conversation(
    lobby: Driver, stage_id: str
) -> None:
    lobby.goto(stage_id)
    before = lobby.state
    assert said(lobby, POL, "I like the first one", f"prompt:{stage_id}") == []
    assert lobby.state is before


def test_a_burst_of_unusable_inputs_posts_nothing_in_the_group(lobby: Driver) -> None:
    effects: list[Effect] = []
    lobby.goto("intro")
    for actor in (POL, RES, STRANGER):
        effects += said(lobby, actor, "thank you", "prompt:intro")
    for cls in (ev.Advanced, ev.WentBack, ev.Paused, ev.Ended, ev.StatusRequested):
        effects += lobby.do(cls, actor=STRANGER)
    effects += lobby.do(ev.NudgeRequested, actor=STRANGER)
    lobby.goto("story")
    effects += said(lobby, STRANGER, "let me in", "prompt:story")
    effects += said(lobby, POL, "ab", "prompt:story")  # too short
    effects += said(lobby, POL, "x" * 51, "prompt:story")  # too long
    effects += said(lobby, RES, "early words", "prompt:vision")  # a stage not open
    effects += lobby.do(ev.AnswerEdited, actor=POL, source_ref="nowhere", text="hm")
    lobby.do(ev.WentBack, actor=FAC)
    effects += lobby.do(ev.WentBack, actor=FAC)  # already at the first stage
    effects += lobby.do(ev.NudgeRequested, actor=FAC)  # an info stage takes no answers
    lobby.goto("outro")
    effects += lobby.do(ev.Advanced, actor=FAC)  # already at the last stage
    lobby.do(ev.Expired, idle_days=30)
    effects += said(lobby, POL, "one more thing", "prompt:outro")
    effects += said(lobby, RES, "and my story", "prompt:story")
    assert group_messages(effects) == []
    assert group_bound(effects) == []
    assert set(notices_to(effects, STRANGER)) == {Notice.NOT_FACILITATOR, Notice.JOIN_FIRST}
    assert notices_to(effects, POL) == [Notice.TOO_SHORT, Notice.TOO_LONG]
    assert notices_to(effects, RES) == [Notice.STAGE_NOT_OPEN, Notice.SESSION_ENDED]
    assert notices_to(effects, FAC) == [
        Notice.AT_FIRST_STAGE,
        Notice.STAGE_NOT_OPEN,
        Notice.AT_LAST_STAGE,
    ]


def test_a_private_text_on_a_stage_that_takes_none_is_told_privately(lobby: Driver) -> None:
    lobby.goto("intro")
    effects = lobby.answer(POL, "intro", "a private word", channel=Channel.PRIVATE)
    assert notices_to(effects, POL) == [Notice.NOT_HERE]
    assert group_messages(effects) == []


def test_a_nudge_by_command_reports_privately_and_by_button_in_its_popup(
    session: Driver,
) -> None:
    by_command = session.do(ev.NudgeRequested, actor=FAC)
    assert notices_to(by_command, FAC) == [Notice.NUDGES_SENT]
    assert group_messages(by_command) == []
    by_button = session.do(ev.NudgeRequested, actor=FAC, stage_id="story")
    assert [e.view.code for e in by_button if isinstance(e, Reply)] == [Notice.NUDGES_SENT]
    assert notices_to(by_button, FAC) == []
    refused = session.do(ev.ChoiceToggled, actor=STRANGER, stage_id="pick", option_id="alpha")
    assert [e.view.code for e in refused if isinstance(e, Reply)] == [Notice.JOIN_FIRST]
