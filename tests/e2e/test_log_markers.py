"""No story reaches a log, at any level, from any logger.

python-telegram-bot at DEBUG prints every call's parameters and answer: a fetched update (a
story beside its author's name) and each message sent (a summary quoting stories). The bot's
logging (``bot.cli.guard`` on every handler) lets no library line below WARNING through,
whatever level a logger is set to, so a whole session logged at DEBUG holds no story, no name
of an anonymous author and no token.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from bot.cli import QUIET_LIBRARIES, guard
from bot.offline.cast import FACILITATOR, GROUP_ID, PRIVATE_TELLER
from tests.e2e.conftest import Bot

STORY = "Marker-story-7f3a9c: the path behind the mill has no light."
TOKEN = "123456:TEST"
LOGGERS = ("", "bot", *QUIET_LIBRARIES, "telegram.ext", "telegram.ext.Application")


@contextmanager
def everything_at_debug(guarded: bool) -> Iterator[io.StringIO]:
    """Every logger at DEBUG (the worst an operator's configuration could do), into a buffer."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if guarded:
        guard(handler, TOKEN)
    levels = {name: logging.getLogger(name).level for name in LOGGERS}
    root = logging.getLogger()
    root.addHandler(handler)
    for name in LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def _session_with_an_anonymous_story(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.answer_privately(PRIVATE_TELLER, STORY, "anonymous")
    await bot.demo.command(FACILITATOR, "/next")  # the held story is posted as the stage closes
    await bot.demo.command(FACILITATOR, "/end")
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "End the session")


async def test_without_the_guard_ptb_at_debug_prints_the_story(bot: Bot) -> None:
    """Why the guard exists: the search below finds what PTB would print."""
    with everything_at_debug(guarded=False) as out:
        await _session_with_an_anonymous_story(bot)
    assert STORY in out.getvalue()


async def test_a_session_logged_at_debug_holds_no_story_name_or_token(bot: Bot) -> None:
    with everything_at_debug(guarded=True) as out:
        await _session_with_an_anonymous_story(bot)
    log = out.getvalue()
    assert "DEBUG bot." in log  # the bot's own lines are there, at DEBUG
    assert STORY in " ".join(bot.api.transcript(GROUP_ID).split())  # the group saw it
    assert STORY not in log
    assert "Marker-story" not in log
    assert PRIVATE_TELLER.name not in log
    assert "TEST" not in log
