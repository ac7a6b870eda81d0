"""docs/glossary.md (for people) and docs/glossary.yaml (for `ikiganiro check`) agree."""

from __future__ import annotations

import re

from bot.i18n.check import GLOSSARY, ROOT, read_glossary

PAGE = ROOT / "docs" / "glossary.md"
COLUMNS = ("en", "fr", "rn", "sw")


def table() -> dict[str, dict[str, str]]:
    """The rows of the page's table of terms: English term -> each language's cell."""
    rows: dict[str, dict[str, str]] = {}
    for line in PAGE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in {"English", ""} or set(cells[0]) <= {"-"}:
            continue
        english = re.sub(r"\s*\(.*\)$", "", cells[0])
        rows[english] = {"fr": cells[1], "rn": cells[2], "sw": cells[3]}
    return rows


def test_the_page_and_the_data_list_the_same_terms() -> None:
    assert GLOSSARY.exists()
    assert {term.name for term in read_glossary()} == set(table())


def test_each_languages_word_on_the_page_is_the_one_checked() -> None:
    rows = table()
    wrong = [
        f"{term.name} ({language}): {pattern.pattern!r} not in {rows[term.name][language]!r}"
        for term in read_glossary()
        for language, pattern in term.wanted.items()
        if not pattern.search(rows[term.name][language])
    ]
    assert wrong == []


def test_words_to_avoid_are_not_the_glossarys_own() -> None:
    rows = table()
    clashes = [
        f"{term.name} ({language})"
        for term in read_glossary()
        for language, pattern in term.avoided.items()
        if pattern.search(rows[term.name][language])
    ]
    assert clashes == []
