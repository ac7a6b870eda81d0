"""Whole sessions under trial, shared by the end-to-end tests and the soaks (``bench/``).

:func:`odd_session` plays the default session and feeds odd updates (``bot.offline.oddities``)
in its middle; :func:`faulty_session` plays it while the offline Bot API fails a share of the
calls (``FakeBotApi.chaos``). Each returns its figures; the tests assert on them, the soaks print
them beside their goals. Nothing of the bot is mocked: it runs on a real SQLite file.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.callbacks import Action, button
from bot.demo import Demo, DemoError
from bot.dialogues import Library
from bot.engine.script import Channel, Script, StageKind
from bot.engine.state import SessionState, Status
from bot.offline.cast import (
    COMMITMENTS,
    FACILITATOR,
    GROUP_ID,
    PEOPLE,
    PRIVATE_TELLER,
    Person,
)
from bot.offline.chaos import FaultKind
from bot.offline.oddities import Odd, Oddities, Scene
from bot.storage import DataKey
from tests.e2e.conftest import _PACES, STRANGER, Bot, new_api, start_bot, stop_bot

DEFAULT_SCRIPT = "community-safety"
MIDDLE = 3  # odd updates come once the demo's people have told their safe-place stories


class ErrorLines(logging.Handler):
    """ERROR lines, except the intake's own "set aside" line (the designed containment)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        set_aside = record.name == "bot.telegram.intake" and "set aside" in record.getMessage()
        if not set_aside:
            self.lines.append(f"{record.name}: {record.getMessage()}"[:300])


@dataclass
class OddFigures:
    fed: int = 0
    families: Counter[str] = field(default_factory=Counter)
    dropped: int = 0  # at the door: no usable update id, or unstorable
    set_aside: int = 0  # stored, then refused: malformed, unparseable, failed in a handler
    handled: list[str] = field(default_factory=list)  # what reached PTB's error handler
    escaped: list[str] = field(default_factory=list)  # exceptions out of Intake.feed
    logged: list[str] = field(default_factory=list)  # other ERROR lines
    changed: dict[str, Any] = field(default_factory=dict)  # session fields that moved
    applied_foreign: int = 0  # applied ids that are not the odd updates' own
    completed: bool = False

    @property
    def errors(self) -> int:
        return len(self.handled) + len(self.escaped) + len(self.logged)


async def play_stages(bot: Bot, script: Script, stages: range) -> None:
    for index in stages:
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.stage(script, index)


async def scene_of(bot: Bot, stage_id: str) -> Scene:
    state = await bot.state()
    answers = tuple(
        (a.user_id, int(a.source_ref.split(":")[1]))
        for a in state.answers
        if a.source_ref and a.source_ref.startswith(f"{GROUP_ID}:")
    )
    return Scene(
        group_id=GROUP_ID,
        session_id=bot.demo.session_id,
        facilitator=FACILITATOR.user_id,
        members=tuple(p.user_id for p in PEOPLE),
        stranger=STRANGER.user_id,
        prompt=await bot.demo.live(f"prompt:{stage_id}"),
        answers=answers,
    )


async def snapshot(bot: Bot) -> tuple[dict[str, Any], set[str], Any]:
    """The session as stored, the ids of the events it applied, and where it lives.

    ``applied`` is compared apart: a refused event is recorded there too (so its redelivery
    does not repeat the refusal), which is its purpose, not a change of the session.
    """
    state = (await bot.state()).model_dump(mode="json")
    applied = set(state.pop("applied"))
    async with bot.store.read() as tx:
        where = await tx.session_chat(bot.demo.session_id)
    return state, applied, where


async def feed_odd(bot: Bot, odd: Odd, figures: OddFigures) -> None:
    """One odd update, straight into the intake (privacy mode would hide some: not here)."""
    figures.fed += 1
    figures.families[odd.family] += 1
    _PACES[bot.api].advance(2.0)  # a couple of seconds pass between odd updates
    try:
        await bot.intake.feed(odd.update)
    except Exception as error:  # counted, with its family
        figures.escaped.append(f"{odd.family}: {error!r}"[:300])


async def odd_session(path: Path, *, count: int, seed: int) -> tuple[OddFigures, Oddities]:
    """The default session, ``count`` odd updates in its middle, then played to its end."""
    figures, lines = OddFigures(), ErrorLines()
    logging.getLogger().addHandler(lines)
    bot = await start_bot(new_api(), path, DataKey.generate())

    async def record(update: object, context: Any) -> None:
        figures.handled.append(repr(context.error)[:300])

    bot.app.add_error_handler(record)
    try:
        script = Library.load()[DEFAULT_SCRIPT]
        await bot.open()
        await play_stages(bot, script, range(MIDDLE + 1))
        scene = await scene_of(bot, script.stages[MIDDLE].id)
        state, applied, where = await snapshot(bot)
        odds = Oddities(bot.api, scene, seed=seed)
        for odd in odds.take(count):
            await feed_odd(bot, odd, figures)
        after, applied_after, where_after = await snapshot(bot)
        figures.changed = {k: (state[k], after[k]) for k in state if state[k] != after[k]}
        if where_after != where:
            figures.changed["chat"] = (where, where_after)
        issued = set(odds.issued)
        new_ids = {int(i[1:].split(":")[0]) for i in applied_after - applied}
        figures.applied_foreign = len(new_ids - issued)
        figures.dropped, figures.set_aside = bot.intake.dropped, bot.intake.set_aside
        await play_stages(bot, script, range(MIDDLE + 1, len(script.stages)))
        await bot.demo.end(FACILITATOR)
        figures.completed = await _summarised(bot)
    finally:
        logging.getLogger().removeHandler(lines)
        figures.logged = lines.lines
        await stop_bot(bot)
    return figures, odds


async def _summarised(bot: Bot) -> bool:
    """Whether the session ended and its summary is in the group."""
    ref = await bot.store.message_ref(bot.demo.session_id, "summary")
    summary = bot.api.message(GROUP_ID, ref[1]) if ref else None
    state = await bot.state()
    return summary is not None and "people" in summary["text"] and state.status is Status.ENDED


# --- a whole session while Telegram fails --------------------------------------------------------


@dataclass
class FaultFigures:
    seed: int
    rate: float
    answers_stored: int = 0
    answers_expected: int = 0
    duplicated_answers: int = 0  # the same person's answer to one stage kept more than once
    commitments: int = 0
    max_posts: int = 0  # the most times one text was posted to one chat
    faults: Counter[str] = field(default_factory=Counter)
    completed: bool = False
    failure: str = ""  # what stopped the session, if something did
    repeats: int = 0  # a person acting again on something that never reached their screen
    unconfirmed: int = 0  # posts set aside after two tries without an answer


def expected_answers(script: Script) -> int:
    """How many answers the demo's people give to the text stages (``Demo.stage``)."""
    count = 0
    for stage in script.stages:
        if stage.kind is not StageKind.TEXT:
            continue
        for person in PEOPLE:
            private = person is PRIVATE_TELLER and Channel.ANONYMOUS in stage.channels
            count += private or Channel.GROUP in stage.channels
    return count


async def settle(bot: Bot, *, attempts: int = 200) -> None:
    """Send until the outbox is empty, as the sender's background loop would, time passing."""
    pace = _PACES[bot.api]
    for _ in range(attempts):
        if not await bot.store.outbox_pending(limit=1):
            return
        pace.advance(5.0)
        await bot.intake.process_pending()
    raise AssertionError(f"the outbox never emptied after {attempts} tries")


def _buttons(message: dict[str, Any]) -> set[str]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return {key.get("callback_data", "") for row in rows for key in row}


class OnScreen(Demo):
    """The demo's people acting on what they see, as people do when messages go missing.

    The plain demo looks messages up in the bot's database; here a person finds a prompt, a
    card or a question on screen (the offline Telegram's chats), and does what a person does
    when it is not there: taps the join link again, the facilitator presses /next or /end
    again. A card nobody can see is not endorsed; a question nobody received is not answered.
    ``repeats`` counts those second tries.
    """

    TRIES = 4

    def __init__(self, api: Any, store: Any, deliver: Any, script: Script) -> None:
        super().__init__(api, store, deliver)
        self.script = script
        self.repeats = 0

    def _on_screen(self, chat_id: int, data: str = "", prefix: str = "") -> int | None:
        """The newest message from the bot in ``chat_id`` with a button carrying ``data`` or
        a text starting with ``prefix``."""
        for message in reversed(self.api.messages(chat_id)):
            if not message.get("from", {}).get("is_bot") or message.get("deleted"):
                continue
            if (data and data in _buttons(message)) or (
                prefix and str(message.get("text", "")).startswith(prefix)
            ):
                return int(message["message_id"])
        return None

    async def _until_seen(self, look: Any, again: Any) -> int | None:
        for attempt in range(self.TRIES):
            found = look()
            if found is not None:
                return int(found)
            if attempt < self.TRIES - 1:
                self.repeats += 1
                await again()
        return None

    async def live(self, key: str) -> int:
        if not key.startswith("prompt:"):
            return await super().live(key)
        ids = [stage.id for stage in self.script.stages]
        index = ids.index(key.removeprefix("prompt:"))
        heading = f"Stage {index + 1} of {len(ids)}"
        found = await self._until_seen(
            lambda: self._on_screen(GROUP_ID, prefix=heading),
            lambda: self.command(FACILITATOR, "/next"),
        )
        if found is None:
            raise DemoError(f"nobody ever saw {key}")
        return found

    async def _private(self, person: Person, data: str, again: Any) -> int | None:
        return await self._until_seen(lambda: self._on_screen(person.user_id, data), again)

    async def join(self, person: Person) -> None:
        link = f"j_{self.session_id}"

        async def tap_again() -> None:
            await self._feed(self.api.start(person.user_id, link))

        await tap_again()
        consent = button(Action.CONSENT, self.session_id, "1")
        asked = await self._private(person, consent, tap_again)
        if asked is None:
            raise DemoError(f"{person.name} was never asked to consent")
        await self.press(person, person.user_id, asked, consent)
        assert person.role is not None
        role = button(Action.ROLE, self.session_id, person.role.value)
        asked = await self._private(person, role, tap_again)
        if asked is None:
            raise DemoError(f"{person.name} was never asked for a role")
        await self.press(person, person.user_id, asked, role)

    async def settle(self, proposer: Person, cid: str, owner: str, due: str) -> None:
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        found = state.commitment(cid) if state else None
        for action, value, now in (
            (Action.OWNER, owner, found.owner if found else None),
            (Action.DUE, due, found.due if found else None),
        ):
            data = button(action, self.session_id, cid, value)
            question = self._on_screen(proposer.user_id, data)
            if value != now and question is not None:  # a question never seen is not answered
                await self.press(proposer, proposer.user_id, question, data)

    async def answer_privately(self, person: Person, text: str, visibility: str) -> None:
        await self._feed(self.api.start(person.user_id, f"a_{self.session_id}"))
        await self._feed(self.api.text(person.user_id, person.user_id, text))
        share = button(Action.SHARE, self.session_id, visibility)

        async def write_again() -> None:
            await self._feed(self.api.text(person.user_id, person.user_id, text))

        asked = await self._private(person, share, write_again)
        if asked is None:
            raise DemoError(f"{person.name} was never asked how to share")
        await self.press(person, person.user_id, asked, share)

    async def commitments(self, stage_index: int) -> None:
        prompt = await self.live(f"prompt:{self.script.stages[stage_index].id}")
        for n, (text, owner, due) in enumerate(COMMITMENTS):
            proposer = self.people[n * 3 % len(self.people)]
            await self.reply(proposer, prompt, text)
            cid = await self.last_commitment()
            await self.settle(proposer, cid, owner, due)
            endorse = button(Action.ENDORSE, self.session_id, cid)
            card = self._on_screen(GROUP_ID, endorse)
            for person in self.people[: 4 - n] if card is not None else ():
                await self.press(person, GROUP_ID, card, endorse)

    async def stage(self, script: Script, index: int) -> None:
        if script.stages[index].kind is StageKind.COMMITMENT:
            await self.commitments(index)
        else:
            await super().stage(script, index)

    async def end(self, person: Person) -> None:
        confirm = button(Action.END, self.session_id, "1")
        await self.command(person, "/end")
        asked = await self._private(person, confirm, lambda: self.command(person, "/end"))
        if asked is None:
            raise DemoError("the facilitator was never asked to confirm the end")
        await self.press(person, person.user_id, asked, confirm)
        await self._until_seen(
            lambda: self._on_screen(GROUP_ID, prefix="Summary: "),
            lambda: self.command(person, "/summary"),
        )


async def faulty_session(
    path: Path, *, seed: int, rate: float = 0.3, kinds: tuple[FaultKind, ...] = tuple(FaultKind)
) -> FaultFigures:
    """The default session led by the demo's people while ``rate`` of the counted calls fail
    (every fault kind unless ``kinds`` says); the figures say what was kept, posted and
    whether it ended."""
    script = Library.load()[DEFAULT_SCRIPT]
    figures = FaultFigures(seed, rate, answers_expected=expected_answers(script))
    api = new_api()
    bot = await start_bot(api, path, DataKey.generate())
    feed = bot.demo._feed

    async def deliver(update: dict[str, Any]) -> None:
        await feed(update)
        await settle(bot)

    people = OnScreen(api, bot.store, deliver, script)
    bot.demo = people
    api.chaos(rate, seed=seed, kinds=kinds)
    try:
        await bot.open()
        await play_stages(bot, script, range(len(script.stages)))
        await people.end(FACILITATOR)
        figures.completed = await _summary_seen(bot)
    except Exception as error:  # the figures say what stopped it
        figures.failure = f"{type(error).__name__}: {error}"[:300]
    finally:
        figures.repeats = people.repeats
        figures.unconfirmed = (await bot.store.status()).unconfirmed_outbox
        await _count(bot, figures)
        await stop_bot(bot)
    return figures


async def _summary_seen(bot: Bot) -> bool:
    """Whether the session ended and the group can read its summary (a summary whose answer
    was lost is on screen all the same, though the bot does not know its id)."""
    state = await bot.state()
    shown = [
        m
        for m in bot.api.messages(GROUP_ID)
        if m.get("from", {}).get("is_bot") and str(m.get("text", "")).startswith("Summary: ")
    ]
    return bool(shown) and "people" in shown[-1]["text"] and state.status is Status.ENDED


def answers_kept(state: SessionState) -> tuple[int, int]:
    """How many answers the session keeps, and how many of them repeat one person's answer to
    one stage (each is meant to be stored exactly once)."""
    kept = Counter((a.stage_id, a.user_id) for a in state.answers)
    return len(state.answers), sum(n - 1 for n in kept.values())


async def _count(bot: Bot, figures: FaultFigures) -> None:
    state = await bot.state() if bot.demo.session_id else None
    if state is not None:
        figures.answers_stored, figures.duplicated_answers = answers_kept(state)
        figures.commitments = len(state.commitments)
    posts = Counter(
        (call.chat_id, call.params.get("text"))
        for call in bot.api.calls
        if call.method == "sendMessage" and call.ok
    )
    figures.max_posts = max(posts.values(), default=0)
    figures.faults = Counter(str(call.fault) for call in bot.api.calls if call.fault is not None)


EXPECTED_COMMITMENTS = len(COMMITMENTS)
