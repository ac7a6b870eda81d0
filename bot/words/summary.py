"""The summary, as the group reads it: the draft at the review stage and the final one at the end.

Both come from one ``Summary`` model (``bot.engine.summary``), so the draft and the final text
agree. The rendering is cut into one function per section (balance of voices, choices, quotes,
what was withheld, commitments) so each section's rules can be read on their own.
"""

from __future__ import annotations

from html import escape

from bot.engine.summary import ChoiceResult, CommitmentLine, Quote, StageBalance, Summary
from bot.i18n.catalog import Translator
from bot.words.followup import render_earlier, status_note
from bot.words.markup import Context, tagged
from bot.words.names import (
    due_name,
    option_label,
    owner_name,
    role_name,
    script_title,
    stage_of,
    stage_title,
    summary_counts,
)


def render_summary(summary: Summary, ctx: Context) -> str:
    tr = ctx.tr
    title = escape(script_title(ctx) or summary.title)
    heading = (
        tr.gettext("Summary: {title}") if summary.final else tr.gettext("Draft summary: {title}")
    )
    lines = [f"<b>{escape(heading).format(title=title)}</b>"]
    lines.append(
        escape(
            tr.gettext("Taking part: {counts}").format(
                counts=summary_counts(tr, summary.participants, summary.threshold)
            )
        )
    )
    k = summary.threshold
    lines += _balance(summary.balance, ctx, k)
    for result in summary.choices:
        lines += _choice(result, ctx, k)
    lines += _quotes(summary.quotes, ctx)
    lines += _withheld(tr, summary.withheld)
    lines += render_earlier(summary, tr)
    lines += _commitments(tr, summary.commitments, k)
    lines += ["", "<b>" + escape(tr.gettext("Safety is everybody's business.")) + "</b>"]
    return "\n".join(lines)


def _balance(balance: tuple[StageBalance, ...], ctx: Context, k: int) -> list[str]:
    """How many people of each role spoke at each stage: the first sign of a one-sided talk."""
    if not balance:
        return []
    tr = ctx.tr
    lines = ["", tagged("b", tr.gettext("Voices at each stage"))]
    for stage in balance:
        counts = summary_counts(tr, stage.voices, k)
        if stage.unnamed:  # counted apart: a role would point at an anonymous author
            counts = tr.ngettext(
                "{counts}; and {n} answer without a name",
                "{counts}; and {n} answers without a name",
                stage.unnamed,
            ).format(counts=counts, n=stage.unnamed)
        lines.append(
            "• "
            + escape(
                tr.gettext("{stage}: {counts}").format(
                    stage=stage_title(ctx, stage.stage_id, stage.title), counts=counts
                )
            )
        )
    return lines


def _choice(result: ChoiceResult, ctx: Context, k: int) -> list[str]:
    """A choice stage's options, most chosen first; options nobody chose are left out."""
    stage = stage_of(ctx, result.stage_id)
    lines = ["", f"<b>{escape(stage_title(ctx, result.stage_id, result.title))}</b>"]
    for option in sorted(result.options, key=lambda o: -o.votes.total):
        if option.votes.total == 0:
            continue
        label = option_label(ctx, stage, option.option_id) if stage else option.label
        lines.append(
            "• "
            + escape(
                ctx.tr.gettext("{label}: {counts}").format(
                    label=label, counts=summary_counts(ctx.tr, option.votes, k)
                )
            )
        )
    return lines


def _quotes(quotes: tuple[Quote, ...], ctx: Context) -> list[str]:
    """Quotes under their stage's title; an anonymous one says so and names nobody."""
    tr = ctx.tr
    lines: list[str] = []
    current: str | None = None
    for quote in quotes:
        if quote.stage_id != current:
            current = quote.stage_id
            lines += ["", f"<b>{escape(stage_title(ctx, quote.stage_id))}</b>"]
        if quote.author is None:
            attribution = tr.gettext("anonymous")
        else:
            attribution = tr.gettext("{name}, {role}").format(
                name=quote.author, role=role_name(tr, quote.role)
            )
        lines.append(
            escape(tr.gettext("• “{text}” — {who}").format(text=quote.text, who=attribution))
        )
    return lines


def _withheld(tr: Translator, withheld: int) -> list[str]:
    """A count of what is not quoted, so the group knows more was said than it reads."""
    if not withheld:
        return []
    note = tr.ngettext(
        "{n} answer was kept for the facilitators or is not quoted without its author's consent.",
        "{n} answers were kept for the facilitators or are not quoted without their "
        "authors' consent.",
        withheld,
    ).format(n=withheld)
    return ["", "<i>" + escape(note) + "</i>"]


def _commitments(tr: Translator, commitments: tuple[CommitmentLine, ...], k: int) -> list[str]:
    """Each commitment with who acts, by when and its endorsements; ✅ marks shared ones, and a
    proposal still without who or when says so rather than vanish."""
    lines = ["", tagged("b", tr.gettext("Our commitments"))]
    if not commitments:
        lines.append(escape(tr.gettext("No commitments yet.")))
    for line in commitments:
        text = tr.gettext("{mark}“{text}” — who: {owner}; by when: {due}; endorsed by {counts}")
        if not line.complete:
            text = tr.gettext(
                "{mark}“{text}” — a proposal, still incomplete: who: {owner}; by when: {due}; "
                "endorsed by {counts}"
            )
        lines.append(
            "• "
            + escape(
                text.format(
                    mark="✅ " if line.shared else "",
                    text=line.text,
                    owner=owner_name(tr, line.owner),
                    due=due_name(tr, line.due, line.due_date),
                    counts=summary_counts(tr, line.endorsements, k),
                )
            )
            + status_note(tr, line.status, line.status_date)
        )
    if any(line.shared for line in commitments):
        lines.append(
            "<i>" + escape(tr.gettext("✅ endorsed by police and residents alike.")) + "</i>"
        )
    return lines
