"""What may be done inside one write transaction, and how a session maps onto rows.

``save_state`` writes only the rows that differ from the state it replaces (``bot.storage.
changes``): the state this transaction loaded or saved, or the one the last commit left in the
store's cache (``bot.storage.cache``); a session whose stored form is not known is rewritten
whole. ``load_state`` hands out those same states without reading the database. Every
free-text value is sealed with associated data naming its row and author, so moving a
ciphertext to another row, or re-attributing it to another person, makes it unreadable.

A transaction may be a savepoint inside a larger one (``Store.batch``, group commit): its
states reach the enclosing transaction when it is released, and the cache only when the
outermost one commits.
"""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime
from typing import Any

import aiosqlite

from bot.engine.state import (
    Agreement,
    Answer,
    Commitment,
    Draft,
    Due,
    EarlierCommitment,
    Owner,
    Participant,
    Role,
    SessionState,
    Status,
    StatusChange,
    Visibility,
)
from bot.storage.cache import SessionCache
from bot.storage.changes import empty_like, session_rows, ts, ts_or_none
from bot.storage.crypto import DataKey, StorageError
from bot.storage.writer import Connection, Cursor

# An audit action is a code, never prose: this keeps names and stories out of the audit log.
_ACTION = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_MISSING: Any = object()  # not known without reading the database


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text)


def parse_ts_or_none(text: str | None) -> datetime | None:
    return None if text is None else parse_ts(text)


def utcnow() -> datetime:
    return datetime.now(UTC)


def dumps(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    value = json.loads(data)
    if not isinstance(value, dict):
        raise StorageError("stored payload is not a JSON object")
    return value


def outbox_aad(outbox_id: int, session_id: str | None) -> bytes:
    return f"outbox|{outbox_id}|{session_id or ''}|payload".encode()


def _bool(value: int | None) -> bool | None:
    return None if value is None else bool(value)


_CHILD_TABLES = (
    "facilitators",
    "participants",
    "answers",
    "drafts",
    "choices",
    "endorsements",
    "commitments",
    "agreements",
    "earlier_commitments",
)

# Applied event ids kept per session: the most recent ones, in the order they were stored.
# An older id cannot come back: an event id names its update, an update is applied in the
# transaction that marks it processed in the inbox, the inbox refuses a known update id for
# two days and Telegram never redelivers a confirmed update (nor any after 24 hours). The set
# is a second line of defence for what may be in flight, at most a poll batch or two; a
# thousand leaves a wide margin, and keeps each save to a few rows whatever came before
# (docs/storage.md, "Applied event ids").
APPLIED_MEMORY = 1000


class Tx:
    """Valid only inside ``async with store.write() as tx``; the store serialises writers.

    ``parent`` is the enclosing transaction when this one is a savepoint of it (group
    commit); ``cache`` the store's committed states, ``None`` where they may not be used.
    """

    def __init__(
        self,
        conn: Connection,
        key: DataKey,
        *,
        cache: SessionCache | None = None,
        parent: Tx | None = None,
        readonly: bool = False,
    ) -> None:
        self._conn = conn
        self._key = key
        self._open = True
        self._cache = cache
        self._parent = parent
        self._readonly = readonly
        # States this transaction saved (its rows are theirs) or read from the database.
        self.saved: dict[str, SessionState] = {}
        self.loaded: dict[str, SessionState] = {}
        # Rows of some session changed other than by saving its state: no state known
        # before can stand for the database any more, in memory or in the cache.
        self.invalidated = False
        self.marked: set[int] = set()  # update ids this transaction marked processed
        self.titles: dict[str, str] = {}  # group names this transaction wrote
        self.places: dict[str, tuple[int, int | None]] = {}  # sessions' chats, read or written
        self.languages: dict[int, str | None] = {}  # people's chosen languages, read or set

    def _close(self) -> None:
        self._open = False

    def absorb(self, child: Tx) -> None:
        """A savepoint released: what it saved and read is this transaction's now."""
        if child.invalidated:
            self.invalidate()
        self.saved.update(child.saved)
        self.loaded.update(child.loaded)
        self.marked |= child.marked
        self.titles.update(child.titles)
        self.places.update(child.places)
        self.languages.update(child.languages)

    def invalidate(self) -> None:
        """Forget every state known from before a change made behind the states' back."""
        tx: Tx | None = self
        while tx is not None:
            tx.invalidated = True
            tx.saved.clear()
            tx.loaded.clear()
            tx.places.clear()
            tx.languages.clear()
            tx = tx._parent

    def _known(self, session_id: str) -> SessionState | None:
        """The state as the database holds it in this transaction, if known without reading."""
        tx: Tx | None = self
        while tx is not None:
            found = tx.saved.get(session_id) or tx.loaded.get(session_id)
            if found is not None:
                return found
            if tx.invalidated:
                return None
            tx = tx._parent
        return None if self._cache is None else self._cache.get(session_id)

    def _remembered(self, kind: str, key: Any) -> Any:
        """A place or a language this transaction (or the one it is part of) read or wrote,
        else the committed one; ``_MISSING`` when not known without reading."""
        tx: Tx | None = self
        while tx is not None:
            found = getattr(tx, kind)
            if key in found:
                return found[key]
            if tx.invalidated:
                return _MISSING
            tx = tx._parent
        memory = getattr(self._cache, kind) if self._cache is not None else {}
        return memory.get(key, _MISSING)

    def _recorder(self) -> Tx | None:
        """Where what this transaction reads may be remembered until the commit: itself, or
        for a read inside a batch the batch (it sees the batch's writes); a snapshot on the
        reader, which may be older than the last commit, remembers nothing."""
        if not self._readonly:
            return self
        return self._parent

    async def _exec(self, sql: str, params: tuple[Any, ...] = ()) -> aiosqlite.Cursor | Cursor:
        self._check(sql)
        return await self._conn.execute(sql, params)

    def _check(self, sql: str = "SELECT") -> None:
        if not self._open:
            raise StorageError("this transaction has ended; use a new `store.write()`")
        if self._readonly and self._parent is not None and not sql.lstrip().startswith("SELECT"):
            # A read inside a batch runs on the writer: refused as the reader refuses it.
            raise sqlite3.OperationalError("attempt to write a readonly database")
        if not self._conn.in_transaction:
            # SQLite rolls a whole transaction back on some errors (a full disk): what
            # followed would be committed statement by statement, outside any transaction.
            raise StorageError("the transaction was rolled back by the database; try again")

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        self._check()
        return list(await self._conn.execute_fetchall(sql, params))  # one trip to the thread

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = await self._all(sql, params)
        return rows[0] if rows else None

    async def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        self._check(sql)
        await self._conn.executemany(sql, rows)

    # --- sessions ------------------------------------------------------------------------------

    async def load_state(self, session_id: str) -> SessionState | None:
        """The session's state: the one this transaction knows, else the last committed one
        the cache holds, else read (every answer opened) from the database."""
        if not self._open:
            raise StorageError("this transaction has ended; use a new `store.write()`")
        known = self._known(session_id)
        if known is not None:
            return known
        state = await self._read_state(session_id)
        if state is not None and (recorder := self._recorder()) is not None:
            recorder.loaded[session_id] = state
        return state

    async def _read_state(self, session_id: str) -> SessionState | None:
        row = await self._one(
            "SELECT script_id, language, status, stage_index, opened_at, ended_at,"
            " stage_opened_at, serial, earlier_index FROM sessions WHERE id = ?",
            (session_id,),
        )
        if row is None:
            return None
        script_id, language, status, stage_index, opened, ended, stage_opened, serial, shown = row
        return SessionState(
            session_id=session_id,
            script_id=script_id,
            language=language,
            status=Status(status),
            stage_index=stage_index,
            facilitators=await self._load_facilitators(session_id),
            participants=await self._load_participants(session_id),
            answers=await self._load_answers(session_id),
            drafts=await self._load_drafts(session_id),
            choices=await self._load_choices(session_id),
            agreements=await self._load_agreements(session_id),
            commitments=await self._load_commitments(session_id),
            earlier=await self._load_earlier(session_id),
            earlier_index=shown,
            opened_at=parse_ts_or_none(opened),
            ended_at=parse_ts_or_none(ended),
            stage_opened_at=parse_ts_or_none(stage_opened),
            applied=await self._load_applied(session_id),
            serial=serial,
        )

    async def _load_facilitators(self, session_id: str) -> list[int]:
        rows = await self._all(
            "SELECT user_id FROM facilitators WHERE session_id = ? ORDER BY pos", (session_id,)
        )
        return [r[0] for r in rows]

    async def _load_participants(self, session_id: str) -> dict[int, Participant]:
        participants: dict[int, Participant] = {}
        for uid, name, lang, consented, cver, role, joined, quote, change, gone in await self._all(
            "SELECT user_id, name_enc, language, consented, consent_version, role, joined_at,"
            " quote_consent, role_change, left_group FROM participants WHERE session_id = ?"
            " ORDER BY pos",
            (session_id,),
        ):
            participants[uid] = Participant(
                user_id=uid,
                name=self._key.open_text(name, f"participants|{session_id}|{uid}|name"),
                language=lang,
                consented=bool(consented),
                consent_version=cver,
                role=None if role is None else Role(role),
                joined_at=parse_ts(joined),
                quote_consent=_bool(quote),
                role_change=bool(change),
                left=bool(gone),
            )
        return participants

    async def _load_answers(self, session_id: str) -> list[Answer]:
        return [
            Answer(
                id=aid,
                stage_id=stage,
                user_id=uid,
                text=self._key.open_text(text, f"answers|{session_id}|{aid}|{uid}|text"),
                visibility=Visibility(vis),
                source_ref=ref,
                via_private=bool(private),
                created_at=parse_ts(created),
                edited_at=parse_ts_or_none(edited),
                held=bool(held),
                about=about,
            )
            for aid, stage, uid, text, vis, ref, private, created, edited, held, about in (
                await self._all(
                    "SELECT id, stage_id, user_id, text_enc, visibility, source_ref, via_private,"
                    " created_at, edited_at, held, about FROM answers WHERE session_id = ?"
                    " ORDER BY pos",
                    (session_id,),
                )
            )
        ]

    async def _load_drafts(self, session_id: str) -> dict[int, Draft]:
        return {
            uid: Draft(
                stage_id=stage,
                text=self._key.open_text(text, f"drafts|{session_id}|{uid}|text"),
                source_ref=ref,
                created_at=parse_ts(created),
                about=about,
                in_group=bool(in_group),
            )
            for uid, stage, text, ref, created, about, in_group in await self._all(
                "SELECT user_id, stage_id, text_enc, source_ref, created_at, about, in_group"
                " FROM drafts WHERE session_id = ? ORDER BY rowid",
                (session_id,),
            )
        }

    async def _load_agreements(self, session_id: str) -> dict[str, dict[int, Agreement]]:
        agreements: dict[str, dict[int, Agreement]] = {}
        for answer_id, uid, vote in await self._all(
            "SELECT answer_id, user_id, vote FROM agreements WHERE session_id = ? ORDER BY rowid",
            (session_id,),
        ):
            agreements.setdefault(answer_id, {})[uid] = Agreement(vote)
        return agreements

    async def _load_choices(self, session_id: str) -> dict[str, dict[int, list[str]]]:
        """The ``user_id NULL`` row of a stage brings back its tally even when it is empty."""
        choices: dict[str, dict[int, list[str]]] = {}
        for stage, uid, options in await self._all(
            "SELECT stage_id, user_id, options_json FROM choices WHERE session_id = ?"
            " ORDER BY rowid",
            (session_id,),
        ):
            votes = choices.setdefault(stage, {})
            if uid is not None:
                votes[uid] = list(json.loads(options))
        return choices

    async def _load_commitments(self, session_id: str) -> list[Commitment]:
        endorsers: dict[str, list[int]] = {}
        for cid, uid in await self._all(
            "SELECT commitment_id, user_id FROM endorsements WHERE session_id = ?"
            " ORDER BY commitment_id, pos",
            (session_id,),
        ):
            endorsers.setdefault(cid, []).append(uid)
        return [
            Commitment(
                id=cid,
                stage_id=stage,
                text=self._key.open_text(text, f"commitments|{session_id}|{cid}|{who}|text"),
                proposer=who,
                owner=None if owner is None else Owner(owner),
                due=None if due is None else Due(due),
                due_date=parse_ts_or_none(due_date),
                created_at=parse_ts(created),
                source_ref=ref,
                endorsers=endorsers.get(cid, []),
                history=[StatusChange.model_validate(h) for h in json.loads(history)],
                reminded_at=parse_ts_or_none(reminded),
            )
            for cid, stage, text, who, owner, due, due_date, created, ref, history, reminded in (
                await self._all(
                    "SELECT id, stage_id, text_enc, proposer, owner, due, due_date, created_at,"
                    " source_ref, history_json, reminded_at FROM commitments"
                    " WHERE session_id = ? ORDER BY pos",
                    (session_id,),
                )
            )
        ]

    async def _load_earlier(self, session_id: str) -> list[EarlierCommitment]:
        return [
            EarlierCommitment(
                key=key,
                origin=origin,
                commitment_id=cid,
                text=self._key.open_text(text, f"earlier|{session_id}|{key}|text"),
                owner=None if owner is None else Owner(owner),
                due_date=parse_ts_or_none(due_date),
                created_at=parse_ts(created),
                history=[StatusChange.model_validate(h) for h in json.loads(history)],
            )
            for key, origin, cid, text, owner, due_date, created, history in await self._all(
                "SELECT key, origin, commitment_id, text_enc, owner, due_date, created_at,"
                " history_json FROM earlier_commitments WHERE session_id = ? ORDER BY pos",
                (session_id,),
            )
        ]

    async def _load_applied(self, session_id: str) -> set[str]:
        rows = await self._all(
            "SELECT event_id FROM applied_events WHERE session_id = ? ORDER BY rowid DESC LIMIT ?",
            (session_id, APPLIED_MEMORY),
        )
        return {r[0] for r in rows}

    async def save_state(self, state: SessionState, chat_id: int, thread_id: int | None) -> None:
        """Upsert the session row, then write the child rows that differ from the state this
        one replaces (all of them, after deleting the old ones, when that is not known)."""
        sid = state.session_id
        await self._save_session_row(state, chat_id, thread_id)
        before = self._known(sid)
        if before is None:
            for table in _CHILD_TABLES:
                await self._exec(f"DELETE FROM {table} WHERE session_id = ?", (sid,))  # noqa: S608
        for sql, rows in session_rows(before or empty_like(state), state, self._key.seal_text):
            await self._many(sql, rows)
        await self._save_applied(state, before)
        self.saved[sid] = state
        self.places[sid] = (chat_id, thread_id)

    async def _save_session_row(
        self, s: SessionState, chat_id: int, thread_id: int | None
    ) -> None:
        now = ts(utcnow())
        await self._exec(
            "INSERT INTO sessions (id, chat_id, thread_id, script_id, language, status,"
            " stage_index, opened_at, ended_at, stage_opened_at, serial, created_at, updated_at,"
            " earlier_index) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET chat_id = excluded.chat_id,"
            " thread_id = excluded.thread_id, script_id = excluded.script_id,"
            " language = excluded.language, status = excluded.status,"
            " stage_index = excluded.stage_index, opened_at = excluded.opened_at,"
            " ended_at = excluded.ended_at, stage_opened_at = excluded.stage_opened_at,"
            " serial = excluded.serial, updated_at = excluded.updated_at,"
            " earlier_index = excluded.earlier_index",
            (
                s.session_id,
                chat_id,
                thread_id,
                s.script_id,
                s.language,
                s.status.value,
                s.stage_index,
                ts_or_none(s.opened_at),
                ts_or_none(s.ended_at),
                ts_or_none(s.stage_opened_at),
                s.serial,
                now,
                now,
                s.earlier_index,
            ),
        )

    async def _save_applied(self, s: SessionState, before: SessionState | None) -> None:
        """Write the ids not stored yet, forget those the state dropped, keep the newest."""
        sid = s.session_id
        if before is not None:
            stored = before.applied
        else:
            rows = await self._all(
                "SELECT event_id FROM applied_events WHERE session_id = ?", (sid,)
            )
            stored = {r[0] for r in rows}
        if gone := stored - s.applied:
            await self._many(
                "DELETE FROM applied_events WHERE session_id = ? AND event_id = ?",
                [(sid, e) for e in sorted(gone)],
            )
        if new := s.applied - stored:
            await self._many(
                "INSERT INTO applied_events (session_id, event_id) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING",
                [(sid, e) for e in sorted(new)],
            )
        if len(s.applied) > APPLIED_MEMORY:
            await self._exec(
                "DELETE FROM applied_events WHERE session_id = ? AND rowid < (SELECT rowid"
                " FROM applied_events WHERE session_id = ? ORDER BY rowid DESC LIMIT 1 OFFSET ?)",
                (sid, sid, APPLIED_MEMORY - 1),
            )

    async def session_for_chat(self, chat_id: int, thread_id: int | None) -> str | None:
        row = await self._one(
            "SELECT id FROM sessions WHERE chat_id = ? AND thread_id IS ? AND status != ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (chat_id, thread_id, Status.ENDED.value),
        )
        return None if row is None else str(row[0])

    async def latest_session(self, chat_id: int, thread_id: int | None) -> str | None:
        """The chat's most recent session, ended or not (a charter is asked for after the end)."""
        row = await self._one(
            "SELECT id FROM sessions WHERE chat_id = ? AND thread_id IS ?"
            " ORDER BY created_at DESC, rowid DESC LIMIT 1",
            (chat_id, thread_id),
        )
        return None if row is None else str(row[0])

    async def recent_sessions(self, limit: int = 5) -> list[tuple[str, str, str, str]]:
        """The newest sessions as (id, script, status, day created): what an operator needs to
        find one again, and nothing of a person or a chat."""
        rows = await self._all(
            "SELECT id, script_id, status, substr(created_at, 1, 10) FROM sessions"
            " ORDER BY created_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [(str(r[0]), str(r[1]), str(r[2]), str(r[3])) for r in rows]

    async def last_ended_session(self, chat_id: int, thread_id: int | None) -> str | None:
        """The session of this chat (and forum topic) that ended last, if any."""
        row = await self._one(
            "SELECT id FROM sessions WHERE chat_id = ? AND thread_id IS ? AND status = ?"
            " ORDER BY ended_at DESC, rowid DESC LIMIT 1",
            (chat_id, thread_id, Status.ENDED.value),
        )
        return None if row is None else str(row[0])

    async def sessions_in_chat(self, chat_id: int) -> list[str]:
        """Every session of a chat not yet ended, in all its forum topics."""
        rows = await self._all(
            "SELECT id FROM sessions WHERE chat_id = ? AND status != ? ORDER BY rowid",
            (chat_id, Status.ENDED.value),
        )
        return [str(r[0]) for r in rows]

    async def all_sessions(self) -> list[str]:
        """Every session id, oldest first: for the coordinator's export."""
        rows = await self._all("SELECT id FROM sessions ORDER BY created_at, rowid")
        return [str(r[0]) for r in rows]

    async def sessions_of_place(self, chat_id: int, thread_id: int | None) -> list[str]:
        """Every session ever held in a group (or one topic of it), ended ones too, oldest
        first: their commitments live on."""
        rows = await self._all(
            "SELECT id FROM sessions WHERE chat_id = ? AND thread_id IS ?"
            " ORDER BY created_at, rowid",
            (chat_id, thread_id),
        )
        return [str(r[0]) for r in rows]

    async def sessions_of_user(self, user_id: int) -> list[str]:
        rows = await self._all(
            "SELECT session_id FROM participants WHERE user_id = :u"
            " UNION SELECT session_id FROM drafts WHERE user_id = :u"
            " UNION SELECT session_id FROM private_bindings WHERE user_id = :u"
            " UNION SELECT session_id FROM answers WHERE user_id = :u"
            " UNION SELECT session_id FROM commitments WHERE proposer = :u"
            " UNION SELECT session_id FROM endorsements WHERE user_id = :u"
            " UNION SELECT session_id FROM choices WHERE user_id = :u"
            " UNION SELECT session_id FROM agreements WHERE user_id = :u"
            " UNION SELECT session_id FROM facilitators WHERE user_id = :u"
            " ORDER BY 1",
            {"u": user_id},  # type: ignore[arg-type]
        )
        return [str(r[0]) for r in rows]

    async def session_chat(self, session_id: str) -> tuple[int, int | None] | None:
        known = self._remembered("places", session_id)
        if known is not _MISSING:
            return known  # type: ignore[no-any-return]
        row = await self._one(
            "SELECT chat_id, thread_id FROM sessions WHERE id = ?", (session_id,)
        )
        if row is None:
            return None
        place = (int(row[0]), row[1])
        if (recorder := self._recorder()) is not None:
            recorder.places[session_id] = place
        return place

    async def set_chat_title(self, session_id: str, title: str) -> None:
        """Remember the group's name (the charter shows it); written only when it changed."""
        if self._cache is not None and self._cache.titles.get(session_id) == title:
            return  # as committed, and this transaction changed no title
        if title == await self.chat_title(session_id):
            self.titles[session_id] = title
            return
        sealed = self._key.seal_text(title, f"sessions|{session_id}|chat_title")
        await self._exec(
            "UPDATE sessions SET chat_title_enc = ? WHERE id = ?", (sealed, session_id)
        )
        self.titles[session_id] = title

    async def chat_title(self, session_id: str) -> str | None:
        row = await self._one("SELECT chat_title_enc FROM sessions WHERE id = ?", (session_id,))
        if row is None or row[0] is None:
            return None
        return self._key.open_text(row[0], f"sessions|{session_id}|chat_title")

    # --- outbox, reminders, audit ----------------------------------------------------------------

    async def enqueue(self, session_id: str | None, payload: dict[str, Any]) -> int:
        # The row id is part of the associated data, so it is chosen before the row is
        # written: one INSERT. Ids only grow (AUTOINCREMENT); one a rollback used is skipped.
        outbox_id = await self._next_outbox_id()
        blob = self._key.seal(dumps(payload), outbox_aad(outbox_id, session_id))
        await self._exec(
            "INSERT INTO outbox (id, session_id, created_at, payload_enc) VALUES (?, ?, ?, ?)",
            (outbox_id, session_id, ts(utcnow()), blob),
        )
        return outbox_id

    async def _next_outbox_id(self) -> int:
        """Counted in memory from where ``first_outbox_id`` found the outbox at open (the
        store's one writer process hands them all out)."""
        memory = self._cache
        if memory is None or memory.next_outbox_id is None:
            found = await self.first_outbox_id()
            if memory is None:
                return found
            memory.next_outbox_id = found
        outbox_id = memory.next_outbox_id
        memory.next_outbox_id = outbox_id + 1
        return outbox_id

    async def first_outbox_id(self) -> int:
        """Past every id the outbox ever gave (``sqlite_sequence``) or holds."""
        row = await self._one(
            "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0),"
            " COALESCE((SELECT MAX(id) FROM outbox), 0))"
        )
        return int(row[0]) + 1

    async def schedule(
        self, session_id: str, name: str, due_at: datetime, event_json: dict[str, Any]
    ) -> None:
        await self._exec(
            "INSERT INTO reminders (session_id, name, due_at, event_json) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (session_id, name) DO UPDATE SET due_at = excluded.due_at,"
            " event_json = excluded.event_json",
            (session_id, name, ts(due_at), json.dumps(event_json, separators=(",", ":"))),
        )

    async def cancel(self, session_id: str, name: str) -> None:
        await self._exec(
            "DELETE FROM reminders WHERE session_id = ? AND name = ?", (session_id, name)
        )

    async def audit(self, session_id: str | None, actor: int | None, action: str) -> None:
        """Record who did what; ``action`` must be a short code so no text can slip in."""
        if not _ACTION.fullmatch(action):
            raise ValueError(
                "an audit action is a short lowercase code like 'stage.advanced', not text"
            )
        await self._exec(
            "INSERT INTO audit (at, session_id, actor, action) VALUES (?, ?, ?, ?)",
            (ts(utcnow()), session_id, actor, action),
        )

    # --- intake and people -----------------------------------------------------------------------

    async def mark_processed(self, update_id: int) -> None:
        self.marked.add(update_id)
        await self._exec(
            "UPDATE inbox SET processed_at = ?, payload_enc = NULL WHERE update_id = ?",
            (ts(utcnow()), update_id),
        )

    async def bind_private(self, user_id: int, session_id: str) -> None:
        await self._exec(
            "INSERT INTO private_bindings (user_id, session_id) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET session_id = excluded.session_id",
            (user_id, session_id),
        )

    async def private_binding(self, user_id: int) -> str | None:
        row = await self._one(
            "SELECT session_id FROM private_bindings WHERE user_id = ?", (user_id,)
        )
        return None if row is None else str(row[0])

    async def user_language(self, user_id: int) -> str | None:
        """The language this person chose with /language, or None if they never chose."""
        return (await self.user_languages([user_id])).get(user_id)

    async def user_languages(self, user_ids: list[int]) -> dict[int, str]:
        """The chosen languages of those of ``user_ids`` who chose one (remembered, with
        those who chose none, until the commit; then in the store's memory)."""
        known = {u: self._remembered("languages", u) for u in user_ids}
        unknown = [u for u, lang in known.items() if lang is _MISSING]
        for start in range(0, len(unknown), 500):  # below SQLite's limit on parameters
            chunk = tuple(unknown[start : start + 500])
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT user_id, language FROM languages WHERE user_id IN ({marks})"  # noqa: S608
            read = {int(u): str(lang) for u, lang in await self._all(sql, chunk)}
            found = {u: read.get(u) for u in chunk}
            known.update(found)
            if (recorder := self._recorder()) is not None:
                recorder.languages.update(found)
        return {u: lang for u, lang in known.items() if lang is not None}

    async def set_user_language(self, user_id: int, language: str) -> None:
        await self._exec(
            "INSERT INTO languages (user_id, language) VALUES (?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET language = excluded.language",
            (user_id, language),
        )
        self.languages[user_id] = language

    async def forget_user(self, user_id: int) -> None:
        """Remove whatever still names this person; the audit keeps the action, not the actor."""
        self.invalidate()  # rows go behind the states' back
        u = (user_id,)
        await self._exec("DELETE FROM private_bindings WHERE user_id = ?", u)
        await self._exec("DELETE FROM languages WHERE user_id = ?", u)
        await self._exec("DELETE FROM commitments WHERE proposer = ?", u)
        for table in (
            "participants",
            "answers",
            "drafts",
            "choices",
            "endorsements",
            "facilitators",
            "agreements",
        ):
            await self._exec(f"DELETE FROM {table} WHERE user_id = ?", u)  # noqa: S608
        await self._exec("UPDATE audit SET actor = NULL WHERE actor = ?", u)
        # A follow-up's copy of a commitment withdrawn with its proposer goes with it.
        await self._exec(
            "DELETE FROM earlier_commitments WHERE NOT EXISTS (SELECT 1 FROM commitments c"
            " WHERE c.session_id = earlier_commitments.origin"
            " AND c.id = earlier_commitments.commitment_id)"
        )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        self.invalidate()  # sessions move behind the remembered places' back
        ids = (new_chat_id, old_chat_id)
        await self._exec("UPDATE sessions SET chat_id = ? WHERE chat_id = ?", ids)
        await self._exec("UPDATE messages SET chat_id = ? WHERE chat_id = ?", ids)
