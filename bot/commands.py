"""Every command, declared once.

Handler registration, the command menus (per scope and language), the group's ``/help``, the
answer to a command used in the wrong place, and the README's command tables (a test) are all
derived from ``COMMANDS``, so a command cannot be in one of them and missing from another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.engine import events as ev
from bot.i18n.catalog import N_


class Place(StrEnum):
    GROUP = "group"
    PRIVATE = "private"


class Who(StrEnum):
    EVERYONE = "everyone"
    LEADS = "leads"  # facilitators and chat administrators; the engine checks, not the menu


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    place: Place
    who: Who
    description: str  # marked with N_, translated where shown (menu, /help)
    in_menu: bool = True


_G, _P, _ALL, _LEAD = Place.GROUP, Place.PRIVATE, Who.EVERYONE, Who.LEADS

COMMANDS: tuple[Command, ...] = (
    Command("newsession", _G, _ALL, N_("open a session (optionally: script, language)")),
    Command("next", _G, _LEAD, N_("open the next stage")),
    Command("back", _G, _LEAD, N_("return to the previous stage")),
    Command("pause", _G, _LEAD, N_("pause the session")),
    Command("resume", _G, _LEAD, N_("continue the session")),
    Command("status", _G, _LEAD, N_("who has answered, sent to you privately")),
    Command("nudge", _G, _LEAD, N_("remind the quiet ones privately")),
    Command("summary", _G, _LEAD, N_("the full record so far, sent to you privately")),
    Command("cofacilitate", _G, _LEAD, N_("reply to someone to add them as co-facilitator")),
    Command("end", _G, _LEAD, N_("close the session and post the summary")),
    Command("charter", _G, _LEAD, N_("post the printable charter (optionally: the place)")),
    Command("commitments", _G, _ALL, N_("the group's open commitments")),
    Command("language", _G, _LEAD, N_("the language of the session, e.g. /language rn")),
    Command("help", _G, _ALL, N_("what you can do here")),
    Command("start", _P, _ALL, N_("start talking with me"), in_menu=False),
    Command("language", _P, _ALL, N_("choose the language I write to you in")),
    Command("role", _P, _ALL, N_("change the role you are counted in")),
    Command("mydata", _P, _ALL, N_("everything I keep about you")),
    Command("forget", _P, _ALL, N_("erase everything I keep about you")),
    Command("addperson", _P, _LEAD, N_("add someone without Telegram: /addperson NAME ROLE"),
            in_menu=False),
    Command("for", _P, _LEAD, N_("answer, choose, vote or endorse for someone you added: "
                                 "/for NUMBER [TEXT]"), in_menu=False),
    Command("help", _P, _ALL, N_("what you can do here")),
)  # fmt: skip

NAMES: tuple[str, ...] = tuple(dict.fromkeys(c.name for c in COMMANDS))

# The facilitator commands that are one engine event each; the engine checks the caller.
LEAD_EVENTS: dict[str, type[ev.PrivilegedEvent]] = {
    "next": ev.Advanced,
    "back": ev.WentBack,
    "pause": ev.Paused,
    "resume": ev.Resumed,
    "status": ev.StatusRequested,
    "nudge": ev.NudgeRequested,
    "summary": ev.SummaryRequested,
    "end": ev.Ended,
}


def find(name: str, place: Place) -> Command | None:
    """The command of that name in that place, if there is one."""
    return next((c for c in COMMANDS if c.name == name and c.place is place), None)


def in_place(place: Place, *, menu_only: bool = False) -> list[Command]:
    return [c for c in COMMANDS if c.place is place and (c.in_menu or not menu_only)]
