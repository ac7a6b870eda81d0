"""What went wrong with the database, said once, in a sentence an operator can act on.

Two kinds of trouble meet the store. At the door (``Store.open``, ``ikiganiro backup``) the
path, the folder, the file or the disk is wrong: :func:`check_path` and :func:`explain` turn
each case into a :class:`StorageError` naming the file and the fix. At run time a failed write
is either *transient* (the disk is full, the file is locked: the same work may succeed later,
so nothing is acknowledged and it is retried) or *damaged* (SQLite reports a corrupt page, or a
ciphertext no longer opens: the bot must stop rather than drop what it cannot store);
:func:`storage_fault` tells them apart.
"""

from __future__ import annotations

import errno
import os
import sqlite3
from enum import StrEnum
from pathlib import Path

from bot.storage.crypto import CorruptData, StorageError, WrongKey

# SQLite's primary result codes (https://sqlite.org/rescode.html).
SQLITE_PERM = 3
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
_DAMAGE = {SQLITE_CORRUPT, SQLITE_NOTADB}


class DatabaseDamaged(StorageError):
    """The database file is damaged: the bot stops instead of dropping what it cannot store."""


class Fault(StrEnum):
    TRANSIENT = "transient"  # may pass: keep the work, retry later
    DAMAGED = "damaged"  # the file is damaged: stop


def sqlite_code(error: BaseException) -> int | None:
    """SQLite's primary result code of an error, if it is one of SQLite's."""
    code = getattr(error, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def storage_fault(error: BaseException) -> Fault | None:
    """Whether a failure of the store may pass or means damage; None if not the store's."""
    if isinstance(error, CorruptData | DatabaseDamaged) or sqlite_code(error) in _DAMAGE:
        return Fault.DAMAGED
    if isinstance(error, sqlite3.OperationalError | sqlite3.InternalError | OSError):
        return Fault.TRANSIENT  # full, locked, I/O: may pass
    if type(error) is sqlite3.DatabaseError:
        return Fault.TRANSIENT
    if isinstance(error, StorageError) and not isinstance(error, WrongKey):
        return Fault.TRANSIENT
    # A constraint, a value SQLite cannot bind, a wrong key, anything else: the same work
    # would fail the same way, so waiting cannot help.
    return None


def check_path(path: Path, *, create: bool) -> None:
    """Refuse, before SQLite sees it, a path that cannot be (or must not become) a database."""
    if path.is_dir():
        raise StorageError(
            f"{path} is a folder, not a database file; point IKIGANIRO_DB at a file inside it, "
            f"such as {path / 'ikiganiro.db'}."
        )
    if not path.parent.is_dir():
        raise StorageError(
            f"the folder {path.parent} does not exist; create it, or correct the path {path}."
        )
    if not path.exists():
        if not create:
            raise StorageError(f"{path} does not exist; check IKIGANIRO_DB (nothing was created).")
        return
    if not path.is_file():
        raise StorageError(f"{path} is not a regular file, so it cannot be a database.")
    if path.stat().st_size == 0:
        raise StorageError(
            f"{path} is empty (0 bytes), not a database; restore it from a backup, or delete it "
            "if this is a new installation."
        )


def explain(error: BaseException, path: Path) -> StorageError:
    """One sentence for an error met while opening ``path``, naming the file and the fix."""
    if isinstance(error, StorageError):
        return error
    code = sqlite_code(error)
    detail = str(error) or type(error).__name__
    if code == SQLITE_NOTADB:
        return StorageError(
            f"{path} is not an Ikiganiro database (SQLite: {detail}); check IKIGANIRO_DB."
        )
    if code == SQLITE_CORRUPT:
        return DatabaseDamaged(damaged(path, detail))
    if code in {SQLITE_FULL, SQLITE_IOERR} or getattr(error, "errno", None) in {
        errno.ENOSPC,
        errno.EFBIG,
        errno.EDQUOT,
    }:
        return StorageError(
            f"{path} cannot be written: the disk is full or failing ({detail}); free some "
            "space and start again."
        )
    if getattr(error, "errno", None) == errno.EROFS or _read_only_fs(path):
        return StorageError(
            f"{path} cannot be written: the folder {path.parent} is on a read-only file "
            "system; mount it read-write (the database and its -wal and -shm files live there)."
        )
    if code in {SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM} or isinstance(
        error, PermissionError
    ):
        return StorageError(
            f"{path} cannot be opened for writing ({detail}); the folder {path.parent} must be "
            "writable by this user, for the database and its -wal and -shm files."
        )
    return StorageError(f"{path} cannot be used as a database ({detail}).")


def _read_only_fs(path: Path) -> bool:
    """Whether the folder of ``path`` sits on a file system mounted read-only."""
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def damaged(path: Path, detail: str, last_backup: str | None = None) -> str:
    backup = f"the last backup ({last_backup})" if last_backup else "your last backup"
    return (
        f"{path} is damaged ({detail}); the bot will not use it, so nothing is acknowledged "
        f"that is not stored: stop it, restore {backup} and start again."
    )
