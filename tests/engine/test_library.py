"""Every script in ``dialogues/`` can be walked from start to end by the engine."""

from __future__ import annotations

import pytest

from bot.dialogues import Library
from bot.engine import events as ev
from bot.engine.effects import Edit, Notice, SummaryView
from bot.engine.script import CHOICE_KINDS, Channel, Script, StageKind
from bot.engine.state import Status

from .helpers import FAC, LEAD, POL, RES, Driver, keyed, replies, told

LIBRARY = Library.load()


@pytest.mark.parametrize("script_id", LIBRARY.ids())
def test_a_whole_session_runs_through_the_script(script_id: str) -> None:
    script: Script = LIBRARY[script_id]
    d = Driver(script)
    d.open(FAC)
    for user in (POL, RES, LEAD):
        d.join(user)
    for stage in script.stages:
        d.advance()
        assert d.current == stage.id
        text = "x" * stage.min_length
        if stage.kind is StageKind.TEXT:
            for user in (POL, RES):
                channel = "group" if Channel.GROUP in stage.channels else "private"
                assert told(d.answer(user, stage.id, text, channel=channel), user) == []
                if channel == "private":
                    assert replies(d.share(user, "facilitators")) == [Notice.SHARED]
        elif stage.kind in CHOICE_KINDS:
            option = stage.options[0].id
            effects = d.do(ev.ChoiceToggled, actor=POL, stage_id=stage.id, option_id=option)
            assert replies(effects) == [Notice.DONE]
        elif stage.kind is StageKind.COMMITMENT:
            d.answer(POL, stage.id, text)
            cid = d.state.commitments[-1].id
            d.do(ev.CommitmentOwnerSet, actor=POL, commitment_id=cid, owner="both")
            d.do(ev.CommitmentDueSet, actor=POL, commitment_id=cid, due="1m")
            for user in (POL, RES):
                d.do(ev.EndorsementToggled, actor=user, commitment_id=cid)
        elif stage.kind is StageKind.REVIEW:
            assert replies(d.do(ev.QuoteConsentSet, actor=POL, allow=True)) == [
                Notice.QUOTE_CONSENT_SAVED
            ]
    assert told(d.advance(), FAC) == [Notice.AT_LAST_STAGE]
    effects = d.do(ev.Ended, actor=FAC, confirmed=True)
    assert d.state.status is Status.ENDED
    (summary,) = [e for e in keyed(effects, "summary") if isinstance(e, Edit)]
    assert isinstance(summary.view, SummaryView)
    result = summary.view.summary
    assert result.final
    assert result.participants.total == 3
    inputs = [s for s in script.stages if s.takes_input and s.in_summary]
    assert [b.stage_id for b in result.balance] == [s.id for s in inputs]
    if any(s.kind is StageKind.COMMITMENT for s in script.stages):
        assert result.commitments[0].shared
