"""One command table: the menus, /help, the wrong-place answers and the README agree with it.

Each was declared in its own place before, and they drifted (``/nudge`` was in /help and the
README but not in Telegram's menu). Now all of them are derived from ``bot.commands``.
"""

from __future__ import annotations

import re
from pathlib import Path

from bot.commands import COMMANDS, NAMES, Place, Who, in_place
from bot.demo import FACILITATOR, GROUP_ID, PEOPLE
from bot.i18n.catalog import LANGUAGES

from .conftest import STRANGER, Bot

README = Path(__file__).resolve().parents[2] / "README.md"
GROUP_SCOPE = {"type": "all_group_chats"}
PRIVATE_SCOPE = {"type": "all_private_chats"}


def test_every_command_is_in_the_readme_and_the_readme_names_no_other() -> None:
    readme = README.read_text(encoding="utf-8")
    section = readme.split("## Leading a session", 1)[1].split("\n## ", 1)[0]
    assert set(re.findall(r"`/([a-z]+)", section)) == set(NAMES)


async def test_the_menus_are_the_table_in_every_language(bot: Bot) -> None:
    for language in ("", *LANGUAGES):
        group = [c["command"] for c in bot.api.commands(scope=GROUP_SCOPE, language_code=language)]
        private = [
            c["command"] for c in bot.api.commands(scope=PRIVATE_SCOPE, language_code=language)
        ]
        assert private == [c.name for c in in_place(Place.PRIVATE, menu_only=True)]
        assert group == ["newsession", "commitments", "help"]
    admins = bot.api.commands(scope={"type": "all_chat_administrators"})
    assert "nudge" in [c["command"] for c in admins]


async def test_help_for_facilitators_lists_every_leading_command(bot: Bot) -> None:
    await bot.open(join=False)
    await bot.demo.command(FACILITATOR, "/help")
    text = bot.api.sent_texts(GROUP_ID)[-1]
    leading = [c.name for c in COMMANDS if c.place is Place.GROUP and c.who is Who.LEADS]
    assert [name for name in leading if f"/{name} " not in text] == []


async def test_a_command_in_the_wrong_place_says_where_it_works(bot: Bot) -> None:
    """Said to that person, privately: the group does not need to read it."""
    person = PEOPLE[0]
    await bot.feed(bot.api.start(person.user_id))
    await bot.feed(bot.api.command(person.user_id, person.user_id, "/next"))
    assert bot.api.sent_texts(person.user_id)[-1] == "This command works in a group."
    before = len(bot.api.sent_texts(GROUP_ID))
    await bot.feed(bot.api.command(person.user_id, GROUP_ID, "/mydata"))
    assert bot.api.sent_texts(person.user_id)[-1] == (
        "This command works in a private chat with me."
    )
    assert len(bot.api.sent_texts(GROUP_ID)) == before


async def test_someone_the_bot_cannot_write_to_is_shown_how_once(bot: Bot) -> None:
    for _ in range(3):
        await bot.feed(bot.api.command(STRANGER.user_id, GROUP_ID, "/mydata"))
    pointers = [t for t in bot.api.sent_texts(GROUP_ID) if "private chat with me yet" in t]
    assert len(pointers) == 1


async def test_editing_a_command_does_not_run_it_again(bot: Bot) -> None:
    await bot.open()
    update = bot.api.command(FACILITATOR.user_id, GROUP_ID, "/next")
    await bot.feed(update)
    stage = (await bot.state()).stage_index
    message_id = update["message"]["message_id"]
    await bot.feed(bot.api.edit(FACILITATOR.user_id, GROUP_ID, message_id, "/next "))
    assert (await bot.state()).stage_index == stage


async def test_participants_see_their_commands_and_facilitators_theirs(bot: Bot) -> None:
    everyone = [c.name for c in in_place(Place.GROUP, menu_only=True) if c.who is Who.EVERYONE]
    leading = [c.name for c in in_place(Place.GROUP, menu_only=True)]
    admins = bot.api.commands(scope={"type": "all_chat_administrators"})
    assert [c["command"] for c in bot.api.commands(scope=GROUP_SCOPE)] == everyone
    assert [c["command"] for c in admins] == leading
    await bot.open(join=False)
    member = {"type": "chat_member", "chat_id": GROUP_ID, "user_id": FACILITATOR.user_id}
    assert [c["command"] for c in bot.api.commands(scope=member)] == leading
