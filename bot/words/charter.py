"""The charter's words: every text the printable charter shows, in one reader's language.

The PDF layout (``bot.charter``) places these strings and knows no language; this module knows
no page. A charter is read on paper, signed, and pinned on a wall of the police post or the
commune office, so it says plainly what the group promised, who acts and by when.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from bot.engine.effects import CharterView
from bot.engine.state import VOICE_MARK, Progress
from bot.engine.summary import CommitmentLine, EarlierLine, Summary
from bot.i18n.catalog import Translator
from bot.words.followup import history_line
from bot.words.names import due_name, owner_name, progress_name


@dataclass(frozen=True, slots=True)
class CharterRow:
    """One commitment: what, who acts, by when, and (once commitments have one) its status."""

    text: str
    who: str
    when: str
    status: str | None = None
    shared: bool = False  # endorsed by police and residents alike: marked on the page


@dataclass(frozen=True, slots=True)
class CharterWords:
    """Everything one language's column of the charter says, already translated."""

    language: str
    heading: str
    group: str
    date: str
    place: str  # "Place: Gitega", or the label alone with a line to write on
    place_given: bool
    vision_heading: str
    vision: tuple[str, ...]
    no_vision: str
    commitments_heading: str
    columns: tuple[str, str, str, str]  # what, who, by when, status
    rows: tuple[CharterRow, ...]
    no_commitments: str
    # A follow-up's earlier commitments, each with its history of reports (status: the history).
    earlier_heading: str
    earlier: tuple[CharterRow, ...]
    shared_note: str
    slogan: str
    signatures_heading: str
    signers: tuple[str, ...]  # one line each, by role
    signature_hint: str  # under each line: what to write there


def vision_of(summary: Summary) -> tuple[str, ...]:
    """The shared vision the charter shows: the one place that reads it from the summary.

    The statements a majority of both police officers and residents agreed on, which both
    sides sign; where none are (the group did not vote, or no statement bridged), the
    statements as the group wrote them, in the summary's order.
    """
    written = [s for s in summary.vision if s.text != VOICE_MARK]  # a voice cannot be printed
    agreed = tuple(statement.text for statement in written if statement.bridging)
    return agreed or tuple(statement.text for statement in written)


def charter_words(
    view: CharterView, tr: Translator, group_title: str | None = None
) -> CharterWords:
    """The charter's texts in ``tr``'s language; ``group_title`` is the chat's title, if known."""
    summary = view.summary
    day = tr.format_date(date.fromisoformat(view.date))
    # A status column only once someone reported one: at the end every commitment is open.
    reported = any(line.status is not Progress.OPEN for line in summary.commitments)
    place = (
        tr.gettext("Place: {place}").format(place=view.place)
        if view.place
        else tr.gettext("Place:")
    )
    return CharterWords(
        language=tr.language,
        heading=tr.gettext("Our commitment charter"),
        group=group_title or tr.gettext("Our community safety group"),
        date=tr.gettext("Date: {date}").format(date=day),
        place=place,
        place_given=bool(view.place),
        vision_heading=tr.gettext("Our shared vision"),
        vision=vision_of(summary),
        no_vision=tr.gettext("The vision is still to be written together."),
        commitments_heading=tr.gettext("Our commitments"),
        columns=(
            tr.pgettext("charter", "What we will do"),
            tr.pgettext("charter", "Who acts"),
            tr.pgettext("charter", "By when"),
            tr.pgettext("charter", "Status"),
        ),
        rows=tuple(_row(tr, line, status=reported) for line in summary.commitments),
        no_commitments=tr.gettext("No commitments yet."),
        earlier_heading=tr.gettext("Our earlier commitments"),
        earlier=tuple(_earlier_row(tr, line) for line in summary.earlier),
        shared_note=tr.gettext("✓ endorsed by police and residents alike"),
        slogan=tr.gettext("Safety is everybody's business."),
        signatures_heading=tr.gettext("Signatures"),
        signers=_signers(tr),
        signature_hint=tr.gettext("Name and signature"),
    )


def _row(tr: Translator, line: CommitmentLine, *, status: bool) -> CharterRow:
    text = line.text
    if not line.complete:
        text = tr.gettext("{text} (a proposal, still incomplete)").format(text=line.text)
    return CharterRow(
        text=text,
        who=owner_name(tr, line.owner),
        when=due_name(tr, line.due, line.due_date),
        status=_status(tr, line) if status else None,
        shared=line.shared,
    )


def _earlier_row(tr: Translator, line: EarlierLine) -> CharterRow:
    """An earlier commitment a follow-up went through: what became of it, every report dated."""
    when = (
        tr.format_date(date.fromisoformat(line.due_date))
        if line.due_date
        else tr.pgettext("due", "no date")
    )
    return CharterRow(
        text=line.text,
        who=owner_name(tr, line.owner),
        when=when,
        status=history_line(tr, line),
    )


def _status(tr: Translator, line: CommitmentLine) -> str:
    """Where a commitment stands, and since when once someone reported it."""
    name = progress_name(tr, line.status)
    if line.status_date is None:
        return name
    since = tr.format_date(date.fromisoformat(line.status_date))
    return tr.pgettext("charter", "{status} since {date}").format(status=name, date=since)


def _signers(tr: Translator) -> tuple[str, ...]:
    """Who signs: one line for each side of the dialogue, and one for the facilitator."""
    return (
        tr.gettext("For the police"),
        tr.gettext("For the residents"),
        tr.gettext("For the local leaders"),
        tr.gettext("The facilitator"),
    )


def caption(tr: Translator) -> str:
    """The few words that go with the charter in the chat (a document's caption)."""
    return tr.gettext("Our commitment charter, to print, sign and keep.")


def filename(tr: Translator, day: str) -> str:
    """The charter's file name: its translated name and date, in letters a file system takes."""
    stem = tr.pgettext("file name", "charter")
    safe = re.sub(r"[^\w-]+", "-", stem).strip("-") or "charter"
    return f"{safe}-{day}.pdf"
