"""Views become text and buttons here, in the reader's language; nothing else writes user text.

Telegram-free on purpose: the demo, the tests and the sender all see the same words. Rules kept
throughout:

- every sentence is one translatable message with named placeholders (no concatenated
  fragments), so a translator can reorder it;
- everything that came from a person is HTML-escaped, and no HTML tag ever spans a line break, so
  a long text can be split at any line (``split_message``) without breaking the markup;
- counts are shown by role, never names, except where the group already saw the name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from html import escape, unescape

from bot.callbacks import NO_SESSION, Action, StartKind, button, start_url
from bot.engine.effects import (
    CommitmentView,
    Notice,
    NoticeView,
    PromptView,
    SharedAnswerView,
    StatusLine,
    StatusView,
    SummaryView,
    View,
    WelcomeView,
)
from bot.engine.script import CHOICE_KINDS, Channel, Script, Stage, StageKind
from bot.engine.state import Due, Owner, Role, Status, Visibility
from bot.engine.summary import RoleCounts, Summary
from bot.i18n.catalog import N_, Translator, script_context

MAX_MESSAGE = 4096
MAX_POPUP = 200  # answerCallbackQuery text limit


@dataclass(frozen=True, slots=True)
class Key:
    """One inline button: either callback data or a URL (deep links into the private chat)."""

    text: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    keys: tuple[tuple[Key, ...], ...] = ()

    @property
    def popup(self) -> str:
        """The text as a button's popup: plain, and short enough for Telegram to accept."""
        plain = strip_tags(self.text)
        return plain if len(plain) <= MAX_POPUP else plain[: MAX_POPUP - 1] + "…"


@dataclass(frozen=True, slots=True)
class Context:
    """What rendering needs beyond the view: who reads it, in which session, in which script."""

    tr: Translator
    script: Script | None
    session_id: str
    bot_username: str
    extras: dict[str, str] = field(default_factory=dict)


def strip_tags(text: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", text))


def tagged(tag: str, text: str) -> str:
    """Escaped text in one inline tag (gettext calls stay outside f-strings, for extraction)."""
    return f"<{tag}>{escape(text)}</{tag}>"


# --- shared pieces -----------------------------------------------------------------------------


def role_name(tr: Translator, role: Role | None) -> str:
    names = {
        Role.POLICE: tr.pgettext("role", "police officer"),
        Role.RESIDENT: tr.pgettext("role", "community member"),
        Role.LEADER: tr.pgettext("role", "local leader"),
        Role.UNSAID: tr.pgettext("role", "prefers not to say"),
    }
    return names[role] if role else tr.pgettext("role", "no role yet")


def owner_name(tr: Translator, owner: Owner | None) -> str:
    if owner is None:
        return tr.pgettext("owner", "not decided yet")
    return {
        Owner.POLICE: tr.pgettext("owner", "the police"),
        Owner.RESIDENTS: tr.pgettext("owner", "the residents"),
        Owner.BOTH: tr.pgettext("owner", "police and residents together"),
    }[owner]


def due_name(tr: Translator, due: Due | None, due_date: str | None) -> str:
    if due is None:
        return tr.pgettext("due", "not decided yet")
    if due is Due.NONE or due_date is None:
        return tr.pgettext("due", "no date")
    return tr.format_date(date.fromisoformat(due_date))


def counts_line(tr: Translator, counts: RoleCounts) -> str:
    """Counts by role in one phrase, roles with nobody left out: "3 people (2 police officers…)".

    Each role is a whole translated phrase with its own plural, and the list is joined by the
    language's own list pattern (CLDR), so no sentence is assembled from fragments.
    """
    if counts.total == 0:
        return tr.gettext("nobody yet")
    phrases = {
        Role.POLICE: tr.ngettext("{n} police officer", "{n} police officers", counts.police),
        Role.RESIDENT: tr.ngettext(
            "{n} community member", "{n} community members", counts.resident
        ),
        Role.LEADER: tr.ngettext("{n} local leader", "{n} local leaders", counts.leader),
        Role.UNSAID: tr.ngettext("{n} not said", "{n} not said", counts.unsaid),
    }
    numbers = {
        Role.POLICE: counts.police,
        Role.RESIDENT: counts.resident,
        Role.LEADER: counts.leader,
        Role.UNSAID: counts.unsaid,
    }
    roles = tr.format_list(
        [phrases[role].format(n=numbers[role]) for role in Role if numbers[role]]
    )
    return tr.ngettext(
        "{total} person ({roles})", "{total} people ({roles})", counts.total
    ).format(total=counts.total, roles=roles)


def script_title(ctx: Context) -> str:
    if ctx.script is None:
        return ""
    return ctx.tr.script_text(script_context(ctx.script.id, None, "title"), ctx.script.title)


def stage_text(ctx: Context, stage: Stage, field_name: str) -> str:
    assert ctx.script is not None
    source = str(getattr(stage, field_name))
    if not source:
        return ""
    return ctx.tr.script_text(script_context(ctx.script.id, stage.id, field_name), source)


def option_label(ctx: Context, stage: Stage, option_id: str) -> str:
    assert ctx.script is not None
    option = next((o for o in stage.options if o.id == option_id), None)
    if option is None:
        return option_id
    return ctx.tr.script_text(
        script_context(ctx.script.id, stage.id, "label", option.id), option.label
    )


def _stage(ctx: Context, stage_id: str | None) -> Stage | None:
    if ctx.script is None or stage_id is None:
        return None
    return ctx.script.stage(stage_id)


def _stage_title(ctx: Context, stage_id: str | None) -> str:
    stage = _stage(ctx, stage_id)
    return escape(stage_text(ctx, stage, "title")) if stage else ""


def _private_link(ctx: Context, kind: StartKind) -> str:
    return start_url(ctx.bot_username, kind, ctx.session_id)


# --- views -------------------------------------------------------------------------------------


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
        case CommitmentView():
            return _commitment(view, ctx)
        case StatusView():
            return _status(view, ctx)
        case SummaryView():
            return Rendered(render_summary(view.summary, ctx))
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
    keys: tuple[tuple[Key, ...], ...] = ()
    if view.status is Status.ENDED:
        lines.append(escape(tr.gettext("This session has ended. Thank you.")))
    else:
        keys = ((Key(tr.gettext("Join ↗"), url=_private_link(ctx, StartKind.JOIN)),),)
    return Rendered("\n".join(lines), keys)


def _how_to_answer(ctx: Context, stage: Stage) -> str:
    tr = ctx.tr
    private = bool(stage.channels & {Channel.PRIVATE, Channel.ANONYMOUS})
    if stage.kind is StageKind.TEXT:
        if Channel.GROUP in stage.channels and private:
            return tr.gettext(
                "Reply to this message to answer, or use “Answer privately” to write to me alone."
            )
        if private:
            return tr.gettext("Use “Answer privately” to write your answer to me alone.")
        return tr.gettext("Reply to this message to answer.")
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
            "Read the draft summary below. Say with the buttons whether your stories may be "
            "quoted in the final summary."
        )
    return ""


def _prompt(view: PromptView, ctx: Context) -> Rendered:
    tr = ctx.tr
    stage = _stage(ctx, view.stage_id)
    if stage is None:
        return Rendered(escape(tr.gettext("This stage no longer exists in the script.")))
    heading = tr.gettext("Stage {number} of {total}: {title}").format(
        number=view.number, total=view.total, title=stage_text(ctx, stage, "title")
    )
    lines = [f"<b>{escape(heading)}</b>", "", escape(stage_text(ctx, stage, "prompt"))]
    if stage.help:
        lines.append(f"<i>{escape(stage_text(ctx, stage, 'help'))}</i>")
    keys: list[tuple[Key, ...]] = []
    if stage.takes_input or stage.kind is StageKind.REVIEW:
        if view.open:
            lines += ["", escape(_how_to_answer(ctx, stage))]
        else:
            lines += ["", tagged("i", tr.gettext("This stage is closed."))]
    if stage.kind in CHOICE_KINDS:
        lines.append("")
        for option in stage.options:
            votes = view.tally.get(option.id, 0)
            label = option_label(ctx, stage, option.id)
            lines.append(
                escape(
                    tr.ngettext("{label}: {n} vote", "{label}: {n} votes", votes).format(
                        label=label, n=votes
                    )
                )
            )
            if view.open:
                keys.append(
                    (Key(label, data=button(Action.CHOICE, ctx.session_id, stage.id, option.id)),)
                )
    if stage.takes_input:
        lines += [
            "",
            escape(
                tr.gettext("Voices so far: {counts}").format(counts=counts_line(tr, view.answered))
            ),
        ]
    if (
        view.open
        and stage.kind is StageKind.TEXT
        and stage.channels
        & {
            Channel.PRIVATE,
            Channel.ANONYMOUS,
        }
    ):
        keys.append(
            (Key(tr.gettext("Answer privately ↗"), url=_private_link(ctx, StartKind.ANSWER)),)
        )
    if view.open and stage.kind is StageKind.REVIEW:
        keys.append(
            (
                Key(
                    tr.gettext("Quote my stories"), data=button(Action.QUOTE, ctx.session_id, "1")
                ),
                Key(tr.gettext("Do not quote me"), data=button(Action.QUOTE, ctx.session_id, "0")),
            )
        )
    return Rendered("\n".join(lines), tuple(keys))


def _shared(view: SharedAnswerView, ctx: Context) -> Rendered:
    tr = ctx.tr
    title = _stage_title(ctx, view.stage_id)
    if view.author is None:
        head = escape(tr.gettext("Shared anonymously ({stage}):")).format(stage=title)
    else:
        head = escape(tr.gettext("{name} wrote privately and shares ({stage}):")).format(
            name=f"<b>{escape(view.author)}</b>", stage=title
        )
    return Rendered(f"{head}\n{escape(view.text)}")


def _commitment(view: CommitmentView, ctx: Context) -> Rendered:
    tr = ctx.tr
    sid, cid = ctx.session_id, view.commitment_id
    lines = [
        "🤝 "
        + escape(tr.gettext("Commitment proposed by {name}:")).format(
            name=f"<b>{escape(view.proposer)}</b>"
        ),
        escape(view.text),
        "",
        escape(tr.gettext("Who acts: {owner}").format(owner=owner_name(tr, view.owner))),
        escape(tr.gettext("By when: {due}").format(due=due_name(tr, view.due, view.due_date))),
    ]
    if view.owner is not None and view.due is not None:
        lines.append(
            escape(
                tr.gettext("Endorsed by {counts}").format(
                    counts=counts_line(tr, view.endorsements)
                )
            )
        )
    if view.shared:
        lines.append("✅ " + escape(tr.gettext("Shared: endorsed by police and residents alike.")))
    keys: tuple[tuple[Key, ...], ...] = ()
    if view.open and view.owner is None:
        keys = (
            tuple(
                Key(owner_name(tr, owner), data=button(Action.OWNER, sid, cid, owner.value))
                for owner in Owner
            ),
        )
    elif view.open and view.due is None:
        labels = {
            Due.TWO_WEEKS: tr.pgettext("due", "in two weeks"),
            Due.ONE_MONTH: tr.pgettext("due", "in a month"),
            Due.THREE_MONTHS: tr.pgettext("due", "in three months"),
            Due.NONE: tr.pgettext("due", "no date"),
        }
        keys = (
            tuple(Key(labels[due], data=button(Action.DUE, sid, cid, due.value)) for due in Due),
        )
    elif view.open:
        keys = ((Key("👍 " + tr.gettext("Endorse"), data=button(Action.ENDORSE, sid, cid)),),)
    return Rendered("\n".join(lines), keys)


def _status_line(tr: Translator, line: StatusLine) -> str:
    return "• " + escape(
        tr.gettext("{name} ({role})").format(name=line.name, role=role_name(tr, line.role))
    )


def _status(view: StatusView, ctx: Context) -> Rendered:
    tr = ctx.tr
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
            escape(tr.gettext("Stage: {stage}")).format(stage=_stage_title(ctx, view.stage_id))
        )
    lines += [
        escape(tr.gettext("Joined: {counts}").format(counts=counts_line(tr, view.participants))),
        "",
        escape(
            tr.ngettext("Answered ({n}):", "Answered ({n}):", len(view.answered)).format(
                n=len(view.answered)
            )
        ),
        *[_status_line(tr, line) for line in view.answered],
        escape(
            tr.ngettext("Not yet ({n}):", "Not yet ({n}):", len(view.quiet)).format(
                n=len(view.quiet)
            )
        ),
        *[_status_line(tr, line) for line in view.quiet],
    ]
    keys: tuple[tuple[Key, ...], ...] = ()
    stage = _stage(ctx, view.stage_id)
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
                counts=counts_line(tr, summary.participants)
            )
        )
    )
    if summary.balance:
        lines += ["", tagged("b", tr.gettext("Voices at each stage"))]
        for balance in summary.balance:
            lines.append(
                "• "
                + escape(
                    tr.gettext("{stage}: {counts}").format(
                        stage=_unescaped_stage_title(ctx, balance.stage_id, balance.title),
                        counts=counts_line(tr, balance.voices),
                    )
                )
            )
    for result in summary.choices:
        stage = _stage(ctx, result.stage_id)
        lines += [
            "",
            f"<b>{escape(_unescaped_stage_title(ctx, result.stage_id, result.title))}</b>",
        ]
        ranked = sorted(result.options, key=lambda o: -o.votes.total)
        for option in ranked:
            if option.votes.total == 0:
                continue
            label = option_label(ctx, stage, option.option_id) if stage else option.label
            lines.append(
                "• "
                + escape(
                    tr.gettext("{label}: {counts}").format(
                        label=label, counts=counts_line(tr, option.votes)
                    )
                )
            )
    current: str | None = None
    for quote in summary.quotes:
        if quote.stage_id != current:
            current = quote.stage_id
            lines += ["", f"<b>{escape(_unescaped_stage_title(ctx, quote.stage_id, ''))}</b>"]
        if quote.author is None:
            attribution = tr.gettext("anonymous")
        else:
            attribution = tr.gettext("{name}, {role}").format(
                name=quote.author, role=role_name(tr, quote.role)
            )
        lines.append(
            escape(tr.gettext("• “{text}” — {who}").format(text=quote.text, who=attribution))
        )
    if summary.withheld:
        lines += [
            "",
            "<i>"
            + escape(
                tr.ngettext(
                    "{n} answer was kept for the facilitators or is not quoted without its "
                    "author's consent.",
                    "{n} answers were kept for the facilitators or are not quoted without their "
                    "authors' consent.",
                    summary.withheld,
                ).format(n=summary.withheld)
            )
            + "</i>",
        ]
    lines += ["", tagged("b", tr.gettext("Our commitments"))]
    if not summary.commitments:
        lines.append(escape(tr.gettext("No commitments yet.")))
    for line in summary.commitments:
        text = tr.gettext("{mark}“{text}” — who: {owner}; by when: {due}; endorsed by {counts}")
        lines.append(
            "• "
            + escape(
                text.format(
                    mark="✅ " if line.shared else "",
                    text=line.text,
                    owner=owner_name(tr, line.owner),
                    due=due_name(tr, line.due, line.due_date),
                    counts=counts_line(tr, line.endorsements),
                )
            )
        )
    if any(line.shared for line in summary.commitments):
        lines.append(
            "<i>" + escape(tr.gettext("✅ endorsed by police and residents alike.")) + "</i>"
        )
    lines += ["", "<b>" + escape(tr.gettext("Safety is everybody's business.")) + "</b>"]
    return "\n".join(lines)


def _unescaped_stage_title(ctx: Context, stage_id: str, fallback: str) -> str:
    stage = _stage(ctx, stage_id)
    return stage_text(ctx, stage, "title") if stage else fallback


# --- notices -----------------------------------------------------------------------------------

_NOTICES: dict[Notice, str] = {
    Notice.CONSENT_REQUEST: N_(
        "Before you join, please know what I keep. I keep your first name, the role you choose "
        "and what you answer in this session. What you write to me privately is shared only "
        "the way you choose: with your name, without any name, or for the facilitators only. "
        "Answer texts are deleted {days} days after the session ends. You can see your data "
        "with /mydata and erase it at any time with /forget. Taking part is your choice; "
        "nobody may require it. Messages to a bot pass through Telegram's servers, so do not "
        "write what must never leave this room. Do you agree?"
    ),
    Notice.CONSENT_DECLINED: N_("Understood. I keep nothing about you. You are welcome any time."),
    Notice.CHOOSE_ROLE: N_(
        "Thank you. How would you like to be counted? The group sees only the number of people "
        "in each role; the facilitators see your role."
    ),
    Notice.JOINED: N_(
        "You have joined as {role}. Go back to the group: reply to the bot's prompt there, or "
        "write to me here when a stage allows private answers."
    ),
    Notice.ALREADY_JOINED: N_("You have already joined this session."),
    Notice.JOIN_FIRST: N_("Please join the session first with the Join button in the group."),
    Notice.NOT_FACILITATOR: N_("Only the session's facilitators can do that."),
    Notice.STAGE_NOT_OPEN: N_("That stage is not open for answers now."),
    Notice.NOT_RUNNING: N_("The session is not running at the moment."),
    Notice.SESSION_ENDED: N_("This session has ended."),
    Notice.TOO_SHORT: N_("Please write at least {min} characters."),
    Notice.TOO_LONG: N_(
        "That is longer than this stage allows ({max} characters). Please shorten it and send "
        "it again; I have not kept it."
    ),
    Notice.TOO_MANY_ANSWERS: N_("You have already given {max} answers to this stage."),
    Notice.NOT_HERE: N_("This stage is not answered that way."),
    Notice.SHARE_CHOICE: N_(
        "I have your answer to “{stage}”. How may the group see it? Until you choose, only you "
        "and I have it."
    ),
    Notice.SHARED: N_("Thank you. Your answer is in."),
    Notice.NO_DRAFT: N_("There is no answer waiting to be shared."),
    Notice.ANSWER_UPDATED: N_("Your answer is updated."),
    Notice.UNKNOWN_OPTION: N_("That option is not part of this stage."),
    Notice.CHOICES_FULL: N_("You can choose at most {max}. Take one back first."),
    Notice.UNKNOWN_COMMITMENT: N_("That commitment is not open for this."),
    Notice.NOT_PROPOSER: N_("Only the person who proposed it or a facilitator can set this."),
    Notice.ENDORSED: N_("You endorse this commitment."),
    Notice.UNENDORSED: N_("You no longer endorse this commitment."),
    Notice.QUOTE_CONSENT_REQUEST: N_("May your stories be quoted in the group's summary?"),
    Notice.QUOTE_CONSENT_SAVED: N_("Noted. You can change your mind until the session ends."),
    Notice.FACILITATOR_ADDED: N_("A co-facilitator has been added."),
    Notice.AT_FIRST_STAGE: N_("This is already the first stage."),
    Notice.AT_LAST_STAGE: N_("This is the last stage. Use /end to close the session."),
    Notice.NUDGE: N_(
        "The group is at “{stage}” and would like to hear from you. You can reply in the group "
        "or answer me privately."
    ),
    Notice.NUDGES_SENT: N_("Reminders sent: {count}."),
    Notice.TIME_UP: N_("The time planned for “{stage}” is up. Move on with /next when ready."),
    Notice.BOT_REMOVED: N_(
        "I was removed from the group, so the session is paused. Add me again and use /resume "
        "to continue."
    ),
    Notice.EXPIRED: N_(
        "Nobody has written in this session for {days} days, so it has ended by itself. Here is "
        "what was said. A facilitator can start a new session with /newsession."
    ),
    Notice.ERASED: N_("Done. Everything I kept about you has been erased."),
    Notice.PAUSED: N_("The session is paused. The facilitator will resume it with /resume."),
    Notice.RESUMED: N_("The session continues."),
    Notice.DONE: N_("Done."),
}


def render_notice(view: NoticeView, ctx: Context) -> Rendered:
    tr = ctx.tr
    params: dict[str, str | int] = {"days": ctx.extras.get("retention_days", "90")}
    params.update(view.params)
    if "stage_id" in params:
        stage = _stage(ctx, str(params["stage_id"]))
        params["stage"] = stage_text(ctx, stage, "title") if stage else ""
    if "role" in params:
        try:
            params["role"] = role_name(tr, Role(str(params["role"])))
        except ValueError:
            params["role"] = ""
    text = escape(tr.gettext(_NOTICES[view.code]).format_map(_Defaulting(params)))
    sid = ctx.session_id
    keys: tuple[tuple[Key, ...], ...] = ()
    if view.code is Notice.CONSENT_REQUEST:
        keys = (
            (
                Key(tr.gettext("I agree"), data=button(Action.CONSENT, sid, "1")),
                Key(tr.gettext("No, thank you"), data=button(Action.CONSENT, sid, "0")),
            ),
        )
    elif view.code is Notice.CHOOSE_ROLE:
        keys = tuple(
            (Key(role_name(tr, role), data=button(Action.ROLE, sid, role.value)),) for role in Role
        )
    elif view.code is Notice.SHARE_CHOICE:
        labels = {
            Visibility.NAMED: tr.gettext("Share with my name"),
            Visibility.ANONYMOUS: tr.gettext("Share without any name"),
            Visibility.FACILITATORS: tr.gettext("For the facilitators only"),
        }
        chosen = [Visibility(v) for v in str(params.get("choices", "")).split(",") if v]
        keys = tuple((Key(labels[v], data=button(Action.SHARE, sid, v.value)),) for v in chosen)
    elif view.code is Notice.NUDGE and sid != NO_SESSION:
        keys = (
            (Key(tr.gettext("Answer privately ↗"), url=_private_link(ctx, StartKind.ANSWER)),),
        )
    return Rendered(text, keys)


class _Defaulting(dict[str, str | int]):
    """A missing placeholder in a (possibly mistranslated) template shows as empty, not a crash."""

    def __missing__(self, key: str) -> str:
        return ""


# --- splitting ---------------------------------------------------------------------------------


def split_message(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Cut a rendered text into messages below Telegram's limit, at line breaks where possible.

    Tags never span a line (see the module docstring), so any line boundary is a safe cut; a
    single overlong line (only ever escaped user text) is cut at a space, never inside an entity.
    """
    parts: list[str] = []
    current = ""
    for whole in text.split("\n"):
        line = whole
        while len(line) > limit:
            cut = line.rfind(" ", 0, limit)
            if cut <= 0:
                cut = limit
            amp = line.rfind("&", 0, cut)
            if amp != -1 and ";" not in line[amp:cut]:
                cut = amp
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:cut])
            line = line[cut:].lstrip(" ")
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:limit]]
