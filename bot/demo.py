"""``ikiganiro demo``: a whole session, offline, through the real bot.

Nothing is simulated inside the bot: the real PTB ``Application``, handlers, service, engine,
encrypted storage (in a temporary directory) and sender run exactly as in production. Only
Telegram is replaced, by the in-memory Bot API of ``bot.telegram.fake_api``, and the people are
scripted: a facilitator and four participants — two police officers, two residents — one of
whom answers privately and anonymously.
"""

from __future__ import annotations

import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.callbacks import Action, button
from bot.dialogues import Library
from bot.engine.script import CHOICE_KINDS, Channel, Script, StageKind
from bot.engine.state import Role
from bot.i18n.catalog import LANGUAGES
from bot.storage import DataKey, Store
from bot.telegram.app import RateLimits, build_application, start_runtime
from bot.telegram.fake_api import FakeBotApi
from bot.telegram.intake import Intake
from bot.telegram.sender import Sender
from bot.words.markup import strip_tags

GROUP_ID = -1001234567890
GROUP_TITLE = "Mutumba hill: safety together"
# The demo has no Telegram to be polite to; the real limits would make it take minutes.
DEMO_LIMITS = RateLimits(overall_per_second=10_000, group_per_minute=100_000)


class DemoError(Exception):
    """The demo cannot run as asked (unknown script or language)."""


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    role: Role | None
    language: str = "en"


FACILITATOR = Person(100, "Amani", None)
PEOPLE = (
    Person(201, "Jean", Role.POLICE),
    Person(202, "Gloria", Role.POLICE, "fr"),
    Person(301, "Espérance", Role.RESIDENT),
    Person(302, "Pascal", Role.RESIDENT, "fr"),
)
# Espérance tells the risky story privately and shares it with no name.
PRIVATE_TELLER = PEOPLE[2]

# What people say, per stage id of the shipped scripts; other stages get a general answer.
ANSWERS: dict[str, tuple[str, ...]] = {
    "story": (
        "Last Sunday the officers on duty greeted everyone by name at the market.",
        "When the youth team and the police played football, nobody was afraid.",
        "Neighbours walked me home after dark when the path had no light.",
        "When parents walk the children to school in groups, the road feels safe.",
    ),
    "introductions": (
        "I am Jean, I have served at the Mutumba post for three years.",
        "Gloria. I joined the community police last year, I grew up near the market.",
        "Espérance, I sell vegetables at the market and have four children.",
        "Pascal, teacher at the primary school, and I coach the youth football team.",
    ),
    "safe_story": (
        "The night of the big storm, neighbours and two officers carried the sick to the "
        "health centre together.",
        "At the football final everyone watched the children together; nobody needed "
        "to be afraid.",
        "When the market committee started closing the stalls together at dusk.",
        "When parents walk the children to school in groups, the road feels safe.",
    ),
    "unsafe_story": (
        "A patrol came too late to a robbery because nobody had our number.",
        "I was afraid to go alone to a land quarrel where people were shouting.",
        "My neighbour's boy was beaten on the path by the river and nobody came. "
        "I do not want my name on this.",
        "Young men without work gather near the bar at night and shout at girls.",
    ),
    "vision": (
        "Officers known by name in every quarter, and people who call them early.",
        "A monthly meeting where residents and police plan together.",
        "Lights on the river path, and women who walk there without fear.",
        "Young people with work, and a football league police and youth play in together.",
    ),
    "contributions": (
        "I can share the post's phone number and answer it at night.",
        "I can come to the market committee every month.",
        "I can tell the women's group what we decide here.",
        "I can organise a match between the youth and the police.",
    ),
    "status": (
        "The phone number is on the market board; it works.",
        "The monthly meeting happened twice, then stopped.",
        "The lights are not there yet.",
        "The football match was a success.",
    ),
    "helped": (
        "The chief of the hill supported us.",
        "People knew the officers' faces.",
        "The women's group spread the word.",
        "The school lent the field.",
    ),
    "blocked": (
        "Nobody was in charge of the meeting dates.",
        "Transport to the meetings costs money.",
        "Some people still fear being seen talking to the police.",
        "The rain season.",
    ),
}
GENERAL_ANSWER = "I agree with what was said, and I want to help."
COMMITMENTS = (
    ("Put the police post's phone number on the market board this week.", "both", "2w"),
    ("Walk the river path together once a month, residents and police.", "both", "1m"),
)


Deliver = Callable[[dict[str, Any]], Awaitable[None]]


class Demo:
    """The scripted people, acting through the in-memory Bot API.

    ``deliver`` hands one update to the bot and returns once the bot has answered it: in the
    demo, straight into the intake; in the test of ``ikiganiro run``, through a real HTTP
    Bot API server to a separate process. The people look up the messages they answer in the
    bot's database, through a read snapshot, as a person would find them on screen.
    """

    def __init__(self, api: FakeBotApi, store: Store, deliver: Deliver) -> None:
        self.api = api
        self.store = store
        self._feed = deliver
        self.session_id = ""

    async def command(self, person: Person, text: str) -> None:
        await self._feed(self.api.command(person.user_id, GROUP_ID, text))

    async def reply(self, person: Person, message_id: int, text: str) -> int:
        update = self.api.text(person.user_id, GROUP_ID, text, reply_to=message_id)
        await self._feed(update)
        return int(update["message"]["message_id"])

    async def press(self, person: Person, chat_id: int, message_id: int, data: str) -> None:
        await self._feed(self.api.press(person.user_id, chat_id, message_id, data))

    async def live(self, key: str) -> int:
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

    async def stage(self, script: Script, index: int) -> None:
        stage = script.stages[index]
        prompt = await self.live(f"prompt:{stage.id}")
        if stage.kind is StageKind.TEXT:
            answers = ANSWERS.get(stage.id, (GENERAL_ANSWER,) * len(PEOPLE))
            for person, text in zip(PEOPLE, answers, strict=False):
                if person is PRIVATE_TELLER and Channel.ANONYMOUS in stage.channels:
                    await self.answer_privately(person, text, "anonymous")
                elif Channel.GROUP in stage.channels:
                    await self.reply(person, prompt, text)
        elif stage.kind in CHOICE_KINDS:
            limit = 1 if stage.kind is StageKind.CHOICE else min(2, stage.max_choices or 2)
            for n, person in enumerate(PEOPLE):
                for k in range(limit):
                    option = stage.options[(n + 2 * k) % len(stage.options)]
                    data = button(Action.CHOICE, self.session_id, stage.id, option.id)
                    await self.press(person, GROUP_ID, prompt, data)
        elif stage.kind is StageKind.COMMITMENT:
            for n, (text, owner, due) in enumerate(COMMITMENTS):
                proposer = PEOPLE[n * 3 % len(PEOPLE)]
                await self.reply(proposer, prompt, text)
                cid = await self.last_commitment()
                card = await self.live(f"commitment:{cid}")
                await self.press(
                    proposer, GROUP_ID, card, button(Action.OWNER, self.session_id, cid, owner)
                )
                await self.press(
                    proposer, GROUP_ID, card, button(Action.DUE, self.session_id, cid, due)
                )
                for person in PEOPLE[: 4 - n]:
                    await self.press(
                        person, GROUP_ID, card, button(Action.ENDORSE, self.session_id, cid)
                    )
        elif stage.kind is StageKind.REVIEW:
            for person in PEOPLE:
                allow = "0" if person is PEOPLE[1] else "1"
                await self.press(
                    person, GROUP_ID, prompt, button(Action.QUOTE, self.session_id, allow)
                )


async def play(demo: Demo, script: Script, language: str) -> str:
    """A whole session, from ``/newsession`` to ``/end``; returns the summary as plain text."""
    api = demo.api
    # A facilitator opens a private chat with the bot first, to receive /status there.
    await demo._feed(api.start(FACILITATOR.user_id))
    await demo.command(FACILITATOR, f"/newsession {script.id} {language}")
    async with demo.store.read() as tx:
        session_id = await tx.session_for_chat(GROUP_ID, None)
    if session_id is None:
        raise DemoError("the session did not open")
    demo.session_id = session_id
    for person in PEOPLE:
        await demo.join(person)
    for index in range(len(script.stages)):
        await demo.command(FACILITATOR, "/next")
        await demo.stage(script, index)
        if index == 2:
            await demo.command(FACILITATOR, "/status")
    await demo.command(FACILITATOR, "/end")
    summary = api.message(GROUP_ID, await demo.live("summary"))
    return strip_tags(str(summary["text"])) if summary else ""


def demo_world(api: FakeBotApi) -> None:
    """The group and the people of the demo, as the Bot API server knows them."""
    api.add_group(GROUP_ID, GROUP_TITLE, admins=(FACILITATOR.user_id,))
    for person in (FACILITATOR, *PEOPLE):
        api.add_user(person.user_id, person.name, language_code=person.language)


def demo_script(script_id: str, language: str) -> tuple[Library, Script]:
    library = Library.load()
    script = library.get(script_id)
    if script is None:
        raise DemoError(f"unknown script {script_id!r}; available: {', '.join(library.ids())}")
    if language not in LANGUAGES:
        raise DemoError(f"unknown language {language!r}; available: {', '.join(LANGUAGES)}")
    return library, script


async def run_demo(script_id: str, language: str) -> str:
    """Run a whole session; returns the group's chat, then the summary, as printable text."""
    library, script = demo_script(script_id, language)
    api = FakeBotApi(bot_username="ikiganiro_bot")
    demo_world(api)
    with tempfile.TemporaryDirectory(prefix="ikiganiro-demo-") as tmp:
        store = await Store.open(Path(tmp) / "demo.db", DataKey.generate())
        application = build_application("123456:DEMO", request=api, limits=DEMO_LIMITS)
        try:
            runtime = await start_runtime(application, store, library, default_language=language)
            intake = Intake(application, runtime, Sender(application.bot, store))
            summary_text = await play(Demo(api, store, intake.feed), script, language)
        finally:
            await application.shutdown()
            await store.close()
    rule = "─" * 72
    return "\n".join(
        [
            rule,
            f"{GROUP_TITLE} — the group chat",
            rule,
            api.transcript(GROUP_ID),
            "",
            rule,
            "The summary",
            rule,
            summary_text,
        ]
    )
