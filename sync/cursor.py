"""Pull cursors: opaque to clients, ``{schema}.{seq}.{scope fingerprint}`` inside.

A cursor is only good for the scope it was made for. When a session's scope changes (a site
added to a site contact, pending invoices shown, a truck's route replaced) the fingerprint no
longer matches and the next pull is a reset: a full snapshot the client replaces its replica with.
"""

from __future__ import annotations

import hashlib

from sync.entities import SCHEMA_VERSION


class CursorState:
    __slots__ = ("seq", "fingerprint", "schema_version")

    def __init__(self, seq: int, fingerprint: str, schema_version: int = SCHEMA_VERSION):
        self.seq, self.fingerprint, self.schema_version = seq, fingerprint, schema_version

    def encode(self) -> str:
        return f"{self.schema_version}.{self.seq}.{self.fingerprint}"


def decode(cursor: str | None) -> CursorState | None:
    """The cursor's state, or None for a missing or unreadable cursor (⇒ start from scratch)."""
    if not cursor:
        return None
    parts = cursor.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        return None
    return CursorState(int(parts[1]), parts[2], int(parts[0]))


def fingerprint(*parts: object) -> str:
    """A short stable hash of what defines a session's scope."""
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()
