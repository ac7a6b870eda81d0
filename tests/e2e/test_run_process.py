"""``ikiganiro run`` as a separate process, leading the default script over real HTTP.

The other end-to-end tests hand PTB the in-memory Bot API as its request object. Here the
bot is the command a user starts: its configuration comes from the environment, it reaches
``IKIGANIRO_API_URL`` with PTB's own HTTP client, long-polls, and stops on SIGTERM; the
in-memory Bot API sits behind a loopback HTTP server, as a self-hosted Bot API server would.

With ``IKIGANIRO_TEST_IMAGE`` set (``make docker-check``), the same tests start the bot from
that Docker image instead, as its own user, with the database on a ``/data`` bind mount.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.demo import Demo, play
from bot.dialogues import Library
from bot.offline.api import FakeBotApi
from bot.offline.cast import ANSWERS, GROUP_ID, PEOPLE, PRIVATE_TELLER, demo_world
from bot.storage import DataKey, Store
from bot.storage.crypto import generate_key
from bot.words.markup import strip_tags
from tests.e2e.http_api import serve_over_http

ROOT = Path(__file__).resolve().parents[2]
TOKEN_SECRET = "AAHsecret-token-part-0123456789"  # must never appear in the bot's output
IMAGE = os.environ.get("IKIGANIRO_TEST_IMAGE")


@dataclass
class Running:
    api: FakeBotApi
    process: asyncio.subprocess.Process
    store: Store

    async def settled(self) -> None:
        """Until the bot has fetched, processed and answered everything delivered so far."""
        async with asyncio.timeout(20):
            while (
                self.api.pending_updates()
                or await self.store.inbox_pending()
                or await self.store.outbox_pending()
            ):
                if self.process.returncode is not None:
                    raise AssertionError(f"the bot exited with {self.process.returncode}")
                await asyncio.sleep(0.01)

    async def deliver(self, update: dict[str, Any]) -> None:
        self.api.deliver(update)
        await self.settled()

    async def stop(self) -> tuple[int, str]:
        self.process.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(self.process.communicate(), timeout=15)
        assert self.process.returncode is not None
        return self.process.returncode, err.decode()


def data_dir(tmp_path: Path) -> Path:
    """Where the database lives; writable by the image's own user when the bot runs in it."""
    path = tmp_path / "data"
    path.mkdir()
    if IMAGE:
        path.chmod(0o777)
    return path


def bot_env(data: Path, url: str, token: str, key: str, **extra: str) -> dict[str, str]:
    """This process's environment with the bot's settings replaced, never inherited."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKIGANIRO_")}
    env.update(
        IKIGANIRO_TOKEN=token,
        IKIGANIRO_API_URL=url,
        IKIGANIRO_DB="/data/bot.db" if IMAGE else str(data / "bot.db"),
        IKIGANIRO_DATA_KEY=key,
        **extra,
    )
    return env


async def spawn(env: dict[str, str], data: Path) -> asyncio.subprocess.Process:
    """``ikiganiro run``; its log (stderr) is kept for the test to read."""
    command = [sys.executable, "-m", "bot", "run"]
    if IMAGE:
        settings = [f"--env={name}" for name in env if name.startswith("IKIGANIRO_")]
        # The docker client passes SIGTERM on to the container, as `docker stop` would send it.
        command = ["docker", "run", "--rm", "--network=host", f"--volume={data}:/data"]
        command += [*settings, IMAGE, "ikiganiro", "run"]
    return await asyncio.create_subprocess_exec(
        *command,
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )


async def _bot_started(api: FakeBotApi, process: asyncio.subprocess.Process) -> None:
    async with asyncio.timeout(30):
        while not api.calls_to("getMe"):
            if process.returncode is not None:
                raise AssertionError(f"the bot exited with {process.returncode}")
            await asyncio.sleep(0.02)


@asynccontextmanager
async def ikiganiro_run(tmp_path: Path, **extra_env: str) -> AsyncIterator[Running]:
    # Long polls wait for real: the bot sits in getUpdates until something arrives.
    api = FakeBotApi(bot_username="ikiganiro_bot", long_poll_cap=30)
    demo_world(api)
    token = f"{api.bot_id}:{TOKEN_SECRET}"
    key = generate_key()
    data = data_dir(tmp_path)
    async with serve_over_http(api) as url:
        env = bot_env(
            data,
            url,
            token,
            key,
            # A loopback server has no flood limits; Telegram's would make this take minutes.
            IKIGANIRO_MESSAGES_PER_SECOND="10000",
            IKIGANIRO_GROUP_MESSAGES_PER_MINUTE="100000",
            **extra_env,
        )
        process = await spawn(env, data)
        store: Store | None = None
        try:
            # The bot opens (and migrates) the database before it asks Telegram who it is.
            await _bot_started(api, process)
            store = await Store.open(data / "bot.db", DataKey.from_env_value(key))
            yield Running(api, process, store)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
            if store is not None:
                await store.close()


async def test_ikiganiro_run_leads_the_default_script_to_its_summary(tmp_path: Path) -> None:
    script = Library.load()["community-safety"]
    async with ikiganiro_run(tmp_path, IKIGANIRO_LOG_LEVEL="DEBUG") as bot:
        demo = Demo(bot.api, bot.store, bot.deliver)
        summary = await play(demo, script, "en")
        summary_id = await demo.live("summary")
        code, log = await bot.stop()

    # The group saw the whole session and its summary, with both sides' commitments.
    assert "Put the police post's phone number on the market board" in summary
    group = " ".join(bot.api.transcript(GROUP_ID).split())  # the transcript wraps lines
    for stage in script.stages:
        if stage.id in ANSWERS:
            assert ANSWERS[stage.id][0] in group, stage.id
    # The anonymous story reached the group by a call that names nobody.
    story = ANSWERS["unsafe_story"][PEOPLE.index(PRIVATE_TELLER)]
    shares = [
        call
        for call in bot.api.calls_to("sendMessage", GROUP_ID)
        if story in strip_tags(str(call.params.get("text", "")))
        and call.result["message_id"] != summary_id
    ]
    assert len(shares) == 1
    assert PRIVATE_TELLER.name not in str(shares[0].params)
    assert str(PRIVATE_TELLER.user_id) not in str(shares[0].params)
    assert "reply_parameters" not in shares[0].params

    # It asked for membership changes, which Telegram sends only when asked (and only to an
    # administrator bot): someone who leaves is out of the session at once.
    assert "chat_member" in bot.api.calls_to("getUpdates")[-1].params["allowed_updates"]

    # It stopped at once on SIGTERM, cleanly, and wrote neither the token nor anyone's words,
    # even at DEBUG (PTB and httpx print every update and request there: they stay quiet).
    assert code == 0, log
    assert "serving as @ikiganiro_bot" in log
    assert " DEBUG bot." in log
    assert TOKEN_SECRET not in log
    assert PRIVATE_TELLER.name not in log
    for answers in ANSWERS.values():
        for answer in answers:
            assert answer not in log


async def test_a_stop_cuts_the_long_poll_short(tmp_path: Path) -> None:
    async with ikiganiro_run(tmp_path) as bot:
        # Wait until the bot sits in a long poll that would last 25 seconds.
        await asyncio.sleep(0.5)
        started = time.monotonic()
        code, log = await bot.stop()
        took = time.monotonic() - started
    assert code == 0, log
    assert took < 5, f"stopping took {took:.1f} s"


async def test_a_wrong_token_is_a_clear_error_without_the_token(tmp_path: Path) -> None:
    api = FakeBotApi(bot_username="ikiganiro_bot")
    async with serve_over_http(api) as url:
        # The server answers 401 to a token of another bot id, as Telegram does to a bad one.
        data = data_dir(tmp_path)
        process = await spawn(bot_env(data, url, f"999:{TOKEN_SECRET}", generate_key()), data)
        _, err = await asyncio.wait_for(process.communicate(), timeout=30)
    log = err.decode()
    assert process.returncode == 2, log
    assert "IKIGANIRO_TOKEN" in log
    assert "Traceback" not in log
    assert TOKEN_SECRET not in log


async def test_an_unreachable_server_is_retried_until_stopped(tmp_path: Path) -> None:
    """A village network may be down when the host boots: wait for it, don't crash."""
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    data = data_dir(tmp_path)
    process = await spawn(bot_env(data, url, f"123456:{TOKEN_SECRET}", generate_key()), data)
    assert process.stderr is not None
    async with asyncio.timeout(30):
        first = (await process.stderr.readline()).decode()
    assert "cannot be reached" in first, first
    process.send_signal(signal.SIGTERM)
    _, rest = await asyncio.wait_for(process.communicate(), timeout=15)
    log = first + rest.decode()
    assert process.returncode == 0, log
    assert "Traceback" not in log
    assert TOKEN_SECRET not in log
