"""Operator mistakes, run as a person runs them: ``python -m bot …`` in its own process.

Every path, key, token and database problem ends with one sentence on stderr and exit code 2:
no traceback, and nothing created that was not asked for.
"""

from __future__ import annotations

import asyncio
import os
import resource
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import DataKey, Store, generate_key
from tests.e2e.full_disk import CannotMount, read_only, tmpfs

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:TEST"


def ikiganiro(
    *args: str,
    db: Path | None = None,
    key: str | None = None,
    token: str | None = TOKEN,
    preexec: Callable[[], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKIGANIRO_")}
    env["IKIGANIRO_API_URL"] = "http://127.0.0.1:9"  # never reached: every case fails before
    if db is not None:
        env["IKIGANIRO_DB"] = str(db)
    if key is not None:
        env["IKIGANIRO_DATA_KEY"] = key
    if token is not None:
        env["IKIGANIRO_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=preexec,
        check=False,
    )


def one_sentence(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def make_db(path: Path, key: str, filler: int = 0) -> None:
    async def create() -> None:
        store = await Store.open(path, DataKey.from_env_value(key))
        try:
            for i in range(filler):
                raw = {"update_id": i + 1, "pad": "x" * 2000}
                await store.inbox_add(i + 1, raw, datetime.now(UTC))
        finally:
            await store.close()

    asyncio.run(create())


def limit_file_size(size: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    return apply


@pytest.fixture
def key() -> str:
    return generate_key()


def test_a_database_path_that_is_a_folder(tmp_path: Path, key: str) -> None:
    line = one_sentence(ikiganiro("run", db=tmp_path, key=key))
    assert str(tmp_path) in line
    assert "folder" in line


def test_a_database_in_a_missing_folder_is_not_created(tmp_path: Path, key: str) -> None:
    db = tmp_path / "nodir" / "bot.db"
    line = one_sentence(ikiganiro("run", db=db, key=key))
    assert "does not exist" in line
    assert not db.parent.exists()


def test_a_file_that_is_not_a_database(tmp_path: Path, key: str) -> None:
    db = tmp_path / "notes.txt"
    db.write_text("shopping list\n" * 200)
    line = one_sentence(ikiganiro("run", db=db, key=key))
    assert str(db) in line
    assert "not an Ikiganiro database" in line
    assert db.read_text() == "shopping list\n" * 200


def test_an_empty_file_is_refused_not_initialised(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    db.touch()
    line = one_sentence(ikiganiro("run", db=db, key=key))
    assert "0 bytes" in line
    assert db.stat().st_size == 0


def test_a_damaged_database_is_refused_naming_the_last_backup(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    make_db(db, key, filler=40)
    assert ikiganiro("backup", str(tmp_path / "monday.db"), db=db, key=key).returncode == 0
    with sqlite3.connect(db) as conn:
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'inbox'").fetchone()
    page = 4096
    with db.open("r+b") as f:  # a page of the inbox table overwritten with garbage
        f.seek((root[0] - 1) * page + 8)
        f.write(b"\xff\x00\x13" * 600)
    line = one_sentence(ikiganiro("run", db=db, key=key))
    assert "damaged" in line
    assert str(tmp_path / "monday.db") in line


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in a read-only folder")
def test_a_read_only_folder(tmp_path: Path, key: str) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        line = one_sentence(ikiganiro("run", db=folder / "bot.db", key=key))
    finally:
        folder.chmod(0o755)
    assert "writable" in line
    assert not (folder / "bot.db").exists()


def test_a_full_disk_at_the_first_start_leaves_no_empty_file(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    line = one_sentence(ikiganiro("run", db=db, key=key, preexec=limit_file_size(8192)))
    assert "disk is full" in line
    assert not db.exists()  # else the next start would be refused as a 0-byte file


@pytest.mark.parametrize("token", [f"{TOKEN}\r", f"{TOKEN} ", f" {TOKEN}", "123456 :TEST"])
def test_a_token_with_a_stray_character(tmp_path: Path, key: str, token: str) -> None:
    line = one_sentence(ikiganiro("run", db=tmp_path / "bot.db", key=key, token=token))
    assert line.startswith("IKIGANIRO_TOKEN")
    assert "TEST" not in line  # the token itself is never repeated
    assert not (tmp_path / "bot.db").exists()


def test_backup_into_a_missing_folder(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    make_db(db, key)
    line = one_sentence(ikiganiro("backup", str(tmp_path / "nodir" / "x.db"), db=db, key=key))
    assert "nodir" in line
    assert not (tmp_path / "nodir").exists()


def test_backup_never_creates_the_database_it_copies(tmp_path: Path, key: str) -> None:
    wrong = tmp_path / "typo.db"
    line = one_sentence(ikiganiro("backup", str(tmp_path / "copy.db"), db=wrong, key=key))
    assert "does not exist" in line
    assert not wrong.exists()
    assert not (tmp_path / "copy.db").exists()


def test_a_backup_cut_short_leaves_nothing_under_its_name(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    make_db(db, key, filler=300)  # about a megabyte; the copy may write 256 KB
    copy = tmp_path / "copy.db"
    result = ikiganiro("backup", str(copy), db=db, key=key, preexec=limit_file_size(256 * 1024))
    one_sentence(result)
    assert not copy.exists()
    assert "backup written" not in result.stdout


def test_status_prints_a_table(tmp_path: Path, key: str) -> None:
    db = tmp_path / "bot.db"
    make_db(db, key, filler=2)
    result = ikiganiro("status", db=db, key=key)
    assert result.returncode == 0, result.stderr
    assert "outbox: pending" in result.stdout
    assert "updates: unprocessed" in result.stdout
    assert "2" in result.stdout


def test_status_of_a_missing_database(tmp_path: Path, key: str) -> None:
    line = one_sentence(ikiganiro("status", db=tmp_path / "bot.db", key=key))
    assert "does not exist" in line
    assert not (tmp_path / "bot.db").exists()


def test_a_read_only_mount(tmp_path: Path, key: str) -> None:
    """A data folder on a read-only file system (a mount, so root cannot write either): a
    new installation and an existing database each get one sentence and exit 2."""
    try:
        with tmpfs(tmp_path / "ro", "4m") as folder:
            (folder / "old").mkdir()
            asyncio.run(_create(folder / "old" / "bot.db", key))
            read_only(folder)
            new = ikiganiro("run", db=folder / "bot.db", key=key)
            old = ikiganiro("run", db=folder / "old" / "bot.db", key=key)
            status = ikiganiro("status", db=folder / "old" / "bot.db", key=key)
            created = (folder / "bot.db").exists()
    except CannotMount as why:
        pytest.skip(f"no read-only mount here: {why}")
    for result in (new, old, status):
        line = one_sentence(result)
        assert "read-only" in line, line
    assert not created


async def _create(path: Path, key: str) -> None:
    store = await Store.open(path, DataKey.from_env_value(key))
    await store.close()
