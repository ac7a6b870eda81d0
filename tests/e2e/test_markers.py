"""A story told anonymously, searched for everywhere the bot writes, as bytes.

A marker story is told privately and shared without a name by someone whose name, id and
username are markers too. Through a whole session (the real Application, the offline
Telegram, a real SQLite file): the story is found zero times in the database file, its WAL,
a backup made with ``ikiganiro backup`` and the temporary directory; the author's name, id and
username in no call to the group (the summary included) and in no facilitator view beside
the story. After the author's ``/forget`` (and the checkpoint it triggers), neither the
author's id nor the ciphertext of their story is left in the raw bytes.

The logs are searched at DEBUG in ``test_log_markers.py``.
"""

from __future__ import annotations

import asyncio
import sqlite3
import tempfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.engine.state import Role
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE, Person
from bot.storage import DataKey, generate_key
from tests.e2e.conftest import Bot, new_api, start_bot, stop_bot
from tests.e2e.test_nothing_kept import _bytes_holding, _encodings

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE
STORY = "Marker-story-51c2e0: they took my brother at the checkpoint by the bridge."
AUTHOR = Person(234_567_890_123_456, "Zebedeemarker", Role.RESIDENT)
USERNAME = "zebedee_marker_name"


def _files(directory: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in directory.rglob("*") if p.is_file()}


def _identity(call_text: str) -> list[str]:
    needles = [AUTHOR.name, USERNAME, str(AUTHOR.user_id)]
    return [n for n in needles if n in call_text]


async def _session(bot: Bot) -> None:
    await bot.open("quick-demo")
    await bot.demo.join(AUTHOR)
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.answer_privately(AUTHOR, STORY, "anonymous")
    prompt = await bot.demo.live("prompt:story")
    for person in (JEAN, ESPERANCE, PASCAL):  # enough voices for the held story to go out
        await bot.demo.reply(person, prompt, f"{person.name} remembers a good day.")
    await bot.demo.command(FACILITATOR, "/status")
    await bot.demo.command(FACILITATOR, "/summary")
    await bot.demo.command(FACILITATOR, "/next")
    await bot.demo.command(FACILITATOR, "/end")
    await bot.demo.press_label(FACILITATOR, FACILITATOR.user_id, "End the session")


async def test_a_story_and_its_anonymous_author_are_found_nowhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setenv("SQLITE_TMPDIR", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    key = generate_key()
    api = new_api()
    api.add_user(AUTHOR.user_id, AUTHOR.name, language_code="en", username=USERNAME)
    api.add_members(GROUP_ID, [AUTHOR.user_id])
    path = tmp_path / "data" / "bot.db"
    path.parent.mkdir()
    bot = await start_bot(api, path, DataKey.from_env_value(key))
    try:
        await _session(bot)
        group_saw = " ".join(api.transcript(GROUP_ID).split())
        assert STORY in group_saw  # the story was shared: the searches below mean something

        # Nothing sent to the group names its author: shares, prompts, the summary.
        for call in api.calls:  # what the group is shown (a lookup such as getChatMember is not)
            if call.chat_id == GROUP_ID and not call.method.startswith("get"):
                assert _identity(str(call.params)) == [], call.method
        # The facilitators are shown the story without its author, and /status counts it.
        views = [str(m.get("text", "")) for m in api.messages(FACILITATOR.user_id)]
        assert any("Answered with their name" in v for v in views)  # /status was looked at
        assert any(STORY in v for v in views)  # and /summary quoted the story
        for text in views:
            if STORY in text or "Answered with their name" in text:
                heard, _, _ = text.partition("Not heard by name yet")  # listed like the silent
                assert _identity(heard) == [], text

        # The story in no byte of the database, its WAL, a backup or a temporary file.
        monkeypatch.setenv("IKIGANIRO_DB", str(path))
        monkeypatch.setenv("IKIGANIRO_DATA_KEY", key)
        backup = tmp_path / "backup.db"
        assert await asyncio.to_thread(main, ["backup", str(backup)]) == 0
        for name, data in {
            **_files(path.parent),
            **_files(temporary),
            **_files(backup.parent),
        }.items():
            assert STORY.encode() not in data, name
            assert b"Marker-story" not in data, name

        # The author takes it back: not even its ciphertext, nor their id, is left.
        with sqlite3.connect(path) as conn:
            sealed = [
                r[0]
                for r in conn.execute(
                    "SELECT text_enc FROM answers WHERE user_id = ?", (AUTHOR.user_id,)
                )
            ]
        conn.close()
        assert sealed
        await bot.feed(api.text(AUTHOR.user_id, AUTHOR.user_id, "/forget"))
        await bot.demo.press_label(AUTHOR, AUTHOR.user_id, "Yes, erase everything")
        assert _bytes_holding(path, AUTHOR.user_id) == []
        for name, data in _files(path.parent).items():
            assert not any(blob in data for blob in sealed), name
            assert not any(n in data for n in _encodings(AUTHOR.user_id)), name
    finally:
        await stop_bot(bot)
