"""Operator commands over the store; ``bot.cli`` wires them as ``ikiganiro keygen|backup``."""

from __future__ import annotations

import os

from bot.storage.crypto import DataKey, generate_key
from bot.storage.store import Store


def keygen() -> str:
    """A fresh data key to put in IKIGANIRO_DATA_KEY; printed once, stored nowhere by us."""
    return generate_key()


async def backup(
    db_path: str | os.PathLike[str], dest: str | os.PathLike[str], key: DataKey
) -> None:
    """Copy a live database consistently; the key is checked first so a typo fails loudly.

    The copy holds the same ciphertext and opens only with the same key; checked before return.
    """
    store = await Store.open(db_path, key)
    try:
        await store.backup(dest)
    finally:
        await store.close()
    copy = await Store.open(dest, key)
    try:
        result = await copy.integrity_check()
    finally:
        await copy.close()
    if result != "ok":
        raise RuntimeError(f"the backup at {dest} failed its integrity check: {result}")
