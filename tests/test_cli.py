"""The ``ikiganiro`` command: one clear line for every mistake a user can make."""

from __future__ import annotations

import asyncio
import io
import logging
from pathlib import Path

import pytest

from bot.cli import _Redact, main
from bot.storage import DataKey, Store, generate_key

ENV = (
    "IKIGANIRO_TOKEN",
    "IKIGANIRO_DATA_KEY",
    "IKIGANIRO_DB",
    "IKIGANIRO_LANGUAGE",
    "IKIGANIRO_API_URL",
    "IKIGANIRO_MESSAGES_PER_SECOND",
    "IKIGANIRO_GROUP_MESSAGES_PER_MINUTE",
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_check_passes_on_the_shipped_scripts(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0
    assert "valid" in capsys.readouterr().out


def test_run_without_token_or_key_says_how_to_get_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "IKIGANIRO_TOKEN is not set" in err
    assert "ikiganiro keygen" in err


def test_a_bad_setting_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IKIGANIRO_LANGUAGE", "de")
    monkeypatch.setenv("IKIGANIRO_API_URL", "api.telegram.org")
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert "IKIGANIRO_LANGUAGE" in err
    assert "IKIGANIRO_API_URL" in err


def test_run_with_a_malformed_key_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("IKIGANIRO_TOKEN", "123456:TEST")
    monkeypatch.setenv("IKIGANIRO_DATA_KEY", "not-a-key")
    monkeypatch.setenv("IKIGANIRO_DB", str(tmp_path / "bot.db"))
    assert main(["run"]) == 2
    assert "IKIGANIRO_DATA_KEY" in capsys.readouterr().err


def test_keygen_prints_a_usable_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keygen"]) == 0
    DataKey.from_env_value(capsys.readouterr().out.strip())


def test_backup_with_the_wrong_key_fails_loudly(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "bot.db"

    async def create() -> None:
        store = await Store.open(db, DataKey.generate())
        await store.close()

    asyncio.run(create())
    monkeypatch.setenv("IKIGANIRO_DB", str(db))
    monkeypatch.setenv("IKIGANIRO_DATA_KEY", generate_key())
    assert main(["backup", str(tmp_path / "copy.db")]) == 2
    assert "key" in capsys.readouterr().err.lower()
    assert not (tmp_path / "copy.db").exists()


def test_backup_copies_a_database(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    key = generate_key()
    db = tmp_path / "bot.db"

    async def create() -> None:
        store = await Store.open(db, DataKey.from_env_value(key))
        await store.close()

    asyncio.run(create())
    monkeypatch.setenv("IKIGANIRO_DB", str(db))
    monkeypatch.setenv("IKIGANIRO_DATA_KEY", key)
    assert main(["backup", str(tmp_path / "copy.db")]) == 0
    assert (tmp_path / "copy.db").exists()


def test_demo_names_an_unknown_script(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--script", "nope"]) == 2
    assert "quick-demo" in capsys.readouterr().err


def test_demo_prints_a_readable_session(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # where the demo writes its charter
    assert main(["demo", "--script", "quick-demo"]) == 0
    out = capsys.readouterr().out
    assert "Amani: /newsession quick-demo en" in out
    assert "Shared anonymously" in out
    summary, charter = out.rstrip().split("The charter\n", 1)
    assert summary.rstrip("─\n").endswith("Safety is everybody's business.")
    assert charter.endswith("as the group got it: written to ikiganiro-charter.pdf")
    assert (tmp_path / "ikiganiro-charter.pdf").read_bytes().startswith(b"%PDF-")


def test_demo_says_in_one_sentence_that_it_cannot_write_the_charter(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    nowhere = tmp_path / "missing" / "charter.pdf"
    assert main(["demo", "--script", "quick-demo", "--charter", str(nowhere)]) == 2
    assert capsys.readouterr().err.startswith(f"cannot write the charter to {nowhere}: ")


def test_the_token_is_masked_in_every_log_line_and_traceback() -> None:
    token = "123456:AAH-very-secret"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(_Redact(token))
    log = logging.getLogger("ikiganiro.test.redact")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("calling https://api.telegram.org/bot%s/getMe", token)
        try:
            raise RuntimeError(f"The token `{token}` was rejected by the server.")
        except RuntimeError:
            log.exception("startup failed")
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert token not in text
    assert text.count("<token>") == 2
    assert "RuntimeError" in text  # the traceback itself is kept


def test_check_names_a_broken_translation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A translator checks their catalog before a group sees a gap where a number should be."""
    po = tmp_path / "sw" / "LC_MESSAGES" / "ikiganiro.po"
    po.parent.mkdir(parents=True)
    shipped = Path("locales/sw/LC_MESSAGES/ikiganiro.po").read_text(encoding="utf-8")
    po.write_text(shipped.replace("siku {days}", "siku {siku}", 1), encoding="utf-8")
    assert main(["check", str(po)]) == 1
    out = capsys.readouterr().out
    assert f"{po}: " in out
    assert "placeholders ['siku'] instead of ['days']" in out
    assert main(["check", "locales/sw/LC_MESSAGES/ikiganiro.po"]) == 0
