"""Notices: the engine's short messages to one person, each declared once with its parameters.

Each ``Notice`` code has one row in ``NOTICES``: its English template (marked for extraction),
the parameters the engine sends with it (the keys of ``NoticeView.params``, exactly) and the
placeholders its template shows. The three are checked against each other, because a template
and the code that fills it drift apart silently otherwise: a renamed ``{count}`` once rendered
as an empty gap, and no test could fail.

- The English templates are formatted strictly: a placeholder the declaration does not list, or
  a declared one the template lacks, raises (``fill``). ``declaration_problems`` finds such a
  template before it ships (``ikiganiro check`` and the tests run it).
- A translation whose placeholders do not fit never stops the bot: the reader gets the English
  source and the log names the message. ``ikiganiro check`` reports such translations.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import TypeVar

from bot.callbacks import NO_SESSION, Action, StartKind, button
from bot.engine.effects import Notice, NoticeView
from bot.engine.state import Agreement, Due, Owner, Progress, Role, Visibility
from bot.i18n.catalog import LANGUAGE_NAMES, N_
from bot.i18n.check import placeholders
from bot.words.markup import Context, Key, Rendered
from bot.words.names import (
    agreement_name,
    due_keys,
    due_name,
    option_label,
    owner_keys,
    owner_name,
    private_link,
    progress_name,
    role_choice,
    role_name,
    stage_of,
    stage_text,
    stage_title,
)

log = logging.getLogger(__name__)

Value = str | int
_Choice = TypeVar("_Choice", Owner, Due, Progress, Agreement)


@dataclass(frozen=True, slots=True)
class NoticeText:
    """One notice: its English template, what the engine sends, what the template shows.

    ``params`` and ``placeholders`` differ where the shell turns a parameter into words: the
    engine sends a ``stage_id`` and the template shows the stage's ``{stage}`` title; a ``role``
    is shown by its translated name; ``choices`` only decides the buttons; the consent text's
    ``{days}`` is the configured retention, which the shell knows and the engine does not.
    """

    template: str
    params: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()


NOTICES: dict[Notice, NoticeText] = {
    Notice.CONSENT_REQUEST: NoticeText(
        N_(
            "Before you join, please know what I keep. I keep your first name, the role you "
            "choose and what you answer in this session. What you write to me privately is shared "
            "only the way you choose: with your name, without any name, or for the facilitators "
            "only. Answer texts are deleted {days} days after the session ends. You can see your "
            "data with /mydata and erase it at any time with /forget. Taking part is your choice; "
            "nobody may require it. Messages to a bot are not end-to-end encrypted: they pass "
            "through Telegram's servers and Telegram can read them, so do not write what must "
            "never leave this room. Do you agree?"
        ),
        placeholders=("days",),
    ),
    Notice.CONSENT_DECLINED: NoticeText(
        N_("Understood. I keep nothing about you. You are welcome any time.")
    ),
    Notice.CHOOSE_ROLE: NoticeText(
        N_(
            "Thank you. How would you like to be counted? The group sees only the number of "
            "people in each role; the facilitators see your role."
        )
    ),
    Notice.JOINED: NoticeText(
        N_(
            "You have joined. Your role: {role}. Go back to the group: reply to the bot's prompt "
            "there, or write to me here when a stage allows private answers."
        ),
        params=("role",),
        placeholders=("role",),
    ),
    Notice.CHANGE_ROLE: NoticeText(
        N_(
            "Which role should I count you in from now on? Your answers, votes and endorsements "
            "will be counted in the new role, also on what the group has already been shown."
        )
    ),
    Notice.ROLE_KEPT: NoticeText(
        N_(
            "You chose your role once: {role}. To change it, send /role to me in our private chat."
        ),
        params=("role",),
        placeholders=("role",),
    ),
    Notice.ROLE_CHANGED: NoticeText(
        N_("From now on you are counted as {role}."), params=("role",), placeholders=("role",)
    ),
    Notice.ALREADY_JOINED: NoticeText(N_("You have already joined this session.")),
    Notice.JOIN_FIRST: NoticeText(
        N_("Please join the session first with the Join button in the group.")
    ),
    Notice.NOT_FACILITATOR: NoticeText(N_("Only the session's facilitators can do that.")),
    Notice.NOT_A_MEMBER: NoticeText(
        N_("Only members of the group can take part in its session; join the group first.")
    ),
    Notice.STAGE_NOT_OPEN: NoticeText(N_("That stage is not open for answers now.")),
    Notice.NOT_RUNNING: NoticeText(N_("The session is not running at the moment.")),
    Notice.SESSION_ENDED: NoticeText(N_("This session has ended.")),
    Notice.TOO_SHORT: NoticeText(
        N_("Please write at least {min} characters."), params=("min",), placeholders=("min",)
    ),
    Notice.TOO_LONG: NoticeText(
        N_(
            "That is longer than this stage allows ({max} characters). Please shorten it and send "
            "it again; I have not kept it."
        ),
        params=("max",),
        placeholders=("max",),
    ),
    Notice.TOO_MANY_ANSWERS: NoticeText(
        N_("You have already given {max} answers to this stage."),
        params=("max",),
        placeholders=("max",),
    ),
    Notice.NOT_HERE: NoticeText(N_("This stage is not answered that way.")),
    Notice.SHARE_CHOICE: NoticeText(
        N_(
            "I have your answer to “{stage}”. How may the group see it? Until you choose, only "
            "you and I have it."
        ),
        params=("stage_id", "choices"),
        placeholders=("stage",),
    ),
    Notice.SHARED: NoticeText(N_("Thank you. Your answer is in."), params=("visibility",)),
    Notice.SHARED_HELD: NoticeText(
        N_(
            "Thank you. Your answer is in. I will post it without any name once at least {k} "
            "people have answered this stage, or when the stage closes, so the moment it appears "
            "does not point to you."
        ),
        params=("k",),
        placeholders=("k",),
    ),
    Notice.NO_DRAFT: NoticeText(N_("There is no answer waiting to be shared.")),
    Notice.ANSWER_UPDATED: NoticeText(N_("Your answer is updated.")),
    Notice.UNKNOWN_OPTION: NoticeText(N_("That option is not part of this stage.")),
    Notice.CHOICES_FULL: NoticeText(
        N_("You can choose at most {max}. Take one back first."),
        params=("max",),
        placeholders=("max",),
    ),
    Notice.UNKNOWN_COMMITMENT: NoticeText(N_("That commitment is not open for this.")),
    Notice.NOT_PROPOSER: NoticeText(
        N_("Only the person who proposed it or a facilitator can set this.")
    ),
    Notice.VOTED: NoticeText(
        N_("Your vote: {vote}. You can change it with the other buttons."),
        params=("vote",),
        placeholders=("vote",),
    ),
    Notice.UNKNOWN_STATEMENT: NoticeText(N_("This statement is not open for votes.")),
    Notice.ENDORSED: NoticeText(N_("You endorse this commitment.")),
    Notice.UNENDORSED: NoticeText(N_("You no longer endorse this commitment.")),
    Notice.QUOTE_CONSENT_REQUEST: NoticeText(
        N_("May your stories be quoted in the group's summary?")
    ),
    Notice.QUOTE_CONSENT_SAVED: NoticeText(
        N_("Noted. You can change your mind until the session ends."), params=("allow",)
    ),
    Notice.FACILITATOR_ADDED: NoticeText(N_("A co-facilitator has been added.")),
    Notice.AT_FIRST_STAGE: NoticeText(N_("This is already the first stage.")),
    Notice.AT_LAST_STAGE: NoticeText(N_("This is the last stage. Use /end to close the session.")),
    Notice.ALREADY_ON_STAGE: NoticeText(
        N_(
            "The group is already on stage {number} of {total}, “{stage}”; it will appear in a "
            "moment."
        ),
        params=("stage_id", "number", "total"),
        placeholders=("number", "total", "stage"),
    ),
    Notice.NUDGE: NoticeText(
        N_(
            "The group is at “{stage}” and would like to hear from you. You can reply in the "
            "group or answer me privately."
        ),
        params=("stage_id",),
        placeholders=("stage",),
    ),
    Notice.NUDGES_SENT: NoticeText(
        N_("I have reminded, privately, everyone who has not answered this stage yet.")
    ),
    Notice.TIME_UP: NoticeText(
        N_("The time planned for “{stage}” is up. Move on with /next when ready."),
        params=("stage_id",),
        placeholders=("stage",),
    ),
    Notice.BOT_REMOVED: NoticeText(
        N_(
            "I was removed from the group, so the session is paused. Add me again and use /resume "
            "to continue."
        )
    ),
    Notice.EXPIRED: NoticeText(
        N_(
            "Nobody has written in this session for {days} days, so it has ended by itself. Here "
            "is what was said. A facilitator can start a new session with /newsession."
        ),
        params=("days",),
        placeholders=("days",),
    ),
    Notice.ERASED: NoticeText(N_("Done. Everything I kept about you has been erased.")),
    Notice.WITHDRAWN: NoticeText(N_("This message was withdrawn at its author's request.")),
    Notice.PAUSED: NoticeText(
        N_("The session is paused. The facilitator will resume it with /resume.")
    ),
    Notice.RESUMED: NoticeText(N_("The session continues.")),
    Notice.COMMITMENT_DEFAULTS: NoticeText(
        N_(
            "Your commitment is on its card in the group, and everyone can endorse it. For now I "
            "wrote who acts: {owner}; by when: {due}. If that is not right, choose below."
        ),
        params=("commitment_id", "owner", "due", "due_date"),
        placeholders=("owner", "due"),
    ),
    Notice.END_NOT_YET: NoticeText(N_("The session goes on.")),
    Notice.NO_EARLIER: NoticeText(
        N_("This group has no earlier commitments to look at yet. The facilitator can go on.")
    ),
    Notice.ANSWER_HERE: NoticeText(
        N_(
            "“{stage}”: {question}\n\nWrite your answer here, as a message. I will then ask how "
            "it may be shared: with your name, without any name, or for the facilitators only."
        ),
        params=("stage_id",),
        placeholders=("stage", "question"),
    ),
    Notice.KEEP_AS_ANSWER: NoticeText(
        N_(
            "You wrote “{text}” in the group. It looks like conversation, so I did not count it "
            "as an answer to “{stage}”. If it was your answer, press the button."
        ),
        params=("stage_id", "text"),
        placeholders=("text", "stage"),
    ),
    Notice.VOICE_RECOGNISABLE: NoticeText(
        N_(
            "I keep your voice message as Telegram's reference to it, not the sound. If it is "
            "shared without a name, I post it myself, but people may still know your voice."
        )
    ),
    Notice.VOICE_GONE: NoticeText(
        N_("This voice answer can no longer be played: its author withdrew or erased it.")
    ),
    Notice.SESSION_LANGUAGE: NoticeText(
        N_(
            "From now on I write to this group in {language}. Each of you can choose your own "
            "language by sending /language to me privately."
        ),
        params=("language",),
        placeholders=("language",),
    ),
    Notice.STATUS_SAVED: NoticeText(
        N_("Saved: {status}. Thank you."), params=("status",), placeholders=("status",)
    ),
    Notice.NOT_OWNER: NoticeText(
        N_(
            "Only those who act on this commitment ({owner}) or a facilitator can say how it "
            "stands."
        ),
        params=("owner",),
        placeholders=("owner",),
    ),
    Notice.PERSON_ADDED: NoticeText(
        N_(
            "{name} is taking part without a phone, as number {number}. Add someone only after "
            "they have agreed aloud, having heard what is kept. To give the open stage their "
            "answer, send: /for {number} followed by what they said. To choose, vote or "
            "endorse for them: /for {number} alone, or the button below."
        ),
        params=("name", "number"),
        placeholders=("name", "number"),
    ),
    Notice.NO_SUCH_PERSON: NoticeText(
        N_("Nobody added with /addperson has the number {number} in this session."),
        params=("number",),
        placeholders=("number",),
    ),
    Notice.ANSWERED_FOR: NoticeText(
        N_("Kept and shown in the group as {name}'s answer."),
        params=("name",),
        placeholders=("name",),
    ),
    Notice.CHOSEN_FOR: NoticeText(
        N_("For {name}: {options}."),
        params=("name", "stage_id", "options"),
        placeholders=("name", "options"),
    ),
    Notice.UNCHOSEN_FOR: NoticeText(
        N_("Nothing is chosen for {name} on this stage now."),
        params=("name",),
        placeholders=("name",),
    ),
    Notice.VOTED_FOR: NoticeText(
        N_("For {name}: {vote}."), params=("name", "vote"), placeholders=("name", "vote")
    ),
    Notice.ENDORSED_FOR: NoticeText(
        N_("{name} endorses this commitment now."), params=("name",), placeholders=("name",)
    ),
    Notice.UNENDORSED_FOR: NoticeText(
        N_("{name} no longer endorses this commitment."),
        params=("name",),
        placeholders=("name",),
    ),
    Notice.REMOVE_PERSON_ASK: NoticeText(
        N_(
            "Erase {name} (number {number}) and everything given, chosen and endorsed for them "
            "in this session? What the group was shown of it is taken back. This cannot be "
            "undone."
        ),
        params=("name", "number"),
        placeholders=("name", "number"),
    ),
    Notice.PERSON_REMOVED: NoticeText(
        N_("{name} is erased, with everything given for them."),
        params=("name",),
        placeholders=("name",),
    ),
    Notice.DONE: NoticeText(N_("Done.")),
}

WHERE = "bot/words/notices.py"


class PlaceholderError(ValueError):
    """A template's placeholders are not the values given to fill it."""


def fill(template: str, values: Mapping[str, Value]) -> str:
    """``template`` formatted with ``values``, which must be exactly its placeholders.

    ``str.format`` ignores an unused value and raises only on a missing one; here both are
    errors, so a template and its declaration cannot drift apart unnoticed.
    """
    found = placeholders(template)
    if found != set(values):
        raise PlaceholderError(f"placeholders {sorted(found)}, values for {sorted(values)}")
    return template.format_map(values)


def declaration_problems(table: Mapping[Notice, NoticeText] = NOTICES) -> list[str]:
    """Each notice whose English template does not show exactly its declared placeholders.

    One line per problem, naming the notice and its message, as ``ikiganiro check`` prints it.
    """
    problems = []
    for code in Notice:
        declared = table.get(code)
        if declared is None:
            problems.append(f"{WHERE}: notice {code.value!r} has no template")
            continue
        where = f"{WHERE}: notice {code.value!r} {declared.template[:60]!r}"
        try:
            found = placeholders(declared.template)
        except ValueError as error:
            problems.append(f"{where}: malformed braces ({error})")
            continue
        if found != set(declared.placeholders):
            problems.append(
                f"{where}: placeholders {sorted(found)} but declared "
                f"{sorted(declared.placeholders)}"
            )
    return problems


def notice_text(view: NoticeView, ctx: Context) -> str:
    """The notice in the reader's language, or in English if the translation does not fit."""
    declared = NOTICES[view.code]
    values = _values(declared, view, ctx)
    translated = ctx.tr.gettext(declared.template)
    if translated != declared.template:
        try:
            return fill(translated, values)
        except ValueError as error:  # PlaceholderError, or braces Python cannot parse
            log.warning(
                "notice %r: the %r translation does not fit (%s); showing English. msgid: %r",
                view.code.value,
                ctx.tr.language,
                error,
                declared.template,
            )
    return fill(declared.template, values)


def _values(declared: NoticeText, view: NoticeView, ctx: Context) -> dict[str, Value]:
    """The value of each declared placeholder, from the engine's parameters and the context.

    A declared placeholder nothing provides raises ``PlaceholderError``: the engine and the
    declaration disagree, which the tests catch before any reader could.
    """
    known: dict[str, Value] = {"days": ctx.extras.get("retention_days", "90")}
    known.update(view.params)
    if "stage_id" in view.params:
        known["stage"] = stage_title(ctx, str(view.params["stage_id"]))
        asked = stage_of(ctx, str(view.params["stage_id"]))
        known["question"] = stage_text(ctx, asked, "prompt") if asked else ""
    if "owner" in view.params:
        known["owner"] = owner_name(ctx.tr, _member(Owner, view.params["owner"]))
    if "due" in view.params:
        due_date = str(view.params.get("due_date", "")) or None
        known["due"] = due_name(ctx.tr, _member(Due, view.params["due"]), due_date)
    if "language" in view.params:  # each language in its own name, never translated
        code = str(view.params["language"])
        known["language"] = LANGUAGE_NAMES.get(code, code)
    if "options" in view.params:  # the options chosen, by their labels
        chosen = stage_of(ctx, str(view.params.get("stage_id", "")))
        ids = [o for o in str(view.params["options"]).split(",") if o]
        labels = [option_label(ctx, chosen, o) for o in ids] if chosen else ids
        known["options"] = ctx.tr.format_list(labels)
    if "status" in view.params:
        known["status"] = progress_name(ctx.tr, _member(Progress, view.params["status"]))
    if "vote" in view.params:
        vote = _member(Agreement, view.params["vote"])
        known["vote"] = agreement_name(ctx.tr, vote) if vote else ""
    if "role" in view.params:
        try:
            known["role"] = role_name(ctx.tr, Role(str(view.params["role"])))
        except ValueError:
            known["role"] = ""
    missing = [name for name in declared.placeholders if name not in known]
    if missing:
        raise PlaceholderError(f"notice {view.code.value!r}: nothing provides {missing}")
    return {name: known[name] for name in declared.placeholders}


def _member(kind: type[_Choice], value: Value) -> _Choice | None:
    try:
        return kind(str(value))
    except ValueError:
        return None


def render_notice(view: NoticeView, ctx: Context) -> Rendered:
    text = escape(notice_text(view, ctx))
    if view.code is Notice.SHARE_CHOICE:
        text += "".join("\n• " + escape(line) for line in _share_meanings(view, ctx))
    return Rendered(text, _keys(view, ctx))


def _shared_choices(view: NoticeView) -> list[Visibility]:
    return [Visibility(v) for v in str(view.params.get("choices", "")).split(",") if v]


def _share_meanings(view: NoticeView, ctx: Context) -> list[str]:
    """What each offered way of sharing means, in plain words, before the buttons."""
    tr = ctx.tr
    meanings = {
        Visibility.NAMED: tr.gettext(
            "Share with my name: the group sees your answer with your first name."
        ),
        Visibility.ANONYMOUS: tr.gettext(
            "Share without any name: nobody in the group, the facilitators included, is told "
            "it is yours; I post it once a few people have answered."
        ),
        Visibility.FACILITATORS: tr.gettext(
            "For the facilitators only: it is not posted in the group and never quoted; the "
            "summary only counts it. What I keep still links it to your name."
        ),
    }
    return [meanings[v] for v in _shared_choices(view)]


def _keys(view: NoticeView, ctx: Context) -> tuple[tuple[Key, ...], ...]:
    """The buttons a notice asks the reader to press: consent, a role, how to share, answer."""
    tr, sid = ctx.tr, ctx.session_id
    if view.code is Notice.CONSENT_REQUEST:
        return (
            (
                Key(tr.gettext("I agree"), data=button(Action.CONSENT, sid, "1")),
                Key(tr.gettext("No, thank you"), data=button(Action.CONSENT, sid, "0")),
            ),
        )
    if view.code in (Notice.CHOOSE_ROLE, Notice.CHANGE_ROLE):
        return tuple(
            (Key(role_choice(tr, role), data=button(Action.ROLE, sid, role.value)),)
            for role in Role
        )
    if view.code is Notice.SHARE_CHOICE:
        labels = {
            Visibility.NAMED: tr.gettext("Share with my name"),
            Visibility.ANONYMOUS: tr.gettext("Share without any name"),
            Visibility.FACILITATORS: tr.gettext("For the facilitators only"),
        }
        chosen = _shared_choices(view)
        return tuple((Key(labels[v], data=button(Action.SHARE, sid, v.value)),) for v in chosen)
    if view.code is Notice.KEEP_AS_ANSWER:
        return ((Key(tr.gettext("Keep as my answer"), data=button(Action.KEEP, sid, "1")),),)
    if view.code is Notice.COMMITMENT_DEFAULTS:
        cid = str(view.params.get("commitment_id", ""))
        return (owner_keys(ctx, cid), due_keys(ctx, cid))
    if view.code in (Notice.PERSON_ADDED, Notice.REMOVE_PERSON_ASK):
        return _proxy_keys(view, ctx)
    if view.code is Notice.NUDGE and sid != NO_SESSION:
        return ((Key(tr.gettext("Answer privately ↗"), url=private_link(ctx, StartKind.ANSWER)),),)
    return ()


def _proxy_keys(view: NoticeView, ctx: Context) -> tuple[tuple[Key, ...], ...]:
    """Under /addperson's answer, the card for that person; under /forget N's question, erase
    or keep them."""
    tr, sid = ctx.tr, ctx.session_id
    number, name = str(view.params.get("number", "")), str(view.params.get("name", ""))
    if view.code is Notice.PERSON_ADDED:
        label = tr.gettext("Vote or endorse for {name}").format(name=name)
        return ((Key(label, data=button(Action.PROXY_CARD, sid, number)),),)
    return (
        (
            Key(
                tr.gettext("Erase {name}").format(name=name),
                data=button(Action.REMOVE, sid, number, "1"),
            ),
            Key(tr.gettext("No, keep it"), data=button(Action.REMOVE, sid, number, "0")),
        ),
    )
