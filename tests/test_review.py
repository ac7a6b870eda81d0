"""The Kirundi review table is read from the catalog's own translator comments."""

from __future__ import annotations

from pathlib import Path

from bot.i18n.check import read_catalog
from bot.i18n.review import KIRUNDI, review_table, rows

PO = """\
msgid ""
msgstr ""
"Language: rn\\n"
"Content-Type: text/plain; charset=UTF-8\\n"
"Plural-Forms: nplurals=2; plural=(n != 1);\\n"

# back-translation: Those who took part, a long line that Babel wrapped onto
# a second comment line
# note: abitavye, from kwitaba
msgid "Taking part: {counts}"
msgstr "Abitavye: {counts}"

msgctxt "role"
msgid "police officer"
msgstr "umupolisi"

# back-translation: {n} vote | {n} votes
msgid "{label}: {n} vote"
msgid_plural "{label}: {n} votes"
msgstr[0] "{label}: ijwi {n}"
msgstr[1] "{label}: amajwi {n}"
"""


def test_each_row_has_the_source_the_kirundi_and_the_comments(tmp_path: Path) -> None:
    po = tmp_path / "rn" / "LC_MESSAGES" / "ikiganiro.po"
    po.parent.mkdir(parents=True)
    po.write_text(PO, encoding="utf-8")
    assert rows(read_catalog(po)) == [
        (
            "Taking part: {counts}",
            "Abitavye: {counts}",
            "Those who took part, a long line that Babel wrapped onto a second comment line",
            "abitavye, from kwitaba",
        ),
        ("[role] police officer", "umupolisi", "(none yet)", ""),
        (
            "{label}: {n} vote / {label}: {n} votes",
            "{label}: ijwi {n} / {label}: amajwi {n}",
            "{n} vote | {n} votes",
            "",
        ),
    ]
    table = review_table(po)
    assert "| 3 | {label}: {n} vote / {label}: {n} votes |" in table
    assert "{n} vote \\| {n} votes" in table  # a pipe would split the cell


def test_every_kirundi_entry_has_a_back_translation() -> None:
    """The review table is only as useful as its last column: every Kirundi entry says in
    English what it says, so a reviewer can compare it with the source at a glance."""
    missing = [row[0] for row in rows(read_catalog(KIRUNDI)) if row[2] == "(none yet)"]
    assert missing == [], (
        "Kirundi entries without a '# back-translation: ...' comment (see docs/translating.md); "
        "if a merge of the catalog dropped comments, take them back from the last catalog on main"
    )
