"""Durable, encrypted storage for sessions, the update inbox, the outbox and reminders.

Everything a restart must not lose lives here; the engine stays pure and never imports it.
"""

from bot.storage.contract import StoreContract, TxContract
from bot.storage.crypto import (
    CorruptData,
    DataKey,
    KeyFormatError,
    StorageError,
    WrongKey,
    generate_key,
)
from bot.storage.migrations import MIGRATIONS
from bot.storage.store import Note, Settlement, Sighting, Store
from bot.storage.tx import Tx

__all__ = [
    "MIGRATIONS",
    "CorruptData",
    "DataKey",
    "KeyFormatError",
    "Note",
    "Settlement",
    "Sighting",
    "StorageError",
    "Store",
    "StoreContract",
    "Tx",
    "TxContract",
    "WrongKey",
    "generate_key",
]
