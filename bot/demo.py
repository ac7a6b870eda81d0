"""``ikiganiro demo``: a whole session, offline, through the real bot.

Nothing is simulated inside the bot: the real PTB ``Application``, handlers, service, engine,
encrypted storage (in a temporary directory) and sender run exactly as in production. Only
Telegram is replaced, by the offline Bot API of ``bot.offline``, and the people are scripted
(``bot.offline.cast``): a facilitator and four participants — two police officers, two
residents — one of whom answers privately and anonymously.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.callbacks import Action, button
from bot.dialogues import DEFAULT_SCRIPT, Library
from bot.engine.script import CHOICE_KINDS, Channel, Script, StageKind
from bot.i18n.catalog import LANGUAGES
from bot.offline.api import FakeBotApi
from bot.offline.cast import (
    ANSWERS,
    COMMITMENTS,
    EARLIER_NOTES,
    EARLIER_STATUS,
    FACILITATOR,
    GENERAL_ANSWER,
    GROUP_ID,
    GROUP_TITLE,
    PEOPLE,
    PRIVATE_TELLER,
    VOTES,
    VOTES_PER_PERSON,
    Person,
    demo_world,
)
from bot.offline.limits import TelegramLimits
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application, start_runtime
from bot.telegram.budget import SimulatedPace
from bot.telegram.intake import Intake
from bot.telegram.retry import Tries
from bot.telegram.sender import Sender
from bot.words.markup import strip_tags

# Telegram's own limits hold in the demo: the in-memory Bot API refuses as Telegram does (429
# past 20 calls a minute in the group) and the bot's sender keeps within them. Both count time
# on one simulated clock, which moves when the sender waits and when a person acts (people take
# a few seconds to read and type), so the demo takes a second and prints the same every run.
DEMO_LIMITS = RateLimits(overall_per_second=1_000_000)  # PTB's limiter counts real time
SECONDS_PER_ACT = 5.0


def demo_api(pace: SimulatedPace, **options: Any) -> FakeBotApi:
    """The demo's Telegram: Telegram's limits, on the demo's simulated time."""
    return FakeBotApi(
        bot_username="ikiganiro_bot", limits=TelegramLimits(), monotonic=pace.now, **options
    )


def demo_sender(bot: Any, store: Store, pace: SimulatedPace) -> Sender:
    """A sender on the demo's simulated time; it waits out any flood limit."""
    tries = Tries(rng=random.Random(0))  # noqa: S311 - jitter, not secrecy: same every run
    return Sender(bot, store, max_wait=120.0, budget=DEMO_LIMITS.budget(pace), tries=tries)


def paced(clock: SimulatedPace, feed: Deliver) -> Deliver:
    """``feed``, with the few seconds a person takes to act passing before each update."""

    async def act(update: dict[str, Any]) -> None:
        clock.advance(SECONDS_PER_ACT)
        await feed(update)

    return act


# The demo's session takes place on one fixed morning, so it prints the same text on every run
# (dates such as a commitment's "by when" included): tests/transcripts/ keeps that text, and a
# change to it shows as a diff. The real bot reads the clock.
DEMO_MOMENT = datetime(2025, 6, 14, 9, 0, tzinfo=UTC)


def demo_clock() -> datetime:
    """The demo's clock: always :data:`DEMO_MOMENT`."""
    return DEMO_MOMENT


class DemoClock:
    """The demo's clock for a run: :data:`DEMO_MOMENT`, until the demo lets weeks pass (before
    a follow-up meeting, so the commitments' dates come)."""

    def __init__(self) -> None:
        self.now = DEMO_MOMENT

    def __call__(self) -> datetime:
        return self.now

    def timestamp(self) -> float:
        return self.now.timestamp()


# Between the first meeting and the follow-up: long enough for both demo commitments' dates.
WEEKS_BETWEEN = 5


class DemoError(Exception):
    """The demo cannot run as asked (unknown script or language)."""


Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class Demo:
    """The scripted people, acting through the in-memory Bot API.

    ``deliver`` hands one update to the bot and returns once the bot has answered it: in the
    demo, straight into the intake; in the test of ``ikiganiro run``, through a real HTTP
    Bot API server to a separate process. The people look up the messages they answer in the
    bot's database, through a read snapshot, as a person would find them on screen.
    """

    def __init__(
        self,
        api: FakeBotApi,
        store: Store,
        deliver: Deliver,
        people: tuple[Person, ...] = PEOPLE,
        patience: Callable[[], Awaitable[object]] | None = None,
        *,
        group: int = GROUP_ID,
        facilitator: Person = FACILITATOR,
    ) -> None:
        self.api = api
        self.store = store
        self._feed = deliver
        self.session_id = ""
        self.people = people  # the cast; the benchmark brings a crowd
        # How a person waits for a message still held back by the group's budget (a crowd's
        # benchmark lets the sender deliver it); None: it is there at once, or never.
        self._patience = patience
        # The group chat and who leads it: the demo's, or one of a benchmark's many groups.
        self.group = group
        self.facilitator = facilitator

    async def command(self, person: Person, text: str) -> None:
        await self._feed(self.api.command(person.user_id, self.group, text))

    async def reply(self, person: Person, message_id: int, text: str) -> int:
        update = self.api.text(person.user_id, self.group, text, reply_to=message_id)
        await self._feed(update)
        return int(update["message"]["message_id"])

    async def press(self, person: Person, chat_id: int, message_id: int, data: str) -> None:
        await self._feed(self.api.press(person.user_id, chat_id, message_id, data))

    async def press_label(
        self, person: Person, chat_id: int, label: str, *, message_id: int | None = None
    ) -> None:
        """``person`` presses the button that says ``label`` (see ``FakeBotApi.press_label``)."""
        await self._feed(
            self.api.press_label(person.user_id, chat_id, label, message_id=message_id)
        )

    async def end(self, person: Person) -> None:
        """``/end``, then "End the session" on the question it asks privately (in whichever
        language it came: the button is pressed by what it does)."""
        await self.command(person, "/end")
        question = self.last_private(person)
        confirm = button(Action.END, self.session_id, "1")
        await self.press(person, person.user_id, question, confirm)

    async def live(self, key: str) -> int:
        ref = await self.store.message_ref(self.session_id, key)
        if ref is None and self._patience is not None:
            await self._patience()
            ref = await self.store.message_ref(self.session_id, key)
        if ref is None:
            raise DemoError(f"the bot never posted {key}")
        return ref[1]

    async def last_commitment(self) -> str:
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        if state is None or not state.commitments:
            raise DemoError("the bot kept no commitment")
        return state.commitments[-1].id

    def last_private(self, person: Person) -> int:
        from_bot = [
            m
            for m in self.api.messages(person.user_id)
            if m.get("from", {}).get("is_bot") and not m.get("deleted")
        ]
        if not from_bot:
            raise DemoError(f"the bot never wrote to {person.name}")
        return int(from_bot[-1]["message_id"])

    async def open(self, script_id: str, language: str = "") -> None:
        """The facilitator opens a private chat with the bot (to receive /status there), then
        the session; everyone of the cast joins it."""
        await self._feed(self.api.start(self.facilitator.user_id))
        await self.command(self.facilitator, f"/newsession {script_id} {language}".strip())
        async with self.store.read() as tx:
            session_id = await tx.session_for_chat(self.group, None)
        if session_id is None:
            raise DemoError("the session did not open")
        self.session_id = session_id
        for person in self.people:
            await self.choose_language(person)
            await self.join(person)

    async def choose_language(self, person: Person) -> None:
        """``/language xx`` privately, for someone who reads another language than the session."""
        if person.chooses:
            chosen = self.api.command(
                person.user_id, person.user_id, f"/language {person.chooses}"
            )
            await self._feed(chosen)

    async def join(self, person: Person) -> None:
        await self._feed(self.api.start(person.user_id, f"j_{self.session_id}"))
        consent = self.last_private(person)
        await self.press(
            person, person.user_id, consent, button(Action.CONSENT, self.session_id, "1")
        )
        role_question = self.last_private(person)
        assert person.role is not None
        await self.press(
            person,
            person.user_id,
            role_question,
            button(Action.ROLE, self.session_id, person.role.value),
        )

    async def settle(self, proposer: Person, cid: str, owner: str, due: str) -> None:
        """The proposer changes who acts and by when, privately, where the bot's choice for
        now differs from theirs."""
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        found = state.commitment(cid) if state else None
        question = self.last_private(proposer)
        for action, value, now in (
            (Action.OWNER, owner, found.owner if found else None),
            (Action.DUE, due, found.due if found else None),
        ):
            if value != now:
                data = button(action, self.session_id, cid, value)
                await self.press(proposer, proposer.user_id, question, data)

    async def answer_privately(self, person: Person, text: str, visibility: str) -> None:
        await self._feed(self.api.start(person.user_id, f"a_{self.session_id}"))
        update = self.api.text(person.user_id, person.user_id, text)
        await self._feed(update)
        await self.press(
            person,
            person.user_id,
            self.last_private(person),
            button(Action.SHARE, self.session_id, visibility),
        )

    async def vote(self, stage_id: str) -> None:
        """Everyone votes on the statements of the shared vision, on each statement's message
        (as ``VOTES`` says; the rest agree)."""
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        answers = state.answers_for(stage_id) if state else []
        shown = [a for a in answers if a.visibility.value != "facilitators" and not a.held]
        for n, person in enumerate(self.people):
            for m, answer in enumerate(shown[:VOTES_PER_PERSON]):
                key = f"share:{answer.id}" if answer.via_private else f"statement:{answer.id}"
                card = await self.store.message_ref(self.session_id, key)
                if card is None:  # not on screen yet (a crowd waits for the group's budget)
                    continue
                vote = VOTES.get((n, m), "agree")
                data = button(Action.AGREE, self.session_id, answer.id, vote)
                await self.press(person, self.group, card[1], data)

    async def stage(self, script: Script, index: int) -> None:
        stage = script.stages[index]
        prompt = await self.live(f"prompt:{stage.id}")
        if stage.kind is StageKind.TEXT:
            answers = ANSWERS.get(stage.id, (GENERAL_ANSWER,) * len(self.people))
            if len(self.people) > len(PEOPLE):  # a crowd: the answers go round again
                answers = tuple(answers[n % len(answers)] for n in range(len(self.people)))
            for person, text in zip(self.people, answers, strict=False):
                if person is PRIVATE_TELLER and Channel.ANONYMOUS in stage.channels:
                    await self.answer_privately(person, text, "anonymous")
                elif Channel.GROUP in stage.channels:
                    await self.reply(person, prompt, text)
            if stage.agree:
                await self.vote(stage.id)
        elif stage.kind in CHOICE_KINDS:
            limit = 1 if stage.kind is StageKind.CHOICE else min(2, stage.max_choices or 2)
            for n, person in enumerate(self.people):
                for k in range(limit):
                    option = stage.options[(n + 2 * k) % len(stage.options)]
                    data = button(Action.CHOICE, self.session_id, stage.id, option.id)
                    await self.press(person, self.group, prompt, data)
        elif stage.kind is StageKind.COMMITMENT:
            for n, (text, owner, due) in enumerate(COMMITMENTS):
                proposer = self.people[n * 3 % len(self.people)]
                await self.reply(proposer, prompt, text)
                cid = await self.last_commitment()
                card = await self.live(f"commitment:{cid}")
                await self.settle(proposer, cid, owner, due)
                for person in self.people[: 4 - n]:
                    await self.press(
                        person, self.group, card, button(Action.ENDORSE, self.session_id, cid)
                    )
        elif stage.kind is StageKind.EARLIER:
            await self.look_back()
        elif stage.kind is StageKind.REVIEW:
            for person in self.people:
                allow = "0" if person is self.people[1] else "1"
                await self.press(
                    person, self.group, prompt, button(Action.QUOTE, self.session_id, allow)
                )

    async def look_back(self) -> None:
        """A follow-up's earlier commitments, card by card: someone of the side that acts
        says where it stands (unless it was said already), two people say what helped and
        what got in the way, then the facilitator shows the next card."""
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        earlier = state.earlier if state else []
        for n, card in enumerate(earlier):
            if n:
                await self.command(self.facilitator, "/next")
            message = await self.live(f"earlier:{card.key}")
            status = EARLIER_STATUS[n % len(EARLIER_STATUS)]
            if card.status.value != status:
                presser = self.people[(2 + n) % len(self.people)]
                data = button(Action.PROGRESS, self.session_id, card.key, status)
                await self.press(presser, self.group, message, data)
            notes = EARLIER_NOTES[n % len(EARLIER_NOTES)]
            for person, text in zip(self.people, notes, strict=False):
                await self.reply(person, message, text)

    async def weeks_pass(self, clock: DemoClock, tick: Callable[[], Awaitable[None]]) -> None:
        """Time passes after a session: the commitments' reminders come, and the first is
        reported done on its reminder by someone of the side that acts."""
        clock.now += timedelta(weeks=WEEKS_BETWEEN)
        await tick()
        async with self.store.read() as tx:
            state = await tx.load_state(self.session_id)
        reminded = [c for c in (state.commitments if state else []) if c.reminded_at]
        if reminded:
            first = reminded[0]
            message = await self.live(f"due:{first.id}")
            data = button(Action.PROGRESS, self.session_id, first.id, "done")
            await self.press(self.people[0], self.group, message, data)


async def play(demo: Demo, script: Script, language: str) -> str:
    """A whole session, from ``/newsession`` to ``/end``; returns the summary as plain text."""
    api = demo.api
    await demo.open(script.id, language)
    for index in range(len(script.stages)):
        await demo.command(FACILITATOR, "/next")
        await demo.stage(script, index)
        if index == 2:
            await demo.command(FACILITATOR, "/status")
    await demo.end(FACILITATOR)
    summary = api.message(GROUP_ID, await demo.live("summary"))
    return strip_tags(str(summary["text"])) if summary else ""


def demo_script(script_id: str, language: str) -> tuple[Library, Script]:
    library = Library.load()
    script = library.get(script_id)
    if script is None:
        raise DemoError(f"unknown script {script_id!r}; available: {', '.join(library.ids())}")
    if language not in LANGUAGES:
        raise DemoError(f"unknown language {language!r}; available: {', '.join(LANGUAGES)}")
    return library, script


async def run_demo(script_id: str, language: str, *, charter: Path | None = None) -> str:
    """Run a whole session; returns the group's chat, then the summary, as printable text.

    The charter the group got at the end is written to ``charter`` (if given), and the text
    ends saying where. A follow-up script needs commitments to follow up: the default session
    is played first, in the same database, then weeks pass, then the follow-up; what is printed
    starts after the first session's end (its reminders, then the follow-up meeting).
    """
    library, script = demo_script(script_id, language)
    pace = SimulatedPace()
    clock = DemoClock()
    api = demo_api(pace, clock=clock.timestamp)
    demo_world(api)
    since = 0
    with tempfile.TemporaryDirectory(prefix="ikiganiro-demo-") as tmp:
        store = await Store.open(Path(tmp) / "demo.db", DataKey.generate())
        application = build_application("123456:DEMO", request=api, limits=DEMO_LIMITS)
        try:
            runtime = await start_runtime(
                application, store, library, default_language=language, clock=clock
            )
            sender = demo_sender(application.bot, store, pace)
            intake = Intake(application, runtime, sender, clock=clock)
            demo = Demo(api, store, paced(pace, intake.feed))
            if script.follows_up:
                await play(demo, library[DEFAULT_SCRIPT], language)
                await sender.drain(patient=True)
                since = max((m.message_id for m in api.in_order(GROUP_ID)), default=0)
                await demo.weeks_pass(clock, intake.tick)
            summary_text = await play(demo, script, language)
            await sender.drain(patient=True)  # the last progress lines, once budget allows
        finally:
            await application.shutdown()
            await store.close()
    rule = "─" * 72
    return "\n".join(
        [
            rule,
            f"{GROUP_TITLE} — the group chat",
            rule,
            api.transcript(GROUP_ID, since=since),
            "",
            rule,
            "The summary",
            rule,
            summary_text,
            *_charter_written(api, charter),
        ]
    )


def _charter_written(api: FakeBotApi, path: Path | None) -> list[str]:
    """The charter the group was sent, written to ``path``; the lines that say where."""
    documents = api.documents(GROUP_ID)
    if path is None or not documents:
        return []
    name, content = documents[-1]
    try:
        path.write_bytes(content)
    except OSError as error:
        raise DemoError(f"cannot write the charter to {path}: {error.strerror}") from None
    rule = "─" * 72
    return ["", rule, "The charter", rule, f"{name}, as the group got it: written to {path}"]
