"""``Members``: who is in a group now, as Telegram says, remembered for a few minutes."""

from __future__ import annotations

from telegram import Bot

from bot.offline.api import FakeBotApi
from bot.telegram.admins import Members

GROUP, OWNER, MEMBER, STRANGER = -100_123, 1, 2, 3


def _world() -> FakeBotApi:
    fake = FakeBotApi(bot_username="ikiganiro_bot")
    for user_id, name in ((OWNER, "Owner"), (MEMBER, "Member"), (STRANGER, "Stranger")):
        fake.add_user(user_id, name)
    fake.add_group(GROUP, "Hill", admins=(OWNER,), members=(MEMBER,))
    return fake


async def test_members_are_told_apart_from_strangers_and_remembered() -> None:
    fake = _world()
    async with Bot("123456:TEST", request=fake, get_updates_request=fake) as bot:
        members = Members(bot)
        assert [await members(GROUP, u) for u in (OWNER, MEMBER, STRANGER)] == [True, True, False]
        assert await members(GROUP, MEMBER) is True
        assert len(fake.calls_to("getChatMember")) == 3  # the second question was remembered
        fake.leave(GROUP, MEMBER)
        assert await members(GROUP, MEMBER) is True  # still remembered...
        members.forget(GROUP, MEMBER)  # ...until the bot hears they left
        assert await members(GROUP, MEMBER) is False


async def test_when_telegram_cannot_say_nobody_is_turned_away() -> None:
    """A network fault is no proof of anything: the act goes through, the log says so once."""
    fake = _world()
    async with Bot("123456:TEST", request=fake, get_updates_request=fake) as bot:
        members = Members(bot)
        fake.glitch("getChatMember", "server_error")
        assert await members(GROUP, STRANGER) is None
        assert await members(GROUP, STRANGER) is False  # asked again next time, not remembered
