"""A whole demo session in each language reads in that language, in every chat.

The demo is played with every person's Telegram app in the session's language, so every text
the bot sends (the group's prompts, counts, cards and summary, and each private chat: consent,
roles, share choices, commitment choices, /status, the end question) must come from the
catalog. What is left in English may only be the people's names, the group's title and what
the scripted people write (they answer in English). Anything else in English is a message the
catalog misses or a string that never went through gettext.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from bot.demo import DEMO_LIMITS, DEMO_MOMENT, Demo, demo_api, demo_clock, demo_sender, paced
from bot.demo import play as play_demo
from bot.dialogues import Library
from bot.i18n.catalog import DOMAIN, LANGUAGES, LOCALES_DIR
from bot.i18n.check import TEMPLATE, read_catalog
from bot.offline.api import FakeBotApi
from bot.offline.cast import (
    ANSWERS,
    COMMITMENTS,
    FACILITATOR,
    GENERAL_ANSWER,
    GROUP_ID,
    GROUP_TITLE,
    PEOPLE,
)
from bot.storage import DataKey, Store
from bot.telegram.app import build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake
from bot.words.markup import strip_tags

TRANSLATED = [language for language in LANGUAGES if language != "en"]
SCRIPTS = Library.load().ids()
_WORD = re.compile(r"[A-Za-z]{3,}")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
# What the people write and who they are: English by design, not the bot's words.
SCRIPTED = sorted(
    {
        *(text for answers in ANSWERS.values() for text in answers),
        GENERAL_ANSWER,
        *(text for text, _, _ in COMMITMENTS),
        GROUP_TITLE,
        *(person.name for person in (FACILITATOR, *PEOPLE)),
    },
    key=len,
    reverse=True,
)


def _words(text: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(text)}


@cache
def english_words(language: str) -> frozenset[str]:
    """Words of the English source that the language's own translations never use.

    "Telegram", "Ikiganiro" or a command name appear in every language; a word such as
    "answer" or "stage" appears in a Kirundi message only if English leaked into it.
    """
    source: set[str] = set()
    for message in read_catalog(TEMPLATE):
        for form in (message.id,) if isinstance(message.id, str) else message.id:
            source |= _words(_PLACEHOLDER.sub(" ", form))
    own: set[str] = set()
    for message in read_catalog(LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"):
        for form in (message.string,) if isinstance(message.string, str) else message.string:
            own |= _words(form)
    return frozenset(source - own)


def shown(params: dict[str, Any]) -> list[str]:
    """The text and the button labels of one request, as a person sees them."""
    markup = params.get("reply_markup") or {}
    keyboard = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    texts = [
        str(params.get("text") or ""),
        str(params.get("caption") or ""),  # a document's (the charter, an export)
        *(key["text"] for row in keyboard for key in row),
    ]
    return [text for text in texts if text]


def without_scripted(text: str) -> str:
    for scripted in SCRIPTED:
        text = text.replace(scripted, " ")
    return text


async def play(script_id: str, language: str) -> FakeBotApi:
    """The demo's session, with every person's app in ``language``."""
    library = Library.load()
    pace = SimulatedPace()
    api = demo_api(pace, clock=DEMO_MOMENT.timestamp)
    api.add_group(
        GROUP_ID, GROUP_TITLE, admins=(FACILITATOR.user_id,), members=[p.user_id for p in PEOPLE]
    )
    for person in (FACILITATOR, *PEOPLE):
        api.add_user(person.user_id, person.name, language_code=language)
    with tempfile.TemporaryDirectory(prefix="ikiganiro-words-") as tmp:
        store = await Store.open(Path(tmp) / "demo.db", DataKey.generate())
        application = build_application("123456:DEMO", request=api, limits=DEMO_LIMITS)
        try:
            runtime = await start_runtime(
                application, store, library, default_language=language, clock=demo_clock
            )
            sender = demo_sender(application.bot, store, pace)
            intake = Intake(application, runtime, sender, clock=demo_clock)
            # Nobody chooses another language with /language: all read the session's.
            people = tuple(p if p.chooses is None else replace(p, chooses=None) for p in PEOPLE)
            demo = Demo(api, store, paced(pace, intake.feed), people)
            await play_demo(demo, library[script_id], language)
            await sender.drain(patient=True)
        finally:
            await application.shutdown()
            await store.close()
    return api


def bot_texts(api: FakeBotApi, language: str) -> list[dict[str, Any]]:
    """Everything the bot showed, in any chat, at any moment: each message as sent and as
    edited, each button's answer (popup) and the command menu in ``language``."""
    shown_params: list[dict[str, Any]] = []
    for call in api.calls:
        if not call.ok:
            continue
        if call.method == "setMyCommands":
            if call.params.get("language_code") == language:
                shown_params += [{"text": c["description"]} for c in call.params["commands"]]
        elif call.method != "getUpdates":
            shown_params.append(call.params)
    return shown_params


def leftovers(messages: list[dict[str, Any]], language: str) -> list[str]:
    """Each text shown that still holds English words, with those words."""
    found = []
    for message in messages:
        for text in shown(message):
            plain = without_scripted(strip_tags(text))
            english = sorted(_words(plain) & english_words(language))
            if english:
                found.append(f"{english} in {text[:150]!r}")
    return found


@pytest.mark.parametrize("script_id", SCRIPTS)
@pytest.mark.parametrize("language", TRANSLATED)
async def test_a_whole_session_reads_in_its_language(script_id: str, language: str) -> None:
    messages = bot_texts(await play(script_id, language), language)
    assert len(messages) > 40, "the demo showed almost nothing"
    assert leftovers(messages, language) == []


def test_english_left_in_a_message_is_found() -> None:
    scripted = f"Ikiganiro: {COMMITMENTS[0][0]} — Jean"
    assert leftovers([{"text": scripted}], "rn") == []
    leaked = {
        "text": "Ishura ubu butumwa.",
        "reply_markup": {"inline_keyboard": [[{"text": "Endorse"}]]},
    }
    assert leftovers([leaked], "rn") == ["['endorse'] in 'Endorse'"]
