"""The rows a save must write: what differs between the state last stored and the new one.

An update changes one answer, one vote, one pointer; a session holds hundreds of rows. So a
save compares the new state with the one it replaces and writes the difference. The engine
never changes an object of the state it was given (``bot.engine.machine.step``): a model that
is the same object in both states is unchanged, and finding the one new answer among a
60-person session's answers costs a pass of identity checks, with nothing sealed, encrypted or
even read but what changed. Against an empty state, the same functions give every row: that is
how a session is written whole (a new one, or one whose stored form is not known).

Each function returns statements for ``executemany``, deletions before insertions, as
``(sql, rows)``; empty row lists are dropped by the caller. Every free-text value is sealed with
associated data naming its row and author (``Seal``), as ``bot.storage.tx`` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

from bot.engine.state import (
    Answer,
    Commitment,
    Draft,
    EarlierCommitment,
    Participant,
    SessionState,
    StatusChange,
)

Row = tuple[Any, ...]
Statement = tuple[str, list[Row]]
Seal = Callable[[str, str], bytes]
T = TypeVar("T")


def ts(value: datetime) -> str:
    """Fixed-width UTC text, so string comparison in SQL orders instants correctly."""
    if value.tzinfo is None:
        raise ValueError("datetimes stored must be timezone-aware")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def ts_or_none(value: datetime | None) -> str | None:
    return None if value is None else ts(value)


def history_json(history: list[StatusChange]) -> str:
    return json.dumps([{"status": h.status.value, "at": ts(h.at)} for h in history])


def _upsert(table: str, columns: tuple[str, ...], key: tuple[str, ...]) -> str:
    marks = ",".join("?" * len(columns))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
        f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}"
    )


_PARTICIPANT = (
    "session_id",
    "user_id",
    "pos",
    "name_enc",
    "language",
    "consented",
    "consent_version",
    "role",
    "joined_at",
    "quote_consent",
    "role_change",
    "left_group",
)
_ANSWER = (
    "session_id",
    "id",
    "pos",
    "stage_id",
    "user_id",
    "text_enc",
    "visibility",
    "source_ref",
    "via_private",
    "created_at",
    "edited_at",
    "held",
    "about",
)
_DRAFT = (
    "session_id",
    "user_id",
    "stage_id",
    "text_enc",
    "source_ref",
    "created_at",
    "about",
    "in_group",
)
_COMMITMENT = (
    "session_id",
    "id",
    "pos",
    "stage_id",
    "text_enc",
    "proposer",
    "owner",
    "due",
    "due_date",
    "created_at",
    "source_ref",
    "history_json",
    "reminded_at",
)
_EARLIER = (
    "session_id",
    "key",
    "pos",
    "origin",
    "commitment_id",
    "text_enc",
    "owner",
    "due_date",
    "created_at",
    "history_json",
)

UPSERT_PARTICIPANT = _upsert("participants", _PARTICIPANT, ("session_id", "user_id"))
UPSERT_ANSWER = _upsert("answers", _ANSWER, ("session_id", "id"))
UPSERT_DRAFT = _upsert("drafts", _DRAFT, ("session_id", "user_id"))
UPSERT_COMMITMENT = _upsert("commitments", _COMMITMENT, ("session_id", "id"))
UPSERT_EARLIER = _upsert("earlier_commitments", _EARLIER, ("session_id", "key"))


def empty_like(state: SessionState) -> SessionState:
    """A state with nothing in it: what a session is compared with to be written whole."""
    return SessionState(
        session_id=state.session_id, script_id=state.script_id, language=state.language
    )


def session_rows(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    """Every statement that turns the child rows of ``prev`` into those of ``new``."""
    statements = [
        *facilitators(prev, new),
        *participants(prev, new, seal),
        *answers(prev, new, seal),
        *drafts(prev, new, seal),
        *choices(prev, new),
        *agreements(prev, new),
        *commitments(prev, new, seal),
        *earlier(prev, new, seal),
    ]
    return [(sql, rows) for sql, rows in statements if rows]


def _changed(before: dict[Any, T], after: Iterable[tuple[Any, T]]) -> Iterable[tuple[int, Any, T]]:
    """(position, key, item) of the items new, moved or not the very object they were."""
    order = {key: i for i, key in enumerate(before)}
    for i, (key, item) in enumerate(after):
        if before.get(key) is not item or order.get(key) != i:
            yield i, key, item


def facilitators(prev: SessionState, new: SessionState) -> list[Statement]:
    if prev.facilitators == new.facilitators:
        return []
    sid = new.session_id
    return [
        ("DELETE FROM facilitators WHERE session_id = ?", [(sid,)]),
        (
            "INSERT INTO facilitators (session_id, pos, user_id) VALUES (?, ?, ?)",
            [(sid, i, u) for i, u in enumerate(new.facilitators)],
        ),
    ]


def participants(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    sid = new.session_id
    gone = [(sid, uid) for uid in prev.participants if uid not in new.participants]
    rows = [
        _participant(sid, i, p, seal)
        for i, _, p in _changed(prev.participants, new.participants.items())
    ]
    return [
        ("DELETE FROM participants WHERE session_id = ? AND user_id = ?", gone),
        (UPSERT_PARTICIPANT, rows),
    ]


def _participant(sid: str, pos: int, p: Participant, seal: Seal) -> Row:
    return (
        sid,
        p.user_id,
        pos,
        seal(p.name, f"participants|{sid}|{p.user_id}|name"),
        p.language,
        int(p.consented),
        p.consent_version,
        None if p.role is None else p.role.value,
        ts(p.joined_at),
        None if p.quote_consent is None else int(p.quote_consent),
        int(p.role_change),
        int(p.left),
    )


def answers(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    sid = new.session_id
    before = {a.id: a for a in prev.answers}
    kept = {a.id for a in new.answers}
    gone = [(sid, aid) for aid in before if aid not in kept]
    rows = [
        _answer(sid, i, a, seal) for i, _, a in _changed(before, ((a.id, a) for a in new.answers))
    ]
    return [("DELETE FROM answers WHERE session_id = ? AND id = ?", gone), (UPSERT_ANSWER, rows)]


def _answer(sid: str, pos: int, a: Answer, seal: Seal) -> Row:
    return (
        sid,
        a.id,
        pos,
        a.stage_id,
        a.user_id,
        seal(a.text, f"answers|{sid}|{a.id}|{a.user_id}|text"),
        a.visibility.value,
        a.source_ref,
        int(a.via_private),
        ts(a.created_at),
        ts_or_none(a.edited_at),
        int(a.held),
        a.about,
    )


def drafts(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    sid = new.session_id
    gone = [(sid, uid) for uid in prev.drafts if uid not in new.drafts]
    rows = [
        _draft(sid, uid, d, seal) for uid, d in new.drafts.items() if prev.drafts.get(uid) is not d
    ]
    return [
        ("DELETE FROM drafts WHERE session_id = ? AND user_id = ?", gone),
        (UPSERT_DRAFT, rows),
    ]


def _draft(sid: str, uid: int, d: Draft, seal: Seal) -> Row:
    return (
        sid,
        uid,
        d.stage_id,
        seal(d.text, f"drafts|{sid}|{uid}|text"),
        d.source_ref,
        ts(d.created_at),
        d.about,
        int(d.in_group),
    )


def choices(prev: SessionState, new: SessionState) -> list[Statement]:
    """One row per (stage, voter), plus a ``user_id NULL`` row so an emptied tally stays.
    The table has no key (a NULL voter is not unique), so a changed vote is an UPDATE."""
    sid = new.session_id
    gone: list[Row] = [(sid, stage) for stage in prev.choices if stage not in new.choices]
    inserted: list[Row] = []
    updated: list[Row] = []
    removed: list[Row] = []
    for stage, votes in new.choices.items():
        before = prev.choices.get(stage)
        if before is None:
            inserted.append((sid, stage, None, "[]"))
            before = {}
        elif before is votes or before == votes:
            continue
        removed += [(sid, stage, uid) for uid in before if uid not in votes]
        for uid, options in votes.items():
            if uid not in before:
                inserted.append((sid, stage, uid, json.dumps(options)))
            elif before[uid] != options:
                updated.append((json.dumps(options), sid, stage, uid))
    return [
        ("DELETE FROM choices WHERE session_id = ? AND stage_id = ?", gone),
        ("DELETE FROM choices WHERE session_id = ? AND stage_id = ? AND user_id = ?", removed),
        (
            "UPDATE choices SET options_json = ?"
            " WHERE session_id = ? AND stage_id = ? AND user_id = ?",
            updated,
        ),
        (
            "INSERT INTO choices (session_id, stage_id, user_id, options_json) VALUES (?,?,?,?)",
            inserted,
        ),
    ]


def agreements(prev: SessionState, new: SessionState) -> list[Statement]:
    sid = new.session_id
    removed: list[Row] = []
    rows: list[Row] = []
    for answer_id, before in prev.agreements.items():
        after = new.agreements.get(answer_id, {})
        removed += [(sid, answer_id, uid) for uid in before if uid not in after]
    for answer_id, votes in new.agreements.items():
        before = prev.agreements.get(answer_id, {})
        if before is votes or before == votes:
            continue
        rows += [
            (sid, answer_id, uid, vote.value)
            for uid, vote in votes.items()
            if before.get(uid) != vote
        ]
    return [
        ("DELETE FROM agreements WHERE session_id = ? AND answer_id = ? AND user_id = ?", removed),
        (
            "INSERT INTO agreements (session_id, answer_id, user_id, vote) VALUES (?,?,?,?)"
            " ON CONFLICT (session_id, answer_id, user_id) DO UPDATE SET vote = excluded.vote",
            rows,
        ),
    ]


def commitments(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    """A commitment's row and its endorsements; a changed one's endorsements written anew."""
    sid = new.session_id
    before = {c.id: c for c in prev.commitments}
    kept = {c.id for c in new.commitments}
    gone = [(sid, cid) for cid in before if cid not in kept]
    changed = list(_changed(before, ((c.id, c) for c in new.commitments)))
    endorsed = [
        c for _, cid, c in changed if cid not in before or before[cid].endorsers != c.endorsers
    ]
    return [
        ("DELETE FROM endorsements WHERE session_id = ? AND commitment_id = ?", gone),
        ("DELETE FROM commitments WHERE session_id = ? AND id = ?", gone),
        (UPSERT_COMMITMENT, [_commitment(sid, i, c, seal) for i, _, c in changed]),
        (
            "DELETE FROM endorsements WHERE session_id = ? AND commitment_id = ?",
            [(sid, c.id) for c in endorsed if c.id in before],
        ),
        (
            "INSERT INTO endorsements (session_id, commitment_id, pos, user_id) VALUES (?,?,?,?)",
            [(sid, c.id, i, u) for c in endorsed for i, u in enumerate(c.endorsers)],
        ),
    ]


def _commitment(sid: str, pos: int, c: Commitment, seal: Seal) -> Row:
    return (
        sid,
        c.id,
        pos,
        c.stage_id,
        seal(c.text, f"commitments|{sid}|{c.id}|{c.proposer}|text"),
        c.proposer,
        None if c.owner is None else c.owner.value,
        None if c.due is None else c.due.value,
        ts_or_none(c.due_date),
        ts(c.created_at),
        c.source_ref,
        history_json(c.history),
        ts_or_none(c.reminded_at),
    )


def earlier(prev: SessionState, new: SessionState, seal: Seal) -> list[Statement]:
    sid = new.session_id
    before = {c.key: c for c in prev.earlier}
    kept = {c.key for c in new.earlier}
    gone = [(sid, key) for key in before if key not in kept]
    rows = [
        _earlier(sid, i, c, seal)
        for i, _, c in _changed(before, ((c.key, c) for c in new.earlier))
    ]
    return [
        ("DELETE FROM earlier_commitments WHERE session_id = ? AND key = ?", gone),
        (UPSERT_EARLIER, rows),
    ]


def _earlier(sid: str, pos: int, c: EarlierCommitment, seal: Seal) -> Row:
    return (
        sid,
        c.key,
        pos,
        c.origin,
        c.commitment_id,
        seal(c.text, f"earlier|{sid}|{c.key}|text"),
        None if c.owner is None else c.owner.value,
        ts_or_none(c.due_date),
        ts(c.created_at),
        history_json(c.history),
    )
