"""The charter reaches the group: after the summary at /end, and on /charter, also after the end.

One document is one call of the group's budget; it goes after the summary, which people wait
for first. ``ikiganiro charter`` writes the same charter from the database for an operator.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.demo import play
from bot.dialogues import Library
from bot.i18n.catalog import translator
from bot.offline.cast import COMMITMENTS, FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey, generate_key
from tests.test_charter import text_of

from .conftest import Bot, new_api, start_bot, stop_bot


async def whole_session(bot: Bot, language: str = "fr") -> None:
    await play(bot.demo, Library.load()["community-safety"], language)
    await bot.flush()


def group_methods(bot: Bot) -> list[str]:
    return [call.method for call in bot.group_calls() if call.ok]


async def test_at_the_end_the_charter_follows_the_summary_as_one_call(bot: Bot) -> None:
    await whole_session(bot)
    documents = bot.api.documents(GROUP_ID)
    assert len(documents) == 1
    name, content = documents[0]
    assert name.startswith("charte-") and name.endswith(".pdf")
    text = text_of(content)
    assert "Mutumba" in text  # the group's name, as Telegram shows it
    assert "Nos engagements" in text
    for commitment, _, _ in COMMITMENTS:
        assert commitment in text
    calls = [c for c in bot.group_calls() if c.ok]
    summary = max(  # the final summary: the draft of the review stage, edited
        n
        for n, c in enumerate(calls)
        if c.method in ("sendMessage", "editMessageText")
        and str(c.result.get("text", "")).startswith("Résumé")
    )
    assert [c.method for c in calls].index("sendDocument") > summary
    assert group_methods(bot).count("sendDocument") == 1


async def test_a_facilitator_posts_the_charter_again_after_the_end_naming_the_place(
    bot: Bot,
) -> None:
    """The new charter takes the place of the one before: the group keeps one, the newest."""
    await whole_session(bot)
    first = next(m["message_id"] for m in bot.api.messages(GROUP_ID) if "document" in m)
    await bot.demo.command(FACILITATOR, "/charter Gitega, Mutumba hill")
    await bot.flush()
    documents = bot.api.documents(GROUP_ID)
    assert len(documents) == 1
    assert "Lieu : Gitega, Mutumba hill" in text_of(documents[0][1])
    assert bot.api.message(GROUP_ID, first)["deleted"]


async def test_someone_forgotten_after_the_end_leaves_the_charter_too(bot: Bot) -> None:
    """Their vision leaves the page; the file is replaced in the same message, no new one."""
    await whole_session(bot)
    jean = PEOPLE[0]
    said = "Officers known by name in every quarter, and people who call them early."
    assert said in text_of(bot.api.documents(GROUP_ID)[0][1])
    posted = group_methods(bot).count("sendDocument")
    await bot.feed(bot.api.command(jean.user_id, jean.user_id, "/forget"))
    # Jean chose no language: he reads the session's (French), whatever his phone's.
    await bot.demo.press_label(
        jean, jean.user_id, translator("fr").gettext("Yes, erase everything")
    )
    await bot.flush()
    ((_, content),) = bot.api.documents(GROUP_ID)
    assert said not in text_of(content)
    assert "Walk the river path together once a month" in text_of(content)
    assert group_methods(bot).count("sendDocument") == posted
    assert group_methods(bot).count("editMessageMedia") == 1


async def test_a_participant_cannot_post_the_charter_and_is_told_privately(bot: Bot) -> None:
    await whole_session(bot)
    before = group_methods(bot)
    person = PEOPLE[0]
    await bot.demo.command(person, "/charter")
    await bot.flush()
    assert group_methods(bot) == before  # not a call of the group's budget
    assert bot.api.sent_texts(person.user_id)[-1] == translator("fr").gettext(
        "Only the session's facilitators can do that."
    )


async def test_a_place_too_long_is_refused_privately_in_one_sentence(bot: Bot) -> None:
    await whole_session(bot)
    await bot.demo.command(FACILITATOR, "/charter " + "Mutumba " * 12)
    await bot.flush()
    assert len(bot.api.documents(GROUP_ID)) == 1
    said = bot.api.sent_texts(FACILITATOR.user_id)[-1]
    assert said.startswith("Ce nom de lieu est trop long") or said.startswith(
        "That place name is too long"
    )


async def test_no_charter_where_no_session_ever_was(bot: Bot) -> None:
    await bot.feed(bot.api.start(FACILITATOR.user_id))
    await bot.demo.command(FACILITATOR, "/charter")
    assert bot.api.documents(GROUP_ID) == []
    assert "There is no session here" in bot.api.sent_texts(FACILITATOR.user_id)[-1]


@pytest.fixture
def operator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> DataKey:
    """The environment ``ikiganiro charter`` reads: the bot's database and its key."""
    key = generate_key()
    monkeypatch.setenv("IKIGANIRO_DB", str(tmp_path / "bot.db"))
    monkeypatch.setenv("IKIGANIRO_DATA_KEY", key)
    return DataKey.from_env_value(key)


async def kept_session(path: Path, key: DataKey, language: str | None) -> str:
    """A database holding one whole session (none if ``language`` is None); its id."""
    bot = await start_bot(new_api(), path, key)
    try:
        if language is not None:
            await whole_session(bot, language)
        return bot.demo.session_id
    finally:
        await stop_bot(bot)


def test_the_operator_writes_a_sessions_charter_in_two_languages(
    operator: DataKey, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id = asyncio.run(kept_session(tmp_path / "bot.db", operator, "rn"))
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("bot.db*"))
    assert b"Mutumba" not in stored  # the group's name is kept sealed, as all text is
    out = tmp_path / "charter.pdf"
    args = ["charter", session_id, "--second-language", "fr", "--place", "Gitega", "-o"]
    assert main([*args, str(out)]) == 0
    assert f"charter written to {out}" in capsys.readouterr().out
    assert main(["charter", "0000", "-o", str(out)]) == 2  # the wrong id names the right one
    assert f"the newest: {session_id} (community-safety, ended, " in capsys.readouterr().err
    text = text_of(out.read_bytes())
    assert "Umutekano ni uwa twese." in text and "La sécurité, c'est l'affaire de tous." in text
    assert "Ahantu: Gitega" in text and "Mutumba" in text
    for commitment, _, _ in COMMITMENTS:
        assert text.count(commitment) == 1


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (
            ["nosuchsession"],
            "there is no session 'nosuchsession' in this database; it holds no session yet",
        ),
        (["x", "--language", "de"], "unknown language 'de'; available: en, fr, rn, sw"),
        (["x", "--place", ""], "the place must be 1 to 80 characters long"),
    ],
)
def test_an_operators_mistake_is_one_sentence_and_exit_2(
    operator: DataKey,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    said: str,
) -> None:
    asyncio.run(kept_session(tmp_path / "bot.db", operator, None))
    out = tmp_path / "charter.pdf"
    assert main(["charter", *args, "-o", str(out)]) == 2
    assert capsys.readouterr().err == said + "\n"
    assert not out.exists()
