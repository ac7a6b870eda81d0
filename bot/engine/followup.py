"""What a follow-up session goes through: the group's earlier commitments.

Pure: the shell hands over the states of the sessions the group held before (oldest first) and
gets the copies a new follow-up session starts with. Every commitment of the latest session
that made any comes back, whatever its status (a group may want to say what got done), and
with it those of older sessions still not done or dropped; at most ``MAX_EARLIER``, the most
recent, so a meeting can get through them.
"""

from __future__ import annotations

from bot.engine.state import SETTLED, Commitment, EarlierCommitment, SessionState

MAX_EARLIER = 12


def earlier_commitments(states: list[SessionState]) -> list[EarlierCommitment]:
    made = [s for s in states if s.commitments]
    if not made:
        return []
    *older, last = made
    picked: list[tuple[str, Commitment]] = [
        (s.session_id, c) for s in older for c in s.commitments if c.status not in SETTLED
    ]
    picked += [(last.session_id, c) for c in last.commitments]
    return [
        EarlierCommitment(
            key=f"e{n}",
            origin=origin,
            commitment_id=c.id,
            text=c.text,
            owner=c.owner,
            due_date=c.due_date,
            created_at=c.created_at,
            history=list(c.history),
        )
        for n, (origin, c) in enumerate(picked[-MAX_EARLIER:], start=1)
    ]
