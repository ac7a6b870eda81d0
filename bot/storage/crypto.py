"""Per-value authenticated encryption for the free text the database keeps.

Each value is sealed on its own with AES-GCM and a fresh random 96-bit nonce, so no nonce is
ever reused under one key. The associated data names the row and column the value belongs to:
a ciphertext copied into another row (or another column) fails to open instead of being read
as someone else's story. Nothing here logs or keeps plaintext.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12
# A format byte ahead of the nonce leaves room for key rotation without guessing.
FORMAT_V1 = b"\x01"


class StorageError(Exception):
    """The database cannot be used as it stands; the message says why, in plain words."""


class KeyFormatError(StorageError, ValueError):
    """The configured data key is not a urlsafe-base64 encoding of 32 bytes."""


class WrongKey(StorageError):
    """The database was created with a different data key."""


class CorruptData(StorageError):
    """A stored ciphertext does not open: forged, moved between rows, or damaged."""


def generate_key() -> str:
    """A new random data key in the form ``DataKey.from_env_value`` accepts."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


class DataKey:
    """The key that seals stored text; kept out of reprs so it never reaches a log."""

    __slots__ = ("_aead",)

    def __init__(self, raw: bytes) -> None:
        if len(raw) != KEY_BYTES:
            raise KeyFormatError(f"a data key must be {KEY_BYTES} bytes, got {len(raw)}")
        self._aead = AESGCM(raw)

    @classmethod
    def from_env_value(cls, value: str) -> DataKey:
        """Parse the operator's key; the error names the fix, never the key."""
        text = value.strip()
        if not text:
            raise KeyFormatError(
                "the data key is empty; create one with `ikiganiro keygen` "
                "and put it in IKIGANIRO_DATA_KEY"
            )
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError) as exc:
            raise KeyFormatError(
                "the data key is not urlsafe base64; create one with `ikiganiro keygen`"
            ) from exc
        if len(raw) != KEY_BYTES:
            raise KeyFormatError(
                f"the data key decodes to {len(raw)} bytes, not {KEY_BYTES}; "
                "create one with `ikiganiro keygen`"
            )
        return cls(raw)

    @classmethod
    def generate(cls) -> DataKey:
        return cls.from_env_value(generate_key())

    def __repr__(self) -> str:
        return "DataKey(<hidden>)"

    def seal(self, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT_V1 + nonce + self._aead.encrypt(nonce, plaintext, aad)

    def open(self, blob: bytes, aad: bytes) -> bytes:
        """Decrypt or raise ``CorruptData``; never returns bytes that failed authentication."""
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT_V1:
            raise CorruptData(f"stored value for {aad.decode(errors='replace')} is malformed")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, aad)
        except InvalidTag:
            raise CorruptData(
                f"stored value for {aad.decode(errors='replace')} failed authentication "
                "(forged, moved from another row, or damaged)"
            ) from None

    def seal_text(self, text: str, aad: str) -> bytes:
        return self.seal(text.encode("utf-8"), aad.encode("utf-8"))

    def open_text(self, blob: bytes, aad: str) -> str:
        return self.open(blob, aad.encode("utf-8")).decode("utf-8")
