"""Every storage backend the contract tests run against (tests/storage/test_contract.py).

A backend registers one factory here: given a folder of its own and a data key, it opens a
store of that backend kept there, and opening the same folder again reopens the same store, as
a restart would. The ``backend`` fixture (conftest.py) runs each contract test once per entry;
an entry that cannot run here is skipped with its reason, never silently left out.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.storage import DataKey, Store
from bot.storage.contract import StoreContract

Opener = Callable[[Path, DataKey], Awaitable[StoreContract]]


@dataclass(frozen=True)
class Backend:
    name: str
    open: Opener | None
    skip: str | None = None  # why this backend does not run here (None: it runs)


async def _sqlite(folder: Path, key: DataKey) -> StoreContract:
    return await Store.open(folder / "ikiganiro.db", key)


def _postgres() -> Backend:
    """PostgreSQL (docs/deployment.md): runs when it exists and IKIGANIRO_TEST_POSTGRES names a
    server (a DSN) that the tests may fill, one schema per test."""
    if not os.environ.get("IKIGANIRO_TEST_POSTGRES"):
        reason = "no PostgreSQL backend in this build (and IKIGANIRO_TEST_POSTGRES is not set)"
    else:
        reason = "no PostgreSQL backend in this build"
    return Backend("postgresql", None, skip=reason)


BACKENDS: list[Backend] = [Backend("sqlite", _sqlite), _postgres()]


class BackendStore:
    """A store of one backend in its own folder, which a test can close and open again."""

    def __init__(self, backend: Backend, folder: Path, key: DataKey) -> None:
        assert backend.open is not None
        self.name = backend.name
        self._open = backend.open
        self.folder = folder
        self.key = key
        self._store: StoreContract | None = None

    @property
    def store(self) -> StoreContract:
        assert self._store is not None, "open the store first"
        return self._store

    async def open(self) -> StoreContract:
        self._store = await self._open(self.folder, self.key)
        return self._store

    async def reopen(self) -> StoreContract:
        """Close the store and open it again from what it keeps: nothing held in memory stays."""
        await self.close()
        return await self.open()

    async def close(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            await store.close()
