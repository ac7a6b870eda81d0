"""Whether each language's notices still fit Telegram when the values in them are long.

A notice answering a button press goes into the button's popup, which Telegram cuts at 200
characters (``Rendered.popup`` ends it with "…"), and any message stops at 4096 UTF-16 units.
Translations run longer than English (French and Kirundi by a fifth or more), and a stage title
can have 80 characters, so a notice that fits in English with short sample values can lose its
last words in another language: a refusal that no longer says what to do. ``ikiganiro check``
renders every notice in every shipped language with the longest values the bot can put in it
and reports a translation that crosses a limit its English source stays within.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.commands import COMMANDS
from bot.dialogues import Library
from bot.engine.effects import Notice, NoticeView
from bot.engine.script import Script
from bot.engine.state import Due, Owner, Role
from bot.i18n.catalog import Translator
from bot.words.markup import MAX_MESSAGE, MAX_POPUP, Context, strip_tags, telegram_length
from bot.words.names import due_name, owner_name, role_name, stage_title
from bot.words.notices import NOTICES, render_notice

# A command's description in the menu (setMyCommands refuses a longer one).
MAX_COMMAND_DESCRIPTION = 256
# Numbers as long as a session can make them: a five-digit count or limit.
LONG_NUMBER = 99_999
LONG_DATE = "2030-09-30"  # a month with a long name in every language


def _longest(values: Iterable[str], text: Callable[[str], str]) -> str:
    return max(values, key=lambda value: len(text(value)))


def long_params(code: Notice, tr: Translator, script: Script) -> dict[str, str | int]:
    """The declared parameters of ``code``, each at its longest in ``tr``'s language."""
    ctx = Context(tr, script, "s" * 8, "ikiganiro_bot")
    chosen: dict[str, str | int] = {
        "stage_id": _longest([s.id for s in script.stages], lambda sid: stage_title(ctx, sid)),
        "role": _longest([r.value for r in Role], lambda r: role_name(tr, Role(r))),
        "owner": _longest([o.value for o in Owner], lambda o: owner_name(tr, Owner(o))),
        "due": _longest([d.value for d in Due], lambda d: due_name(tr, Due(d), LONG_DATE)),
        "due_date": LONG_DATE,
        "choices": "named,anonymous,facilitators",
        "visibility": "named",
        "commitment_id": "c" * 8,
        "allow": 1,
    }
    return {name: chosen.get(name, LONG_NUMBER) for name in NOTICES[code].params}


def _lengths(code: Notice, tr: Translator, script: Script) -> tuple[int, int]:
    """The notice's length as a popup would show it, and as a message, with long values.

    A notice with buttons is always sent as a message (a popup has none): its popup length is 0.
    """
    ctx = Context(tr, script, "s" * 8, "ikiganiro_bot", {"retention_days": str(LONG_NUMBER)})
    rendered = render_notice(NoticeView(code=code, params=long_params(code, tr, script)), ctx)
    popup = 0 if rendered.keys else len(strip_tags(rendered.text))
    return popup, telegram_length(rendered.text)


def notices_over_limits(
    language: str, library: Library | None = None, translated: Translator | None = None
) -> list[str]:
    """Each notice whose ``language`` text crosses a Telegram limit its English stays within.

    One line per notice and limit, naming the notice, the longest case found, and the limit.
    ``translated`` defaults to the shipped catalog of ``language``.
    """
    library = library or Library.load()
    scripts = [library[script_id] for script_id in library.ids()]
    translated = translated or Translator.load(language)
    english = Translator.load("en")
    problems = []
    for code in Notice:
        sizes = [(_lengths(code, translated, s), _lengths(code, english, s)) for s in scripts]
        for index, (name, limit) in enumerate(
            (("a button's answer", MAX_POPUP), ("a message", MAX_MESSAGE))
        ):
            got = max(size[index] for size, _ in sizes)
            source = max(size[index] for _, size in sizes)
            if got > limit >= source:
                problems.append(
                    f"{language}: notice {code.value!r} {NOTICES[code].template[:40]!r}: "
                    f"{got} characters with long values, {name} holds {limit} "
                    f"(English: {source}); shorten the translation"
                )
    return problems


def commands_over_limits(language: str, translated: Translator | None = None) -> list[str]:
    """Each command description whose ``language`` text Telegram's menu would refuse."""
    translated = translated or Translator.load(language)
    return [
        f"{language}: the description of /{command.name} has {len(text)} characters, "
        f"a command menu holds {MAX_COMMAND_DESCRIPTION}; shorten the translation"
        for command in COMMANDS
        if len(text := translated.gettext(command.description)) > MAX_COMMAND_DESCRIPTION
    ]
