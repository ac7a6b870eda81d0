"""Keep each catalog's plural rule in step with the installed Babel's CLDR data.

``pybabel update`` keeps a catalog's ``Plural-Forms`` header as it was, so when CLDR changes a
language's plural rule (French gained a third form, for round millions, in Babel 2.19) the
catalog goes on with a formula that no longer matches the one ``ikiganiro check`` expects, and a
header that asks for more forms than the entries hold makes gettext show English. ``make
i18n-update`` runs this after ``pybabel update``: the header takes Babel's rule, and an entry
that lacks a new form gets a copy of its last form, marked fuzzy so a translator looks at it.

Usage: ``python -m bot.i18n.plurals CATALOG.po [...]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.plurals import get_plural
from babel.messages.pofile import write_po

from bot.i18n.check import language_of, read_catalog


def align(catalog: Catalog) -> int:
    """Give ``catalog`` its locale's plural rule; return how many entries gained a form."""
    catalog.mime_headers = [("Plural-Forms", get_plural(catalog.locale).plural_forms)]
    wanted = catalog.num_plurals
    padded = 0
    for message in catalog:
        if not message.id or not message.pluralizable:
            continue
        forms = list(message.string) if isinstance(message.string, (list, tuple)) else []
        if forms and len(forms) < wanted and all(forms):
            message.string = (*forms, *[forms[-1]] * (wanted - len(forms)))
            message.flags.add("fuzzy")
            padded += 1
        elif len(forms) > wanted:
            message.string = tuple(forms[:wanted])
    return padded


def main(paths: list[str]) -> int:
    for name in paths:
        path = Path(name)
        catalog = read_catalog(path)
        before = catalog.plural_forms
        padded = align(catalog)
        if catalog.plural_forms == before:
            continue
        with path.open("wb") as out:
            write_po(out, catalog, width=0, include_previous=False)
        print(
            f"{path}: Plural-Forms for {language_of(path)!r} is now {catalog.plural_forms!r}; "
            f"{padded} entries gained a form to review (marked fuzzy)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
