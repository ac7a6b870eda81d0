"""The summary in two renderings of one ``Summary`` model (``bot.engine.summary``).

- ``render_summary``, the **take-home summary** the group keeps: the draft at the review stage
  and, replacing it at ``/end``, the final one. Short on purpose (see docs/summary.md): the
  commitments first, then the shared vision, what people offered, the choices with their
  tallies by role, the balance of voices in one line, and the stories as their authors
  consented. A long list is shortened to a few quotes taken in turn from each role
  (``bot.engine.summary.balanced``), and says how many more the record holds.
- ``render_record``, the **full per-stage record** a facilitator receives privately: who spoke
  at each stage, every choice, every quotable answer under its stage.

Both apply the same privacy rules, since both are built from the same model: nothing the model
withholds can appear, and every count by role goes through ``summary_counts`` (the small-group
rule). Each section is one function, so its rules can be read on their own.
"""

from __future__ import annotations

from html import escape

from bot.engine.state import VOICE_MARK, Role
from bot.engine.summary import (
    ChoiceResult,
    CommitmentLine,
    Quote,
    Section,
    StageBalance,
    Statement,
    Summary,
    balanced,
)
from bot.i18n.catalog import Translator
from bot.words.followup import render_earlier, status_note
from bot.words.markup import Context, tagged
from bot.words.names import (
    due_name,
    option_label,
    owner_name,
    person,
    role_name,
    script_title,
    stage_of,
    stage_title,
    summary_counts,
)

# How many quotes of one stage (what people offered; the stories, last, fewer), and how many
# statements not yet shared by both sides, the take-home summary shows; the rest are counted
# (docs/summary.md says why these numbers).
TAKE_HOME_QUOTES = {Section.OFFERS: 5, Section.STORIES: 3}
TAKE_HOME_SHARED_STATEMENTS = 6
TAKE_HOME_OTHER_STATEMENTS = 3


def render_summary(summary: Summary, ctx: Context) -> str:
    """The take-home summary, in the group's language."""
    tr, k = ctx.tr, summary.threshold
    lines = _heading(summary, ctx, record=False)
    lines += _commitments(tr, summary.commitments, k)
    lines += render_earlier(summary, tr, _quote_line)
    lines += _vision(summary.vision, ctx, k, take_home=True)
    lines += _take_home(summary.quotes, Section.OFFERS, ctx)
    for result in summary.choices:
        lines += _choice(result, ctx, k)
    lines += ["", escape(_voices_line(summary, tr))]
    lines += _take_home(summary.quotes, Section.STORIES, ctx)
    lines += _withheld(tr, summary.withheld)
    lines += ["", "<b>" + escape(tr.gettext("Safety is everybody's business.")) + "</b>"]
    return "\n".join(lines)


def render_record(summary: Summary, ctx: Context) -> str:
    """The full per-stage record, for a facilitator's private chat: nothing shortened."""
    tr, k = ctx.tr, summary.threshold
    lines = _heading(summary, ctx, record=True)
    lines += _balance(summary.balance, ctx, k)
    for result in summary.choices:
        lines += _choice(result, ctx, k)
    lines += _vision(summary.vision, ctx, k, take_home=False)
    lines += _quotes(record_quotes(summary), ctx, record=True)
    lines += _withheld(tr, summary.withheld)
    lines += render_earlier(summary, tr, _quote_line)
    lines += _commitments(tr, summary.commitments, k)
    return "\n".join(lines)


def _heading(summary: Summary, ctx: Context, *, record: bool) -> list[str]:
    tr = ctx.tr
    title = escape(script_title(ctx) or summary.title)
    if record:
        heading = tr.gettext("Full record for the facilitators: {title}")
    elif summary.final:
        heading = tr.gettext("Summary: {title}")
    else:
        heading = tr.gettext("Draft summary: {title}")
    counts = summary_counts(tr, summary.participants, summary.threshold)
    lines = [
        f"<b>{escape(heading).format(title=title)}</b>",
        escape(tr.gettext("Taking part: {counts}").format(counts=counts)),
    ]
    if summary.added:  # their answers carry the mark; their votes are counts like anyone's
        lines.append(
            escape(
                tr.ngettext(
                    "{n} of them without a phone, through a facilitator.",
                    "{n} of them without a phone, through a facilitator.",
                    summary.added,
                ).format(n=summary.added)
            )
        )
    return lines


def _take_home(quotes: tuple[Quote, ...], section: Section, ctx: Context) -> list[str]:
    """The quotes of one section under their stage's title, each stage's shortened to a few
    taken in turn from each role, with how many more the facilitators' record holds."""
    by_stage: dict[str, list[Quote]] = {}
    for quote in quotes:
        if quote.section is section:
            by_stage.setdefault(quote.stage_id, []).append(quote)
    lines: list[str] = []
    for stage_quotes in by_stage.values():
        kept = balanced(stage_quotes, TAKE_HOME_QUOTES[section])
        lines += _quotes(tuple(kept), ctx)
        lines += _more(ctx.tr, len(stage_quotes) - len(kept))
    return lines


def _voices_line(summary: Summary, tr: Translator) -> str:
    """The balance of voices in one line: who spoke with their name at any stage, by role."""
    counts = _with_unnamed(
        tr, summary_counts(tr, summary.voices, summary.threshold), summary.unnamed
    )
    return tr.gettext("Voices heard: {counts}").format(counts=counts)


def _with_unnamed(tr: Translator, counts: str, unnamed: int) -> str:
    """Counts by role, then the answers without a name apart: a role would point at their
    anonymous authors."""
    if not unnamed:
        return counts
    return tr.ngettext(
        "{counts}; and {n} answer without a name",
        "{counts}; and {n} answers without a name",
        unnamed,
    ).format(counts=counts, n=unnamed)


def _balance(balance: tuple[StageBalance, ...], ctx: Context, k: int) -> list[str]:
    """How many people of each role spoke at each stage: the first sign of a one-sided talk."""
    if not balance:
        return []
    tr = ctx.tr
    lines = ["", tagged("b", tr.gettext("Voices at each stage"))]
    for stage in balance:
        counts = _with_unnamed(tr, summary_counts(tr, stage.voices, k), stage.unnamed)
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
    """A choice stage's options with their tallies by role, most chosen first; options nobody
    chose are left out."""
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


def _vision(
    statements: tuple[Statement, ...], ctx: Context, k: int, *, take_home: bool
) -> list[str]:
    """Our shared vision: the statements both police and residents agree on, then the others
    with their tallies by role. The take-home summary shows a few of each (the agreed ones
    without their tallies: the heading says what they are); the record shows all, tallied."""
    if not statements:
        return []
    tr = ctx.tr
    lines = ["", tagged("b", tr.gettext("Our shared vision"))]
    shared = [s for s in statements if s.bridging]
    others = [s for s in statements if not s.bridging]
    if shared:
        lines.append(tagged("i", tr.gettext("Agreed by police and residents:")))
        shown = shared[:TAKE_HOME_SHARED_STATEMENTS] if take_home else shared
        for statement in shown:
            lines += _statement(statement, ctx, k, tallied=not take_home)
        lines += _more(tr, len(shared) - len(shown))
    if others:
        if shared:
            lines.append(tagged("i", tr.gettext("Not yet agreed by both sides:")))
        shown = others[:TAKE_HOME_OTHER_STATEMENTS] if take_home else others
        for statement in shown:
            lines += _statement(statement, ctx, k, tallied=True)
        lines += _more(tr, len(others) - len(shown))
    return lines


def _statement(statement: Statement, ctx: Context, k: int, *, tallied: bool) -> list[str]:
    """A statement as a quote, with its tallies by role once anyone voted."""
    tr = ctx.tr
    line = [_quote_line(statement.text, statement.author, statement.role, tr)]
    if tallied and statement.votes:
        tally = tr.gettext("agree: {agree}; not sure: {unsure}; disagree: {disagree}").format(
            agree=summary_counts(tr, statement.agree, k),
            unsure=summary_counts(tr, statement.unsure, k),
            disagree=summary_counts(tr, statement.disagree, k),
        )
        line.append("  " + tagged("i", tally))
    return line


def _more(tr: Translator, n: int) -> list[str]:
    if n <= 0:
        return []
    text = tr.ngettext(
        "…and {n} more in the facilitators' record.",
        "…and {n} more in the facilitators' record.",
        n,
    ).format(n=n)
    return [tagged("i", text)]


def _quote_line(
    text: str, author: str | None, role: Role | None, tr: Translator, play: int | None = None
) -> str:
    if author is None:
        attribution = tr.gettext("anonymous")
    else:
        attribution = tr.gettext("{name} ({role})").format(
            name=person(tr, author), role=role_name(tr, role)
        )
    if text != VOICE_MARK:
        return escape(tr.gettext("• “{text}” — {who}").format(text=text, who=attribution))
    line = tr.gettext("• 🎤 a voice answer — {who}").format(who=attribution)
    if play is not None:  # the facilitators' record: the button that sends it to them
        line += " " + tr.gettext("(▶ {n} plays it to you)").format(n=play)
    return escape(line)


def voice_answers(quotes: tuple[Quote, ...]) -> list[str]:
    """The answer ids of the voice answers among ``quotes``, in order: ▶ 1, ▶ 2, …"""
    return [quote.answer_id for quote in quotes if quote.text == VOICE_MARK]


def _quotes(quotes: tuple[Quote, ...], ctx: Context, *, record: bool = False) -> list[str]:
    """Quotes under their stage's title; an anonymous one says so and names nobody. In the
    facilitators' record each voice answer is numbered for its Play button."""
    lines: list[str] = []
    current: str | None = None
    numbers = {answer_id: n for n, answer_id in enumerate(voice_answers(quotes), start=1)}
    for quote in quotes:
        if quote.stage_id != current:
            current = quote.stage_id
            lines += ["", f"<b>{escape(stage_title(ctx, quote.stage_id))}</b>"]
        play = numbers.get(quote.answer_id) if record else None
        lines.append(_quote_line(quote.text, quote.author, quote.role, ctx.tr, play))
    return lines


def record_quotes(summary: Summary) -> tuple[Quote, ...]:
    """The quotes the facilitators' record lists after the vision."""
    return tuple(q for q in summary.quotes if q.section is not Section.VISION)


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
