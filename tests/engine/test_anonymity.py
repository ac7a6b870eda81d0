"""Anonymous means anonymous to everyone in the chat, facilitators included.

A facilitator may be a police officer; an anonymous story about insecurity may endanger its
teller. So nothing a facilitator or the group is shown — ``/status``, nudges, the live counts,
the moment an anonymous post appears — tells who wrote it, while the engine still knows whom
not to nudge.
"""

from __future__ import annotations

from bot.engine import events as ev
from bot.engine.effects import Delete, Edit, Group, Notice, NoticeView, Send, StatusView
from bot.engine.script import Script
from bot.engine.summary import RoleCounts, voice_counts

from .helpers import (
    FAC,
    LEAD,
    NAMES,
    POL,
    RES,
    RES2,
    Driver,
    keyed,
    make_script,
    notice_recipients,
    of_type,
    replies,
    stage,
)


def _status(d: Driver) -> StatusView:
    (sent,) = [e for e in d.do(ev.StatusRequested, actor=FAC) if isinstance(e, Send)]
    assert isinstance(sent.view, StatusView)
    return sent.view


def _shares(effects: list[object]) -> list[Send]:
    return [
        e
        for e in effects
        if isinstance(e, Send) and isinstance(e.to, Group) and (e.key or "").startswith("share:")
    ]


def _quiet_private(session: Driver) -> None:
    """RES shares anonymously, LEAD for the facilitators, POL replies in the group; RES2 is
    silent."""
    session.join(RES2)
    session.answer(POL, "story", "said in the group")
    session.answer(RES, "story", "what happened to me", channel="private")
    session.share(RES, "anonymous")
    session.answer(LEAD, "story", "for the facilitators", channel="private")
    session.share(LEAD, "facilitators")


def test_status_counts_private_answers_without_naming_their_authors(session: Driver) -> None:
    _quiet_private(session)
    view = _status(session)
    assert [line.name for line in view.answered] == [NAMES[POL]]
    assert view.unnamed == 2
    # The private answerers are among those not heard by name, as is the silent RES2: the
    # facilitator cannot tell them apart.
    assert {line.name for line in view.quiet} == {NAMES[RES], NAMES[LEAD], NAMES[RES2]}


def test_nudges_skip_private_answerers_and_do_not_say_how_many(session: Driver) -> None:
    _quiet_private(session)
    effects = session.do(ev.NudgeRequested, actor=FAC)
    assert notice_recipients(effects, Notice.NUDGE) == [RES2]
    (sent,) = [
        e.view
        for e in effects
        if isinstance(e, Send)
        and isinstance(e.view, NoticeView)
        and e.view.code is Notice.NUDGES_SENT
    ]
    assert sent.params == {}  # a count would tell the facilitator who answered privately


def _k_script(k: int = 3) -> Script:
    text = stage("story", "text", answer_in=["group", "private", "anonymous"])
    return make_script(text, stage("after", "info"), privacy_threshold=k)


def _k_session(k: int = 3) -> Driver:
    d = Driver(_k_script(k))
    d.open(FAC)
    for user in (POL, RES, LEAD, RES2):
        d.join(user)
    d.advance()
    return d


def test_an_anonymous_post_waits_until_k_people_have_answered() -> None:
    d = _k_session()
    d.answer(RES, "story", "my anonymous story", channel="private")
    effects = d.share(RES, "anonymous")
    assert _shares(effects) == []
    assert replies(effects) == [Notice.SHARED_HELD]
    assert _shares(d.answer(POL, "story", "first in the group")) == []

    effects = d.answer(LEAD, "story", "second in the group")

    (post,) = _shares(effects)
    assert post.view.text == "my anonymous story"
    assert post.view.author is None
    assert not any(a.held for a in d.state.answers)


def test_an_anonymous_post_is_released_when_its_stage_closes() -> None:
    d = _k_session()
    d.answer(RES, "story", "my anonymous story", channel="private")
    d.share(RES, "anonymous")

    effects = d.advance()

    (post,) = _shares(effects)
    assert post.view.text == "my anonymous story"
    # Posted after the prompt closes and before the next stage opens.
    keys = [getattr(e, "key", None) for e in effects]
    assert keys.index("prompt:story") < keys.index(post.key) < keys.index("prompt:after")


def test_a_threshold_of_one_posts_at_once() -> None:
    d = _k_session(k=1)
    d.answer(RES, "story", "my anonymous story", channel="private")
    effects = d.share(RES, "anonymous")
    assert len(_shares(effects)) == 1
    assert replies(effects) == [Notice.SHARED]


def test_role_counts_never_change_on_an_anonymous_post() -> None:
    d = _k_session()
    story = d.script.stages[0]
    d.answer(RES, "story", "anonymous first", channel="private")
    effects = d.share(RES, "anonymous")
    assert keyed(effects, "prompt:story")[0].view.answered == RoleCounts()
    d.answer(RES, "story", "then in the group")
    assert voice_counts(d.state, story) == RoleCounts(resident=1)
    d.answer(POL, "story", "named too")
    before = voice_counts(d.state, story)
    d.answer(LEAD, "story", "and anonymous", channel="private")
    effects = d.share(LEAD, "anonymous")  # three people have answered: both posts go out
    assert len(_shares(effects)) == 2
    assert voice_counts(d.state, story) == before == RoleCounts(police=1, resident=1)


def test_editing_a_held_post_shows_nothing_yet() -> None:
    d = _k_session()
    d.answer(RES, "story", "first words", channel="private", ref="p1")
    d.share(RES, "anonymous")
    effects = d.do(ev.AnswerEdited, actor=RES, source_ref="p1", text="better words")
    assert of_type(effects, Edit) == []
    assert d.state.answers[0].text == "better words"


def test_an_erased_author_of_a_held_post_leaves_nothing_to_post() -> None:
    d = _k_session()
    d.answer(RES, "story", "my anonymous story", channel="private")
    d.share(RES, "anonymous")
    effects = d.do(ev.ParticipantErased, actor=RES)
    assert [e for e in of_type(effects, Delete) if e.key.startswith("share:")] == []
    assert _shares(d.advance()) == []
