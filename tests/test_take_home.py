"""The take-home summary: the group's own language, the commitments first, few messages.

The group keeps one summary: commitments (what, who acts, by when, endorsements by role), the
shared vision, what people offered, the choices with their tallies by role, the balance of
voices in one line and the stories as their authors consented. The per-stage record goes to the
facilitators privately. Both are rendered from one ``Summary`` model.
"""

from __future__ import annotations

from bot.engine import events as ev
from bot.engine.effects import RecordView, SummaryView
from bot.engine.script import Script
from bot.engine.state import Role
from bot.engine.summary import Quote, Section, balanced, build_summary
from bot.i18n.catalog import translator
from bot.words.markup import Context, split_message, strip_tags
from bot.words.views import render

from .engine.helpers import FAC, Driver, make_script, stage

SCRIPT = make_script(
    stage("hello", "text", in_take_home=False),
    stage("story", "text", quote_with_consent=True),
    stage("pick", "multi_choice", max_choices=2),
    stage("dream", "text", agree=True),
    stage("bring", "text"),
    stage("commit", "commitment"),
    stage("review", "review"),
    privacy_threshold=1,
)


def _people(d: Driver, size: int) -> list[int]:
    people = [9_000_001 + i for i in range(size)]
    for n, person in enumerate(people):
        role = ("police", "resident", "resident", "leader")[n % 4]
        d.join(person, role, name=f"Person{n}")  # type: ignore[arg-type]
    return people


def _session(size: int = 4, script: Script = SCRIPT) -> Driver:
    d = Driver(script)
    d.open(FAC)
    people = _people(d, size)
    for stage_id in ("hello", "story", "dream", "bring"):
        d.goto(stage_id)
        for n, person in enumerate(people):
            d.answer(person, stage_id, f"{stage_id} answer {n}")
    d.goto("commit")
    d.answer(people[0], "commit", "We light the river path")
    for person in people:
        d.do(ev.EndorsementToggled, actor=person, commitment_id=d.state.commitments[0].id)
    d.goto("review")
    for person in people:
        d.do(ev.QuoteConsentSet, actor=person, allow=True)
    return d


def _text(d: Driver, view_type: type = SummaryView, language: str = "en") -> str:
    ctx = Context(translator(language), d.script, "3fa9c2d1", "ikiganiro_bot")
    return strip_tags(render(view_type(summary=build_summary(d.script, d.state)), ctx).text)


def test_the_take_home_summary_keeps_its_order() -> None:
    text = _text(_session())
    order = [
        "Our commitments",
        "We light the river path",
        "Our shared vision",
        "dream answer 0",
        "Bring",  # what people offered, under its stage's title
        "bring answer 0",
        "Pick",  # the choices with their tallies by role
        "Voices heard:",
        "Story",  # the stories, as consented, last
        "story answer 0",
    ]
    positions = [text.index(marker) for marker in order]
    assert positions == sorted(positions), text


def test_the_balance_of_voices_is_one_line_in_the_take_home_and_per_stage_in_the_record() -> None:
    d = _session()
    take_home, record = _text(d), _text(d, RecordView)
    assert "Voices at each stage" not in take_home
    assert [line for line in take_home.splitlines() if line.startswith("Voices heard:")] == [
        "Voices heard: 4 people (1 police officer, 2 community members, and 1 local leader)"
    ]
    assert "Voices at each stage" in record
    assert "Full record for the facilitators" in record


def test_introductions_stay_in_the_record_not_the_take_home() -> None:
    d = _session()
    assert "hello answer 0" not in _text(d)
    assert "hello answer 0" in _text(d, RecordView)
    sections = {q.stage_id: q.section for q in build_summary(d.script, d.state).quotes}
    assert sections == {
        "hello": Section.RECORD,
        "story": Section.STORIES,
        "dream": Section.VISION,
        "bring": Section.OFFERS,
    }


def test_a_long_list_is_shortened_to_a_few_taken_in_turn_from_each_role() -> None:
    d = _session(size=20)
    text = _text(d)
    offered = [line for line in text.splitlines() if line.startswith("• “bring answer")]
    assert len(offered) == 5
    assert "…and 15 more in the facilitators' record." in text
    record = _text(d, RecordView)
    assert len([line for line in record.splitlines() if "“bring answer" in line]) == 20


def test_twenty_people_take_home_one_message_when_the_vision_is_not_voted_on() -> None:
    d = _session(size=20)
    ctx = Context(translator("en"), d.script, "3fa9c2d1", "ikiganiro_bot")
    rendered = render(SummaryView(summary=build_summary(d.script, d.state)), ctx)
    assert len(split_message(rendered.text)) == 1


def test_the_summary_is_in_the_group_s_language() -> None:
    text = _text(_session(), language="fr")
    assert "Nos engagements" in text and "Our commitments" not in text


def test_a_shortened_list_takes_quotes_in_turn_from_each_role_in_their_order() -> None:
    def quote(n: int, role: Role | None) -> Quote:
        return Quote(stage_id="s", text=f"q{n}", author=None if role is None else "x", role=role)

    residents = [quote(n, Role.RESIDENT) for n in range(6)]
    quotes = [*residents, quote(6, Role.POLICE), quote(7, None), quote(8, Role.POLICE)]
    kept = balanced(quotes, 5)
    # One of each (resident, police, anonymous) first, then again, in the order they came.
    assert [q.text for q in kept] == ["q0", "q1", "q6", "q7", "q8"]
    assert balanced(quotes[:3], 5) == quotes[:3]


def _voted(k: int) -> Driver:
    """Six people: statements both sides agree on, and one the police do not."""
    script = make_script(stage("dream", "text", agree=True), privacy_threshold=k)
    d = Driver(script)
    d.open(FAC)
    people = [9_100_001 + i for i in range(6)]
    for n, person in enumerate(people):
        d.join(person, ("police", "resident")[n % 2], name=f"Person{n}")  # type: ignore[arg-type]
    d.advance()
    for n, person in enumerate(people[:3]):
        d.answer(person, "dream", f"dream {n}")
    for answer in d.state.answers:
        for n, person in enumerate(people):
            police = n % 2 == 0
            vote = "disagree" if police and answer.text == "dream 1" else "agree"
            d.do(ev.AgreementSet, actor=person, answer_id=answer.id, vote=vote)
    return d


def test_the_shared_vision_lists_what_both_sides_agree_on_then_what_divides_with_tallies() -> None:
    text = _text(_voted(k=1))
    agreed = text.index("Agreed by police and residents:")
    differ = text.index("Not yet agreed by both sides:")
    assert agreed < text.index("dream 0") < text.index("dream 2") < differ
    assert differ < text.index("dream 1")
    tallies = [line for line in text.splitlines() if line.strip().startswith("agree:")]
    assert tallies == [
        "  agree: 3 people (3 community members); not sure: nobody yet; "
        "disagree: 3 people (3 police officers)"
    ]  # the agreed ones carry none in the take-home; the record has them all
    assert (
        len([line for line in _text(_voted(k=1), RecordView).splitlines() if "agree:" in line])
        == 3
    )


def test_the_tallies_of_the_vision_keep_the_small_group_rule() -> None:
    text = _text(_voted(k=4))
    assert "3 police officers" not in text and "3 community members" not in text
    assert (
        "agree: fewer than 4 people; not sure: nobody yet; disagree: fewer than 4 people" in text
    )
