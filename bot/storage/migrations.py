"""The schema as an ordered list of named migrations; ``PRAGMA user_version`` counts those applied.

Migrations are append-only: a released one is never edited, a change is a new entry. Each runs in
its own ``BEGIN IMMEDIATE`` transaction together with the version bump, so a crash mid-migration
leaves the previous version intact. Free text columns end in ``_enc`` and hold AES-GCM blobs;
user ids appear only where the bot must write to, or erase, a person.
"""

from __future__ import annotations

import sqlite3

from bot.storage.crypto import StorageError
from bot.storage.writer import Connection

_CORE = """
CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    chat_id         INTEGER NOT NULL,
    thread_id       INTEGER,
    script_id       TEXT NOT NULL,
    language        TEXT NOT NULL,
    status          TEXT NOT NULL,
    stage_index     INTEGER NOT NULL,
    opened_at       TEXT,
    ended_at        TEXT,
    stage_opened_at TEXT,
    serial          INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX sessions_chat ON sessions (chat_id, thread_id, status);

CREATE TABLE facilitators (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    pos        INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    PRIMARY KEY (session_id, pos)
);
CREATE INDEX facilitators_user ON facilitators (user_id);

CREATE TABLE participants (
    session_id      TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL,
    pos             INTEGER NOT NULL,
    name_enc        BLOB NOT NULL,
    language        TEXT,
    consented       INTEGER NOT NULL,
    consent_version INTEGER,
    role            TEXT,
    joined_at       TEXT NOT NULL,
    quote_consent   INTEGER,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX participants_user ON participants (user_id);

CREATE TABLE answers (
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id          TEXT NOT NULL,
    pos         INTEGER NOT NULL,
    stage_id    TEXT NOT NULL,
    user_id     INTEGER NOT NULL,
    text_enc    BLOB NOT NULL,
    visibility  TEXT NOT NULL,
    source_ref  TEXT,
    via_private INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    edited_at   TEXT,
    PRIMARY KEY (session_id, id)
);
CREATE INDEX answers_user ON answers (user_id);

CREATE TABLE drafts (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL,
    stage_id   TEXT NOT NULL,
    text_enc   BLOB NOT NULL,
    source_ref TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);
CREATE INDEX drafts_user ON drafts (user_id);

-- One row per (stage, voter) with the options in the order chosen; a row with user_id NULL
-- records that the stage has a (possibly empty) tally, so the state round-trips exactly.
CREATE TABLE choices (
    session_id   TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    stage_id     TEXT NOT NULL,
    user_id      INTEGER,
    options_json TEXT NOT NULL
);
CREATE INDEX choices_session ON choices (session_id, stage_id);
CREATE INDEX choices_user ON choices (user_id);

CREATE TABLE commitments (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    pos        INTEGER NOT NULL,
    stage_id   TEXT NOT NULL,
    text_enc   BLOB NOT NULL,
    proposer   INTEGER NOT NULL,
    owner      TEXT,
    due        TEXT,
    due_date   TEXT,
    created_at TEXT NOT NULL,
    source_ref TEXT,
    PRIMARY KEY (session_id, id)
);
CREATE INDEX commitments_proposer ON commitments (proposer);

CREATE TABLE endorsements (
    session_id    TEXT NOT NULL,
    commitment_id TEXT NOT NULL,
    pos           INTEGER NOT NULL,
    user_id       INTEGER NOT NULL,
    PRIMARY KEY (session_id, commitment_id, pos),
    FOREIGN KEY (session_id, commitment_id)
        REFERENCES commitments (session_id, id) ON DELETE CASCADE
);
CREATE INDEX endorsements_user ON endorsements (user_id);

CREATE TABLE applied_events (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    event_id   TEXT NOT NULL,
    PRIMARY KEY (session_id, event_id)
);

-- Append-only: no delete at all; the only update allowed is forgetting who the actor was.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT NOT NULL,
    session_id TEXT,
    actor      INTEGER,
    action     TEXT NOT NULL
);
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.session_id IS NOT OLD.session_id
  OR NEW.action IS NOT OLD.action OR NEW.actor IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit is append-only');
END;

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""

_INTAKE = """
-- seq keeps arrival order: update ids are not monotonic, so they cannot order the inbox.
CREATE TABLE inbox (
    seq          INTEGER PRIMARY KEY,
    update_id    INTEGER NOT NULL UNIQUE,
    received_at  TEXT NOT NULL,
    payload_enc  BLOB,
    processed_at TEXT
);
CREATE INDEX inbox_pending ON inbox (processed_at, seq);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT,
    created_at  TEXT NOT NULL,
    payload_enc BLOB NOT NULL
);

CREATE TABLE reminders (
    session_id TEXT NOT NULL,
    name       TEXT NOT NULL,
    due_at     TEXT NOT NULL,
    event_json TEXT NOT NULL,
    PRIMARY KEY (session_id, name)
);
CREATE INDEX reminders_due ON reminders (due_at);

CREATE TABLE messages (
    session_id TEXT NOT NULL,
    key        TEXT NOT NULL,
    chat_id    INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    UNIQUE (session_id, key)
);
CREATE INDEX messages_chat ON messages (chat_id, message_id);

CREATE TABLE private_bindings (
    user_id    INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL
);
CREATE INDEX private_bindings_session ON private_bindings (session_id);
"""

_RETENTION = """
ALTER TABLE sessions ADD COLUMN purged_at TEXT;
-- Per-stage answer counts kept after the texts are purged: numbers, never words.
ALTER TABLE sessions ADD COLUMN purged_counts_json TEXT;
CREATE INDEX sessions_ended ON sessions (ended_at);
"""

_CONTAINMENT = """
-- Outbox rows that will not be sent again: why (an error code or class, never text), whether
-- the message may have gone out all the same (unconfirmed), and when. No payload is kept.
CREATE TABLE set_aside (
    outbox_id   INTEGER PRIMARY KEY,
    session_id  TEXT,
    op          TEXT NOT NULL,
    reason      TEXT NOT NULL,
    unconfirmed INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX set_aside_at ON set_aside (at);
-- An update that can never be processed is marked processed with the reason it was set aside.
ALTER TABLE inbox ADD COLUMN set_aside TEXT;
-- Applied event ids are kept per session in arrival order (rowid): this index finds the oldest.
CREATE INDEX applied_events_order ON applied_events (session_id);
"""

_HELD = """
-- An anonymous answer not yet shown in the group: it waits until enough people have answered
-- its stage, or the stage closes, so the moment it appears does not point at its author.
ALTER TABLE answers ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
"""

_PROGRESS = """
-- Where each commitment stands: every reported change as [{"status": …, "at": …}], oldest
-- first (statuses and moments only, no one's id), and when its due-date reminder was posted.
ALTER TABLE commitments ADD COLUMN history_json TEXT NOT NULL DEFAULT '[]';
ALTER TABLE commitments ADD COLUMN reminded_at TEXT;
"""

_CHAT_TITLE = """
-- The group's name as Telegram last showed it, for the printable charter (sealed, like all text).
ALTER TABLE sessions ADD COLUMN chat_title_enc BLOB;
"""

_LANGUAGES = """
-- The language a person chose with /language, for every session: a code, nothing more. A person
-- who never chose has no row and reads each session's own language. /forget deletes the row.
CREATE TABLE languages (
    user_id  INTEGER PRIMARY KEY,
    language TEXT NOT NULL
);
"""

_STANDING = """
-- A participant who asked with /role to change their role (a role is otherwise chosen once),
-- and one who left the group: no longer in the live session or its nudges; answers stay.
ALTER TABLE participants ADD COLUMN role_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE participants ADD COLUMN left_group INTEGER NOT NULL DEFAULT 0;
"""

_AGREEMENTS = """
-- One vote per person per statement of the shared vision (an answer to an ``agree`` stage).
CREATE TABLE agreements (
    session_id TEXT NOT NULL,
    answer_id  TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    vote       TEXT NOT NULL,
    UNIQUE (session_id, answer_id, user_id)
);
CREATE INDEX agreements_user ON agreements (user_id);
"""

_FOLLOW_UP = """
-- A follow-up session's copies of the group's earlier commitments (no one's id: the text, who
-- acts, the dates and the status history), and the one on show.
CREATE TABLE earlier_commitments (
    session_id    TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    key           TEXT NOT NULL,
    pos           INTEGER NOT NULL,
    origin        TEXT NOT NULL,
    commitment_id TEXT NOT NULL,
    text_enc      BLOB NOT NULL,
    owner         TEXT,
    due_date      TEXT,
    created_at    TEXT NOT NULL,
    history_json  TEXT NOT NULL,
    PRIMARY KEY (session_id, key)
);
ALTER TABLE sessions ADD COLUMN earlier_index INTEGER NOT NULL DEFAULT 0;
-- The earlier commitment (its key) a follow-up answer or draft speaks of.
ALTER TABLE answers ADD COLUMN about TEXT;
ALTER TABLE drafts ADD COLUMN about TEXT;
"""

_GROUP_DRAFTS = """
-- A message in the group taken for conversation ("ok", a question): a draft until its author
-- says privately it was their answer.
ALTER TABLE drafts ADD COLUMN in_group INTEGER NOT NULL DEFAULT 0;
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("0001_core", _CORE),
    ("0002_intake_outbox_reminders", _INTAKE),
    ("0003_retention", _RETENTION),
    ("0004_containment", _CONTAINMENT),
    ("0005_held_answers", _HELD),
    ("0006_commitment_progress", _PROGRESS),
    ("0007_chat_title", _CHAT_TITLE),
    ("0008_languages", _LANGUAGES),
    ("0009_participant_standing", _STANDING),
    ("0010_agreements", _AGREEMENTS),
    ("0011_follow_up", _FOLLOW_UP),
    ("0012_group_drafts", _GROUP_DRAFTS),
]


async def schema_version(conn: Connection) -> int:
    async with conn.execute("PRAGMA user_version") as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def migrate(conn: Connection, migrations: list[tuple[str, str]] = MIGRATIONS) -> int:
    """Bring the schema to the newest version, one transaction per migration."""
    current = await schema_version(conn)
    if current > len(migrations):
        raise StorageError(
            f"the database has schema version {current}, newer than this code knows "
            f"({len(migrations)}); run a newer Ikiganiro"
        )
    for number, (name, sql) in enumerate(migrations[current:], start=current + 1):
        # executescript commits any open transaction first, so the script carries its own.
        script = f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {number};\nCOMMIT;"
        try:
            await conn.executescript(script)
        except sqlite3.Error as exc:
            if conn.in_transaction:
                await conn.rollback()
            raise StorageError(f"migration {name} failed: {exc}") from exc
    return len(migrations)
