"""Rendering: escaped text, messages Telegram accepts, no tag cut in two."""

from __future__ import annotations

import re
from html import escape

from hypothesis import given
from hypothesis import strategies as st

from bot.dialogues import Library
from bot.engine.effects import SharedAnswerView
from bot.engine.state import Role
from bot.engine.summary import RoleCounts
from bot.i18n.catalog import translator
from bot.offline.html import parse_html
from bot.words.markup import MAX_MESSAGE, Context, split_message
from bot.words.names import counts_line
from bot.words.views import render


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
        assert len(part) <= 500
        assert len(re.findall("<b>", part)) == len(re.findall("</b>", part))
        assert not re.search(r"&[a-z]*$", part)  # never cut inside an entity
    assert "".join(parts).replace("\n", "").replace(" ", "") == text.replace("\n", "").replace(
        " ", ""
    )


def test_a_long_summary_is_split_below_telegrams_limit() -> None:
    text = "\n".join(["<b>Title</b>", *["• " + "word " * 300] * 10])
    parts = split_message(text)
    assert len(parts) > 1 and all(len(p) <= MAX_MESSAGE for p in parts)
