"""The storage contract, black-box, for every backend registered in tests/storage/backends.py.

Only the public methods of ``StoreContract``/``TxContract`` are used: no SQL, no ``_private``
method, nothing that knows how a backend keeps its rows. Every state comes from the real engine
running the default script. What was written is read back twice: in the same store (where a
cache could answer) and after closing and reopening it (where only what was kept can answer),
so a store that remembers in memory something it did not keep, or keeps something it then
forgets it changed, fails here.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.dialogues import DEFAULT_SCRIPT, Library
from bot.engine import events as ev
from bot.engine.machine import new_session, step
from bot.engine.script import Channel
from bot.engine.state import Agreement, Due, Owner, Progress, Role, SessionState, Visibility
from bot.storage import Note, Settlement, Sighting, StorageError
from bot.storage.contract import StoreContract
from tests.engine.helpers import FAC, LEAD, NOW, POL, RES, RES2, Driver
from tests.storage.backends import BackendStore

SCRIPT = Library.load()[DEFAULT_SCRIPT]
CHAT, OTHER_CHAT, NEW_CHAT = -100_501, -100_502, -100_503
GONE, FAC2 = 7_800_008, 7_900_009
LATER = NOW + timedelta(days=400)  # after every reminder the runs schedule


class Boom(Exception):
    """Raised inside a transaction to roll it back."""


class Run:
    """The default script driven by the real engine, an event a minute; keeps every state,
    every event with its moment (to replay it elsewhere) and named milestones."""

    def __init__(self, session_id: str) -> None:
        self.driver = Driver(SCRIPT, session_id)
        self.states: list[SessionState] = []
        self.log: list[tuple[Any, datetime]] = []
        self.milestones: list[tuple[str, SessionState]] = []

    @property
    def state(self) -> SessionState:
        return self.driver.state

    def do(self, event_type: type[Any], **fields: Any) -> None:
        self.driver.tick()
        event = self.driver.event(event_type, **fields)
        self.log.append((event, self.driver.now))
        self.driver.apply(event)
        self.states.append(self.driver.state)

    def goto(self, stage_id: str) -> None:
        while self.driver.current != stage_id:
            self.do(ev.Advanced, actor=FAC)

    def answer(self, user: int, stage_id: str, text: str, **fields: Any) -> str:
        self.do(ev.Answered, actor=user, stage_id=stage_id, text=text, **fields)
        return self.state.answers[-1].id if self.state.answers else ""

    def mark(self, label: str) -> None:
        self.milestones.append((label, self.state))


def default_run(session_id: str = "s1") -> Run:
    """A whole session of the default script with every kind of row the store keeps."""
    r = Run(session_id)
    r.do(ev.Opened, actor=FAC)
    r.do(ev.FacilitatorAdded, actor=FAC, user_id=FAC2)
    for user, name, role in (
        (POL, "Officer Kwizera", Role.POLICE),
        (RES, "Zawadi Quill", Role.RESIDENT),
        (LEAD, "Elder Ntwari", Role.LEADER),
        (RES2, "Aline Bizimana", Role.RESIDENT),
        (GONE, "Jean Gone", Role.RESIDENT),
    ):
        r.do(ev.Joined, actor=user)
        r.do(ev.Consented, actor=user, accept=True, name=name)
        r.do(ev.RoleChosen, actor=user, role=role)
    r.mark("lobby")
    r.goto("introductions")
    r.answer(POL, "introductions", "I work at the post by the market.", source_ref="m:1")
    r.answer(RES, "introductions", "I sell cloth near the bus stop.")
    r.mark("answers added")
    r.answer(LEAD, "introductions", "ok")  # small talk: kept as a draft, not counted
    r.mark("a draft made in the group")
    r.do(ev.AnswerKept, actor=LEAD)
    r.mark("the draft kept as an answer")
    r.do(ev.AnswerEdited, actor=POL, source_ref="m:1", text="I work at the police post.")
    r.mark("an answer edited")
    r.goto("safe_story")
    r.answer(
        RES, "safe_story", "The night the neighbours walked me home.", channel=Channel.PRIVATE
    )
    r.answer(LEAD, "safe_story", "The day the market reopened.", channel=Channel.PRIVATE)
    r.mark("private drafts made")
    r.do(ev.ShareChosen, actor=RES, visibility=Visibility.NAMED)
    r.mark("a draft shared")
    r.answer(GONE, "safe_story", "When my brother came back.")
    r.goto("unsafe_story")
    r.answer(RES2, "unsafe_story", "A theft at the well.", channel=Channel.PRIVATE)
    r.do(ev.ShareChosen, actor=RES2, visibility=Visibility.ANONYMOUS)
    r.mark("an anonymous story")
    r.goto("dimensions")
    for user, option in ((POL, "trust"), (RES, "theft"), (RES, "land"), (GONE, "gbv")):
        r.do(ev.ChoiceToggled, actor=user, stage_id="dimensions", option_id=option)
    r.mark("choices made")
    r.do(ev.ChoiceToggled, actor=RES, stage_id="dimensions", option_id="land")
    r.mark("a choice taken back")
    r.do(ev.RoleChangeAsked, actor=RES2)
    r.do(ev.RoleChosen, actor=RES2, role=Role.LEADER)
    r.mark("role changed")
    r.goto("vision")
    statement = r.answer(POL, "vision", "Patrols on foot, greeting people by name.")
    r.answer(GONE, "vision", "Lights on every road.")
    r.do(ev.AgreementSet, actor=LEAD, answer_id=statement, vote=Agreement.AGREE)
    r.do(ev.AgreementSet, actor=GONE, answer_id=statement, vote=Agreement.UNSURE)
    r.mark("votes cast")
    r.do(ev.AgreementSet, actor=LEAD, answer_id=statement, vote=Agreement.DISAGREE)
    r.mark("a vote replaced")
    r.goto("contributions")
    r.answer(RES, "contributions", "I can lend the church hall.")
    r.do(ev.PersonAdded, actor=FAC, name="Mama Claudine", role=Role.RESIDENT)
    r.do(ev.AnsweredFor, actor=FAC, number=1, text="I know every family on the hill.")
    r.mark("an answer given for someone without a phone")
    r.goto("commitments")
    r.answer(RES, "commitments", "Light the path by the school.")
    cid = r.state.commitments[-1].id
    r.do(ev.CommitmentOwnerSet, actor=RES, commitment_id=cid, owner=Owner.BOTH)
    r.do(ev.CommitmentDueSet, actor=RES, commitment_id=cid, due=Due.THREE_MONTHS)
    r.mark("a commitment made")
    r.do(ev.EndorsementToggled, actor=POL, commitment_id=cid)
    r.do(ev.EndorsementToggled, actor=GONE, commitment_id=cid)
    r.mark("a commitment endorsed")
    r.answer(GONE, "commitments", "A football match, police against residents.")
    r.do(ev.MemberLeft, user_id=RES2)
    r.mark("someone left the group")
    r.do(ev.ParticipantErased, actor=GONE)
    r.mark("a participant erased")
    r.goto("review")
    r.do(ev.QuoteConsentSet, actor=RES, allow=True)
    r.do(ev.QuoteConsentSet, actor=POL, allow=False)
    r.goto("closing")
    r.do(ev.Ended, actor=FAC, confirmed=True)
    r.mark("ended")
    r.do(ev.CommitmentStatusReported, actor=RES, commitment_id=cid, status=Progress.IN_PROGRESS)
    r.mark("a commitment's progress reported after the end")
    return r


_RUN = default_run()


def test_the_run_holds_every_kind_of_row() -> None:
    """The builder itself: if the engine refused a step, the contract tests would test less."""
    states = dict(_RUN.milestones)
    assert states["a draft made in the group"].drafts[LEAD].in_group
    assert set(states["private drafts made"].drafts) == {RES, LEAD}
    assert RES not in states["a draft shared"].drafts
    assert states["an answer edited"].answers[0].edited_at is not None
    assert states["role changed"].participants[RES2].role is Role.LEADER
    votes = states["a vote replaced"].agreements
    assert [dict(v) for v in votes.values()] == [
        {LEAD: Agreement.DISAGREE, GONE: Agreement.UNSURE}
    ]
    assert states["a commitment endorsed"].commitments[0].endorsers == [POL, GONE]
    assert states["someone left the group"].participants[RES2].left
    erased = states["a participant erased"]
    assert GONE not in erased.participants and all(a.user_id != GONE for a in erased.answers)
    final = _RUN.state
    assert final.status.value == "ended" and final.commitments[0].history
    assert len(final.facilitators) == 2 and final.choices["dimensions"]
    assert any(p.user_id < 0 for p in final.participants.values())  # added without a phone


# --- helpers ---------------------------------------------------------------------------------


async def save(
    store: StoreContract, state: SessionState, chat: int = CHAT, thread: int | None = None
) -> None:
    async with store.write() as tx:
        await tx.save_state(state, chat, thread)


async def load(store: StoreContract, session_id: str) -> SessionState | None:
    """The state as a write transaction and as a read snapshot see it: they must agree."""
    async with store.write() as tx:
        written = await tx.load_state(session_id)
    async with store.read() as tx:
        read = await tx.load_state(session_id)
    assert read == written
    return written


async def holds(backend: BackendStore, expected: dict[str, SessionState | None]) -> None:
    """Each session loads as expected in the same store, then after reopening it."""
    for reopened in (False, True):
        if reopened:
            await backend.reopen()
        for session_id, state in expected.items():
            assert await load(backend.store, session_id) == state, (session_id, reopened)


async def twice(backend: BackendStore) -> AsyncIterator[StoreContract]:
    """The store now, then the same store reopened: for checks that must hold in both."""
    yield backend.store
    yield await backend.reopen()


# --- sessions --------------------------------------------------------------------------------


async def test_every_state_of_a_real_run_round_trips(backend: BackendStore) -> None:
    store = backend.store
    assert await load(store, "s1") is None
    for n, state in enumerate(_RUN.states):
        await save(store, state)
        assert await load(store, "s1") == state, n
        if n % 15 == 0:
            store = await backend.reopen()
            assert await load(store, "s1") == state, n
    await holds(backend, {"s1": _RUN.state, "unknown": None})


async def test_load_step_save_as_the_service_does(backend: BackendStore) -> None:
    """Each event applied to the state the store hands back, in one transaction, gives the same
    states as the engine alone; the states the store returns are fit to step from."""
    for n, (event, now) in enumerate(_RUN.log):
        async with backend.store.write() as tx:
            state = await tx.load_state("s1") or new_session("s1", SCRIPT)
            state, _ = step(SCRIPT, state, event, now)
            await tx.save_state(state, CHAT, None)
        assert await load(backend.store, "s1") == _RUN.states[n], n
    await holds(backend, {"s1": _RUN.state})


async def test_each_save_derived_from_the_last_loads_back_after_reopening(
    backend: BackendStore,
) -> None:
    """Answers added, one taken out, drafts made and dropped, a role changed, votes replaced, a
    commitment endorsed, a participant erased: after every save, and after every reopening."""
    for label, state in _RUN.milestones:
        await save(backend.store, state)
        await holds(backend, {"s1": state})
        if label == "answers added":  # no event takes one answer out alone; the store must
            fewer = state.model_copy(update={"answers": state.answers[1:]})
            await save(backend.store, fewer)
            await holds(backend, {"s1": fewer})


async def test_a_rolled_back_write_leaves_nothing(backend: BackendStore) -> None:
    """Nothing of a transaction that raised is seen afterwards, in the same store or after
    reopening: not the state, an outbox row, a reminder, an audit line, a binding, a language,
    the group's name or a processed mark; and the next save starts from what was kept."""
    store = backend.store
    states = dict(_RUN.milestones)
    base, changed, later = states["lobby"], states["answers added"], states["choices made"]
    await save(store, base)
    assert await store.inbox_add(41, {"update_id": 41}, NOW)
    await asyncio.sleep(0.002)
    before_audit = datetime.now(UTC)
    await asyncio.sleep(0.002)

    async def everything_then_fail() -> None:
        async with store.write() as tx:
            await tx.save_state(changed, CHAT, None)
            assert await tx.load_state("s1") == changed  # a transaction reads its own writes
            await tx.enqueue("s1", {"op": "send", "text": "never"})
            await tx.schedule("s1", "nudge:introductions", NOW, {"type": "reminder_due"})
            await tx.audit("s1", POL, "answer.given")
            await tx.bind_private(POL, "s1")
            await tx.set_user_language(POL, "rn")
            await tx.set_chat_title("s1", "Never named")
            await tx.mark_processed(41)
            raise Boom

    with pytest.raises(Boom):
        await everything_then_fail()
    async for store in twice(backend):
        assert await load(store, "s1") == base
        assert await store.outbox_pending() == []
        assert await store.due_reminders(LATER) == []
        assert await store.idle_sessions(before_audit + timedelta(days=1), 1) == ["s1"]
        assert [uid for uid, _ in await store.inbox_pending()] == [41]
        async with store.read() as tx:
            assert await tx.private_binding(POL) is None
            assert await tx.user_language(POL) is None
            assert await tx.chat_title("s1") is None
    async with backend.store.write() as tx:  # the audit check above can see an audit line
        await tx.audit("s1", POL, "answer.given")
    assert await backend.store.idle_sessions(before_audit + timedelta(days=1), 1) == []
    await save(backend.store, later)
    await holds(backend, {"s1": later})


async def test_a_write_that_raised_after_a_save_does_not_leak_into_the_next(
    backend: BackendStore,
) -> None:
    """Saved twice in a transaction that raised, then a load and a save in the next ones."""
    milestones = [state for _, state in _RUN.milestones]

    async def save_twice_then_fail(state: SessionState) -> None:
        async with backend.store.write() as tx:
            await tx.save_state(_RUN.state, CHAT, None)
            await tx.save_state(state, CHAT, None)
            raise Boom

    await save(backend.store, milestones[0])
    for state in milestones[1:]:
        with pytest.raises(Boom):
            await save_twice_then_fail(state)
        await save(backend.store, state)
        assert await load(backend.store, "s1") == state
    await holds(backend, {"s1": milestones[-1]})


async def test_a_transaction_is_over_when_its_block_ends(backend: BackendStore) -> None:
    async with backend.store.write() as tx:
        pass
    with pytest.raises(StorageError):
        await tx.save_state(_RUN.state, CHAT, None)
    async with backend.store.read() as tx:
        pass
    with pytest.raises(StorageError):
        await tx.load_state("s1")
    await holds(backend, {"s1": None})


async def test_two_sessions_in_two_chats_keep_apart(backend: BackendStore) -> None:
    """The same people and the same event ids in two groups: nothing of one is in the other."""
    other = default_run("s2")
    topic = default_run("s3")
    store = backend.store
    for mine, theirs in zip(_RUN.milestones, other.milestones, strict=True):
        await save(store, mine[1], CHAT)
        await save(store, theirs[1], OTHER_CHAT)
        await save(store, topic.states[0], CHAT, 7)
        assert await load(store, "s1") == mine[1]
        assert await load(store, "s2") == theirs[1]
    await holds(backend, {"s1": _RUN.state, "s2": other.state, "s3": topic.states[0]})


async def test_session_lookups(backend: BackendStore) -> None:
    store = backend.store
    ended, running = _RUN.state, dict(_RUN.milestones)["a vote replaced"]
    await save(store, ended, CHAT)
    await save(store, running.model_copy(update={"session_id": "s2"}), CHAT)
    await save(store, running.model_copy(update={"session_id": "s3"}), CHAT, 7)
    await save(store, running.model_copy(update={"session_id": "s4"}), OTHER_CHAT)
    async with store.write() as tx:
        await tx.set_chat_title("s1", "Kamenge neighbours")
    async for store in twice(backend):
        async with store.read() as tx:
            assert await tx.session_for_chat(CHAT, None) == "s2"  # the one not ended
            assert await tx.session_for_chat(CHAT, 7) == "s3"
            assert await tx.session_for_chat(NEW_CHAT, None) is None
            assert await tx.latest_session(CHAT, None) == "s2"
            assert await tx.last_ended_session(CHAT, None) == "s1"
            assert await tx.last_ended_session(CHAT, 7) is None
            assert await tx.sessions_in_chat(CHAT) == ["s2", "s3"]
            assert await tx.sessions_of_place(CHAT, None) == ["s1", "s2"]
            assert await tx.all_sessions() == ["s1", "s2", "s3", "s4"]
            recent = await tx.recent_sessions(limit=2)
            assert [(sid, script, status) for sid, script, status, _ in recent] == [
                ("s4", SCRIPT.id, "running"),
                ("s3", SCRIPT.id, "running"),
            ]
            assert await tx.session_chat("s3") == (CHAT, 7)
            assert await tx.session_chat("nope") is None
            assert await tx.chat_title("s1") == "Kamenge neighbours"
            assert await tx.chat_title("s2") is None
            assert await tx.sessions_of_user(GONE) == ["s2", "s3", "s4"]  # erased from s1
            assert await tx.sessions_of_user(POL) == ["s1", "s2", "s3", "s4"]


# --- intake ----------------------------------------------------------------------------------


async def test_inbox_keeps_arrival_order_and_each_id_once(backend: BackendStore) -> None:
    store = backend.store
    ids = [900, 12, 450, 7]  # update ids are not monotonic: arrival order is the order
    for n, uid in enumerate(ids):
        assert await store.inbox_add(uid, {"update_id": uid, "text": f"é{n} ✓"}, NOW)
    assert not await store.inbox_add(12, {"update_id": 12, "text": "again"}, NOW)
    async with store.write() as tx:
        await tx.mark_processed(450)
    await store.inbox_set_aside(900, reason="unparseable")
    with pytest.raises(ValueError, match="code"):
        await store.inbox_set_aside(12, reason="a sentence, not a code")
    async for store in twice(backend):
        assert await store.inbox_pending() == [
            (12, {"update_id": 12, "text": "é1 ✓"}),
            (7, {"update_id": 7, "text": "é3 ✓"}),
        ]
        for uid in ids:  # processed or set aside, an id is still refused
            assert not await store.inbox_add(uid, {"update_id": uid}, NOW)


async def test_status_counts(backend: BackendStore) -> None:
    store = backend.store
    empty = await store.status(NOW)
    assert (empty.pending_outbox, empty.unprocessed_updates, empty.dropped_updates) == (0, 0, 0)
    assert (empty.set_aside_outbox, empty.set_aside_updates, empty.last_errors) == ({}, {}, {})
    assert empty.oldest_unprocessed_age is None
    for uid, at in ((1, NOW - timedelta(minutes=5)), (2, NOW), (3, NOW)):
        await store.inbox_add(uid, {"update_id": uid}, at)
    await store.inbox_set_aside(3, reason="unparseable")
    async with store.write() as tx:
        rows = [await tx.enqueue("s1", {"op": f"send{n}"}) for n in range(4)]
    await store.set_aside(rows[0], reason="BadRequest")
    await store.set_aside(rows[1], reason="http_500", unconfirmed=True)
    await store.count_dropped(2)
    await store.count_dropped(1)
    async for store in twice(backend):
        found = await store.status(NOW)
        assert found.pending_outbox == 2
        assert found.set_aside_outbox == {"BadRequest": 1, "http_500": 1}
        assert found.unconfirmed_outbox == 1
        assert found.unprocessed_updates == 2
        assert found.oldest_unprocessed_age == timedelta(minutes=5)
        assert found.set_aside_updates == {"unparseable": 1}
        assert found.dropped_updates == 3
        assert set(found.last_errors) == {"outbox", "update"}
        assert found.last_errors["update"].reason == "unparseable"


# --- outbox ----------------------------------------------------------------------------------


async def test_outbox_order_done_set_aside_replace(backend: BackendStore) -> None:
    store = backend.store
    async with store.write() as tx:
        first = await tx.enqueue("s1", {"op": "send", "text": "one ✓"})
        second = await tx.enqueue(None, {"op": "answer"})
    async with store.write() as tx:
        third = await tx.enqueue("s2", {"op": "edit", "n": 3})
        fourth = await tx.enqueue("s1", {"op": "pin"})
    assert first < second < third < fourth
    assert [row for row, _, _ in await store.outbox_pending(limit=2)] == [first, second]
    await store.outbox_done(second)
    await store.set_aside(third, reason="Forbidden")
    await store.set_aside(third, reason="Forbidden")  # already gone: nothing happens
    with pytest.raises(ValueError, match="code"):
        await store.set_aside(fourth, reason="not a code!")
    await store.outbox_replace(first, {"op": "send", "text": "one, shorter"})
    with pytest.raises(StorageError):
        await store.outbox_replace(third, {"op": "send"})
    async for store in twice(backend):
        assert await store.outbox_pending() == [
            (first, "s1", {"op": "send", "text": "one, shorter"}),
            (fourth, "s1", {"op": "pin"}),
        ]
    await backend.store.outbox_done(first)
    await backend.store.outbox_done(fourth)
    async for store in twice(backend):
        assert await store.outbox_pending() == []
        assert (await store.status(NOW)).set_aside_outbox == {"Forbidden": 1}


async def test_the_outbox_is_read_from_where_the_reader_left_off(backend: BackendStore) -> None:
    async with backend.store.write() as tx:
        ids = [await tx.enqueue("s1", {"op": "send", "n": n}) for n in range(5)]
        elsewhere = await tx.enqueue("s2", {"op": "send", "n": 5})
    await backend.store.outbox_done(ids[1])
    async for store in twice(backend):
        assert [row for row, _, _ in await store.outbox_after(0, 2)] == [ids[0], ids[2]]
        assert [(row, p["n"]) for row, _, p in await store.outbox_after(ids[2], 10)] == [
            (ids[3], 3),
            (ids[4], 4),
            (elsewhere, 5),
        ]
        assert await store.outbox_after(elsewhere) == []
        assert await store.outbox_count(ids[3]) == 3
        assert await store.outbox_ids(ids[3]) == {ids[0], ids[2], ids[3]}
        assert await store.outbox_of("s2") == [(elsewhere, "s2", {"op": "send", "n": 5})]
        assert [row for row, _, _ in await store.outbox_of("s1")] == [ids[0], *ids[2:]]


async def test_settlements_keep_notes_and_settle_rows(backend: BackendStore) -> None:
    async with backend.store.write() as tx:
        sent, waits, refused, gone = [await tx.enqueue("s1", {"op": "send"}) for _ in range(4)]
    await backend.store.remember_message("s1", "card", CHAT, 70)
    await backend.store.remember_message("s1", "old", CHAT, 60)
    with pytest.raises(ValueError, match="code"):  # nothing of a refused batch is written
        await backend.store.settle(
            [
                Settlement(sent, (Note("s1", "prompt", Sighting.KNOWN, CHAT, 71),)),
                Settlement(refused, reason="Amani said: the road is unsafe"),
            ]
        )
    assert await backend.store.sighting("s1", "prompt") is Sighting.NONE
    await backend.store.settle(
        [
            Settlement(sent, (Note("s1", "prompt", Sighting.KNOWN, CHAT, 71),)),
            # a long message's first part went out, the rest waits
            Settlement(waits, (Note("s1", "long", Sighting.POSTED, CHAT),), done=False),
            Settlement(
                refused,
                (Note("s1", "card", Sighting.PERHAPS, CHAT), Note("s1", "old", Sighting.NONE)),
                reason="TimedOut",
                unconfirmed=True,
            ),
            Settlement(gone),
            Settlement(gone),  # settled twice: harmless
        ]
    )
    async for store in twice(backend):
        assert [row for row, _, _ in await store.outbox_pending()] == [waits]
        assert await store.message_ref("s1", "prompt") == (CHAT, 71)
        assert await store.sighting("s1", "long") is Sighting.POSTED
        assert await store.message_ref("s1", "card") == (CHAT, 70)  # a marker never hides an id
        assert await store.sighting("s1", "old") is Sighting.NONE
        status = await store.status(NOW)
        assert (status.set_aside_outbox, status.unconfirmed_outbox) == ({"TimedOut": 1}, 1)


# --- live messages and reminders ---------------------------------------------------------------


async def test_messages_and_sightings(backend: BackendStore) -> None:
    store = backend.store
    await store.remember_message("s1", "summary", CHAT, 501)
    await store.remember_message("s2", "summary", OTHER_CHAT, 501)  # same key, other session
    await store.remember_message("s1", "prompt:vision", CHAT, 502)
    await store.remember_message("s1", "prompt:vision", CHAT, 503)  # posted again: replaced
    await store.remember_unsure("s1", "welcome", CHAT, posted=True)
    await store.remember_unsure("s1", "share:a9", CHAT, posted=False)
    await store.remember_unsure("s1", "summary", CHAT, posted=False)  # a known id is kept
    await store.remember_unsure("s1", "commitment:c1", CHAT, posted=False)
    await store.remember_message("s1", "commitment:c1", CHAT, 504)  # then it came: replaced
    await store.remember_message("s1", "gone", CHAT, 505)
    await store.forget_message("s1", "gone")
    async for store in twice(backend):
        assert await store.message_ref("s1", "summary") == (CHAT, 501)
        assert await store.message_ref("s2", "summary") == (OTHER_CHAT, 501)
        assert await store.message_ref("s1", "prompt:vision") == (CHAT, 503)
        assert await store.message_key(CHAT, 503) == ("s1", "prompt:vision")
        assert await store.message_key(CHAT, 502) is None
        assert await store.message_key(OTHER_CHAT, 501) == ("s2", "summary")
        assert await store.message_ref("s1", "welcome") is None
        assert await store.message_ref("s1", "gone") is None
        sightings = {
            key: await store.sighting("s1", key)
            for key in ("summary", "welcome", "share:a9", "commitment:c1", "gone", "never")
        }
        assert sightings == {
            "summary": Sighting.KNOWN,
            "welcome": Sighting.POSTED,
            "share:a9": Sighting.PERHAPS,
            "commitment:c1": Sighting.KNOWN,
            "gone": Sighting.NONE,
            "never": Sighting.NONE,
        }
        assert [await store.unsure("s1", key) for key in sightings] == [
            False,
            True,
            True,
            False,
            False,
            False,
        ]


async def test_reminders_schedule_replace_cancel_due(backend: BackendStore) -> None:
    store = backend.store
    async with store.write() as tx:
        await tx.schedule("s1", "nudge:vision", NOW + timedelta(minutes=10), {"n": 1})
        await tx.schedule("s1", "timebox:vision", NOW + timedelta(minutes=30), {"n": 2})
        await tx.schedule("s2", "nudge:vision", NOW + timedelta(minutes=5), {"n": 3})
        await tx.schedule("s1", "due:c1", NOW + timedelta(days=90), {"n": 4})
    async with store.write() as tx:
        await tx.schedule("s1", "nudge:vision", NOW + timedelta(minutes=20), {"n": 5})
        await tx.cancel("s1", "timebox:vision")
        await tx.cancel("s1", "never-scheduled")
    async for store in twice(backend):
        assert await store.due_reminders(NOW) == []
        assert await store.due_reminders(NOW + timedelta(minutes=40)) == [
            ("s2", "nudge:vision", {"n": 3}),
            ("s1", "nudge:vision", {"n": 5}),
        ]
        assert len(await store.due_reminders(LATER)) == 3


async def test_private_bindings_and_languages(backend: BackendStore) -> None:
    store = backend.store
    many = list(range(1, 1201))  # more than one query's worth of ids
    async with store.write() as tx:
        await tx.bind_private(POL, "s1")
        await tx.bind_private(RES, "s1")
        await tx.bind_private(POL, "s2")  # a person talks privately about one session
        await tx.set_user_language(POL, "fr")
        await tx.set_user_language(POL, "rn")
        await tx.set_user_language(RES, "sw")
        for uid in many[::100]:
            await tx.set_user_language(uid, "en")
    async for store in twice(backend):
        async with store.read() as tx:
            assert await tx.private_binding(POL) == "s2"
            assert await tx.private_binding(RES) == "s1"
            assert await tx.private_binding(LEAD) is None
            assert await tx.user_language(POL) == "rn"
            assert await tx.user_language(LEAD) is None
            assert await tx.user_languages([POL, RES, LEAD]) == {POL: "rn", RES: "sw"}
            assert await tx.user_languages(many) == {uid: "en" for uid in many[::100]}


# --- people and retention ----------------------------------------------------------------------


async def test_forget_user_removes_the_person_from_every_session(backend: BackendStore) -> None:
    """Forgotten in every session, also in one the engine never stepped the erasure in, and a
    later load (same store, then reopened) no longer names them; everyone else is kept."""
    states = dict(_RUN.milestones)
    first = states["a commitment endorsed"]  # GONE answered, voted, chose and endorsed
    second = dict(default_run("s2").milestones)["someone left the group"]  # GONE proposed
    store = backend.store
    await save(store, first, CHAT)
    await save(store, second, OTHER_CHAT)
    async with store.write() as tx:
        await tx.bind_private(GONE, "s1")
        await tx.set_user_language(GONE, "sw")
        await tx.audit("s1", GONE, "answer.given")
    assert await load(store, "s1") == first  # a cache, if any, now holds the person
    async with store.write() as tx:
        await tx.forget_user(GONE)
    await store.checkpoint()
    async for store in twice(backend):
        for session_id in ("s1", "s2"):
            state = await load(store, session_id)
            assert state is not None
            assert GONE not in state.participants
            assert all(a.user_id != GONE for a in state.answers)
            assert GONE not in state.drafts
            assert all(GONE not in votes for votes in state.choices.values())
            assert all(GONE not in votes for votes in state.agreements.values())
            assert all(GONE not in c.endorsers for c in state.commitments)
            assert all(c.proposer != GONE for c in state.commitments)
            assert GONE not in state.facilitators
            assert POL in state.participants and any(a.user_id == POL for a in state.answers)
        async with store.read() as tx:
            assert await tx.sessions_of_user(GONE) == []
            assert await tx.private_binding(GONE) is None
            assert await tx.user_language(GONE) is None


async def test_purge_expired_drops_old_stories_and_keeps_commitments(
    backend: BackendStore,
) -> None:
    ended, running = _RUN.state, dict(_RUN.milestones)["a commitment endorsed"]
    running = running.model_copy(update={"session_id": "s2"})
    store = backend.store
    await save(store, ended, CHAT)
    await save(store, running, OTHER_CHAT)
    assert ended.ended_at is not None
    now = ended.ended_at + timedelta(days=91)
    async with store.write() as tx:
        await tx.bind_private(POL, "s1")
        await tx.bind_private(RES, "s2")
        await tx.schedule("s1", "nudge:vision", now, {"n": 1})
        await tx.schedule("s1", f"due:{ended.commitments[0].id}", now, {"n": 2})
        await tx.enqueue("s1", {"op": "send"})
        kept_row = await tx.enqueue("s2", {"op": "send"})
    for uid, age in ((1, timedelta(days=3)), (2, timedelta(days=1)), (3, timedelta(days=3))):
        await store.inbox_add(uid, {"update_id": uid}, now - age)
    async with store.write() as tx:
        await tx.mark_processed(1)
        await tx.mark_processed(2)
    await store.inbox_set_aside(3, reason="unparseable")
    assert await load(store, "s1") == ended
    assert await store.purge_expired(now, days=90) == 1
    purged = ended.model_copy(update={"answers": [], "drafts": {}, "agreements": {}})
    async for store in twice(backend):
        assert await load(store, "s1") == purged
        assert await load(store, "s2") == running
        async with store.read() as tx:
            assert await tx.private_binding(POL) is None
            assert await tx.private_binding(RES) == "s2"
        assert [(s, n) for s, n, _ in await store.due_reminders(now)] == [
            ("s1", f"due:{ended.commitments[0].id}")
        ]
        assert [row for row, _, _ in await store.outbox_pending()] == [kept_row]
        assert await store.purge_expired(now, days=90) == 0
    assert await backend.store.inbox_add(1, {"update_id": 1}, now)  # forgotten after 2 days
    assert not await backend.store.inbox_add(2, {"update_id": 2}, now)
    assert not await backend.store.inbox_add(3, {"update_id": 3}, now)  # set aside: 30 days


async def test_migrate_chat_moves_sessions_and_messages(backend: BackendStore) -> None:
    store = backend.store
    running = dict(_RUN.milestones)["a vote replaced"]
    other = running.model_copy(update={"session_id": "s2"})
    await save(store, running, CHAT)
    await save(store, other, OTHER_CHAT)
    await store.remember_message("s1", "welcome", CHAT, 601)
    async with store.write() as tx:
        await tx.migrate_chat(CHAT, NEW_CHAT)
    async for store in twice(backend):
        assert await load(store, "s1") == running
        async with store.read() as tx:
            assert await tx.session_for_chat(NEW_CHAT, None) == "s1"
            assert await tx.session_for_chat(CHAT, None) is None
            assert await tx.session_for_chat(OTHER_CHAT, None) == "s2"
            assert await tx.session_chat("s1") == (NEW_CHAT, None)
        assert await store.message_ref("s1", "welcome") == (NEW_CHAT, 601)
        assert await store.message_key(NEW_CHAT, 601) == ("s1", "welcome")
        assert await store.message_key(CHAT, 601) is None


async def test_idle_sessions(backend: BackendStore) -> None:
    """Open sessions nobody has acted in for ``days`` days (an audit line without an actor is
    the bot's own doing, not activity)."""
    store = backend.store
    lobby = dict(_RUN.milestones)["lobby"]
    await save(store, lobby)
    await save(store, lobby.model_copy(update={"session_id": "s2"}))
    await save(store, _RUN.state.model_copy(update={"session_id": "s3"}))  # ended: never idle
    await save(store, new_session("s4", SCRIPT))  # never opened
    async with store.write() as tx:
        await tx.audit("s1", None, "reminder.due")
    soon = datetime.now(UTC) + timedelta(days=1)
    async for store in twice(backend):
        assert await store.idle_sessions(soon, 2) == []
        assert await store.idle_sessions(soon + timedelta(days=2), 2) == ["s1", "s2"]
