"""The group's commitments as ``/commitments`` lists them: one short message, any time.

Every session the group held keeps its commitments after it ends (and after its stories are
purged), so the list runs across sessions: those still open, in progress or stuck, soonest due
first. Long texts are cut and a long list is capped, so the answer stays one message.
"""

from __future__ import annotations

from html import escape

from bot.engine.state import SETTLED, Commitment
from bot.i18n.catalog import Translator
from bot.words.markup import Rendered, tagged
from bot.words.names import owner_name, progress_name
from bot.words.shell import ShellText

# Twelve lines of at most ~250 characters stay well inside one 4096-character message.
MAX_LISTED = 12
MAX_TEXT = 120


def still_open(commitments: list[Commitment]) -> list[Commitment]:
    """Not done, not dropped; soonest due first (those without a date last)."""

    def due(c: Commitment) -> tuple[bool, str]:
        return (c.due_date is None, c.due_date.isoformat() if c.due_date else "")

    return sorted((c for c in commitments if c.status not in SETTLED), key=due)


def _cut(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1].rstrip() + "…"


def open_commitments(commitments: list[Commitment]) -> ShellText:
    """The answer to ``/commitments`` in a group."""

    def text(tr: Translator) -> Rendered:
        listed = still_open(commitments)
        if not listed:
            return Rendered(escape(tr.gettext("This group has no open commitments.")))
        lines = [tagged("b", tr.gettext("Our open commitments ({n})").format(n=len(listed)))]
        for c in listed[:MAX_LISTED]:
            due = tr.pgettext("due", "no date")
            if c.due_date is not None:
                due = tr.format_date(c.due_date.date())
            line = tr.gettext("“{text}” — who: {owner}; by when: {due}; {status}").format(
                text=_cut(c.text),
                owner=owner_name(tr, c.owner),
                due=due,
                status=progress_name(tr, c.status),
            )
            lines.append("• " + escape(line))
        if len(listed) > MAX_LISTED:
            rest = len(listed) - MAX_LISTED
            lines.append(escape(tr.ngettext("and {n} more", "and {n} more", rest).format(n=rest)))
        return Rendered("\n".join(lines))

    return text
