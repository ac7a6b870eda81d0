"""The printable commitment charter: the group's vision and promises on A4, ready to sign.

``charter_pdf`` is a pure function of the charter view (the summary model, its date and place)
and the languages asked for: the same view always gives the same bytes. The words come from
``bot.words.charter`` (Babel); the page is laid out by ``bot.charter.layout`` with fpdf2 and the
bundled DejaVu Sans, which covers French, Kirundi and Swahili.
"""

from __future__ import annotations

from bot.engine.effects import CharterView
from bot.i18n.catalog import translator
from bot.words.charter import charter_words

__all__ = ["charter_pdf"]


def charter_pdf(
    view: CharterView, languages: tuple[str, ...], *, group_title: str | None = None
) -> bytes:
    """The charter as a PDF, in one language or two side by side (the first leads).

    fpdf2 and its font tools are imported here, when a charter is made: at import they cost
    ``ikiganiro run`` a quarter of its start-up (docs/performance.md)."""
    from bot.charter.layout import render_pdf  # noqa: PLC0415 - fpdf2 costs start-up

    words = [
        charter_words(view, translator(language), group_title)
        for language in dict.fromkeys(languages)
    ]
    return render_pdf(words, day=view.date)
