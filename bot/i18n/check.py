"""What can be wrong with a translation, found before a group meets it.

A translation that drops or renames a ``{placeholder}`` is not shown as written (a notice falls
back to English, another message loses a value or fails to format), one that adds a tag is
escaped into visible noise, one that overruns a button's limit is cut by the phone, and one
missing from an out-of-date catalog falls back to English. Translators run ``ikiganiro check``
on their ``.po`` file; the tests run the same checks on every shipped catalog. Each problem is
one line that names the message. The template itself is checked against the code and the scripts
(``template_out_of_date``), so a new string cannot miss the translators.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

import yaml
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

from bot.i18n.catalog import DOMAIN, LOCALES_DIR

TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
ROOT = LOCALES_DIR.parent
GLOSSARY = ROOT / "docs" / "glossary.yaml"
# The keywords `make i18n-extract` gives pybabel with -k (tests/test_i18n.py compares the two).
EXTRACT_KEYWORDS = ("pgettext:1c,2", "npgettext:1c,2,3", "N_")
# A message as the template knows it, apart from where it sits: (context, msgid, msgid_plural).
MessageKey = tuple[str | None, str, str | None]
_LIMIT = re.compile(r"At most (\d+) characters")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def shipped_catalogs(locales: Path = LOCALES_DIR) -> list[Path]:
    return sorted(locales.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def language_of(path: Path) -> str:
    return path.parent.parent.name


def read_catalog(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=None if path.suffix == ".pot" else language_of(path))


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _where(message: Message) -> str:
    first = _forms(message.id)[0]
    return f"[{message.context}] {first!r}" if message.context else repr(first)


def placeholders(text: str) -> set[str]:
    """Names of the replacement fields in ``text``; a malformed template raises ``ValueError``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _limit(message: Message) -> int | None:
    """The limit a translator comment states; Babel splits long comments over several lines."""
    found = _LIMIT.search(" ".join([*message.auto_comments, *message.user_comments]))
    return int(found.group(1)) if found else None


def untranslated(catalog: Catalog) -> list[str]:
    problems = []
    for message in _messages(catalog):
        forms = _forms(message.string)
        expected = catalog.num_plurals if message.pluralizable else 1
        if len(forms) != expected or not all(form.strip() for form in forms):
            problems.append(f"{_where(message)}: not translated")
    return problems


def changed_placeholders(catalog: Catalog) -> list[str]:
    problems = []
    for message in _messages(catalog):
        try:
            wanted = set().union(*(placeholders(form) for form in _forms(message.id)))
        except ValueError:
            continue  # not a format template in the source either
        for form in _forms(message.string):
            try:
                got = placeholders(form)
            except ValueError as error:
                problems.append(f"{_where(message)}: malformed braces ({error})")
                continue
            if form and got != wanted:
                problems.append(
                    f"{_where(message)}: placeholders {sorted(got)} instead of {sorted(wanted)}"
                )
    return problems


def added_markup(catalog: Catalog) -> list[str]:
    problems = []
    for message in _messages(catalog):
        source = "".join(_forms(message.id))
        if any(b in form and b not in source for form in _forms(message.string) for b in "<>"):
            problems.append(f"{_where(message)}: < or > added (the text is escaped, not markup)")
    return problems


def over_limits(catalog: Catalog) -> list[str]:
    problems = []
    for message in _messages(catalog):
        limit = _limit(message)
        if limit is not None:
            problems += [
                f"{_where(message)}: {len(form)} characters, at most {limit}"
                for form in _forms(message.string)
                if len(form) > limit
            ]
    return problems


def fuzzy(catalog: Catalog) -> list[str]:
    """Entries still marked fuzzy: a draft or a stale translation nobody has confirmed.

    ``make i18n-update`` marks a message fuzzy when its English changed, keeping the old
    translation, which may now say something else (a consent text that no longer matches).
    """
    return [
        f"{_where(message)}: fuzzy (a draft or an out-of-date translation); check it and "
        "remove the flag"
        for message in _messages(catalog)
        if message.fuzzy
    ]


@dataclass(frozen=True, slots=True)
class Term:
    """One glossary term: where English uses it, and the word each language uses for it."""

    name: str
    english: re.Pattern[str]
    wanted: dict[str, re.Pattern[str]]
    avoided: dict[str, re.Pattern[str]]


def read_glossary(path: Path = GLOSSARY) -> list[Term]:
    """The terms of ``docs/glossary.yaml`` (none where it is not shipped, as in the image)."""
    if not path.exists():
        return []
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def pattern(text: str) -> re.Pattern[str]:
        return re.compile(text, re.IGNORECASE)

    return [
        Term(
            name=entry["term"],
            english=pattern(entry["en"]),
            wanted={
                lang: pattern(word)
                for lang, word in entry.items()
                if lang not in {"term", "en", "avoid"}
            },
            avoided={lang: pattern(word) for lang, word in entry.get("avoid", {}).items()},
        )
        for entry in data["terms"]
    ]


def off_glossary(catalog: Catalog, language: str, terms: list[Term]) -> list[str]:
    """Translations of a message using a glossary term without the glossary's word for it.

    A reader who meets "role" as *nafasi* on a button and as *jukumu* in the next message, or
    the bot as "boti" (a boat), cannot tell it is the same thing. Only messages whose English
    contains the term are checked, each form of the translation on its own.
    """
    problems = []
    for message in _messages(catalog):
        source = _PLACEHOLDER.sub(" ", " ".join(_forms(message.id)))  # {stage} is no word
        forms = [form for form in _forms(message.string) if form.strip()]
        for term in terms:
            if not forms or not term.english.search(source):
                continue
            wanted, avoided = term.wanted.get(language), term.avoided.get(language)
            if wanted is not None and not all(wanted.search(form) for form in forms):
                problems.append(
                    f"{_where(message)}: {term.name!r} is not translated with the glossary's "
                    f"word ({wanted.pattern}); see docs/glossary.md"
                )
            if avoided is not None and any(avoided.search(form) for form in forms):
                problems.append(
                    f"{_where(message)}: {term.name!r} is translated with a word the glossary "
                    f"avoids ({avoided.pattern}); see docs/glossary.md"
                )
    return problems


def missing_from(catalog: Catalog, template: Catalog) -> list[str]:
    problems = []
    for message in _messages(template):
        found = catalog.get(message.id, context=message.context)
        if found is None or _forms(found.id) != _forms(message.id):
            problems.append(f"{_where(message)}: missing; run `make i18n-update`")
    return problems


def _normal(plural_forms: str) -> str:
    return "".join(plural_forms.split()).rstrip(";")


def plural_rule_mismatch(catalog: Catalog, language: str) -> list[str]:
    """The catalog's ``Plural-Forms`` header against the installed Babel's rule for its language.

    ``gettext`` picks a plural form by the header's formula, so a header written for an older
    CLDR (French had two forms before Babel 2.19, three since) picks forms the translator never
    wrote, and the English source shows instead. ``make i18n-update`` rewrites the header.
    """
    wanted = get_plural(language).plural_forms
    if _normal(catalog.plural_forms) == _normal(wanted):
        return []
    return [
        f"Plural-Forms is {catalog.plural_forms!r} but Babel's rule for {language!r} is "
        f"{wanted!r}; run `make i18n-update` and fill in the new forms"
    ]


def check_catalog(path: Path, template: Path = TEMPLATE) -> list[str]:
    """Every problem of one ``.po`` file, one line each, prefixed with the file."""
    try:
        catalog = read_catalog(path)
    except Exception as error:  # Babel's parse errors have no common base class
        return [f"{path}: cannot be read: {error}"]
    language = language_of(path)
    problems = [
        *plural_rule_mismatch(catalog, language),
        *untranslated(catalog),
        *fuzzy(catalog),
        *changed_placeholders(catalog),
        *added_markup(catalog),
        *over_limits(catalog),
        *off_glossary(catalog, language, read_glossary()),
    ]
    if template.exists():
        problems += missing_from(catalog, read_catalog(template))
    return [f"{path}: {problem}" for problem in problems]


def _key(message: Message) -> MessageKey:
    forms = _forms(message.id)
    return (message.context, forms[0], forms[1] if len(forms) > 1 else None)


def extracted(root: Path = ROOT) -> set[MessageKey]:
    """What `make i18n-extract` would write into the template today, read in memory.

    The same mapping (``babel.cfg``: the code and, through ``ikiganiro_dialogue``, the scripts)
    and the same keywords, gathered into a catalog the way ``pybabel extract`` gathers them.
    """
    with (root / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    keywords = {**DEFAULT_KEYWORDS, **parse_keywords(list(EXTRACT_KEYWORDS))}
    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        root, method_map, options_map, keywords=keywords, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return {_key(message) for message in _messages(catalog)}


def template_out_of_date(root: Path = ROOT, template: Path = TEMPLATE) -> list[str]:
    """One line if the template's messages are not those the code and scripts hold now.

    A string added to the code but not to the template reaches no translator; one removed from
    the code lingers in every catalog. Line numbers and dates are ignored: only the set of
    (context, msgid, msgid_plural) counts. Skipped where there is no ``babel.cfg`` (the Docker
    image ships no build files) or no template.
    """
    if not (root / "babel.cfg").exists() or not template.exists():
        return []
    wanted = extracted(root)
    have = {_key(message) for message in _messages(read_catalog(template))}
    if wanted == have:
        return []
    new, gone = sorted(wanted - have, key=str), sorted(have - wanted, key=str)
    example = (new or gone)[0]
    return [
        f"{template}: out of date with the code and scripts ({len(new)} new, {len(gone)} gone, "
        f"e.g. {example[1]!r}); run `make i18n-update`"
    ]
