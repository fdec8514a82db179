"""Pull cursors: opaque to clients, ``{schema}.{seq}.{scope fingerprint}`` inside.

A cursor is made for one scope. When a session's scope changes (a site added to a site contact,
pending invoices shown, a job added to a truck's route) the fingerprint no longer matches: the server
looks up the scope it was made for (``sync_scope``) and sends what entered the scope as puts and what
left it as deletes, page by page; meanwhile the cursor also carries the scope and sequence number it
came from, ``{schema}.{seq}.{fingerprint}.{from fingerprint}.{from seq}``. When the old scope is unknown
the pull is a reset: a full snapshot the client replaces its replica with.
"""

from __future__ import annotations

import hashlib
import re

from sync.entities import SCHEMA_VERSION

# ASCII digits only (str.isdigit() takes "²", which int() refuses), and no seq beyond 64 bits.
_CURSOR = re.compile(r"([0-9]{1,9})\.([0-9]{1,18})\.([^.]*)(?:\.([0-9a-f]{1,32})\.([0-9]{1,18}))?")


class CursorState:
    __slots__ = ("seq", "fingerprint", "schema_version", "from_fingerprint", "from_seq")

    def __init__(
        self,
        seq: int,
        fingerprint: str,
        schema_version: int = SCHEMA_VERSION,
        from_fingerprint: str | None = None,
        from_seq: int = 0,
    ):
        self.seq, self.fingerprint, self.schema_version = seq, fingerprint, schema_version
        # Set while a scope change is being sent: the scope and position the client came from.
        self.from_fingerprint, self.from_seq = from_fingerprint, from_seq

    def encode(self) -> str:
        base = f"{self.schema_version}.{self.seq}.{self.fingerprint}"
        return base if self.from_fingerprint is None else f"{base}.{self.from_fingerprint}.{self.from_seq}"


def decode(cursor: str | None) -> CursorState | None:
    """The cursor's state, or None for a missing or unreadable cursor (⇒ start from scratch)."""
    if not cursor:
        return None
    match = _CURSOR.fullmatch(cursor)
    if match is None:
        return None
    if match[4] is not None:
        return CursorState(int(match[2]), match[3], int(match[1]), match[4], int(match[5]))
    return CursorState(int(match[2]), match[3], int(match[1]))


def fingerprint(*parts: object) -> str:
    """A short stable hash of what defines a session's scope."""
    return hashlib.blake2s(repr(parts).encode(), digest_size=6).hexdigest()
