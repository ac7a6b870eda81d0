"""The command menus, in the reader's language, from the one command table.

Participants see only what they can use in a group; facilitators and chat administrators see
the commands that lead a session too. Telegram shows a menu by scope: every group, every
group's administrators, one member of one group (a facilitator who is no administrator).
"""

from __future__ import annotations

from bot.commands import Place, Who, in_place
from bot.i18n.catalog import Translator


def menu(tr: Translator, place: Place, *, leads: bool = False) -> list[tuple[str, str]]:
    """(command, description) pairs for a menu; ``leads`` adds the facilitators' commands."""
    return [
        (c.name, tr.gettext(c.description))
        for c in in_place(place, menu_only=True)
        if leads or c.who is Who.EVERYONE
    ]
