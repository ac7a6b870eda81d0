"""What a person's act means is decided by the engine: a text, a followed link, /nudge.

The shell reports acts as they happened (``Said``, ``LinkOpened``, ``NudgeRequested`` without a
stage); the engine finds the stage they concern, or finds that they concern nothing, in which
case the state is returned as it was (not even the event id is remembered).
"""

from __future__ import annotations

from bot.engine import events as ev
from bot.engine.effects import Notice
from bot.engine.script import Channel

from .helpers import (
    FAC,
    POL,
    RES,
    STRANGER,
    Driver,
    full_script,
    notice_recipients,
    notices_to,
    told,
)


def _at_story() -> Driver:
    d = Driver(full_script())
    d.open()
    d.join(POL)
    d.join(RES)
    d.goto("story")
    return d


def _said(d: Driver, actor: int, text: str, **fields: object) -> list[object]:
    return list(d.do(ev.Said, actor=actor, text=text, **fields))


def test_a_reply_to_a_prompt_answers_that_stage() -> None:
    d = _at_story()
    _said(
        d, POL, "We greeted everyone at the market.", replies_to="prompt:story", source_ref="1:2"
    )
    assert [a.stage_id for a in d.state.answers] == ["story"]


def test_a_participants_plain_message_answers_the_open_text_stage() -> None:
    d = _at_story()
    _said(d, RES, "Neighbours walked me home after dark.")
    assert [(a.user_id, a.stage_id) for a in d.state.answers] == [(RES, "story")]


def test_conversation_changes_nothing_not_even_the_applied_ids() -> None:
    d = _at_story()
    before = d.state
    for actor, replies_to in ((STRANGER, None), (FAC, None), (STRANGER, "welcome")):
        assert _said(d, actor, "good morning everyone", replies_to=replies_to) == []
        assert d.state is before
    d.goto("pick")  # a choice stage: a participant's plain message is conversation too
    before = d.state
    assert _said(d, POL, "thank you", replies_to="welcome") == []
    assert d.state is before


def test_a_private_text_answers_the_open_stage_as_a_draft() -> None:
    d = _at_story()
    effects = _said(d, RES, "A story I will not tell with my name.", channel=Channel.PRIVATE)
    assert RES in d.state.drafts and d.state.drafts[RES].stage_id == "story"
    assert notices_to(effects, RES) == [Notice.SHARE_CHOICE]  # type: ignore[arg-type]


def test_a_join_link_asks_for_consent_and_an_answer_link_only_if_not_joined() -> None:
    d = _at_story()
    effects = d.do(ev.LinkOpened, actor=STRANGER, purpose="join")
    assert notices_to(effects, STRANGER) == [Notice.CONSENT_REQUEST]
    # A participant who came to answer is asked the open stage's question again, privately.
    asked = d.do(ev.LinkOpened, actor=POL, purpose="answer")
    assert notices_to(asked, POL) == [Notice.ANSWER_HERE]
    before = d.state
    assert d.do(ev.LinkOpened, actor=STRANGER, purpose="hello") == []
    assert d.state is before
    effects = d.do(ev.LinkOpened, actor=STRANGER, purpose="answer")
    assert notices_to(effects, STRANGER) == [Notice.CONSENT_REQUEST]


def test_nudge_without_a_stage_is_about_the_open_one() -> None:
    d = _at_story()
    effects = d.do(ev.NudgeRequested, actor=FAC)
    assert told(effects, FAC) == [Notice.NUDGES_SENT]
    assert sorted(notice_recipients(effects, Notice.NUDGE)) == sorted([POL, RES])
