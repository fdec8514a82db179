"""Pull cursors: opaque to clients, ``{schema}.{seq}.{scope fingerprint}`` inside.

A cursor is only good for the scope it was made for. When a session's scope changes (a site
added to a site contact, pending invoices shown, a truck's route replaced) the fingerprint no
longer matches and the next pull is a reset: a full snapshot the client replaces its replica with.
"""

from __future__ import annotations

import hashlib
import re

from sync.entities import SCHEMA_VERSION

# ASCII digits only (str.isdigit() takes "²", which int() refuses), and no seq beyond 64 bits.
_CURSOR = re.compile(r"([0-9]{1,9})\.([0-9]{1,18})\.([^.]*)")


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
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        return None
    return CursorState(int(match[2]), match[3], int(match[1]))


def fingerprint(*parts: object) -> str:
    """A short stable hash of what defines a session's scope."""
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()
