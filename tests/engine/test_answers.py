"""Answers: length limits, the per-stage cap, private drafts and how they are shared, edits,
choices."""

from __future__ import annotations

import pytest

from bot.engine import events as ev
from bot.engine.effects import (
    Edit,
    Group,
    Notice,
    PromptView,
    React,
    Send,
    SharedAnswerView,
)
from bot.engine.machine import MAX_ANSWERS_PER_STAGE
from bot.engine.state import Visibility
from bot.engine.summary import RoleCounts

from .helpers import (
    FAC,
    LEAD,
    NAMES,
    NOW,
    POL,
    RES,
    Driver,
    group_bound,
    keyed,
    make_script,
    notices_to,
    of_type,
    replies,
    stage,
    told,
)

# --- length limits (story: min 3, max 50) --------------------------------------------------------


@pytest.mark.parametrize("channel", ["group", "private"])
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ab", Notice.TOO_SHORT),
        ("   ab    ", Notice.TOO_SHORT),  # measured after stripping
        ("", Notice.TOO_SHORT),
        ("x" * 51, Notice.TOO_LONG),
        ("x" * 10_000, Notice.TOO_LONG),
    ],
)
def test_answers_outside_the_length_limits_are_refused(
    session: Driver, channel: str, text: str, expected: Notice
) -> None:
    before = session.state
    effects = session.answer(POL, "story", text, channel=channel, ref="m1")
    assert told(effects, POL) == [expected]
    params = effects[0].view.params
    assert params == ({"min": 3} if expected is Notice.TOO_SHORT else {"max": 50})
    assert session.state.answers == before.answers
    assert session.state.drafts == before.drafts


@pytest.mark.parametrize("text", ["abc", "  abc  ", "x" * 50, "ñ" * 50])
def test_answers_at_the_length_limits_are_kept(session: Driver, text: str) -> None:
    effects = session.answer(POL, "story", text, ref="m1")
    assert told(effects, POL) == []
    assert [a.text for a in session.state.answers] == [text.strip()]


# Texts that show nothing: zero-width space, joiners, byte-order mark, Braille blank, Hangul
# filler (keyboards offer them to send an "empty" message), or too few visible characters.
INVISIBLE = [
    "\u200b" * 3,
    "\u200b\u200d\ufeff\u2060",
    "\u2800" * 5,
    "\u3164" * 4,
    "ab\u200b\u200b",
    "\u180e\u200d \t\u00ad\n\u200b",  # spaces between invisible characters show nothing either
]


@pytest.mark.parametrize("channel", ["group", "private"])
@pytest.mark.parametrize("text", INVISIBLE)
def test_an_answer_of_nothing_visible_is_too_short(
    session: Driver, channel: str, text: str
) -> None:
    before = session.state
    effects = session.answer(POL, "story", text, channel=channel, ref="m1")
    assert told(effects, POL) == [Notice.TOO_SHORT]
    assert session.state.answers == before.answers
    assert session.state.drafts == before.drafts


@pytest.mark.parametrize("text", INVISIBLE)
def test_an_answer_cannot_be_edited_into_nothing_visible(session: Driver, text: str) -> None:
    session.answer(POL, "story", "first words", ref="m1")
    effects = session.do(ev.AnswerEdited, actor=POL, source_ref="m1", text=text)
    assert told(effects, POL) == [Notice.TOO_SHORT]
    assert session.state.answers[0].text == "first words"


def test_joined_emoji_and_marks_in_a_real_answer_are_kept(session: Driver) -> None:
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 ok"  # one emoji sequence and "ok"
    assert told(session.answer(POL, "story", family, ref="m1"), POL) == []
    assert [a.text for a in session.state.answers] == [family]


def test_commitment_proposals_respect_the_stage_length(lobby: Driver) -> None:
    lobby.goto("commit")
    assert told(lobby.answer(POL, "commit", "y" * 101), POL) == [Notice.TOO_LONG]
    assert told(lobby.answer(POL, "commit", "   "), POL) == [Notice.TOO_SHORT]
    assert lobby.state.commitments == []


# --- a group answer ------------------------------------------------------------------------------


def test_a_group_answer_is_kept_named_and_acknowledged(session: Driver) -> None:
    effects = session.answer(POL, "story", "The market felt safe", ref="m1")
    (answer,) = session.state.answers
    assert (answer.stage_id, answer.user_id, answer.text, answer.visibility) == (
        "story",
        POL,
        "The market felt safe",
        Visibility.NAMED,
    )
    assert (answer.source_ref, answer.via_private, answer.created_at) == ("m1", False, NOW)
    assert not answer.posted_by_bot
    (prompt,) = keyed(effects, "prompt:story")
    assert isinstance(prompt, Edit)
    assert prompt.view.answered.police == 1
    assert prompt.view.open
    assert React(source_ref="m1") in effects
    # Without a message to react to, no reaction.
    assert of_type(session.answer(RES, "story", "Another one"), React) == []


def test_answer_cap_per_person_and_stage(session: Driver) -> None:
    for n in range(MAX_ANSWERS_PER_STAGE):
        assert told(session.answer(POL, "story", f"answer {n}"), POL) == []
    effects = session.answer(POL, "story", "one too many")
    assert told(effects, POL) == [Notice.TOO_MANY_ANSWERS]
    assert effects[0].view.params == {"max": MAX_ANSWERS_PER_STAGE}
    assert len(session.state.answers) == MAX_ANSWERS_PER_STAGE
    # Another person, and the same person at another stage, are not affected.
    assert told(session.answer(RES, "story", "my first"), RES) == []
    session.advance()
    assert told(session.answer(POL, "vision", "a vision"), POL) == []


def test_the_cap_counts_shared_answers_too(session: Driver) -> None:
    for n in range(MAX_ANSWERS_PER_STAGE):
        session.answer(POL, "story", f"answer {n}")
    session.answer(POL, "story", "a private one", channel="private")
    effects = session.share(POL, "named")
    assert replies(effects) == [Notice.TOO_MANY_ANSWERS]
    assert POL in session.state.drafts  # nothing entrusted is lost
    assert len(session.state.answers) == MAX_ANSWERS_PER_STAGE


# --- private answers, drafts and sharing ---------------------------------------------------------


def test_a_private_answer_becomes_a_draft_and_asks_how_to_share(session: Driver) -> None:
    effects = session.answer(RES, "story", "  written privately ", channel="private", ref="p1")
    assert session.state.answers == []
    draft = session.state.drafts[RES]
    assert (draft.stage_id, draft.text, draft.source_ref) == ("story", "written privately", "p1")
    assert notices_to(effects, RES) == [Notice.SHARE_CHOICE]
    assert effects[0].view.params == {
        "stage_id": "story",
        "choices": "named,anonymous,facilitators",
    }
    assert group_bound(effects) == []


def test_the_anonymous_channel_also_makes_a_draft(session: Driver) -> None:
    session.answer(RES, "story", "anonymous channel", channel="anonymous")
    assert session.state.drafts[RES].text == "anonymous channel"


def test_sharing_with_a_name(session: Driver) -> None:
    session.answer(RES, "story", "my named story", channel="private", ref="p1")
    effects = session.share(RES, "named")

    assert RES not in session.state.drafts
    (answer,) = session.state.answers
    assert (answer.visibility, answer.via_private, answer.text) == (
        Visibility.NAMED,
        True,
        "my named story",
    )
    assert answer.posted_by_bot
    posts = [e for e in effects if isinstance(e, Send) and isinstance(e.to, Group)]
    assert posts == [
        Send(
            to=Group(),
            view=SharedAnswerView(
                script_id="test-script", stage_id="story", text="my named story", author=NAMES[RES]
            ),
            key=f"share:{answer.id}",
        )
    ]
    assert keyed(effects, "prompt:story")[0].view.answered.resident == 1
    assert replies(effects) == [Notice.SHARED]
    assert effects[-1].view.params == {"visibility": "named"}


def test_sharing_anonymously_names_nobody_in_anything_the_group_sees(session: Driver) -> None:
    session.answer(POL, "story", "in the group")
    session.answer(LEAD, "story", "in the group too")  # enough answers: it is posted at once
    session.answer(RES, "story", "what happened to me", channel="private", ref="p1")
    effects = session.share(RES, "anonymous")

    answer = session.state.answers[-1]
    assert answer.visibility is Visibility.ANONYMOUS
    shared = [
        e for e in effects if isinstance(e.view if hasattr(e, "view") else None, SharedAnswerView)
    ]
    assert len(shared) == 1
    assert shared[0].view.author is None
    assert shared[0].to == Group()
    assert shared[0].reply_to is None
    group = group_bound(effects)
    assert group
    for effect in group:
        dump = effect.model_dump_json()
        assert NAMES[RES] not in dump
        assert "Zawadi" not in dump
        assert str(RES) not in dump
    # The stage's voices do not move: neither a community member nor "not said" is added.
    assert keyed(effects, "prompt:story")[0].view.answered == RoleCounts(police=1, leader=1)
    assert replies(effects) == [Notice.SHARED]


def test_sharing_with_facilitators_only_posts_nothing(session: Driver) -> None:
    session.answer(RES, "story", "for facilitators", channel="private")
    effects = session.share(RES, "facilitators")
    (answer,) = session.state.answers
    assert answer.visibility is Visibility.FACILITATORS
    assert not answer.posted_by_bot
    assert [e for e in group_bound(effects) if not isinstance(e, Edit)] == []
    assert [e.key for e in group_bound(effects)] == ["prompt:story"]
    assert RES not in session.state.drafts


def test_sharing_without_a_draft(session: Driver) -> None:
    before = session.state
    assert replies(session.share(RES, "named")) == [Notice.NO_DRAFT]
    assert session.state.answers == before.answers


def test_a_second_draft_replaces_the_first(session: Driver) -> None:
    session.answer(RES, "story", "first draft", channel="private")
    session.answer(RES, "story", "second draft", channel="private")
    assert session.state.drafts[RES].text == "second draft"


@pytest.mark.parametrize(
    ("answer_in", "refused"),
    [
        (["group", "private"], "anonymous"),
        (["anonymous"], "named"),
        (["group", "anonymous"], "named"),
    ],
)
def test_a_visibility_the_stage_does_not_allow_is_refused(
    answer_in: list[str], refused: str
) -> None:
    d = Driver(make_script(stage("tell", "text", answer_in=answer_in)))
    d.open(FAC)
    d.join(RES)
    d.advance()
    effects = d.answer(RES, "tell", "a private thing", channel="private")
    allowed = effects[0].view.params["choices"].split(",")
    assert refused not in allowed
    assert "facilitators" in allowed
    effects = d.share(RES, refused)
    assert replies(effects) == [Notice.NOT_HERE]
    assert d.state.answers == []
    assert d.state.drafts[RES].text == "a private thing"
    # A permitted choice still works afterwards (an anonymous one waits to be posted).
    assert replies(d.share(RES, allowed[0])) in ([Notice.SHARED], [Notice.SHARED_HELD])


def test_the_group_cannot_answer_a_private_only_stage(lobby: Driver) -> None:
    d = Driver(make_script(stage("tell", "text", answer_in=["private", "anonymous"])))
    d.open(FAC)
    d.join(RES)
    d.advance()
    assert told(d.answer(RES, "tell", "in the group"), RES) == [Notice.NOT_HERE]
    assert d.state.answers == []


def test_a_group_only_stage_takes_no_private_answers(lobby: Driver) -> None:
    d = Driver(make_script(stage("tell", "text", answer_in=["group"])))
    d.open(FAC)
    d.join(RES)
    d.advance()
    for channel in ("private", "anonymous"):
        assert told(d.answer(RES, "tell", "privately", channel=channel), RES) == [Notice.NOT_HERE]
    assert d.state.drafts == {}


def test_the_default_text_channels_are_group_and_private(lobby: Driver) -> None:
    lobby.goto("vision")
    effects = lobby.answer(RES, "vision", "a vision", channel="private")
    assert effects[0].view.params["choices"] == "named,facilitators"


@pytest.mark.parametrize("how", ["advanced", "paused"])
def test_a_draft_cannot_be_shared_into_a_closed_stage(session: Driver, how: str) -> None:
    session.answer(RES, "story", "written at story", channel="private")
    if how == "advanced":
        session.advance()  # story closes, vision opens
    else:
        session.do(ev.Paused, actor=FAC)
    effects = session.share(RES, "named")
    assert replies(effects) == [Notice.STAGE_NOT_OPEN]
    assert session.state.answers == []
    assert of_type(group_bound(effects), Send) == []
    assert session.state.drafts[RES].text == "written at story"  # kept, not lost


# --- edits ---------------------------------------------------------------------------------------


def test_editing_a_group_answer_updates_it_quietly(session: Driver) -> None:
    session.answer(POL, "story", "first words", ref="m1")
    session.tick(5)
    effects = session.do(ev.AnswerEdited, actor=POL, source_ref="m1", text=" better words ")
    (answer,) = session.state.answers
    assert (answer.text, answer.edited_at) == ("better words", session.now)
    assert effects == []  # the group already sees the edited message


def test_only_the_author_can_edit_an_answer(session: Driver) -> None:
    session.answer(POL, "story", "first words", ref="m1")
    before = session.state
    assert session.do(ev.AnswerEdited, actor=RES, source_ref="m1", text="hijacked") == []
    assert session.state.answers == before.answers


@pytest.mark.parametrize(
    ("text", "expected"), [("no", Notice.TOO_SHORT), ("z" * 51, Notice.TOO_LONG)]
)
def test_edits_respect_the_length_limits(session: Driver, text: str, expected: Notice) -> None:
    session.answer(POL, "story", "first words", ref="m1")
    effects = session.do(ev.AnswerEdited, actor=POL, source_ref="m1", text=text)
    assert told(effects, POL) == [expected]
    assert session.state.answers[0].text == "first words"
    assert session.state.answers[0].edited_at is None


@pytest.mark.parametrize("visibility", ["named", "anonymous"])
def test_editing_a_shared_answer_edits_the_bot_post(session: Driver, visibility: str) -> None:
    session.answer(POL, "story", "in the group")
    session.answer(LEAD, "story", "in the group too")  # enough answers: it is posted at once
    session.answer(RES, "story", "shared words", channel="private", ref="p1")
    session.share(RES, visibility)
    answer_id = session.state.answers[-1].id
    effects = session.do(ev.AnswerEdited, actor=RES, source_ref="p1", text="fixed words")
    assert session.state.answers[-1].text == "fixed words"
    (edit,) = of_type(effects, Edit)
    assert edit.key == f"share:{answer_id}"
    assert edit.view.text == "fixed words"
    assert edit.view.author == (NAMES[RES] if visibility == "named" else None)
    if visibility == "anonymous":
        assert NAMES[RES] not in edit.model_dump_json()
        assert str(RES) not in edit.model_dump_json()
    assert told(effects, RES) == [Notice.ANSWER_UPDATED]


def test_editing_a_facilitators_only_answer_posts_nothing(session: Driver) -> None:
    session.answer(RES, "story", "for facilitators", channel="private", ref="p1")
    session.share(RES, "facilitators")
    effects = session.do(ev.AnswerEdited, actor=RES, source_ref="p1", text="still private")
    assert session.state.answers[0].text == "still private"
    assert effects == [effects[0]]
    assert told(effects, RES) == [Notice.ANSWER_UPDATED]


def test_editing_a_draft_updates_the_draft(session: Driver) -> None:
    session.answer(RES, "story", "draft text", channel="private", ref="p1")
    assert session.do(ev.AnswerEdited, actor=RES, source_ref="p1", text="better draft") == []
    assert session.state.drafts[RES].text == "better draft"
    session.share(RES, "named")
    assert session.state.answers[0].text == "better draft"


@pytest.mark.parametrize(
    ("text", "expected"), [("", Notice.TOO_SHORT), ("w" * 5000, Notice.TOO_LONG)]
)
def test_editing_a_draft_respects_the_length_limits(
    session: Driver, text: str, expected: Notice
) -> None:
    session.answer(RES, "story", "draft text", channel="private", ref="p1")
    effects = session.do(ev.AnswerEdited, actor=RES, source_ref="p1", text=text)
    assert told(effects, RES) == [expected]
    assert session.state.drafts[RES].text == "draft text"


def test_editing_a_commitment_updates_its_card(lobby: Driver) -> None:
    lobby.goto("commit")
    lobby.answer(POL, "commit", "We will fix the lights", ref="c-ref")
    cid = lobby.state.commitments[0].id
    effects = lobby.do(ev.AnswerEdited, actor=POL, source_ref="c-ref", text="Fix two lights")
    assert lobby.state.commitments[0].text == "Fix two lights"
    (edit,) = of_type(effects, Edit)
    assert (edit.key, edit.view.text) == (f"commitment:{cid}", "Fix two lights")
    # Not by someone else, and not beyond the limit.
    assert lobby.do(ev.AnswerEdited, actor=RES, source_ref="c-ref", text="Mine now") == []
    effects = lobby.do(ev.AnswerEdited, actor=POL, source_ref="c-ref", text="q" * 101)
    assert told(effects, POL) == [Notice.TOO_LONG]
    assert lobby.state.commitments[0].text == "Fix two lights"


def test_editing_an_unknown_message_does_nothing(session: Driver) -> None:
    before = session.state
    event = session.event(ev.AnswerEdited, actor=POL, source_ref="nope", text="whatever")
    assert session.apply(event) == []
    assert session.state.answers == before.answers


# --- choices -------------------------------------------------------------------------------------


def _tally(effects: list) -> dict[str, int]:
    prompts = [e for e in effects if isinstance(getattr(e, "view", None), PromptView)]
    return prompts[-1].view.tally


def test_a_single_choice_replaces_and_toggles(lobby: Driver) -> None:
    lobby.goto("pick")
    effects = lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="alpha")
    assert lobby.state.choices == {"pick": {POL: ["alpha"]}}
    assert _tally(effects) == {"alpha": 1, "beta": 0, "gamma": 0, "delta": 0}
    assert replies(effects) == [Notice.DONE]
    effects = lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="beta")
    assert lobby.state.choices == {"pick": {POL: ["beta"]}}
    assert _tally(effects)["alpha"] == 0
    lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="beta")
    assert lobby.state.choices == {"pick": {}}
    assert lobby.state.choices["pick"].get(POL) is None


def test_an_unknown_option_is_refused(lobby: Driver) -> None:
    lobby.goto("pick")
    effects = lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="omega")
    assert replies(effects) == [Notice.UNKNOWN_OPTION]
    assert lobby.state.choices.get("pick", {}) == {}


def test_multi_choice_accumulates_up_to_max_choices(lobby: Driver) -> None:
    lobby.goto("multi")
    lobby.do(ev.ChoiceToggled, actor=RES, stage_id="multi", option_id="gamma")
    effects = lobby.do(ev.ChoiceToggled, actor=RES, stage_id="multi", option_id="alpha")
    assert lobby.state.choices["multi"][RES] == ["gamma", "alpha"]
    assert _tally(effects) == {"alpha": 1, "beta": 0, "gamma": 1, "delta": 0}
    effects = lobby.do(ev.ChoiceToggled, actor=RES, stage_id="multi", option_id="beta")
    assert replies(effects) == [Notice.CHOICES_FULL]
    assert effects[0].view.params == {"max": 2}
    assert lobby.state.choices["multi"][RES] == ["gamma", "alpha"]
    # Untoggling frees a place.
    lobby.do(ev.ChoiceToggled, actor=RES, stage_id="multi", option_id="gamma")
    lobby.do(ev.ChoiceToggled, actor=RES, stage_id="multi", option_id="beta")
    assert lobby.state.choices["multi"][RES] == ["alpha", "beta"]


def test_multi_choice_without_a_limit_takes_every_option() -> None:
    d = Driver(make_script(stage("many", "multi_choice")))
    d.open(FAC)
    d.join(POL)
    d.advance()
    for option in ("alpha", "beta", "gamma", "delta"):
        assert replies(d.do(ev.ChoiceToggled, actor=POL, stage_id="many", option_id=option)) == [
            Notice.DONE
        ]
    assert d.state.choices["many"][POL] == ["alpha", "beta", "gamma", "delta"]


def test_votes_are_counted_by_role_in_the_prompt(lobby: Driver) -> None:
    lobby.goto("pick")
    lobby.do(ev.ChoiceToggled, actor=POL, stage_id="pick", option_id="alpha")
    effects = lobby.do(ev.ChoiceToggled, actor=RES, stage_id="pick", option_id="alpha")
    view = keyed(effects, "prompt:pick")[0].view
    assert (view.answered.police, view.answered.resident, view.answered.total) == (1, 1, 2)
    assert view.tally["alpha"] == 2
