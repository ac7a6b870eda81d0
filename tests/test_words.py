"""Rendering: escaped text, messages Telegram accepts, no tag cut in two."""

from __future__ import annotations

import re
from html import escape

from hypothesis import given
from hypothesis import strategies as st

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import (
    CommitmentView,
    Notice,
    NoticeView,
    SharedAnswerView,
    SummaryView,
)
from bot.engine.state import Due, Owner, Role
from bot.engine.summary import CommitmentLine, RoleCounts, Summary
from bot.i18n.catalog import LANGUAGES, translator
from bot.offline.html import parse_html
from bot.words.markup import MAX_MESSAGE, Context, split_message, strip_tags, telegram_length
from bot.words.names import (
    counts_line,
    folded,
    role_at_end,
    role_choice,
    role_name,
    role_word,
    role_words,
)
from bot.words.shell import my_data
from bot.words.views import render

from .engine.helpers import FAC, POL, RES, Driver, make_script, stage


def _context(language: str = "en") -> Context:
    script = Library.load()["quick-demo"]
    return Context(translator(language), script, "3fa9c2d1", "ikiganiro_bot")


def test_counts_leave_out_roles_with_nobody() -> None:
    tr = translator("en")
    assert counts_line(tr, RoleCounts()) == "nobody yet"
    counts = RoleCounts.of([Role.POLICE, Role.RESIDENT, Role.RESIDENT])
    assert counts_line(tr, counts) == "3 people (1 police officer and 2 community members)"


def test_shared_text_is_escaped_and_anonymous_has_no_name() -> None:
    view = SharedAnswerView(
        script_id="quick-demo", stage_id="story", text="<b>x</b> & y", author=None
    )
    rendered = render(view, _context())
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in rendered.text
    parse_html(rendered.text)  # Telegram would accept it


@given(
    st.lists(
        st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=900), max_size=20
    )
)
def test_split_keeps_every_line_below_the_limit(paragraphs: list[str]) -> None:
    text = "\n".join(f"<b>{escape(p[:30])}</b>\n{escape(p)}" for p in paragraphs)
    parts = split_message(text, limit=500)
    for part in parts:
        assert telegram_length(part) <= 500  # Telegram counts the text after its markup
        assert len(re.findall("<b>", part)) == len(re.findall("</b>", part))
        assert not re.search(r"&[a-z]*$", part)  # never cut inside an entity
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_a_long_summary_is_split_below_telegrams_limit() -> None:
    text = "\n".join(["<b>Title</b>", *["• " + "word " * 300] * 10])
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= MAX_MESSAGE for p in parts)


def _summary_with(*lines: CommitmentLine) -> Summary:
    return Summary(
        script_id="quick-demo",
        title="Try",
        final=True,
        participants=RoleCounts(police=1),
        balance=(),
        choices=(),
        quotes=(),
        commitments=lines,
        withheld=0,
    )


def test_a_commitment_without_who_or_when_is_in_the_summary_marked_incomplete() -> None:
    line = CommitmentLine(
        text="Fix the lights",
        owner=None,
        due=Due.ONE_MONTH,
        due_date="2025-07-14",
        endorsements=RoleCounts(resident=1),
        shared=False,
        complete=False,
    )
    text = strip_tags(render(SummaryView(summary=_summary_with(line)), _context()).text)
    assert "“Fix the lights” — a proposal, still incomplete: who: not decided yet;" in text
    assert "No commitments yet." not in text


def _card(owner: Owner | None, due: Due | None) -> CommitmentView:
    return CommitmentView(
        commitment_id="c3",
        text="Fix the lights",
        proposer="Jean",
        owner=owner,
        due=due,
        due_date="2025-07-14" if due else None,
        endorsements=RoleCounts(),
        shared=False,
        open=True,
    )


def test_a_card_is_endorsed_with_one_tap_and_completed_where_who_or_when_is_missing() -> None:
    labels = [
        [k.text for k in row] for row in render(_card(Owner.BOTH, Due.ONE_MONTH), _context()).keys
    ]
    assert labels == [["👍 Endorse"]]
    rows = render(_card(None, None), _context()).keys
    assert [k.data for k in rows[0]] == [f"o|3fa9c2d1|c3|{o.value}" for o in Owner]
    assert [k.data for k in rows[1]] == [f"d|3fa9c2d1|c3|{d.value}" for d in Due]
    assert [k.text for k in rows[2]] == ["👍 Endorse"]


def test_the_proposer_is_told_privately_what_was_chosen_and_may_change_it() -> None:
    view = NoticeView(
        code=Notice.COMMITMENT_DEFAULTS,
        params={"commitment_id": "c3", "owner": "both", "due": "1m", "due_date": "2025-07-14"},
    )
    rendered = render(view, _context())
    assert "who acts: police and residents together; by when: Jul 14, 2025." in rendered.text
    assert [k.data for k in rendered.keys[0]] == [f"o|3fa9c2d1|c3|{o.value}" for o in Owner]
    assert [k.data for k in rendered.keys[1]] == [f"d|3fa9c2d1|c3|{d.value}" for d in Due]


def test_mydata_counts_the_votes_on_the_shared_vision() -> None:
    d = Driver(make_script(stage("dream", "text", agree=True)))
    d.open(FAC)
    for user in (POL, RES):
        d.join(user)
    d.advance()
    d.answer(POL, "dream", "Officers known by name")
    d.do(ev.AgreementSet, actor=RES, answer_id=d.state.answers[0].id, vote="agree")
    text = my_data(RES, [(d.state, d.script)])(translator("en")).text
    assert "You voted on 1 statement of the shared vision." in text


def test_each_typed_role_word_names_one_role_in_every_language() -> None:
    """/addperson reads a role in any shipped language: no word may mean two roles."""
    meanings: dict[str, set[Role]] = {}
    for language in LANGUAGES:
        tr = translator(language)
        for role in Role:
            for said in (role_word(tr, role), role_name(tr, role), role_choice(tr, role)):
                meanings.setdefault(folded(said), set()).add(role)
    assert {word: roles for word, roles in meanings.items() if len(roles) > 1} == {}
    assert role_words()["autorite locale"] is Role.LEADER
    assert role_at_end(["Marie", "Membre", "de", "la", "Communaute"]) == (Role.RESIDENT, 4)
    assert role_at_end(["habitant"]) is None  # a name comes first
