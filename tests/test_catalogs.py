"""The shipped catalogs: complete, safe to format, and in step with the template.

The checks live in ``bot.i18n.check`` (``ikiganiro check`` runs them for translators); here
they run on every shipped catalog, from the ``.po`` sources (no compiled ``.mo`` needed), and
each is shown to catch what it is for.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.support import Translations

from bot.i18n import plurals
from bot.i18n.catalog import DOMAIN, KIRUNDI_PLURAL_FORMS, LANGUAGES, LOCALES_DIR, Translator
from bot.i18n.check import (
    EXTRACT_KEYWORDS,
    ROOT,
    TEMPLATE,
    added_markup,
    changed_placeholders,
    check_catalog,
    fuzzy,
    language_of,
    missing_from,
    off_glossary,
    over_limits,
    plural_rule_mismatch,
    read_catalog,
    read_glossary,
    shipped_catalogs,
    template_out_of_date,
    untranslated,
)
from bot.words.fit import commands_over_limits, notices_over_limits

SHIPPED = shipped_catalogs()


@cache
def _read(path: Path) -> Catalog:
    return read_catalog(path)


catalogs = pytest.mark.parametrize("path", SHIPPED, ids=language_of)


def test_only_supported_languages_are_shipped() -> None:
    assert {language_of(path) for path in SHIPPED} <= set(LANGUAGES) - {"en"}


@catalogs
def test_every_message_is_translated(path: Path) -> None:
    assert untranslated(_read(path)) == []


@catalogs
def test_placeholders_are_kept(path: Path) -> None:
    assert changed_placeholders(_read(path)) == []


@catalogs
def test_no_markup_is_added(path: Path) -> None:
    assert added_markup(_read(path)) == []


@catalogs
def test_stated_length_limits_hold(path: Path) -> None:
    assert over_limits(_read(path)) == []


@catalogs
def test_no_entry_is_fuzzy(path: Path) -> None:
    assert fuzzy(_read(path)) == []


@catalogs
def test_glossary_terms_are_translated_with_the_glossarys_words(path: Path) -> None:
    assert off_glossary(_read(path), language_of(path), read_glossary()) == []


@pytest.mark.parametrize("language", [language_of(path) for path in SHIPPED])
def test_notices_fit_telegram_with_long_values(language: str) -> None:
    assert notices_over_limits(language) == []
    assert commands_over_limits(language) == []


def test_a_notice_or_command_too_long_for_telegram_is_found() -> None:
    catalog = Catalog(locale="fr", domain=DOMAIN)
    catalog.add("You endorse this commitment.", "Vous soutenez cet engagement. " * 8)
    catalog.add("open the next stage", "ouvrir l'étape suivante " * 12)
    catalog.add("Thank you. Your answer is in.", "Merci.")
    translations = Translations()
    translations._catalog = {m.id: m.string for m in catalog if m.id}
    long_french = Translator("fr", translations)

    (notice,) = notices_over_limits("fr", translated=long_french)
    assert notice.startswith("fr: notice 'endorsed' 'You endorse this commitment.': 240 ")
    assert "a button's answer holds 200 (English: 28)" in notice
    (command,) = commands_over_limits("fr", translated=long_french)
    assert "the description of /next has 288 characters, a command menu holds 256" in command


@catalogs
def test_catalog_is_in_step_with_the_template(path: Path) -> None:
    assert missing_from(_read(path), _read(TEMPLATE)) == []


BROKEN_PO = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "Answer texts are deleted {days} days after the session ends."
msgstr "Les réponses sont effacées {jours} jours après la fin."

msgid "Hello {name}"
msgstr "Bonjour <b>{name}</b>"

#. A button. At most 10 characters.
msgid "Join"
msgstr "Rejoindre la session"

msgid "Not yet"
msgstr ""

#, fuzzy
msgid "Thank you"
msgstr "Merci"

msgid "Ask a facilitator."
msgstr "Demandez à un facilitateur."
"""


def test_each_check_catches_what_it_is_for(tmp_path: Path) -> None:
    po = tmp_path / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
    po.parent.mkdir(parents=True)
    po.write_text(BROKEN_PO, encoding="utf-8")
    template = tmp_path / f"{DOMAIN}.pot"
    template.write_text(BROKEN_PO + '\nmsgid "New message"\nmsgstr ""\n', encoding="utf-8")

    problems = check_catalog(po, template)

    assert all(line.startswith(f"{po}: ") for line in problems)
    text = "\n".join(problems)
    assert "'Not yet': not translated" in text
    assert "placeholders ['jours'] instead of ['days']" in text
    assert "'Hello {name}': < or > added" in text
    assert "'Join': 20 characters, at most 10" in text
    assert "'New message': missing" in text
    assert "Plural-Forms is 'nplurals=1; plural=0;' but Babel's rule for 'fr' is" in text
    assert "'Thank you': fuzzy" in text
    assert "'session' is not translated with the glossary's word (session)" in text
    assert "'Ask a facilitator.': 'facilitator' is not translated with the glossary's" in text
    assert "'facilitator' is translated with a word the glossary avoids (facilitat)" in text
    assert len(problems) == 10


@catalogs
def test_plural_rule_is_babels(path: Path) -> None:
    assert plural_rule_mismatch(_read(path), language_of(path)) == []


OLD_FRENCH_PO = """\
msgid ""
msgstr ""
"Language: fr\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=1; plural=0;\\n"

msgid "{n} story"
msgid_plural "{n} stories"
msgstr[0] "{n} histoire"
"""


def test_make_i18n_update_gives_a_catalog_babels_plural_rule(tmp_path: Path) -> None:
    po = tmp_path / "fr" / "LC_MESSAGES" / f"{DOMAIN}.po"
    po.parent.mkdir(parents=True)
    po.write_text(OLD_FRENCH_PO, encoding="utf-8")
    assert plural_rule_mismatch(read_catalog(po), "fr") != []

    plurals.main([str(po)])

    catalog = read_catalog(po)
    assert plural_rule_mismatch(catalog, "fr") == []
    assert untranslated(catalog) == []
    (message,) = (m for m in catalog if m.id)
    assert len(message.string) == catalog.num_plurals > 1
    assert set(message.string) == {"{n} histoire"}
    assert "fuzzy" in message.flags  # a translator should look at the copied forms


def test_kirundi_plural_forms_are_the_documented_choice() -> None:
    path = LOCALES_DIR / "rn" / "LC_MESSAGES" / f"{DOMAIN}.po"
    if path not in SHIPPED:
        pytest.skip("no Kirundi catalog shipped")
    assert _read(path).plural_forms == KIRUNDI_PLURAL_FORMS


# --- the template and the code -------------------------------------------------------------------


def test_the_template_is_in_step_with_the_code_and_the_scripts() -> None:
    assert template_out_of_date() == []


def test_make_i18n_extract_uses_the_keywords_the_check_uses() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("i18n-extract:", 1)[1].split("\n\n", 1)[0]
    assert "-F babel.cfg" in recipe
    assert tuple(re.findall(r"-k (\S+)", recipe)) == EXTRACT_KEYWORDS


CODE = """\
from bot.i18n.catalog import N_

def words(tr, n):
    return [
        tr.gettext("Hello"),
        tr.pgettext("role", "chief"),
        tr.ngettext("{n} cow", "{n} cows", n),
        N_("Marked"),
    ]
"""

POT = """\
msgid ""
msgstr ""

#: bot/words.py:99
msgid "Hello"
msgstr ""

#: bot/words.py:1
msgctxt "role"
msgid "chief"
msgstr ""

msgid "{n} cow"
msgid_plural "{n} cows"
msgstr[0] ""
msgstr[1] ""

msgid "Marked"
msgstr ""
"""


def _project(tmp_path: Path, pot: str) -> Path:
    (tmp_path / "babel.cfg").write_bytes((ROOT / "babel.cfg").read_bytes())
    (tmp_path / "bot").mkdir()
    (tmp_path / "bot" / "words.py").write_text(CODE, encoding="utf-8")
    (tmp_path / "dialogues").mkdir()
    template = tmp_path / f"{DOMAIN}.pot"
    template.write_text(pot, encoding="utf-8")
    return template


def test_a_template_in_step_passes_whatever_its_line_numbers(tmp_path: Path) -> None:
    template = _project(tmp_path, POT)
    assert template_out_of_date(tmp_path, template) == []


@pytest.mark.parametrize(
    ("edit", "counts", "example"),
    [
        (('msgid "Marked"\nmsgstr ""\n', ""), "1 new, 0 gone", "'Marked'"),
        (("Hello", "Hello!"), "1 new, 1 gone", "'Hello'"),
        (('msgctxt "role"', 'msgctxt "owner"'), "1 new, 1 gone", "'chief'"),
        (('"{n} cows"', '"{n} kine"'), "1 new, 1 gone", "'{n} cow'"),
    ],
)
def test_an_out_of_date_template_is_one_line(
    tmp_path: Path, edit: tuple[str, str], counts: str, example: str
) -> None:
    template = _project(tmp_path, POT.replace(*edit))
    (problem,) = template_out_of_date(tmp_path, template)
    assert problem.startswith(f"{template}: out of date with the code and scripts ({counts}")
    assert f"e.g. {example}" in problem
    assert problem.endswith("run `make i18n-update`")


def test_without_build_files_the_template_is_not_checked(tmp_path: Path) -> None:
    template = _project(tmp_path, "")
    (tmp_path / "babel.cfg").unlink()
    assert template_out_of_date(tmp_path, template) == []
