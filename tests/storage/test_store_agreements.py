"""Votes on the shared vision are kept like every other part of a session, and erased with
the person who cast them."""

from __future__ import annotations

from bot.engine import events as ev
from bot.engine.state import Agreement
from bot.storage import Store
from tests.engine.helpers import FAC, POL, RES, Driver, make_script, stage

CHAT = -100_888


def _voted() -> Driver:
    d = Driver(make_script(stage("dream", "text", agree=True)), session_id="s1")
    d.open(FAC)
    for user in (POL, RES):
        d.join(user)
    d.advance()
    d.answer(POL, "dream", "Officers known by name")
    d.answer(RES, "dream", "Lights on the river path")
    first, second = (a.id for a in d.state.answers)
    for user, answer_id, vote in (
        (POL, first, "agree"),
        (RES, first, "unsure"),
        (POL, second, "disagree"),
    ):
        d.do(ev.AgreementSet, actor=user, answer_id=answer_id, vote=vote)
    return d


async def test_votes_round_trip_and_go_with_the_person_who_cast_them(store: Store) -> None:
    d = _voted()
    async with store.write() as tx:
        await tx.save_state(d.state, CHAT, None)
    async with store.read() as tx:
        loaded = await tx.load_state("s1")
    assert loaded == d.state
    assert loaded is not None and loaded.agreements[d.state.answers[0].id][RES] is Agreement.UNSURE

    d.do(ev.ParticipantErased, actor=POL)
    async with store.write() as tx:
        await tx.save_state(d.state, CHAT, None)
        await tx.forget_user(POL)
        assert await tx.sessions_of_user(POL) == []
        assert await tx.sessions_of_user(RES) == ["s1"]
    async with store.read() as tx:
        assert await tx.load_state("s1") == d.state
