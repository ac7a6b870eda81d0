"""A follow-up summary's look back: each earlier commitment with its history of reports (what
it became, and when) and what was said of it, quoted as its authors allowed."""

from __future__ import annotations

from datetime import date
from html import escape

from bot.engine.state import Progress
from bot.engine.summary import EarlierLine, Summary
from bot.i18n.catalog import Translator
from bot.words.markup import tagged
from bot.words.names import owner_name, progress_name, role_name


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
    """"open → in progress (2 Jul 2025) → done (14 Jul 2025)": every report, dated."""
    steps = [progress_name(tr, None)] + [
        tr.gettext("{status} ({date})").format(
            status=progress_name(tr, step.status), date=_day(tr, step.date)
        )
        for step in line.history
    ]
    return " → ".join(steps)


def render_earlier(summary: Summary, tr: Translator) -> list[str]:
    """The section "Our earlier commitments", or nothing outside a follow-up."""
    if not summary.earlier:
        return []
    lines = ["", tagged("b", tr.gettext("Our earlier commitments"))]
    for line in summary.earlier:
        head = tr.gettext("“{text}” — who: {owner}; by when: {due}").format(
            text=line.text, owner=owner_name(tr, line.owner), due=_day(tr, line.due_date)
        )
        lines.append("• " + escape(head))
        lines.append("  " + escape(history_line(tr, line)))
        for note in line.notes:
            who = tr.gettext("anonymous")
            if note.author is not None:
                who = tr.gettext("{name}, {role}").format(
                    name=note.author, role=role_name(tr, note.role)
                )
            lines.append(
                "  – " + escape(tr.gettext("“{text}” — {who}").format(text=note.text, who=who))
            )
    return lines
