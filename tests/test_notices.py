"""Notices: each template, its declared parameters and what the engine sends agree.

A notice's template used to be filled leniently (a missing name became ""), so renaming
``{count}`` in a template showed an empty gap and no test could fail. Now the declaration in
``bot.words.notices`` is checked from three sides: the English templates against it, every
shipped translation by rendering with exactly the declared parameters, and the engine's emitted
parameters against it, from a walk through every notice that carries any and a random run.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from babel.messages.catalog import Catalog
from babel.support import Translations
from hypothesis import HealthCheck, given, settings

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import Effect, Notice, NoticeView, Schedule
from bot.engine.machine import MAX_ANSWERS_PER_STAGE, step
from bot.engine.script import Script
from bot.i18n.catalog import LANGUAGES, Translator, translator
from bot.offline.html import parse_html
from bot.words.markup import Context
from bot.words.notices import (
    NOTICES,
    NoticeText,
    PlaceholderError,
    declaration_problems,
    fill,
    notice_text,
)
from bot.words.views import render

from .engine.helpers import FAC, LEAD, POL, RES, Driver, full_script
from .engine.test_properties import Run, guided_scenarios

# A plausible value for every parameter the engine sends with some notice.
SAMPLES: dict[str, str | int] = {
    "stage_id": "story",
    "choices": "named,anonymous,facilitators",
    "role": "police",
    "min": 2,
    "max": 7,
    "count": 4,
    "k": 3,
    "days": 30,
    "visibility": "named",
    "allow": 1,
    "number": 3,
    "total": 8,
    "commitment_id": "c3",
    "owner": "both",
    "due": "1m",
    "due_date": "2025-07-14",
    "status": "in_progress",
    "vote": "unsure",
    "language": "rn",
    "text": "Merci beaucoup",
    "name": "Marie",
    "options": "lighting",
}


def _context(language: str = "en", tr: Translator | None = None) -> Context:
    script = Library.load()["quick-demo"]
    return Context(tr or translator(language), script, "3fa9c2d1", "ikiganiro_bot")


def _declared(code: Notice) -> NoticeView:
    return NoticeView(code=code, params={name: SAMPLES[name] for name in NOTICES[code].params})


# --- the declaration and the templates -----------------------------------------------------------


def test_every_notice_is_declared_and_its_template_matches() -> None:
    assert set(NOTICES) == set(Notice)
    assert declaration_problems() == []


def test_a_renamed_placeholder_is_named_with_its_message() -> None:
    table = dict(NOTICES)
    table[Notice.NUDGES_SENT] = NoticeText(
        "Reminders sent: {n}.", params=("count",), placeholders=("count",)
    )
    del table[Notice.DONE]
    problems = declaration_problems(table)
    assert problems == [
        "bot/words/notices.py: notice 'nudges_sent' 'Reminders sent: {n}.': placeholders ['n'] "
        "but declared ['count']",
        "bot/words/notices.py: notice 'done' has no template",
    ]


@pytest.mark.parametrize(
    ("template", "values"),
    [
        ("Reminders sent: {count}.", {}),  # missing
        ("Reminders sent: {count}.", {"count": 1, "n": 1}),  # unused
        ("Reminders sent: {n}.", {"count": 1}),  # renamed
        ("Reminders sent: {}.", {"count": 1}),  # positional
        ("Reminders sent: {count.real}.", {"count": 1}),  # attribute
    ],
)
def test_fill_is_strict(template: str, values: dict[str, str | int]) -> None:
    with pytest.raises(PlaceholderError):
        fill(template, values)


def test_fill_formats_when_the_values_fit() -> None:
    assert fill("Reminders sent: {count}.", {"count": 3}) == "Reminders sent: 3."


# --- every language ------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_notice_renders_with_exactly_its_declared_parameters(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.words.notices")
    for code in Notice:
        rendered = render(_declared(code), _context(language))
        assert rendered.text.strip()
        assert "{" not in rendered.text and "}" not in rendered.text
        parse_html(rendered.text)
        assert len(rendered.popup) <= 200
        if language != "en":  # translated, not the English fallback
            assert rendered.text != render(_declared(code), _context("en")).text, code
    assert caplog.records == []  # no translation had to fall back


def test_values_reach_the_text() -> None:
    choices_full = notice_text(_declared(Notice.CHOICES_FULL), _context())
    assert choices_full == "You can choose at most 7. Take one back first."
    assert "“A small story”" in notice_text(_declared(Notice.NUDGE), _context())
    assert "police officer" in notice_text(_declared(Notice.JOINED), _context())


def test_a_notice_missing_a_parameter_raises() -> None:
    with pytest.raises(PlaceholderError, match="max"):
        notice_text(NoticeView(code=Notice.CHOICES_FULL), _context())


def _broken_swahili() -> Translator:
    catalog = Catalog(locale="sw", domain="ikiganiro")
    catalog.add(
        "You can choose at most {max}. Take one back first.",
        "Unaweza kuchagua zisizozidi {idadi}. Ondoa moja kwanza.",
    )
    catalog.add("Please write at least {min} characters.", "Andika angalau herufi {min")
    translations = Translations()
    translations._catalog = {m.id: m.string for m in catalog if m.id}
    return Translator("sw", translations)


@pytest.mark.parametrize(
    ("code", "english"),
    [
        (Notice.CHOICES_FULL, "You can choose at most 7. Take one back first."),
        (Notice.TOO_SHORT, "Please write at least 2 characters."),
    ],
)
def test_a_translation_that_does_not_fit_shows_english_and_logs_the_message(
    code: Notice, english: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.words.notices")
    text = notice_text(_declared(code), _context(tr=_broken_swahili()))
    assert text == english
    (record,) = caplog.records
    assert NOTICES[code].template in record.getMessage()
    assert code.value in record.getMessage()


# --- what the engine sends -----------------------------------------------------------------------


def _notices(effects: list[Effect]) -> list[NoticeView]:
    return [e.view for e in effects if isinstance(getattr(e, "view", None), NoticeView)]


def _assert_declared(views: list[NoticeView]) -> None:
    for view in views:
        assert set(view.params) == set(NOTICES[view.code].params), view


def _walk() -> list[NoticeView]:
    """A session that makes the engine send every notice that carries parameters."""
    d = Driver(full_script())
    seen = _notices(d.open(FAC))
    seen += _notices(d.do(ev.SessionLanguageSet, actor=FAC, language="fr"))
    for user in (POL, RES):
        d.do(ev.Joined, actor=user)
        seen += _notices(d.do(ev.Consented, actor=user, accept=True, name=f"U{user}"))
    seen += _notices(d.do(ev.RoleChosen, actor=POL, role="police"))
    d.join(LEAD)  # stays quiet, so there is someone to nudge
    effects = d.goto("story")  # the role chosen while a stage is open, too
    seen += _notices(effects)
    seen += _notices(d.do(ev.RoleChosen, actor=RES, role="resident"))
    seen += _notices(d.do(ev.RoleChosen, actor=RES, role="leader"))  # chosen once: kept
    d.do(ev.RoleChangeAsked, actor=RES)
    seen += _notices(d.do(ev.RoleChosen, actor=RES, role="resident"))  # asked: changed
    seen += _notices(d.do(ev.LinkOpened, actor=POL, purpose="answer"))
    seen += _notices(d.answer(POL, "story", "Thank you!"))  # small talk: asked to keep it
    seen += _notices(d.answer(POL, "story", "ab"))
    seen += _notices(d.answer(POL, "story", "x" * 51))
    for n in range(MAX_ANSWERS_PER_STAGE + 1):
        seen += _notices(d.answer(POL, "story", f"answer {n}"))
    seen += _notices(d.answer(RES, "story", "a private word", channel="private"))
    seen += _notices(d.share(RES, "anonymous"))  # held: too few have answered
    seen += _notices(d.answer(RES, "story", "a named word", channel="private"))
    seen += _notices(d.share(RES, "named"))
    seen += _notices(d.do(ev.PersonAdded, actor=FAC, name="Marie", role="resident"))
    seen += _notices(d.do(ev.AnsweredFor, actor=FAC, number=99, text="said aloud"))
    number = -min(d.state.participants)
    seen += _notices(d.do(ev.AnsweredFor, actor=FAC, number=number, text="said aloud here"))
    for schedule in [e for e in effects if isinstance(e, Schedule)]:
        d.tick(60)
        seen += _notices(d.apply(schedule.event))
    seen += _notices(d.do(ev.NudgeRequested, actor=FAC, stage_id="story"))
    seen += _notices(d.do(ev.Advanced, actor=FAC, seen_index=d.state.stage_index - 1))
    d.goto("vision")
    d.answer(POL, "vision", "We walk the river path without fear")
    statement = d.state.answers[-1].id
    seen += _notices(d.do(ev.AgreementSet, actor=RES, answer_id=statement, vote="agree"))
    marie = -number

    def acted(act: type[Any], **fields: Any) -> list[NoticeView]:
        inner = act(event_id="inner", actor=marie, **fields)
        return _notices(d.do(ev.ActedFor, actor=FAC, act=inner))

    seen += acted(ev.AgreementSet, answer_id=statement, vote="unsure")
    d.goto("multi")
    for option in ("alpha", "beta", "gamma"):
        seen += _notices(d.do(ev.ChoiceToggled, actor=POL, stage_id="multi", option_id=option))
    seen += _notices(d.do(ev.ProxyCardAsked, actor=FAC, number=number))
    seen += acted(ev.ChoiceToggled, stage_id="multi", option_id="alpha")  # chosen
    seen += acted(ev.ChoiceToggled, stage_id="multi", option_id="alpha")  # taken back
    d.goto("commit")
    seen += _notices(d.answer(POL, "commit", "We fix the lights"))
    cid = d.state.commitments[-1].id
    seen += acted(ev.EndorsementToggled, commitment_id=cid)  # endorsed
    seen += acted(ev.EndorsementToggled, commitment_id=cid)  # taken back
    d.do(ev.CommitmentOwnerSet, actor=POL, commitment_id=cid, owner="police")
    for who in (RES, POL):  # not the side that acts, then the side that does
        report = ev.CommitmentStatusReported
        seen += _notices(d.do(report, actor=who, commitment_id=cid, status="in_progress"))
    seen += _notices(d.do(ev.QuoteConsentSet, actor=POL, allow=True))
    seen += _notices(d.do(ev.PersonRemoved, actor=FAC, number=number))  # asks
    seen += _notices(d.do(ev.PersonRemoved, actor=FAC, number=number, confirmed=True))
    seen += _notices(d.do(ev.Expired, idle_days=30))
    return seen


def test_the_engine_sends_exactly_the_declared_parameters() -> None:
    seen = _walk()
    _assert_declared(seen)
    with_params = {code for code, text in NOTICES.items() if text.params}
    assert with_params <= {view.code for view in seen}  # the walk reaches each of them


class _Collecting(Run):
    """The property tests' run, keeping every notice the engine sends on the way."""

    def __init__(self, script: Script) -> None:
        super().__init__(script)
        self.notices: list[NoticeView] = []

    def apply(self, event: Any) -> None:
        _, effects = step(self.script, self.state, event, self.now + timedelta(minutes=1))
        self.notices += _notices(effects)
        super().apply(event)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(guided_scenarios())
def test_random_sessions_send_exactly_the_declared_parameters(
    scenario: tuple[Script, list[Any]],
) -> None:
    script, ops = scenario
    run = _Collecting(script)
    for op in ops:
        for event in run.events(op):
            run.apply(event)
    _assert_declared(run.notices)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_consent_says_telegram_can_read_what_is_sent(language: str) -> None:
    text = notice_text(_declared(Notice.CONSENT_REQUEST), _context(language))
    assert text.count("Telegram") >= 2, text  # its servers, and that it can read them
    if language == "en":
        assert "not end-to-end encrypted" in text and "Telegram can read them" in text
