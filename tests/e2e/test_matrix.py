"""Who may do what: every actor against every command and button, through the whole bot.

The actors: the facilitator, a co-facilitator, a participant of each role, a chat
administrator who is not a facilitator, a participant who left the group, a stranger, an
anonymous administrator posting as the group, and a facilitator's command with a forged
``sender_chat``. The acts: every command of ``bot.commands.COMMANDS`` (in its place), a start
link of each kind, a reply to the prompt, a private answer, and a button of every action of
the callback codec. Each pair runs on a copy of one prepared session (the real Application,
the offline Telegram, a real SQLite file) and must change the session, or be audited as a
facilitator's act, exactly when the table below allows it. A privileged act leaves an audit
row, and no audit row holds any text; one refused to a stranger holds no id.

Buttons are pressed as a person presses them: a press always comes from a person's account,
never "as the group" or as a channel, so those two actors have no buttons to press.
"""

from __future__ import annotations

import copy
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bot.callbacks import PERSONAL, Action, button
from bot.commands import COMMANDS, Place
from bot.engine.state import Role, SessionState
from bot.offline.cast import FACILITATOR, GROUP_ID, PEOPLE, Person
from bot.storage import DataKey
from bot.telegram.budget import SimulatedPace
from tests.e2e.conftest import _PACES, STRANGER, Bot, new_api, start_bot, stop_bot

JEAN, GLORIA, ESPERANCE, PASCAL = PEOPLE
COFAC = Person(150, "Claude", None)
ADMIN = Person(160, "Diane", None)
LEADER = Person(401, "Léonce", Role.LEADER)
UNSAID = Person(402, "Nadia", Role.UNSAID)
CHANNEL = {"id": -1_009_999_999_999, "type": "channel", "title": "Radio Mutumba"}
KEY = DataKey.generate()

# Who stands where in the prepared session.
ACTORS: dict[str, Person | None] = {
    "facilitator": FACILITATOR,
    "co-facilitator": COFAC,
    "police": JEAN,
    "resident": ESPERANCE,
    "leader": LEADER,
    "unsaid": UNSAID,
    "chat admin": ADMIN,
    "left the group": PASCAL,
    "stranger": STRANGER,
    "anonymous admin": None,  # posts as the group: no person
    "forged sender_chat": FACILITATOR,  # the facilitator in ``from``, but a channel's post
}
AS_A_CHAT = ("anonymous admin", "forged sender_chat")
LEADS = {"facilitator", "co-facilitator", "chat admin"}
FACILITATORS = {"facilitator", "co-facilitator"}
PARTICIPANTS = {"police", "resident", "leader", "unsaid"}
NON_PARTICIPANT_MEMBERS = {"facilitator", "co-facilitator", "chat admin"}
NOBODY: set[str] = set()
VOTERS = PARTICIPANTS  # members who joined, each with a role
IN_THE_SESSION = FACILITATORS | PARTICIPANTS | {"left the group"}  # what /forget erases


# --- the prepared sessions ------------------------------------------------------------------


@dataclass
class Snapshot:
    api: Any
    database: bytes
    session_id: str


_SNAPSHOTS: dict[str, Snapshot] = {}


async def _prepare(bot: Bot, scene: str) -> None:
    """The quick demo with everyone in place: a co-facilitator, participants of every role
    (each with a private draft at the story stage), one of them gone from the group."""
    api = bot.api
    api.add_members(GROUP_ID, [COFAC.user_id, ADMIN.user_id, LEADER.user_id, UNSAID.user_id])
    api.chat(GROUP_ID).admins.append(ADMIN.user_id)
    for person in (COFAC, ADMIN, STRANGER):
        await bot.feed(api.start(person.user_id))
    await bot.open("quick-demo")
    for person in (LEADER, UNSAID):
        await bot.demo.join(person)
    said = api.text(COFAC.user_id, GROUP_ID, "Hello, I will help.")
    await bot.feed(said)
    await bot.feed(api.command(FACILITATOR.user_id, GROUP_ID, "/cofacilitate", reply_to=_id(said)))
    await bot.demo.command(FACILITATOR, "/next")
    for person in (JEAN, ESPERANCE, LEADER, UNSAID, PASCAL):
        await bot.feed(api.text(person.user_id, person.user_id, f"A draft by {person.name}."))
    for update in api.leave(GROUP_ID, PASCAL.user_id):
        await bot.feed(update)
    if scene in ("priority", "commit"):
        await bot.demo.command(FACILITATOR, "/next")
    if scene == "commit":
        await bot.demo.command(FACILITATOR, "/next")
        await bot.demo.reply(JEAN, await bot.demo.live("prompt:commit"), "Light the path.")


def _id(update: dict[str, Any]) -> int:
    return int(update["message"]["message_id"])


async def _snapshot(scene: str, tmp_path: Path) -> Snapshot:
    if scene not in _SNAPSHOTS:
        api = new_api()
        for person in (COFAC, ADMIN, LEADER, UNSAID):
            api.add_user(person.user_id, person.name, language_code=person.language)
        path = tmp_path / f"{scene}.db"
        bot = await start_bot(api, path, KEY)
        try:
            await _prepare(bot, scene)
            await bot.store.checkpoint()
            session_id = bot.demo.session_id
        finally:
            await stop_bot(bot)
        _SNAPSHOTS[scene] = Snapshot(copy.deepcopy(api), path.read_bytes(), session_id)
    return _SNAPSHOTS[scene]


async def _copy_of(scene: str, tmp_path: Path) -> Bot:
    snap = await _snapshot(scene, tmp_path)
    api = copy.deepcopy(snap.api)
    _PACES[api] = SimulatedPace()
    path = tmp_path / "case.db"
    path.write_bytes(snap.database)
    bot = await start_bot(api, path, KEY)
    bot.demo.session_id = snap.session_id
    return bot


# --- the acts -------------------------------------------------------------------------------

Act = Callable[[Bot, str], Awaitable[None]]


async def _in_group(bot: Bot, actor: str, text: str, reply_to: int | None = None) -> None:
    person = ACTORS[actor]
    if actor == "anonymous admin":
        await bot.feed(bot.api.as_chat(GROUP_ID, text, reply_to=reply_to))
        return
    assert person is not None
    update = bot.api.text(person.user_id, GROUP_ID, text, reply_to=reply_to)
    if actor == "forged sender_chat":
        update["message"]["sender_chat"] = CHANNEL
    await bot.feed(update)


def _group_command(name: str) -> Act:
    async def act(bot: Bot, actor: str) -> None:
        reply_to = None
        if name == "cofacilitate":  # as a reply to the person to add
            said = bot.api.text(JEAN.user_id, GROUP_ID, "I can help too.")
            await bot.feed(said)
            reply_to = _id(said)
        await _in_group(bot, actor, f"/{name}", reply_to)

    return act


def _private(text: str) -> Act:
    async def act(bot: Bot, actor: str) -> None:
        person = ACTORS[actor]
        assert person is not None
        if text.startswith("/start "):
            text_ = text.replace("{sid}", bot.demo.session_id)
            await bot.feed(bot.api.start(person.user_id, text_.removeprefix("/start ")))
        else:
            await bot.feed(bot.api.text(person.user_id, person.user_id, text))

    return act


async def _reply_to_prompt(bot: Bot, actor: str) -> None:
    await _in_group(bot, actor, "My answer to the prompt.", await bot.demo.live("prompt:story"))


def _press(action: Action, *args: str, where: str = "private") -> Act:
    async def act(bot: Bot, actor: str) -> None:
        person = ACTORS[actor]
        assert person is not None
        sid = "-" if action in PERSONAL else bot.demo.session_id
        values = [a.replace("{cid}", _commitment(await bot.state())) for a in args]
        data = button(action, sid, *values)
        chat = GROUP_ID if where == "group" else person.user_id
        await bot.feed(bot.api.press_anyway(person.user_id, chat, data))

    return act


def _commitment(state: SessionState) -> str:
    return state.commitments[0].id if state.commitments else "c1"


# act name -> (scene, act, who it acts for). "acts" means: the session changed, or a
# facilitator's command was carried out (audited with its actor).
GROUP_ACTS: dict[str, tuple[str, Act, set[str]]] = {
    "/newsession": ("priority", _group_command("newsession"), NOBODY),  # one is running
    "/next": ("priority", _group_command("next"), LEADS),
    "/back": ("priority", _group_command("back"), LEADS),
    "/pause": ("priority", _group_command("pause"), LEADS),
    "/resume": ("priority", _group_command("resume"), LEADS),
    "/status": ("priority", _group_command("status"), LEADS),
    "/nudge": ("priority", _group_command("nudge"), LEADS),
    "/summary": ("priority", _group_command("summary"), LEADS),
    "/cofacilitate": ("priority", _group_command("cofacilitate"), LEADS),
    "/end": ("priority", _group_command("end"), LEADS),  # asks first, audited
    "/commitments": ("priority", _group_command("commitments"), NOBODY),  # lists only
    "/charter": ("commit", _group_command("charter Mutumba"), LEADS),
    "/language (group)": ("priority", _group_command("language fr"), LEADS),
    "/help (group)": ("priority", _group_command("help"), NOBODY),
    "reply to the prompt": ("story", _reply_to_prompt, PARTICIPANTS),
}
PERSONAL_ACTS: dict[str, tuple[str, Act, set[str]]] = {
    "/start": ("story", _private("/start"), NOBODY),
    "/role": ("story", _private("/role"), PARTICIPANTS),
    "/language (private)": ("story", _private("/language fr"), NOBODY),  # their own, kept apart
    "/mydata": ("story", _private("/mydata"), NOBODY),
    "/forget": ("story", _private("/forget"), NOBODY),  # only asks
    "/help (private)": ("story", _private("/help"), NOBODY),
    # Found by who leads it: someone who leads no session (a chat administrator who is not a
    # facilitator, anyone else) reaches none, and is told so; nothing is kept or audited.
    "/addperson": ("story", _private("/addperson Marie resident"), FACILITATORS),
    "/for": ("story", _private("/for 1 Said aloud in the room."), FACILITATORS),  # audited
    "/for (the card)": ("story", _private("/for 1"), FACILITATORS),  # audited
    "/forget (someone added)": ("story", _private("/forget 1"), FACILITATORS),  # only asks
    "Join link": ("story", _private("/start j_{sid}"), NOBODY),  # consent first, keeps none
    "Answer-privately link": ("story", _private("/start a_{sid}"), NOBODY),
    "private answer": ("story", _private("Another private answer."), PARTICIPANTS),
    "I agree": ("story", _press(Action.CONSENT, "1"), NON_PARTICIPANT_MEMBERS),
    "No, thank you": ("story", _press(Action.CONSENT, "0"), PARTICIPANTS | {"left the group"}),
    "role button": ("story", _press(Action.ROLE, "resident"), NOBODY),  # chosen once
    "vote": ("priority", _press(Action.CHOICE, "priority", "lighting", where="group"), VOTERS),
    "share without a name": ("story", _press(Action.SHARE, "anonymous"), PARTICIPANTS),
    "who acts": ("commit", _press(Action.OWNER, "{cid}", "police"), {"police"} | FACILITATORS),
    "by when": ("commit", _press(Action.DUE, "{cid}", "3m"), {"police"} | FACILITATORS),
    "how it stands": (
        "commit",
        _press(Action.PROGRESS, "{cid}", "in_progress", where="group"),
        FACILITATORS | {"police", "resident", "leader"},  # who acts: police and residents
    ),
    "endorse": ("commit", _press(Action.ENDORSE, "{cid}", where="group"), PARTICIPANTS),
    # The quick demo has no ``agree`` stage, so no statement to vote on: refused to everyone.
    # Who may vote where there is one: tests/engine/test_agreements.py, e2e/test_agreements.py.
    "agree": ("story", _press(Action.AGREE, "a1", "agree", where="group"), NOBODY),
    "quote me": ("story", _press(Action.QUOTE, "1"), PARTICIPANTS),
    "nudge button": ("priority", _press(Action.NUDGE, "priority"), LEADS),
    "End the session": ("priority", _press(Action.END, "1"), LEADS),
    "Not yet": ("priority", _press(Action.END, "0"), NOBODY),
    "my language": ("story", _press(Action.LANGUAGE, "fr"), NOBODY),  # their own, kept apart
    "session language": ("priority", _press(Action.SESSION_LANGUAGE, "fr"), LEADS),
    "play a voice answer": ("story", _press(Action.PLAY, "a1"), LEADS),  # audited: who listened
    "keep as my answer": ("story", _press(Action.KEEP, "1"), NOBODY),  # nothing waits to be kept
    "forget: yes": ("story", _press(Action.FORGET, "1"), IN_THE_SESSION),
    "forget: no": ("story", _press(Action.FORGET, "0"), NOBODY),
    # For someone a facilitator added without Telegram (number 1, who is not there: the
    # facilitators' acts are carried out, told so, and audited; everyone else is refused).
    "card for someone added": ("story", _press(Action.PROXY_CARD, "1"), LEADS),
    "choose for them": ("priority", _press(Action.CHOICE_FOR, "1", "priority", "lighting"), LEADS),
    "agree for them": ("story", _press(Action.AGREE_FOR, "1", "a1", "agree"), LEADS),
    "endorse for them": ("commit", _press(Action.ENDORSE_FOR, "1", "{cid}"), LEADS),
    "erase someone added: yes": ("story", _press(Action.REMOVE, "1", "1"), LEADS),
    "erase someone added: no": ("story", _press(Action.REMOVE, "1", "0"), NOBODY),
}  # fmt: skip


def test_the_matrix_covers_every_command_and_button() -> None:
    named = {a.split(" (")[0] for a in (*GROUP_ACTS, *PERSONAL_ACTS) if a.startswith("/")}
    assert named == {f"/{c.name}" for c in COMMANDS}
    group = {a.split(" (")[0] for a in GROUP_ACTS if a.startswith("/")}
    assert group == {f"/{c.name}" for c in COMMANDS if c.place is Place.GROUP}
    private = {a.split(" (")[0] for a in PERSONAL_ACTS if a.startswith("/")}
    assert private == {f"/{c.name}" for c in COMMANDS if c.place is Place.PRIVATE}
    pressed = {
        action
        for _, act, _ in PERSONAL_ACTS.values()
        for action in Action
        if act.__closure__ and action in [c.cell_contents for c in act.__closure__]
    }
    assert pressed == set(Action)


# --- the check ------------------------------------------------------------------------------


def _comparable(state: SessionState) -> dict[str, Any]:
    """The session as it matters: everything but the ids of the updates applied."""
    return state.model_dump(exclude={"applied"})


def _audit(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT * FROM audit ORDER BY rowid").fetchall()
        columns = [c[1] for c in conn.execute("PRAGMA table_info(audit)")]
    conn.close()
    assert not {"text", "text_enc", "detail"} & set(columns)  # an audit row holds no text
    return rows


# The facilitators' acts: audited with their actor when carried out, without when refused.
PRIVILEGED = {
    "/next", "/back", "/pause", "/resume", "/status", "/nudge", "/summary", "/cofacilitate",
    "/end", "nudge button", "End the session", "/charter", "/language (group)",
    "session language", "play a voice answer", "card for someone added", "choose for them",
    "agree for them", "endorse for them", "erase someone added: yes",
}  # fmt: skip


async def _run(actor: str, name: str, act_: tuple[str, Act, set[str]], tmp_path: Path) -> None:
    scene, act, allowed = act_
    bot = await _copy_of(scene, tmp_path)
    try:
        before = _comparable(await bot.state())
        audit_before = len(_audit(bot.store.path))
        await act(bot, actor)
        after = _comparable(await bot.state())
        new_rows = _audit(bot.store.path)[audit_before:]
    finally:
        await stop_bot(bot)
    person = ACTORS[actor]
    audited = person is not None and any(r[3] == person.user_id for r in new_rows)
    acted = after != before or audited
    assert acted == (actor in allowed), f"{actor}: {'acted' if acted else 'nothing happened'}"
    if name in PRIVILEGED:  # on record either way; a refusal without who was refused
        assert [r[4].endswith(".refused") for r in new_rows] == [actor not in allowed]
    assert all(r[3] is None for r in new_rows if r[4].endswith(".refused"))
    if actor not in allowed:
        assert after == before and not audited


@pytest.mark.parametrize("act_name", list(GROUP_ACTS))
@pytest.mark.parametrize("actor", list(ACTORS))
async def test_group_acts(actor: str, act_name: str, tmp_path: Path) -> None:
    await _run(actor, act_name, GROUP_ACTS[act_name], tmp_path)


@pytest.mark.parametrize("act_name", list(PERSONAL_ACTS))
@pytest.mark.parametrize("actor", [a for a in ACTORS if a not in AS_A_CHAT])
async def test_personal_acts(actor: str, act_name: str, tmp_path: Path) -> None:
    await _run(actor, act_name, PERSONAL_ACTS[act_name], tmp_path)
