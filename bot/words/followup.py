"""A follow-up summary's look back: each earlier commitment with its history of reports (what
it became, and when) and what was said of it, quoted as its authors allowed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from html import escape

from bot.engine.state import Progress, Role
from bot.engine.summary import EarlierLine, Summary
from bot.i18n.catalog import Translator
from bot.words.markup import tagged
from bot.words.names import owner_name, progress_name

# How the summary renders one quote: (text, author or None, role or None, translator) -> line.
QuoteLine = Callable[[str, str | None, Role | None, Translator], str]


def _day(tr: Translator, iso: str | None) -> str:
    return tr.format_date(date.fromisoformat(iso)) if iso else tr.pgettext("due", "no date")


def status_note(tr: Translator, status: Progress, status_date: str | None) -> str:
    """Where a commitment stands, after its summary line: nothing while it is still open."""
    if status is Progress.OPEN:
        return ""
    note = tr.gettext("{status} (since {date})").format(
        status=progress_name(tr, status), date=_day(tr, status_date)
    )
    return " · " + escape(note)


def history_line(tr: Translator, line: EarlierLine) -> str:
    """ "open → in progress (2 Jul 2025) → done (14 Jul 2025)": every report, dated."""
    steps = [progress_name(tr, None)] + [
        tr.gettext("{status} ({date})").format(
            status=progress_name(tr, step.status), date=_day(tr, step.date)
        )
        for step in line.history
    ]
    return " → ".join(steps)


def render_earlier(summary: Summary, tr: Translator, quote: QuoteLine) -> list[str]:
    """The section "Our earlier commitments", or nothing outside a follow-up; ``quote`` renders
    a note as every quote of the summary is rendered."""
    if not summary.earlier:
        return []
    lines = ["", tagged("b", tr.gettext("Our earlier commitments"))]
    for line in summary.earlier:
        head = tr.gettext("“{text}” — who: {owner}; by when: {due}").format(
            text=line.text, owner=owner_name(tr, line.owner), due=_day(tr, line.due_date)
        )
        lines.append("• " + escape(head))
        lines.append("  " + escape(history_line(tr, line)))
        lines += ["  " + quote(note.text, note.author, note.role, tr) for note in line.notes]
    return lines
