"""Operator commands over the store; ``bot.cli`` wires them as ``ikiganiro keygen|backup``."""

from __future__ import annotations

import os

from bot.storage.crypto import DataKey, generate_key
from bot.storage.status import StoreStatus
from bot.storage.store import Store


def keygen() -> str:
    """A fresh data key to put in IKIGANIRO_DATA_KEY; printed once, stored nowhere by us."""
    return generate_key()


async def backup(
    db_path: str | os.PathLike[str], dest: str | os.PathLike[str], key: DataKey
) -> None:
    """Copy a live database consistently; the key is checked first so a typo fails loudly.

    The source must exist (a wrong ``IKIGANIRO_DB`` is refused, never created). The copy holds
    the same ciphertext, opens only with the same key, and is checked before it gets its name.
    """
    store = await Store.open(db_path, key, create=False)
    try:
        await store.backup(dest)
    finally:
        await store.close()


async def status(db_path: str | os.PathLike[str], key: DataKey) -> StoreStatus:
    """What waits and what was set aside; the database must exist (it is never created)."""
    store = await Store.open(db_path, key, create=False)
    try:
        return await store.status()
    finally:
        await store.close()
