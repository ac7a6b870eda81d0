"""The review table of a catalog: each message, its translation and its back-translation.

A reviewer who reads Kirundi but not Python checks a translation fastest against an English
back-translation made by the translator: where the back-translation drifts from the source, the
Kirundi probably does too. The back-translations live in the catalog itself, as translator
comments (``# back-translation: ...``, ``# note: ...``) that Poedit shows beside each entry and
``make i18n-update`` keeps; ``make i18n-review`` turns them into ``docs/kirundi-review.md``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog, Message

from bot.i18n.catalog import DOMAIN, LOCALES_DIR
from bot.i18n.check import read_catalog

BACK, NOTE = "back-translation:", "note:"
KIRUNDI = LOCALES_DIR / "rn" / "LC_MESSAGES" / f"{DOMAIN}.po"
OUTPUT = LOCALES_DIR.parent / "docs" / "kirundi-review.md"


def _forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def comments(message: Message) -> dict[str, str]:
    """The back-translation and the note of one entry; Babel wraps long comments over lines."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in message.user_comments:
        text = line
        for label in (BACK, NOTE):
            if line.startswith(label):
                current = found.setdefault(label, [])
                text = line.removeprefix(label)
                break
        if current is not None:
            current.append(text.strip())
    return {label: " ".join(words) for label, words in found.items()}


def _cell(text: str) -> str:
    """Text fit for one Markdown table cell: no line breaks, no bare pipes."""
    return " ↵ ".join(text.split("\n")).replace("|", "\\|")


def rows(catalog: Catalog) -> list[tuple[str, str, str, str]]:
    """(source, translation, back-translation, note) for every message, in catalog order."""
    table = []
    for message in catalog:
        if not message.id:
            continue
        source = " / ".join(_forms(message.id))
        if message.context:
            source = f"[{message.context}] {source}"
        found = comments(message)
        table.append(
            (
                source,
                " / ".join(_forms(message.string)),
                found.get(BACK, "(none yet)"),
                found.get(NOTE, ""),
            )
        )
    return table


def review_table(path: Path = KIRUNDI) -> str:
    """The whole review page for the catalog at ``path``."""
    table = rows(read_catalog(path))
    lines = [
        "# Kirundi translation: review table",
        "",
        "Generated from `locales/rn/LC_MESSAGES/ikiganiro.po` by `make i18n-review`; do not edit",
        "here (see [translating.md](translating.md) for how to send corrections). Each row is one",
        "message: the English source (with its context in brackets), the Kirundi shown to people,",
        "an English back-translation of that Kirundi made by the translator, and a note on a",
        "choice where one was made. `↵` marks a line break. Where the back-translation drifts",
        "from the source, check the Kirundi first.",
        "",
        f"{len(table)} messages.",
        "",
        "| # | English (msgid) | Kirundi | Back-translation | Note |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {' | '.join(_cell(cell) for cell in row)} |"
        for n, row in enumerate(table, start=1)
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else KIRUNDI
    output = Path(args[1]) if len(args) > 1 else OUTPUT
    output.write_text(review_table(source), encoding="utf-8")
    print(f"{output}: {len(rows(read_catalog(source)))} messages")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
