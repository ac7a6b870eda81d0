"""The shipped catalogs: complete, safe to format, and in step with the template.

A translation that drops or renames a ``{placeholder}`` shows an empty gap (the renderer fills
missing names with ""), one that adds a tag breaks nothing but is escaped into visible noise, and
one that overruns a button's limit is cut by the phone. None of that shows up until a real group
meets, so every catalog is checked here, from the ``.po`` sources (no compiled ``.mo`` needed).
"""

from __future__ import annotations

import re
import string
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.i18n.catalog import DOMAIN, KIRUNDI_PLURAL_FORMS, LANGUAGES, LOCALES_DIR

TEMPLATE = LOCALES_DIR / f"{DOMAIN}.pot"
SHIPPED = sorted(LOCALES_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))
LIMIT = re.compile(r"At most (\d+) characters")


def _language(path: Path) -> str:
    return path.parent.parent.name


@cache
def _read(path: Path) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=None if path.suffix == ".pot" else _language(path))


def _messages(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _where(message: Message) -> str:
    first = _forms(message.id)[0]
    return f"[{message.context}] {first!r}" if message.context else repr(first)


def _placeholders(text: str) -> set[str]:
    """Names of the replacement fields in ``text``; a malformed template raises ``ValueError``."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def _limit(message: Message) -> int | None:
    """The limit a translator comment states; Babel splits long comments over several lines."""
    found = LIMIT.search(" ".join([*message.auto_comments, *message.user_comments]))
    return int(found.group(1)) if found else None


catalogs = pytest.mark.parametrize("path", SHIPPED, ids=_language)


def test_only_supported_languages_are_shipped() -> None:
    assert {_language(path) for path in SHIPPED} <= set(LANGUAGES) - {"en"}


@catalogs
def test_every_message_is_translated(path: Path) -> None:
    catalog = _read(path)
    nplurals = catalog.num_plurals
    missing = []
    for message in _messages(catalog):
        forms = _forms(message.string)
        expected = nplurals if message.pluralizable else 1
        if len(forms) != expected or not all(form.strip() for form in forms):
            missing.append(_where(message))
    assert not missing, f"{len(missing)} untranslated in {path}: {missing}"


@catalogs
def test_placeholders_are_kept(path: Path) -> None:
    wrong = []
    for message in _messages(_read(path)):
        try:
            wanted = set().union(*(_placeholders(form) for form in _forms(message.id)))
        except ValueError:
            continue  # not a format template in the source either
        for form in _forms(message.string):
            try:
                got = _placeholders(form)
            except ValueError as exc:
                wrong.append(f"{_where(message)}: malformed braces ({exc})")
                continue
            if got != wanted:
                wrong.append(f"{_where(message)}: {sorted(got)} instead of {sorted(wanted)}")
    assert not wrong, f"placeholders changed in {path}:\n" + "\n".join(wrong)


@catalogs
def test_no_markup_is_added(path: Path) -> None:
    added = []
    for message in _messages(_read(path)):
        source = "".join(_forms(message.id))
        if any(b in form and b not in source for form in _forms(message.string) for b in "<>"):
            added.append(_where(message))
    assert not added, f"translations with < or > in {path} (text is escaped): {added}"


@catalogs
def test_stated_length_limits_hold(path: Path) -> None:
    long = []
    for message in _messages(_read(path)):
        limit = _limit(message)
        if limit is None:
            continue
        long += [
            f"{_where(message)}: {len(form)} > {limit}"
            for form in _forms(message.string)
            if len(form) > limit
        ]
    assert not long, f"too long in {path}: {long}"


@catalogs
def test_catalog_is_in_step_with_the_template(path: Path) -> None:
    if not TEMPLATE.exists():
        pytest.skip("no template; run `make i18n-extract`")
    catalog = _read(path)
    stale = []
    for message in _messages(_read(TEMPLATE)):
        found = catalog.get(message.id, context=message.context)
        if found is None or _forms(found.id) != _forms(message.id):
            stale.append(_where(message))
    assert not stale, f"{len(stale)} template messages missing from {path}; run `make i18n-update`"


def test_kirundi_plural_forms_are_the_documented_choice() -> None:
    path = LOCALES_DIR / "rn" / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path not in SHIPPED:
        pytest.skip("no Kirundi catalog shipped")
    assert _read(path).plural_forms == KIRUNDI_PLURAL_FORMS
