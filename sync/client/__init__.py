"""The Python sync client: a SQLite replica with a durable mutation queue, kept in sync over HTTP.

``Replica`` (replica.py) is the local state, ``SyncClient`` (remote.py) talks to the server,
``optimistic.py`` replays pending mutations with the shared mutators, ``cli.py`` is ``haulport client``.
"""

from sync.client.remote import (
    Backoff,
    Offline,
    PullReport,
    PushReport,
    SyncClient,
    SyncError,
    actor_from_me,
    reconnect_delay,
)
from sync.client.replica import Page, PendingMutation, Replica, ReplicaError, decode_page

__all__ = [
    "reconnect_delay",
    "Backoff",
    "Offline",
    "Page",
    "PendingMutation",
    "PullReport",
    "PushReport",
    "Replica",
    "ReplicaError",
    "SyncClient",
    "SyncError",
    "actor_from_me",
    "decode_page",
]
