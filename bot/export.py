"""The coordinator's view across groups: what ``ikiganiro export`` writes and ``ikiganiro
report`` draws, and nothing that identifies anyone.

Per session: its script, language, dates, how many took part in each role, the choices
(the dimensions of safety among them) tallied by role, and its commitments with who acts, the
dates and every status change. No names, no Telegram ids, no session ids, no text people
wrote: a commitment's text is the group's own words and may name someone, so it stays in the
group. Counts follow the small-group rule: a count of 1 or 2 (below the script's
``privacy_threshold``, 3 by default) is written "fewer than 3", never as a number.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from bot.dialogues import Library
from bot.engine.script import CHOICE_KINDS, Script
from bot.engine.state import Role, SessionState
from bot.engine.summary import endorsement_counts, is_shared
from bot.storage import DataKey, Store

Count = int | str  # a number, or "fewer than k"
ByRole = dict[str, Count]
Format = Literal["csv", "json"]
FORMATS: tuple[Format, ...] = ("csv", "json")


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StatusStep(_Frozen):
    status: str
    date: str


class CommitmentRecord(_Frozen):
    number: int  # its place in its session, from 1
    owner: str | None
    proposed: str
    due: str | None
    status: str
    status_date: str | None
    history: tuple[StatusStep, ...]
    endorsements: ByRole
    shared: bool  # endorsed by police and residents alike


class SessionRecord(_Frozen):
    number: int  # its place in the export, oldest first (no session id leaves the bot)
    script: str
    language: str
    opened: str | None
    ended: str | None
    participants: ByRole
    choices: dict[str, dict[str, ByRole]]  # stage -> option -> counts by role
    commitments: tuple[CommitmentRecord, ...]


def small(n: int, k: int) -> Count:
    """The small-group rule: 0 stays 0; 1 … k-1 is "fewer than k"."""
    return f"fewer than {k}" if 0 < n < k else n


def _by_role(roles: list[Role], k: int) -> ByRole:
    return {role.value: small(roles.count(role), k) for role in Role}


def _day(moment: datetime | None) -> str | None:
    return moment.date().isoformat() if moment else None


def _roles(state: SessionState, users: list[int] | set[int]) -> list[Role]:
    found = (state.participants.get(u) for u in sorted(users))
    return [p.role for p in found if p is not None and p.role is not None]


def session_record(number: int, state: SessionState, script: Script | None) -> SessionRecord:
    k = script.privacy_threshold if script else 3
    active = [p.user_id for p in state.participants.values() if p.active]
    choices: dict[str, dict[str, ByRole]] = {}
    for stage in script.stages if script else ():
        if stage.kind in CHOICE_KINDS:
            votes = state.choices.get(stage.id, {})
            choices[stage.id] = {
                o.id: _by_role(_roles(state, {u for u, p in votes.items() if o.id in p}), k)
                for o in stage.options
            }
    commitments = tuple(
        CommitmentRecord(
            number=n,
            owner=c.owner.value if c.owner else None,
            proposed=c.created_at.date().isoformat(),
            due=_day(c.due_date),
            status=c.status.value,
            status_date=_day(c.history[-1].at) if c.history else None,
            history=tuple(
                StatusStep(status=h.status.value, date=h.at.date().isoformat()) for h in c.history
            ),
            endorsements={r: small(n_, k) for r, n_ in endorsement_counts(c, state)},
            shared=is_shared(c, state),
        )
        for n, c in enumerate(state.commitments, start=1)
    )
    return SessionRecord(
        number=number,
        script=state.script_id,
        language=state.language,
        opened=_day(state.opened_at),
        ended=_day(state.ended_at),
        participants=_by_role(_roles(state, active), k),
        choices=choices,
        commitments=commitments,
    )


async def collect(
    db: str | os.PathLike[str], key: DataKey, since: date | None = None
) -> list[SessionRecord]:
    """Every session of the database (which must exist), read in one snapshot."""
    store = await Store.open(db, key, create=False)
    try:
        async with store.read() as tx:
            states = [s for i in await tx.all_sessions() if (s := await tx.load_state(i))]
    finally:
        await store.close()
    return records(states, Library.load(), since)


def records(
    states: list[SessionState], library: Library, since: date | None = None
) -> list[SessionRecord]:
    """The sessions opened on or after ``since`` (all, without it), oldest first; a session
    never opened holds nothing to report."""
    kept = [
        s
        for s in states
        if s.opened_at is not None and (since is None or s.opened_at.date() >= since)
    ]
    kept.sort(key=lambda s: (s.opened_at, s.session_id))
    return [session_record(n, s, library.get(s.script_id)) for n, s in enumerate(kept, start=1)]


def to_json(rows: list[SessionRecord]) -> str:
    return json.dumps([r.model_dump(mode="json") for r in rows], indent=2, ensure_ascii=False)


CSV_COLUMNS = ("session", "script", "language", "opened", "ended", "what", "item", "key", "value")


def to_csv(rows: list[SessionRecord]) -> str:
    """One fact per line (a long table a spreadsheet can pivot): the session's own columns,
    then what the fact is about (participants, a choice stage, a commitment), which item, which
    key (a role, a field) and its value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        head = (r.number, r.script, r.language, r.opened or "", r.ended or "")
        for role, count in r.participants.items():
            writer.writerow((*head, "participants", "", role, count))
        for stage, options in r.choices.items():
            for option, counts in options.items():
                for role, count in counts.items():
                    writer.writerow((*head, f"choice:{stage}", option, role, count))
        for c in r.commitments:
            fields: dict[str, object] = {
                "owner": c.owner or "",
                "proposed": c.proposed,
                "due": c.due or "",
                "status": c.status,
                "status_date": c.status_date or "",
                "history": " ".join(f"{h.status}@{h.date}" for h in c.history),
                "shared": "yes" if c.shared else "no",
                **{f"endorsed_{role}": count for role, count in c.endorsements.items()},
            }
            for key, value in fields.items():
                writer.writerow((*head, "commitment", c.number, key, value))
    return out.getvalue()


def render(rows: list[SessionRecord], fmt: Format) -> str:
    return to_csv(rows) if fmt == "csv" else to_json(rows)
