"""Small-group disclosure control: no summary shows a count by role that can single someone out.

In a group of five, "1 police officer chose joint patrols" names that officer. Every summary
(the draft in the group, /summary, the final one) shows a role's count only when at least k
people (the script's ``privacy_threshold``, default 3) are in it; smaller ones are merged into
"fewer than k in other roles", and then no exact total is shown either, which would give the
merged number away. Sessions of 2 to 6 people are checked.
"""

from __future__ import annotations

import re

import pytest

from bot.engine import events as ev
from bot.engine.effects import RecordView, SummaryView
from bot.engine.state import Role
from bot.engine.summary import build_summary
from bot.i18n.catalog import translator
from bot.words.markup import Context, strip_tags
from bot.words.views import render

from .engine.helpers import FAC, Driver, make_script, stage

ROLES = [Role.POLICE, Role.RESIDENT, Role.RESIDENT, Role.POLICE, Role.LEADER, Role.RESIDENT]
SMALL = re.compile(
    r"(?<![\d,.])([12]) (police officers?|community members?|local leaders?|not said|"
    r"person|people)\b"
)


VIEWS = [SummaryView, RecordView]  # the group's take-home summary and the facilitators' record


def _summary_text(
    size: int, k: int = 3, roles: list[Role] | None = None, view_type: type = SummaryView
) -> str:
    script = make_script(
        stage("story", "text", answer_in=["group"]),
        stage("pick", "choice"),
        stage("commit", "commitment"),
        privacy_threshold=k,
    )
    d = Driver(script)
    d.open(FAC)
    people = [8_000_001 + i for i in range(size)]
    for person, role in zip(people, roles or ROLES, strict=False):
        d.join(person, role, name=f"Person {person}")
    d.goto("story")
    for person in people:
        d.answer(person, "story", f"story of {person}")
    d.goto("pick")
    for n, person in enumerate(people):
        d.do(ev.ChoiceToggled, actor=person, stage_id="pick", option_id=("alpha", "beta")[n % 2])
    d.goto("commit")
    d.answer(people[0], "commit", "We light the path")
    for person in people[1:]:
        d.do(ev.EndorsementToggled, actor=person, commitment_id=d.state.commitments[0].id)
    d.do(ev.Ended, actor=FAC, confirmed=True)
    ctx = Context(translator("en"), script, "3fa9c2d1", "ikiganiro_bot")
    view = view_type(summary=build_summary(script, d.state))
    return strip_tags(render(view, ctx).text)


@pytest.mark.parametrize("view_type", VIEWS)
@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_no_summary_shows_a_count_below_k(size: int, view_type: type) -> None:
    text = _summary_text(size, view_type=view_type)
    assert SMALL.findall(text) == [], text


@pytest.mark.parametrize("view_type", VIEWS)
@pytest.mark.parametrize("size", [2, 3, 4, 5, 6])
def test_a_merged_count_is_never_given_away_by_an_exact_total(size: int, view_type: type) -> None:
    for line in _summary_text(size, view_type=view_type).splitlines():
        if "fewer than 3 in other roles" in line:
            assert not re.search(r"\d+ (people|person) \(", line), line


def test_a_group_of_two_is_fewer_than_three_people() -> None:
    text = _summary_text(2)
    assert "Taking part: fewer than 3 people" in text


@pytest.mark.parametrize("view_type", VIEWS)
def test_a_lone_officer_among_residents_is_merged_not_named(view_type: type) -> None:
    roles = [Role.RESIDENT, Role.RESIDENT, Role.RESIDENT, Role.POLICE]
    text = _summary_text(4, roles=roles, view_type=view_type)
    assert "Taking part: 3 community members and fewer than 3 in other roles" in text
    counted = [
        line
        for line in text.splitlines()
        if ("Taking part" in line or line.startswith("• ")) and "“" not in line
    ]
    assert counted and not [line for line in counted if "police" in line], counted


def test_large_enough_groups_keep_their_exact_breakdown() -> None:
    roles = [Role.POLICE, Role.RESIDENT] * 3
    text = _summary_text(6, roles=roles)
    assert "Taking part: 6 people (3 police officers and 3 community members)" in text


def test_a_threshold_of_one_shows_every_count() -> None:
    text = _summary_text(2, k=1)
    assert "Taking part: 2 people (1 police officer and 1 community member)" in text
