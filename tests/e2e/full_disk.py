"""A real full disk in the middle of a session, shared by the test and the soak.

The database lives on a small tmpfs mounted for the trial (root only: where mounting is not
permitted, :func:`tmpfs` raises :class:`CannotMount` with the reason). The bot runs its real
long-polling loop (``Intake.poll``) against the offline Telegram, so acknowledging an update
means what it means in production: a later ``getUpdates`` with a higher offset.

Midway, the disk is filled to the last byte. The people go on answering; the bot cannot keep
their updates, so it must not acknowledge them (Telegram keeps them), must say why in its log,
and must try again with growing pauses. Then the space is freed, and the session must go on
to its summary with every answer stored exactly once and ``integrity_check`` ok.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import subprocess
import sys
import time
from asyncio.subprocess import PIPE, STDOUT
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.demo import Demo, paced
from bot.dialogues import Library
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE
from bot.storage import DataKey, generate_key
from bot.telegram.intake import Intake
from tests.e2e.conftest import _PACES, Bot, new_api, start_bot, stop_bot
from tests.e2e.trials import DEFAULT_SCRIPT, answers_kept, expected_answers, play_stages

FULL_STAGE = 3  # safe_story: every participant answers in the group


class CannotMount(Exception):
    """This machine does not let the trial mount a small file system."""


@contextlib.contextmanager
def tmpfs(where: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``mount -o size=``) mounted at ``where`` for the block."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        raise CannotMount("mounting a tmpfs needs root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise CannotMount(f"mount -t tmpfs refused: {done.stderr.strip() or done.returncode}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def read_only(where: Path) -> None:
    """Remount the tmpfs at ``where`` read-only: root cannot write there either."""
    done = subprocess.run(
        ["mount", "-o", "remount,ro", str(where)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise CannotMount(f"mount -o remount,ro refused: {done.stderr.strip() or done.returncode}")


def fill(directory: Path) -> Path:
    """Write a file until the disk is full; returns it (delete it to free the space)."""
    filler = directory / "filler"
    chunk = b"\0" * 65536
    with filler.open("wb", buffering=0) as file:
        while True:
            try:
                file.write(chunk)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    break
                chunk = chunk[: len(chunk) // 2]
    return filler


class Lines(logging.Handler):
    """The bot's WARNING and ERROR lines, as an operator reads them."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith("bot."):
            self.lines.append(record.getMessage())


@dataclass
class DiskFigures:
    answers_stored: int = 0
    answers_expected: int = 0
    duplicated_answers: int = 0
    held_back: int = 0  # updates Telegram still held (unacknowledged) when space came back
    failed_keeps: int = 0  # tries to keep a batch that the full disk refused
    pauses: list[float] = field(default_factory=list)  # the waits between those tries
    said_why: str = ""  # the log line that told the operator
    status_says: str = ""  # what `ikiganiro status` printed about the disk meanwhile
    recovered_in: float = 0.0  # seconds from freeing the space to every update processed
    integrity: str = ""
    completed: bool = False
    failure: str = ""


async def _settled(bot: Bot, *, within: float = 60.0) -> None:
    """Until the bot has fetched, kept, processed and answered everything delivered (what the
    group's budget holds back goes too: simulated time passes only when someone waits)."""
    async with asyncio.timeout(within):
        while bot.api.pending_updates() or await bot.store.inbox_pending():  # noqa: ASYNC110
            await asyncio.sleep(0.01)  # the bot's own loop acts meanwhile: nothing to wait on
        await bot.intake.sender.drain(patient=True)


async def full_disk_session(
    directory: Path, *, full_for: float, retry_base: float = 1.0, retry_cap: float = 60.0
) -> DiskFigures:
    """The default session with the disk full for ``full_for`` seconds while the people of
    stage ``FULL_STAGE`` answer; ``retry_base``/``retry_cap``: the intake's pauses (the
    defaults are ``ikiganiro run``'s)."""
    script = Library.load()[DEFAULT_SCRIPT]
    figures = DiskFigures(answers_expected=expected_answers(script))
    lines = Lines()
    logging.getLogger().addHandler(lines)
    key = generate_key()
    bot = await start_bot(new_api(), directory / "bot.db", DataKey.from_env_value(key))
    bot.intake = Intake(
        bot.app, bot.intake.runtime, bot.intake.sender, retry_base=retry_base, retry_cap=retry_cap
    )

    async def deliver(update: dict[str, Any]) -> None:
        bot.api.deliver(update)
        await _settled(bot)

    bot.demo = Demo(bot.api, bot.store, paced(_PACES[bot.api], deliver))
    stop = asyncio.Event()
    polling = asyncio.create_task(bot.intake.poll(stop, wait_seconds=1))
    try:
        await bot.open()
        await play_stages(bot, script, range(FULL_STAGE))
        await bot.demo.command(FACILITATOR, "/next")
        await _while_full(bot, key, full_for, figures, lines)
        await play_stages(bot, script, range(FULL_STAGE + 1, len(script.stages)))
        await bot.demo.end(FACILITATOR)
        state = await bot.state()
        figures.completed = state.status.value == "ended"
    except Exception as error:  # the figures say what stopped it
        figures.failure = f"{type(error).__name__}: {error}"[:300]
    finally:
        stop.set()
        await polling
        logging.getLogger().removeHandler(lines)
        await _count(bot, figures)
        await stop_bot(bot)
    return figures


async def _while_full(
    bot: Bot, key: str, full_for: float, figures: DiskFigures, lines: Lines
) -> None:
    """Fill the disk, let the people of ``FULL_STAGE`` answer, wait, free the space."""
    await bot.store.checkpoint()  # the WAL starts empty: the next write must grow it
    filler = fill(bot.store.path.parent)
    prompt = await bot.demo.live(f"prompt:{Library.load()[DEFAULT_SCRIPT].stages[FULL_STAGE].id}")
    updates = [
        bot.api.text(person.user_id, GROUP_ID, f"{person.name}: a safe evening.", reply_to=prompt)
        for person in PEOPLE
    ]
    for update in updates:
        bot.api.deliver(update)
    await asyncio.sleep(full_for / 2)
    figures.status_says = await _status(bot.store.path, key)
    await asyncio.sleep(full_for / 2)
    waiting = {u["update_id"] for u in bot.api.pending_updates()}
    figures.held_back = len(waiting & {u["update_id"] for u in updates})
    refused = [line for line in lines.lines if "could not be stored" in line]
    figures.failed_keeps = len(refused)
    figures.pauses = [float(line.rsplit("again in ", 1)[1].split()[0]) for line in refused]
    figures.said_why = refused[0] if refused else ""
    filler.unlink()
    freed = time.monotonic()
    await _settled(bot, within=max(90.0, 3 * full_for))
    figures.recovered_in = time.monotonic() - freed


async def _status(path: Path, key: str) -> str:
    """``ikiganiro status`` as the operator runs it: its line about the disk (or its error)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKIGANIRO_")}
    env.update(IKIGANIRO_DB=str(path), IKIGANIRO_DATA_KEY=key)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "status", env=env, stdout=PIPE, stderr=STDOUT
    )
    out, _ = await process.communicate()
    said = out.decode()
    return next((line for line in said.splitlines() if line.startswith("disk")), said.strip())


async def _count(bot: Bot, figures: DiskFigures) -> None:
    state = await bot.state() if bot.demo.session_id else None
    if state is not None:
        figures.answers_stored, figures.duplicated_answers = answers_kept(state)
    figures.integrity = await bot.store.integrity_check()
