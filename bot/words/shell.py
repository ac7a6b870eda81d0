"""Messages of the shell itself (help, private chat, refusals the engine never sees).

Each is a function of the reader's translator returning a ``Rendered``, so the service can
queue it in the right language; the same rules as the rest of ``bot.words`` hold (whole
translatable sentences, escaped user text, no tag across a line).
"""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from bot.callbacks import NO_SESSION, Action, StartKind, button, start_url
from bot.commands import Command, Place, Who, in_place
from bot.engine.script import Script
from bot.engine.state import Participant, Role, SessionState, Visibility
from bot.i18n.catalog import LANGUAGE_NAMES, OFFERED_LANGUAGES, Translator, script_context
from bot.words.markup import Key, Rendered, tagged
from bot.words.names import role_name, role_word, spoken

ShellText = Callable[[Translator], Rendered]


def _plain(text: str) -> Rendered:
    return Rendered(escape(text))


def session_running(tr: Translator) -> Rendered:
    return _plain(tr.gettext("A session is already open here. Close it with /end first."))


def no_session(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext("There is no session here. A facilitator can open one with /newsession.")
    )


def place_too_long(limit: int) -> ShellText:
    def text(tr: Translator) -> Rendered:
        return _plain(
            tr.gettext(
                "That place name is too long for the charter: write at most {limit} characters "
                "after /charter."
            ).format(limit=limit)
        )

    return text


def unknown_script(script_id: str, known: list[str]) -> ShellText:
    def text(tr: Translator) -> Rendered:
        return _plain(
            tr.gettext("I do not know the dialogue “{name}”. Available: {names}.").format(
                name=script_id, names=", ".join(known)
            )
        )

    return text


def not_a_person(tr: Translator) -> Rendered:
    """To a message sent as a channel or as the group: Telegram does not say who sent it."""
    return _plain(
        tr.gettext(
            "A message sent as a channel or as the group cannot take part or lead, because it "
            "does not say who wrote it: write as yourself (an anonymous administrator first "
            "turns off “Remain anonymous” in the group's administrator settings)."
        )
    )


def cofacilitate_how(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext("Reply with /cofacilitate to a message of the person who will co-facilitate.")
    )


def addperson_how(tr: Translator) -> Rendered:
    """How to write /addperson, with the role words in the reader's own language (any shipped
    language's are understood)."""
    roles = ", ".join(role_word(tr, role) for role in Role)
    return _plain(
        tr.gettext(
            "Send /addperson followed by the person's first name and their role, one of: "
            "{roles}. For example: /addperson Marie {resident}"
        ).format(roles=roles, resident=role_word(tr, Role.RESIDENT))
    )


def group_help(*, leads: bool, running: bool) -> ShellText:
    def text(tr: Translator) -> Rendered:
        lines = [tagged("b", tr.gettext("Ikiganiro: a facilitated conversation"))]
        if running:
            lines.append(
                escape(
                    tr.gettext(
                        "To take part, press Join under the welcome message. To answer, reply "
                        "to the bot's prompt, or use “Answer privately”."
                    )
                )
            )
        if leads:
            lines += _for_facilitators(tr, [c for c in in_place(Place.GROUP) if c.name != "help"])
        else:
            lines.append(
                escape(
                    tr.gettext("The facilitators lead the session; /help shows what you can do.")
                )
            )
        lines += ["", escape(tr.gettext("In a private chat with me: /mydata and /forget."))]
        return Rendered("\n".join(lines))

    return text


def _for_facilitators(tr: Translator, commands: list[Command]) -> list[str]:
    """The facilitators' part of a /help: each command with its description."""
    return [
        "",
        escape(tr.gettext("For facilitators:")),
        *[f"/{c.name} — {escape(tr.gettext(c.description))}" for c in commands],
    ]


def private_welcome(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext(
            "Hello. I am Ikiganiro. I help groups of police officers and residents talk about "
            "safety together. Join a session with the Join button in your group. Here you can "
            "answer privately, see what I keep about you with /mydata and erase it with /forget."
        )
    )


def private_help(*, leads: bool) -> ShellText:
    """What one can do in the private chat; a facilitator of a live session reads, after it,
    the commands that act for someone in the room without a phone."""

    def text(tr: Translator) -> Rendered:
        lines = [
            escape(
                tr.gettext(
                    "Here you can: write an answer to the open stage of your session (I then ask "
                    "how it may be shared); /language — choose the language I write to you in; "
                    "/mydata — see everything I keep about you; /forget — erase it; /help — this "
                    "message."
                )
            )
        ]
        if leads:
            lines += _for_facilitators(
                tr, [c for c in in_place(Place.PRIVATE) if c.who is Who.LEADS]
            )
            lines.append(
                "/forget — "
                + escape(
                    tr.gettext("erase someone you added, and all given for them: /forget NUMBER")
                )
            )
        return Rendered("\n".join(lines))

    return text


def unknown_link(tr: Translator) -> Rendered:
    return _plain(tr.gettext("This link belongs to a session that no longer exists."))


def write_here(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext(
            "Write your answer to the open stage here, as a message. I will then ask how it may "
            "be shared: with your name, without any name, or for the facilitators only."
        )
    )


def no_private_session(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext(
            "I do not know which session this is for. Use “Answer privately” under a prompt in "
            "your group first."
        )
    )


def text_only(tr: Translator) -> Rendered:
    return _plain(tr.gettext("I can read text and voice messages only. I have not kept this one."))


def forget_confirm(tr: Translator) -> Rendered:
    return Rendered(
        escape(
            tr.gettext(
                "Erase everything I keep about you, in every session: your name, role, answers, "
                "votes, commitments and endorsements? Messages already posted in a group on your "
                "behalf are deleted where Telegram still allows it. This cannot be undone."
            )
        ),
        (
            (
                Key(
                    tr.gettext("Yes, erase everything"),
                    data=button(Action.FORGET, NO_SESSION, "1"),
                ),
                Key(tr.gettext("No, keep it"), data=button(Action.FORGET, NO_SESSION, "0")),
            ),
        ),
    )


def erased(tr: Translator) -> Rendered:
    return _plain(tr.gettext("Done. Everything I kept about you has been erased."))


def kept(tr: Translator) -> Rendered:
    return _plain(tr.gettext("Nothing was erased."))


def stale_button(tr: Translator) -> Rendered:
    return _plain(tr.gettext("This button is no longer valid."))


def group_only(tr: Translator) -> Rendered:
    return _plain(tr.gettext("This command works in a group."))


def private_only(tr: Translator) -> Rendered:
    return _plain(tr.gettext("This command works in a private chat with me."))


def unknown_command(tr: Translator) -> Rendered:
    return _plain(tr.gettext("I do not know this command. /help lists what you can do here."))


def _language_keys(action: Action, session_id: str) -> tuple[tuple[Key, ...], ...]:
    """One button per language, each in its own name, so nobody must read another to find it."""
    return tuple(
        (Key(LANGUAGE_NAMES[code], data=button(action, session_id, code)),)
        for code in OFFERED_LANGUAGES
    )


def _language_list() -> str:
    return ", ".join(f"{LANGUAGE_NAMES[code]} ({code})" for code in OFFERED_LANGUAGES)


def language_offer(chosen: str | None, unknown: str | None = None) -> ShellText:
    """The answer to /language in private: the four languages as buttons."""

    def text(tr: Translator) -> Rendered:
        lines = []
        if unknown is not None:
            lines.append(tr.gettext("I do not know the language “{code}”.").format(code=unknown))
        if chosen is None:
            lines.append(
                tr.gettext(
                    "I write to you in the language of your session unless you choose your own."
                )
            )
        else:
            lines.append(
                tr.gettext("I write to you in {language}.").format(language=LANGUAGE_NAMES[chosen])
            )
        lines += [
            tr.gettext("Choose a language: {languages}.").format(languages=_language_list()),
            tr.gettext("The Kirundi and Swahili texts still await review by native speakers."),
        ]
        return Rendered(escape("\n".join(lines)), _language_keys(Action.LANGUAGE, NO_SESSION))

    return text


def language_chosen(language: str) -> ShellText:
    def text(tr: Translator) -> Rendered:
        name = LANGUAGE_NAMES[language]
        return _plain(tr.gettext("I will write to you in {language}.").format(language=name))

    return text


def session_language_how(language: str) -> ShellText:
    """/language in a group without a known code: said privately to whoever asked."""

    def text(tr: Translator) -> Rendered:
        return _plain(
            tr.gettext(
                "This session speaks {language}. A facilitator can change it in the group with "
                "/language and a code: {languages}. To choose your own language, send /language "
                "to me privately."
            ).format(language=LANGUAGE_NAMES.get(language, language), languages=_language_list())
        )

    return text


def session_language_offer(session_id: str, language: str) -> ShellText:
    """To whoever opened a session without naming a language: change it with one press."""

    def text(tr: Translator) -> Rendered:
        said = tr.gettext(
            "The session speaks {language} to the group and to everyone who has not chosen "
            "their own language. To change it, press another language."
        ).format(language=LANGUAGE_NAMES.get(language, language))
        return Rendered(escape(said), _language_keys(Action.SESSION_LANGUAGE, session_id))

    return text


def hello_group(tr: Translator) -> Rendered:
    return _plain(
        tr.gettext(
            "Hello! I am Ikiganiro. A facilitator can open a session with /newsession; /help "
            "lists what I can do."
        )
    )


def my_data(
    user_id: int, entries: list[tuple[SessionState, Script]], language: str | None = None
) -> ShellText:
    """Everything kept about one person, in plain words: the answer to /mydata.

    One section per session, built by ``_session_data``; the person must be able to see that
    nothing is missing, so every kind of record the state holds about them has a line.
    """

    def text(tr: Translator) -> Rendered:
        if not entries and language is None:
            return _plain(tr.gettext("I keep nothing about you."))
        lines = [escape(tr.gettext("This is everything I keep about you:"))]
        if language is not None:
            chosen = tr.gettext("The language you chose: {language}.")
            lines.append(escape(chosen.format(language=LANGUAGE_NAMES.get(language, language))))
        for state, script in entries:
            lines += _session_data(tr, user_id, state, script)
        lines += ["", escape(tr.gettext("/forget erases all of this."))]
        return Rendered("\n".join(lines))

    return text


def _session_data(tr: Translator, user_id: int, state: SessionState, script: Script) -> list[str]:
    """One session's part of /mydata: who they are there, what they wrote, chose and endorsed."""
    title = tr.script_text(script_context(script.id, None, "title"), script.title)
    lines = ["", f"<b>{escape(title)}</b>"]
    person = state.participants.get(user_id)
    if person is not None:
        lines.append(_person_line(tr, person))
    if state.is_facilitator(user_id):
        lines.append(escape(tr.gettext("You facilitate this session.")))
    lines += _answer_lines(tr, user_id, state, script)
    lines += _choice_and_commitment_lines(tr, user_id, state)
    return lines


def _person_line(tr: Translator, person: Participant) -> str:
    """Name, role, date joined and the answer to the quote question, in one sentence."""
    return escape(
        tr.gettext(
            "Name: {name}; role: {role}; joined on {date}; stories quoted: {quote}."
        ).format(
            name=person.name,
            role=role_name(tr, person.role),
            date=tr.format_date(person.joined_at.date()),
            quote={
                None: tr.gettext("not asked yet"),
                True: tr.gettext("yes"),
                False: tr.gettext("no"),
            }[person.quote_consent],
        )
    )


def _answer_lines(tr: Translator, user_id: int, state: SessionState, script: Script) -> list[str]:
    """Every answer with its stage and how it was shared, and a draft not yet shared."""
    visibility = {
        Visibility.NAMED: tr.gettext("shared with your name"),
        Visibility.ANONYMOUS: tr.gettext("shared without a name"),
        Visibility.FACILITATORS: tr.gettext("for the facilitators only"),
    }
    lines = []
    for answer in state.answers:
        if answer.user_id != user_id:
            continue
        stage = script.stage(answer.stage_id)
        stage_title = (
            tr.script_text(script_context(script.id, stage.id, "title"), stage.title)
            if stage
            else answer.stage_id
        )
        lines.append(
            "• "
            + escape(
                tr.gettext("{stage} ({visibility}): {text}").format(
                    stage=stage_title,
                    visibility=visibility[answer.visibility],
                    text=spoken(tr, answer.text),
                )
            )
        )
    draft = state.drafts.get(user_id)
    if draft is not None:
        lines.append(
            "• " + escape(tr.gettext("Not shared yet: {text}").format(text=spoken(tr, draft.text)))
        )
    return lines


def _choice_and_commitment_lines(tr: Translator, user_id: int, state: SessionState) -> list[str]:
    """How many stages they chose at, the commitments they proposed and how many they endorsed."""
    lines = []
    votes = sum(user_id in per_stage for per_stage in state.choices.values())
    if votes:
        lines.append(
            escape(
                tr.ngettext(
                    "Choices made at {n} stage.", "Choices made at {n} stages.", votes
                ).format(n=votes)
            )
        )
    agreed = sum(user_id in votes for votes in state.agreements.values())
    if agreed:
        lines.append(
            escape(
                tr.ngettext(
                    "You voted on {n} statement of the shared vision.",
                    "You voted on {n} statements of the shared vision.",
                    agreed,
                ).format(n=agreed)
            )
        )
    lines += [
        "• " + escape(tr.gettext("Your commitment: {text}").format(text=commitment.text))
        for commitment in state.commitments
        if commitment.proposer == user_id
    ]
    endorsed = sum(user_id in c.endorsers for c in state.commitments)
    if endorsed:
        lines.append(
            escape(
                tr.ngettext(
                    "You endorsed {n} commitment.", "You endorsed {n} commitments.", endorsed
                ).format(n=endorsed)
            )
        )
    return lines


def private_chat_pointer(bot_username: str, session_id: str | None) -> ShellText:
    """For the group, when the bot cannot write to someone who never opened a private chat."""

    def text(tr: Translator) -> Rendered:
        url = (
            start_url(bot_username, StartKind.HELLO, session_id)
            if session_id
            else f"https://t.me/{bot_username}"
        )
        return Rendered(
            escape(
                tr.gettext(
                    "Some of you have not opened a private chat with me yet, so I cannot write "
                    "to you. Please press the button below once."
                )
            ),
            ((Key(tr.gettext("Open a private chat ↗"), url=url),),),
        )

    return text
