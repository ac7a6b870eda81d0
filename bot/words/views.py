"""The engine's views as text and buttons, and ``render``, the one entry point for any view.

Here: the welcome, a stage's prompt (which doubles as its live progress and tally), a shared
answer, a commitment card and a facilitator's status. Notices and the summary have modules of
their own (``bot.words.notices``, ``bot.words.summary``); ``render`` sends each view to its
renderer so callers need not know which is which.
"""

from __future__ import annotations

from datetime import date
from html import escape

from bot.callbacks import Action, StartKind, button
from bot.engine.effects import (
    AgreementTally,
    CharterView,
    CommitmentView,
    DueView,
    EarlierView,
    EndCheckView,
    NoticeView,
    PromptView,
    ProxyCardView,
    RecordView,
    SharedAnswerView,
    StatementView,
    StatusLine,
    StatusView,
    SummaryView,
    View,
    WelcomeView,
)
from bot.engine.script import CHOICE_KINDS, TEXT_KINDS, Channel, Stage, StageKind
from bot.engine.state import Agreement, Status
from bot.i18n.catalog import Translator, script_context
from bot.words.charter import caption as charter_caption
from bot.words.markup import Context, Key, Rendered, tagged
from bot.words.names import (
    AGREEMENT_MARKS,
    agreement_keys,
    agreement_name,
    counts_line,
    due_keys,
    due_name,
    option_label,
    owner_keys,
    owner_name,
    person,
    private_link,
    progress_keys,
    progress_name,
    role_name,
    script_title,
    spoken,
    stage_of,
    stage_text,
    stage_title,
)
from bot.words.notices import render_notice
from bot.words.summary import record_quotes, render_record, render_summary, voice_answers

Keys = tuple[tuple[Key, ...], ...]


def render(view: View, ctx: Context) -> Rendered:
    match view:
        case NoticeView():
            return render_notice(view, ctx)
        case WelcomeView():
            return _welcome(view, ctx)
        case PromptView():
            return _prompt(view, ctx)
        case SharedAnswerView():
            return _shared(view, ctx)
        case StatementView():
            return _statement(view, ctx)
        case CommitmentView():
            return _commitment(view, ctx)
        case DueView():
            return _due(view, ctx)
        case EarlierView():
            return _earlier(view, ctx)
        case StatusView():
            return _status(view, ctx)
        case EndCheckView():
            return _end_check(view, ctx)
        case SummaryView():
            return Rendered(render_summary(view.summary, ctx))
        case CharterView():  # a document: as text, the words that go with it
            return Rendered(escape(charter_caption(ctx.tr)))
        case RecordView():
            return Rendered(render_record(view.summary, ctx), _play_keys(view, ctx))
        case ProxyCardView():
            return _proxy_card(view, ctx)
    raise TypeError(f"no renderer for {type(view).__name__}")  # pragma: no cover


def _welcome(view: WelcomeView, ctx: Context) -> Rendered:
    tr = ctx.tr
    lines = [f"<b>{escape(script_title(ctx))}</b>"]
    if ctx.script is not None and ctx.script.description:
        lines.append(
            escape(
                tr.script_text(
                    script_context(ctx.script.id, None, "description"), ctx.script.description
                )
            )
        )
    lines += [
        "",
        tagged("b", tr.gettext("How we talk here")),
        "• " + escape(tr.gettext("Listen to each other to the end.")),
        "• " + escape(tr.gettext("Speak from your own experience.")),
        "• " + escape(tr.gettext("What is shared here stays here.")),
        "• " + escape(tr.gettext("Police officers and residents meet here as citizens.")),
        "",
        tagged("b", tr.gettext("What is kept")),
        escape(
            tr.gettext(
                "When you join I keep your first name, the role you choose and your answers. "
                "Answer texts are deleted {days} days after the session ends; the summary and "
                "the commitments stay with the group. In a private chat with me, /mydata shows "
                "what I keep about you and /forget erases it."
            ).format(days=ctx.extras.get("retention_days", "90"))
        ),
        "",
        escape(
            tr.gettext("Joined so far: {counts}").format(counts=counts_line(tr, view.participants))
        ),
    ]
    keys: Keys = ()
    if view.status is Status.ENDED:
        lines.append(escape(tr.gettext("This session has ended. Thank you.")))
    else:
        keys = ((Key(tr.gettext("Join ↗"), url=private_link(ctx, StartKind.JOIN)),),)
    return Rendered("\n".join(lines), keys)


def _how_to_answer(ctx: Context, stage: Stage) -> str:
    tr = ctx.tr
    private = bool(stage.channels & {Channel.PRIVATE, Channel.ANONYMOUS})
    if stage.kind is StageKind.EARLIER:
        return tr.gettext(
            "For each commitment below, those who act on it say where it stands with its buttons, "
            "and anyone replies to its card: what helped, and what got in the way."
        )
    if stage.kind is StageKind.TEXT:
        if Channel.GROUP in stage.channels and private:
            return tr.gettext(
                "To answer, reply to this message (swipe it, or press it and choose Reply), or "
                "press “Answer privately” to write to me alone."
            )
        if private:
            return tr.gettext("Press “Answer privately” to write your answer to me alone.")
        return tr.gettext(
            "To answer, reply to this message (swipe it, or press it and choose Reply)."
        )
    if stage.kind is StageKind.CHOICE:
        return tr.gettext("Choose one with the buttons. Press again to take your choice back.")
    if stage.kind is StageKind.MULTI_CHOICE:
        limit = stage.max_choices or len(stage.options)
        return tr.ngettext(
            "Choose up to {n} option with the buttons. Press again to take a choice back.",
            "Choose up to {n} options with the buttons. Press again to take a choice back.",
            limit,
        ).format(n=limit)
    if stage.kind is StageKind.COMMITMENT:
        return tr.gettext(
            "Reply to this message with one thing we could do together. "
            "I will then ask who acts and by when."
        )
    if stage.kind is StageKind.REVIEW:
        return tr.gettext(
            "Read the draft summary below. Say with the buttons whether your answers may be "
            "quoted in the final summary. “Do not quote me” covers every answer you gave in this "
            "session, with your name or without: it is counted, never quoted, in every summary."
        )
    return ""


def _prompt(view: PromptView, ctx: Context) -> Rendered:
    """The stage's heading and text, how to answer, the tally and the progress, with buttons."""
    tr = ctx.tr
    stage = stage_of(ctx, view.stage_id)
    if stage is None:
        return Rendered(escape(tr.gettext("This stage no longer exists in the script.")))
    heading = tr.gettext("Stage {number} of {total}: {title}").format(
        number=view.number, total=view.total, title=stage_text(ctx, stage, "title")
    )
    lines = [f"<b>{escape(heading)}</b>", "", escape(stage_text(ctx, stage, "prompt"))]
    if stage.help:
        lines.append(f"<i>{escape(stage_text(ctx, stage, 'help'))}</i>")
    if stage.takes_input or stage.kind is StageKind.REVIEW:
        if view.open:
            lines += ["", escape(_how_to_answer(ctx, stage))]
        else:
            lines += ["", tagged("i", tr.gettext("This stage is closed."))]
    keys: list[tuple[Key, ...]] = []
    if stage.kind in CHOICE_KINDS:
        lines.append("")
        lines += _tally(view, ctx, stage)
        if view.open:
            keys += _option_keys(ctx, stage)
    if stage.takes_input:
        lines += [
            "",
            escape(
                tr.gettext("Voices so far: {counts}").format(counts=counts_line(tr, view.answered))
            ),
        ]
    if view.open:
        keys += _answer_keys(ctx, stage)
    return Rendered("\n".join(lines), tuple(keys))


def _tally(view: PromptView, ctx: Context, stage: Stage) -> list[str]:
    """One line per option of a choice stage with its votes so far."""
    lines = []
    for option in stage.options:
        votes = view.tally.get(option.id, 0)
        label = option_label(ctx, stage, option.id)
        lines.append(
            escape(
                ctx.tr.ngettext("{label}: {n} vote", "{label}: {n} votes", votes).format(
                    label=label, n=votes
                )
            )
        )
    return lines


def _option_keys(ctx: Context, stage: Stage) -> Keys:
    """One button per option, one per row: labels can be long in some languages."""
    return tuple(
        (
            Key(
                option_label(ctx, stage, option.id),
                data=button(Action.CHOICE, ctx.session_id, stage.id, option.id),
            ),
        )
        for option in stage.options
    )


def _answer_keys(ctx: Context, stage: Stage) -> Keys:
    """An open stage's buttons besides its options: answer privately, or consent to quotes."""
    tr = ctx.tr
    if stage.kind in TEXT_KINDS and stage.channels & {Channel.PRIVATE, Channel.ANONYMOUS}:
        return ((Key(tr.gettext("Answer privately ↗"), url=private_link(ctx, StartKind.ANSWER)),),)
    if stage.kind is StageKind.REVIEW:
        return (
            (
                Key(
                    tr.gettext("Quote my stories"), data=button(Action.QUOTE, ctx.session_id, "1")
                ),
                Key(tr.gettext("Do not quote me"), data=button(Action.QUOTE, ctx.session_id, "0")),
            ),
        )
    return ()


def _shared(view: SharedAnswerView, ctx: Context) -> Rendered:
    tr = ctx.tr
    title = escape(stage_title(ctx, view.stage_id))
    if view.author is None:
        head = escape(tr.gettext("Shared anonymously ({stage}):")).format(stage=title)
    else:
        head = escape(tr.gettext("{name} wrote privately and shares ({stage}):")).format(
            name=f"<b>{escape(person(tr, view.author))}</b>", stage=title
        )
    said = spoken(tr, view.text)
    if view.tally is None:
        return Rendered(f"{head}\n{escape(said)}")
    # A statement of the shared vision: its votes so far, and the buttons to vote.
    lines = [head, escape(said), "", _tally_line(view.tally, ctx)]
    return Rendered("\n".join(lines), (agreement_keys(ctx, view.answer_id),))


# A statement's excerpt on its vote card: the card replies to the whole message.
EXCERPT = 80


def _statement(view: StatementView, ctx: Context) -> Rendered:
    """The vote card under a group reply: which statement, its votes so far, the buttons."""
    said = spoken(ctx.tr, view.text)
    text = said if len(said) <= EXCERPT else said[: EXCERPT - 1].rstrip() + "…"
    lines = [
        "🗳 " + tagged("b", ctx.tr.gettext("Do you agree with this statement?")),
        escape(ctx.tr.gettext("“{text}”").format(text=text)),
        _tally_line(view.tally, ctx),
    ]
    return Rendered("\n".join(lines), (agreement_keys(ctx, view.answer_id),))


def _tally_line(tally: AgreementTally, ctx: Context) -> str:
    return escape(
        ctx.tr.gettext("Agree: {agree} · Not sure: {unsure} · Disagree: {disagree}").format(
            agree=tally.agree, unsure=tally.unsure, disagree=tally.disagree
        )
    )


def _play_keys(view: RecordView, ctx: Context) -> Keys:
    """A button per voice answer of the record, five to a row: pressed, the bot sends that
    voice to the facilitator privately."""
    keys = [
        Key(f"▶ {n}", data=button(Action.PLAY, ctx.session_id, answer_id))
        for n, answer_id in enumerate(voice_answers(record_quotes(view.summary)), start=1)
    ]
    return tuple(tuple(keys[i : i + 5]) for i in range(0, len(keys), 5))


def _commitment(view: CommitmentView, ctx: Context) -> Rendered:
    tr = ctx.tr
    sid, cid = ctx.session_id, view.commitment_id
    heading = escape(tr.gettext("Commitment:"))  # its proposer asked to be forgotten
    if view.proposer:
        heading = escape(tr.gettext("Commitment proposed by {name}:")).format(
            name=f"<b>{escape(person(tr, view.proposer))}</b>"
        )
    lines = [
        "🤝 " + heading,
        escape(view.text),
        "",
        escape(tr.gettext("Who acts: {owner}").format(owner=owner_name(tr, view.owner))),
        escape(tr.gettext("By when: {due}").format(due=due_name(tr, view.due, view.due_date))),
    ]
    lines.append(
        escape(
            tr.gettext("Endorsed by {counts}").format(counts=counts_line(tr, view.endorsements))
        )
    )
    if view.shared:
        lines.append("✅ " + escape(tr.gettext("Shared: endorsed by police and residents alike.")))
    keys: Keys = ()
    if view.open:
        # Who or when still missing (a session from before defaults): the proposer or a
        # facilitator completes it here; everyone endorses with one tap meanwhile.
        missing = (() if view.owner else (owner_keys(ctx, cid),)) + (
            () if view.due else (due_keys(ctx, cid),)
        )
        keys = (
            *missing,
            (Key("👍 " + tr.gettext("Endorse"), data=button(Action.ENDORSE, sid, cid)),),
        )
    return Rendered("\n".join(lines), keys)


def _due(view: DueView, ctx: Context) -> Rendered:
    """The reminder of a commitment whose date has come, with the status buttons; edited in
    place when someone reports where it stands."""
    tr = ctx.tr
    status = progress_name(tr, view.status)
    if view.status_date is not None:
        status = tr.gettext("{status} (since {date})").format(
            status=status, date=_date(tr, view.status_date)
        )
    owner = owner_name(tr, view.owner)
    lines = [
        "⏰ " + tagged("b", tr.gettext("The date has come for one of our commitments:")),
        escape(view.text),
        "",
        escape(tr.gettext("Who acts: {owner}").format(owner=owner)),
        escape(tr.gettext("By when: {due}").format(due=_date(tr, view.due_date))),
        escape(tr.gettext("Where it stands: {status}").format(status=status)),
        "",
        escape(
            tr.gettext(
                "How is it going? Those who act on it ({owner}) or a facilitator can say so "
                "with the buttons."
            ).format(owner=owner)
        ),
    ]
    return Rendered("\n".join(lines), progress_keys(ctx, view.commitment_id))


def _earlier(view: EarlierView, ctx: Context) -> Rendered:
    """One earlier commitment in a follow-up: where it stands, with the status buttons while
    the group is on it."""
    tr = ctx.tr
    status = progress_name(tr, view.status)
    if view.status_date is not None:
        status = tr.gettext("{status} (since {date})").format(
            status=status, date=_date(tr, view.status_date)
        )
    heading = tr.gettext("Commitment {number} of {total}:").format(
        number=view.number, total=view.total
    )
    lines = [
        "🤝 " + tagged("b", heading),
        escape(view.text),
        "",
        escape(tr.gettext("Who acts: {owner}").format(owner=owner_name(tr, view.owner))),
        escape(tr.gettext("By when: {due}").format(due=_date(tr, view.due_date))),
        escape(tr.gettext("Where it stands: {status}").format(status=status)),
    ]
    if not view.open:
        return Rendered("\n".join(lines))
    lines += [
        "",
        escape(tr.gettext("Reply to this message: what helped, and what got in the way?")),
    ]
    return Rendered("\n".join(lines), progress_keys(ctx, view.key))


def _date(tr: Translator, iso: str | None) -> str:
    return tr.format_date(date.fromisoformat(iso)) if iso else tr.pgettext("due", "no date")


def _status_line(tr: Translator, line: StatusLine) -> str:
    return "• " + escape(
        tr.gettext("{name} ({role})").format(
            name=person(tr, line.name), role=role_name(tr, line.role)
        )
    )


def _status(view: StatusView, ctx: Context) -> Rendered:
    tr, n_named = ctx.tr, len(view.answered)
    state_names = {
        Status.LOBBY: tr.pgettext("status", "waiting to start"),
        Status.RUNNING: tr.pgettext("status", "running"),
        Status.PAUSED: tr.pgettext("status", "paused"),
        Status.ENDED: tr.pgettext("status", "ended"),
    }
    lines = [
        f"<b>{escape(script_title(ctx))}</b>",
        escape(tr.gettext("Status: {status}").format(status=state_names[view.status])),
    ]
    if view.stage_id:
        lines.append(
            escape(tr.gettext("Stage: {stage}")).format(
                stage=escape(stage_title(ctx, view.stage_id))
            )
        )
    lines += [
        escape(tr.gettext("Joined: {counts}").format(counts=counts_line(tr, view.participants))),
        "",
        escape(
            tr.ngettext(
                "Answered with their name ({n}):", "Answered with their name ({n}):", n_named
            ).format(n=n_named)
        ),
        *[_status_line(tr, line) for line in view.answered],
    ]
    if view.unnamed:
        lines.append(
            escape(
                tr.ngettext(
                    "{n} answer came without a name; who wrote it is not shown, to anyone.",
                    "{n} answers came without a name; who wrote them is not shown, to anyone.",
                    view.unnamed,
                ).format(n=view.unnamed)
            )
        )
    lines += [
        escape(
            tr.ngettext(
                "Not heard by name yet ({n}):", "Not heard by name yet ({n}):", len(view.quiet)
            ).format(n=len(view.quiet))
        ),
        *[_status_line(tr, line) for line in view.quiet],
    ]
    keys: Keys = ()
    stage = stage_of(ctx, view.stage_id)
    if view.quiet and stage is not None and stage.takes_input and view.status is Status.RUNNING:
        keys = (
            (
                Key(
                    tr.gettext("Nudge them privately"),
                    data=button(Action.NUDGE, ctx.session_id, stage.id),
                ),
            ),
        )
    return Rendered("\n".join(lines), keys)


def _end_check(view: EndCheckView, ctx: Context) -> Rendered:
    """The question /end asks the facilitator privately: what is still open, then two buttons."""
    tr = ctx.tr
    lines = [
        tagged("b", tr.gettext("End the session?")),
        escape(
            tr.gettext(
                "The summary will be posted in the group and nobody can answer any more. This "
                "cannot be undone."
            )
        ),
        "",
    ]
    still_open = []
    if view.stage_id is not None:
        still_open.append(
            tr.gettext("“{stage}” is open; answers so far: {count} of {total}.").format(
                stage=stage_title(ctx, view.stage_id), count=view.voices, total=view.participants
            )
        )
    if view.incomplete_commitments:
        still_open.append(
            tr.gettext("Commitments still without who acts or by when: {count}.").format(
                count=view.incomplete_commitments
            )
        )
    if view.drafts:
        still_open.append(
            tr.gettext(
                "Private answers not yet shared by their authors: {count}. They are not kept."
            ).format(count=view.drafts)
        )
    if still_open:
        lines.append(tagged("b", tr.gettext("Still open:")))
        lines += ["• " + escape(line) for line in still_open]
    else:
        lines.append(escape(tr.gettext("Nothing is left open.")))
    keys = (
        (
            Key(tr.gettext("End the session"), data=button(Action.END, ctx.session_id, "1")),
            Key(tr.gettext("Not yet"), data=button(Action.END, ctx.session_id, "0")),
        ),
    )
    return Rendered("\n".join(lines), keys)


def _excerpt(tr: Translator, text: str) -> str:
    said = spoken(tr, text)
    return said if len(said) <= EXCERPT else said[: EXCERPT - 1].rstrip() + "…"


def _proxy_card(view: ProxyCardView, ctx: Context) -> Rendered:
    """A facilitator's card for someone they added: the open choice, then each statement of
    the vision (👍 🤔 👎 under its number) and each commitment (Endorse under its number)."""
    tr, number = ctx.tr, str(view.number)
    lines = [
        tagged(
            "b",
            tr.gettext("Acting for {name} (number {number})").format(
                name=view.name, number=number
            ),
        ),
        escape(
            tr.gettext(
                "Press what they say aloud: each press counts as theirs, and what now stands "
                "for them shows at the top of your screen. /for {number} shows this card again."
            ).format(number=number)
        ),
    ]
    keys: list[tuple[Key, ...]] = []
    for section in (_proxy_choice, _proxy_statements, _proxy_commitments):
        more_lines, more_keys = section(view, ctx)
        lines += more_lines
        keys += more_keys
    if not keys:
        lines += [
            "",
            escape(tr.gettext("Nothing is open to choose, vote on or endorse right now.")),
        ]
    return Rendered("\n".join(lines), tuple(keys))


_Section = tuple[list[str], list[tuple[Key, ...]]]


def _proxy_choice(view: ProxyCardView, ctx: Context) -> _Section:
    """The open choice stage's options, one a row, as its own prompt shows them."""
    stage = stage_of(ctx, view.stage_id)
    if stage is None:
        return [], []
    sid, number = ctx.session_id, str(view.number)
    keys: list[tuple[Key, ...]] = [
        (
            Key(
                option_label(ctx, stage, o.id),
                data=button(Action.CHOICE_FOR, sid, number, stage.id, o.id),
            ),
        )
        for o in stage.options
    ]
    return ["", tagged("b", stage_text(ctx, stage, "title"))], keys


def _proxy_statements(view: ProxyCardView, ctx: Context) -> _Section:
    """Each statement of the vision by its number, and a row of three votes under it."""
    if not view.statements:
        return [], []
    tr, sid, number = ctx.tr, ctx.session_id, str(view.number)
    legend = " · ".join(f"{AGREEMENT_MARKS[v]} {agreement_name(tr, v)}" for v in Agreement)
    lines = ["", tagged("b", tr.gettext("Our shared vision")), escape(legend)]
    keys: list[tuple[Key, ...]] = []
    for n, item in enumerate(view.statements, start=1):
        lines.append(
            escape(f"{n}. " + tr.gettext("“{text}”").format(text=_excerpt(tr, item.text)))
        )
        keys.append(
            tuple(
                Key(
                    f"{n} {AGREEMENT_MARKS[v]}",
                    data=button(Action.AGREE_FOR, sid, number, item.id, v.value),
                )
                for v in Agreement
            )
        )
    return lines, keys


def _proxy_commitments(view: ProxyCardView, ctx: Context) -> _Section:
    """Each commitment by its number, and Endorse buttons three to a row."""
    if not view.commitments:
        return [], []
    tr, sid, number = ctx.tr, ctx.session_id, str(view.number)
    lines = ["", tagged("b", tr.gettext("Our commitments"))]
    endorse = []
    for n, item in enumerate(view.commitments, start=1):
        lines.append(
            escape(f"{n}. " + tr.gettext("“{text}”").format(text=_excerpt(tr, item.text)))
        )
        label = tr.gettext("🤝 Endorse {number}").format(number=n)
        endorse.append(Key(label, data=button(Action.ENDORSE_FOR, sid, number, item.id)))
    return lines, [tuple(endorse[i : i + 3]) for i in range(0, len(endorse), 3)]
