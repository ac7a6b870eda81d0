"""Messages are cut by Telegram's own measure: UTF-16 code units of the text it shows.

Each part is parsed by the offline Bot API's HTML parser, as Telegram would, and measured there.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import SharedAnswerView
from bot.engine.machine import new_session, step
from bot.engine.state import Role
from bot.engine.summary import build_summary
from bot.i18n.catalog import translator
from bot.offline.html import parse_html
from bot.offline.wire import utf16_len
from bot.words.markup import MAX_MESSAGE, Context, split_message, telegram_length
from bot.words.summary import render_summary
from bot.words.views import render

EMOJI = "😟"  # one Python character, two UTF-16 code units
T0 = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)


def _context() -> Context:
    return Context(translator("en"), Library.load()["quick-demo"], "3fa9c2d1", "ikiganiro_bot")


def _as_telegram_reads(parts: list[str]) -> list[str]:
    shown = []
    for part in parts:
        text, _ = parse_html(part)  # raises where Telegram would refuse the markup
        assert utf16_len(text) <= MAX_MESSAGE, utf16_len(text)
        shown.append(text)
    return shown


def _session_with_four_long_answers() -> Any:
    script = Library.load()["quick-demo"]
    state, now = new_session("s1", script), T0
    n = 0

    def do(event_type: type[Any], **fields: Any) -> None:
        nonlocal state, now, n
        n += 1
        now += timedelta(minutes=1)
        state, _ = step(script, state, event_type(event_id=f"e{n}", **fields), now)

    do(ev.Opened, actor=1)
    people = [(11, Role.POLICE), (12, Role.RESIDENT), (13, Role.LEADER), (14, Role.RESIDENT)]
    for user, role in people:
        do(ev.Joined, actor=user)
        do(ev.Consented, actor=user, accept=True, name=f"Person {user}")
        do(ev.RoleChosen, actor=user, role=role)
    do(ev.Advanced, actor=1)
    for user, _ in people:
        do(ev.Answered, actor=user, stage_id="story", text=EMOJI * 700)
    do(ev.Ended, actor=1)
    return script, state


def test_a_summary_of_four_answers_of_700_emoji_fits_telegram() -> None:
    script, state = _session_with_four_long_answers()
    text = render_summary(build_summary(script, state), _context())
    assert text.count(EMOJI) == 2800
    parts = split_message(text)
    shown = _as_telegram_reads(parts)
    assert len(parts) >= 2  # 5,600 code units of emoji alone: one message cannot hold them
    assert sum(t.count(EMOJI) for t in shown) == 2800


def test_an_answer_of_4096_emoji_fits_telegram() -> None:
    view = SharedAnswerView(
        script_id="quick-demo", stage_id="story", text=EMOJI * 4096, author="Amani"
    )
    parts = split_message(render(view, _context()).text)
    shown = _as_telegram_reads(parts)
    assert sum(t.count(EMOJI) for t in shown) == 4096


@pytest.mark.parametrize("inner", [EMOJI * 5000, ("&amp; " + EMOJI) * 1500, "é" * 9000])
def test_a_tag_open_at_a_cut_is_closed_and_reopened(inner: str) -> None:
    parts = split_message(f'<i>{inner}</i> <a href="https://t.me/x">end</a>')
    shown = _as_telegram_reads(parts)
    assert all(p.startswith("<i>") for p in parts[:-1])
    plain = inner.replace("&amp;", "&")
    assert "".join(shown).replace(" ", "") == (plain + "end").replace(" ", "")


def test_length_is_counted_as_telegram_counts() -> None:
    assert telegram_length("<b>a</b> &amp; " + EMOJI) == 6  # "a & 😟"
