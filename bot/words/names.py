"""The names things go by in the reader's language, shared by every kind of message.

Roles, who acts on a commitment, by when, counts by role and the script's own texts appear in
views, notices, the summary and ``/mydata`` alike; one definition each keeps them saying the
same thing everywhere.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from functools import cache

from bot.callbacks import Action, StartKind, button, start_url
from bot.engine.script import Stage
from bot.engine.state import (
    PROXY_PREFIX,
    REPORTED,
    VOICE_MARK,
    Agreement,
    Due,
    Owner,
    Progress,
    Role,
    voice_of,
)
from bot.engine.summary import RoleCounts
from bot.i18n.catalog import LANGUAGES, Translator, script_context, translator
from bot.words.markup import Context, Key


def person(tr: Translator, name: str) -> str:
    """A participant's name as shown anywhere: someone a facilitator added without Telegram is
    marked as such, so nobody takes their answers for ones they typed themselves."""
    if not name.startswith(PROXY_PREFIX):
        return name
    added = name.removeprefix(PROXY_PREFIX)
    return tr.gettext("{name} (added by the facilitator)").format(name=added)


def role_name(tr: Translator, role: Role | None) -> str:
    """A role as a label after a name or "Your role:": a noun, never a sentence about someone."""
    names = {
        Role.POLICE: tr.pgettext("role", "police officer"),
        Role.RESIDENT: tr.pgettext("role", "community member"),
        Role.LEADER: tr.pgettext("role", "local leader"),
        Role.UNSAID: tr.pgettext("role", "role not said"),
    }
    return names[role] if role else tr.pgettext("role", "no role yet")


def agreement_name(tr: Translator, vote: Agreement) -> str:
    """A vote on a statement of the shared vision, as its button and its popup name it."""
    return {
        Agreement.AGREE: tr.pgettext("vote", "Agree"),
        Agreement.UNSURE: tr.pgettext("vote", "Not sure"),
        Agreement.DISAGREE: tr.pgettext("vote", "Disagree"),
    }[vote]


# Each vote's sign on its buttons, the same in every language.
AGREEMENT_MARKS = {Agreement.AGREE: "👍", Agreement.UNSURE: "🤔", Agreement.DISAGREE: "👎"}


def agreement_keys(ctx: Context, answer_id: str) -> tuple[Key, ...]:
    """One row: Agree, Not sure, Disagree on one statement."""
    return tuple(
        Key(
            f"{AGREEMENT_MARKS[vote]} {agreement_name(ctx.tr, vote)}",
            data=button(Action.AGREE, ctx.session_id, answer_id, vote.value),
        )
        for vote in Agreement
    )


def role_choice(tr: Translator, role: Role) -> str:
    """A role as its button says it: the person pressing it speaks ("I prefer not to say")."""
    if role is Role.UNSAID:
        return tr.pgettext("role button", "I prefer not to say")
    return role_name(tr, role)


def role_word(tr: Translator, role: Role) -> str:
    """A role as a facilitator types it after ``/addperson``: one short word if the language
    has one (the glossary's), so it is quick to type on a phone."""
    return {
        Role.POLICE: tr.pgettext("role word", "police"),
        Role.RESIDENT: tr.pgettext("role word", "resident"),
        Role.LEADER: tr.pgettext("role word", "leader"),
        Role.UNSAID: tr.pgettext("role word", "unsaid"),
    }[role]


def folded(text: str) -> str:
    """Text as words are compared when typed: no case, no accents, one kind of apostrophe and
    single spaces ("Autorité  locale" is "autorite locale")."""
    apostrophes = text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    decomposed = unicodedata.normalize("NFKD", apostrophes)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@cache
def role_words() -> dict[str, Role]:
    """Every way a role is said in a shipped language, folded: its typed word, its name and
    its button (and the English code), so a facilitator may type it in their own words."""
    words = {role.value: role for role in Role}
    for language in LANGUAGES:
        tr = translator(language)
        for role in Role:
            for said in (role_word(tr, role), role_name(tr, role), role_choice(tr, role)):
                words.setdefault(folded(said), role)
    return words


def role_at_end(words: Sequence[str]) -> tuple[Role, int] | None:
    """The role the last words say, in any shipped language, and how many words it took; at
    least one word is left before it (the person's name). The longest match wins, so "Marie
    autorité locale" is Marie, a local leader."""
    known = role_words()
    for taken in range(len(words) - 1, 0, -1):
        role = known.get(folded(" ".join(words[-taken:])))
        if role is not None:
            return role, taken
    return None


def owner_name(tr: Translator, owner: Owner | None) -> str:
    if owner is None:
        return tr.pgettext("owner", "not decided yet")
    return {
        Owner.POLICE: tr.pgettext("owner", "the police"),
        Owner.RESIDENTS: tr.pgettext("owner", "the residents"),
        Owner.BOTH: tr.pgettext("owner", "police and residents together"),
    }[owner]


def progress_name(tr: Translator, status: Progress | None) -> str:
    """Where a commitment stands, in a word or two."""
    return {
        None: tr.pgettext("progress", "open"),
        Progress.OPEN: tr.pgettext("progress", "open"),
        Progress.IN_PROGRESS: tr.pgettext("progress", "in progress"),
        Progress.DONE: tr.pgettext("progress", "done"),
        Progress.STUCK: tr.pgettext("progress", "stuck"),
        Progress.DROPPED: tr.pgettext("progress", "dropped"),
    }[status]


def due_name(tr: Translator, due: Due | None, due_date: str | None) -> str:
    if due is None:
        return tr.pgettext("due", "not decided yet")
    if due is Due.NONE or due_date is None:
        return tr.pgettext("due", "no date")
    return tr.format_date(date.fromisoformat(due_date))


def due_choice(tr: Translator, due: Due) -> str:
    """A due date as a button offers it: "in a month", not yet a date."""
    return {
        Due.TWO_WEEKS: tr.pgettext("due", "in two weeks"),
        Due.ONE_MONTH: tr.pgettext("due", "in a month"),
        Due.THREE_MONTHS: tr.pgettext("due", "in three months"),
        Due.NONE: tr.pgettext("due", "no date"),
    }[due]


def counts_line(tr: Translator, counts: RoleCounts) -> str:
    """Counts by role in one phrase, roles with nobody left out: "3 people (2 police officers…)".

    Each role is a whole translated phrase with its own plural, and the list is joined by the
    language's own list pattern (CLDR), so no sentence is assembled from fragments.
    """
    if counts.total == 0:
        return tr.gettext("nobody yet")
    roles = tr.format_list(_role_phrases(tr, counts))
    return tr.ngettext(
        "{total} person ({roles})", "{total} people ({roles})", counts.total
    ).format(total=counts.total, roles=roles)


def summary_counts(tr: Translator, counts: RoleCounts, k: int) -> str:
    """Counts by role as a summary shows them, singling nobody out: a role with fewer than
    ``k`` people in it is merged with the other small ones into "fewer than k in other roles"
    (or "n in other roles" once they are k together), and a total that would give a merged
    number away is left out. Fewer than ``k`` in all is just "fewer than k people"."""
    numbers = {
        Role.POLICE: counts.police,
        Role.RESIDENT: counts.resident,
        Role.LEADER: counts.leader,
        Role.UNSAID: counts.unsaid,
    }
    merged = sum(n for n in numbers.values() if 0 < n < k)
    if counts.total == 0 or merged == 0:
        return counts_line(tr, counts)
    if counts.total < k:
        return tr.ngettext("fewer than {k} person", "fewer than {k} people", k).format(k=k)
    shown = RoleCounts(**{role.value: n for role, n in numbers.items() if n >= k})
    if shown.total == 0:
        return tr.ngettext("{total} person", "{total} people", counts.total).format(
            total=counts.total
        )
    phrases = _role_phrases(tr, shown)
    if merged >= k:
        phrases.append(
            tr.ngettext("{n} in other roles", "{n} in other roles", merged).format(n=merged)
        )
        return tr.ngettext(
            "{total} person ({roles})", "{total} people ({roles})", counts.total
        ).format(total=counts.total, roles=tr.format_list(phrases))
    phrases.append(tr.gettext("fewer than {k} in other roles").format(k=k))
    return tr.format_list(phrases)


def _role_phrases(tr: Translator, counts: RoleCounts) -> list[str]:
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
    return [phrases[role].format(n=numbers[role]) for role in Role if numbers[role]]


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


def stage_of(ctx: Context, stage_id: str | None) -> Stage | None:
    """The stage a view names, if the script still has it (a script may change between runs)."""
    if ctx.script is None or stage_id is None:
        return None
    return ctx.script.stage(stage_id)


def stage_title(ctx: Context, stage_id: str | None, fallback: str = "") -> str:
    """A stage's title in the reader's language (not escaped), or ``fallback`` if it is gone."""
    stage = stage_of(ctx, stage_id)
    return stage_text(ctx, stage, "title") if stage else fallback


def private_link(ctx: Context, kind: StartKind) -> str:
    """A ``t.me`` link that opens the private chat bound to this session."""
    return start_url(ctx.bot_username, kind, ctx.session_id)


def owner_keys(ctx: Context, commitment_id: str) -> tuple[Key, ...]:
    """One row: who acts on a commitment."""
    sid = ctx.session_id
    return tuple(
        Key(owner_name(ctx.tr, o), data=button(Action.OWNER, sid, commitment_id, o.value))
        for o in Owner
    )


def due_keys(ctx: Context, commitment_id: str) -> tuple[Key, ...]:
    """One row: by when."""
    sid = ctx.session_id
    return tuple(
        Key(due_choice(ctx.tr, d), data=button(Action.DUE, sid, commitment_id, d.value))
        for d in Due
    )


def progress_keys(ctx: Context, commitment_id: str) -> tuple[tuple[Key, ...], ...]:
    """Two rows: the statuses a report may set, for the commitment's owners' side."""
    sid = ctx.session_id
    keys = [
        Key(progress_name(ctx.tr, p), data=button(Action.PROGRESS, sid, commitment_id, p.value))
        for p in REPORTED
    ]
    return (tuple(keys[:2]), tuple(keys[2:]))


def spoken(tr: Translator, text: str) -> str:
    """An answer's text as shown: a voice answer is named, its file id never printed."""
    if text == VOICE_MARK or voice_of(text) is not None:
        return tr.gettext("🎤 a voice answer")
    return text
