"""The Python client's local state in one SQLite file (via sqlite-utils).

- ``rows`` (entity, id, version, data JSON): the server's snapshot of the session's scope as of ``cursor``;
- ``pending`` (id, name, args JSON, created_at): the durable queue of mutations the server has not yet
  confirmed, numbered 1, 2, 3… per ``client_id``;
- ``meta`` (key, value JSON): ``client_id``, ``cursor``, ``last_mutation_id``, ``session_token``, ``base_url``,
  ``schema_version``, ``actor`` (who the session is, from ``/api/auth/me``);
- ``overlay`` + the view ``optimistic``: the snapshot with the pending mutations replayed on top by the
  real mutators (see ``optimistic.py``), rebuilt lazily whenever the snapshot or the queue changes.

Every change is one SQLite transaction, so a crash never half-applies a pull page, and a queued
mutation is on disk before ``queue`` returns.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import msgspec
import sqlite_utils

from sync.actor import Actor
from sync.client.optimistic import Outcome, ReplicaTx, now_iso, replay
from sync.mutators.registry import load_all, parse_args

_json = msgspec.json.Encoder()
_decode = msgspec.json.decode


class PageChange(msgspec.Struct, kw_only=True):
    entity: str
    id: str
    op: str
    version: int | None = None
    data: msgspec.Raw = msgspec.Raw(b"null")  # kept as the server's JSON bytes, stored as is


class Page(msgspec.Struct, kw_only=True):
    """One pull response (PROTOCOL.md "Sync")."""

    cursor: str
    more: bool
    reset: bool
    schema_version: int
    last_mutation_id: int
    changes: list[PageChange]


decode_page = msgspec.json.Decoder(Page).decode


class PendingMutation(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    name: str
    args: dict[str, Any]
    created_at: str


class ReplicaError(Exception):
    """The replica cannot do what was asked; the message says why."""


def _as_page(page: Page | dict[str, Any]) -> Page:
    if isinstance(page, Page):
        return page
    changes = [
        PageChange(
            entity=c["entity"],
            id=c["id"],
            op=c["op"],
            version=c.get("version"),
            data=msgspec.Raw(_json.encode(c.get("data"))),
        )
        for c in page["changes"]
    ]
    return Page(
        cursor=page["cursor"],
        more=page["more"],
        reset=page["reset"],
        schema_version=page["schema_version"],
        last_mutation_id=page["last_mutation_id"],
        changes=changes,
    )


class Replica:
    """A local replica of one session's scope plus its queue of mutations."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.db = sqlite_utils.Database(self.conn)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")  # a queued mutation survives a power cut
        self.conn.execute("PRAGMA busy_timeout=10000")
        self._create_schema()
        self.outcomes: list[Outcome] = []  # what the last optimistic replay predicted, per pending mutation
        if self.client_id is None:
            self._set(client_id=uuid.uuid4().hex, last_mutation_id=0)

    def _create_schema(self) -> None:
        db = self.db
        db.table("rows").create(
            {"entity": str, "id": str, "version": int, "data": str}, pk=("entity", "id"), if_not_exists=True
        )
        db.table("pending").create(
            {"id": int, "name": str, "args": str, "created_at": str}, pk="id", if_not_exists=True
        )
        db.table("meta").create({"key": str, "value": str}, pk="key", if_not_exists=True)
        db.table("overlay").create(
            {"entity": str, "id": str, "op": str, "version": int, "data": str}, pk=("entity", "id"), if_not_exists=True
        )
        db.create_view(
            "optimistic",
            """
            SELECT entity, id, version, data FROM rows
             WHERE NOT EXISTS (SELECT 1 FROM overlay o WHERE o.entity = rows.entity AND o.id = rows.id)
            UNION ALL
            SELECT entity, id, version, data FROM overlay WHERE op = 'put'""",
            ignore=True,
        )

    def close(self) -> None:
        self.conn.close()

    # --- meta -----------------------------------------------------------------------

    def _get(self, key: str) -> Any:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else _decode(row[0])

    def _set(self, **values: Any) -> None:
        self.conn.executemany(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
            [(k, _json.encode(v).decode()) for k, v in values.items()],
        )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @property
    def client_id(self) -> str | None:
        return self._get("client_id")

    @property
    def cursor(self) -> str | None:
        return self._get("cursor")

    @property
    def last_mutation_id(self) -> int:
        return self._get("last_mutation_id") or 0

    @property
    def session_token(self) -> str | None:
        return self._get("session_token")

    @property
    def base_url(self) -> str | None:
        return self._get("base_url")

    @property
    def schema_version(self) -> int | None:
        return self._get("schema_version")

    @property
    def actor(self) -> Actor | None:
        raw = self._get("actor")
        return None if raw is None else msgspec.convert(raw, Actor)

    def sign_in(self, base_url: str, session_token: str, actor: Actor) -> None:
        """Remember the session; a different person or tenant starts a fresh replica (refused while mutations wait)."""
        with self._transaction():
            previous = self.actor
            if previous is not None and (previous.person_id, previous.tenant_id) != (actor.person_id, actor.tenant_id):
                waiting = self.conn.execute("SELECT COUNT(*) FROM pending").fetchone()[0]
                if waiting:
                    raise ReplicaError(
                        f"{waiting} mutation(s) of {previous.name} are still waiting to be sent; "
                        "sync them, or use another replica file"
                    )
                self._clear_rows()
                self._set(client_id=uuid.uuid4().hex, last_mutation_id=0, cursor=None, schema_version=None)
            self._set(
                base_url=base_url.rstrip("/"),
                session_token=session_token,
                actor=msgspec.to_builtins(actor),
                overlay_stale=True,
            )

    # --- the queue ------------------------------------------------------------------

    def queue(self, name: str, args: dict[str, Any], created_at: str | None = None) -> int:
        """Add a mutation to the durable queue and return its id; raises ``Rejected`` for unknown names or bad args."""
        load_all()
        parse_args(name, args)
        encoded = _json.encode(args).decode()
        with self._transaction():
            highest = self.conn.execute("SELECT MAX(id) FROM pending").fetchone()[0] or 0
            mutation_id = max(highest, self.last_mutation_id) + 1
            self.conn.execute(
                "INSERT INTO pending (id, name, args, created_at) VALUES (?, ?, ?, ?)",
                (mutation_id, name, encoded, created_at or now_iso()),
            )
            self._set(overlay_stale=True)
        return mutation_id

    def pending(self, limit: int | None = None) -> list[PendingMutation]:
        """Queued mutations the server has not confirmed, oldest first."""
        sql = "SELECT id, name, args, created_at FROM pending ORDER BY id" + (f" LIMIT {int(limit)}" if limit else "")
        return [PendingMutation(id=i, name=n, args=_decode(a), created_at=c) for i, n, a, c in self.conn.execute(sql)]

    def drop_confirmed(self, last_mutation_id: int) -> int:
        """Forget queued mutations the server has consumed (ids ≤ ``last_mutation_id``); returns how many."""
        with self._transaction():
            return self._drop(last_mutation_id)

    def _drop(self, last_mutation_id: int) -> int:
        dropped = self.conn.execute("DELETE FROM pending WHERE id <= ?", (last_mutation_id,)).rowcount
        if last_mutation_id > self.last_mutation_id:
            self._set(last_mutation_id=last_mutation_id)
        if dropped:
            self._set(overlay_stale=True)
        return dropped

    # --- the snapshot ---------------------------------------------------------------

    def _clear_rows(self) -> None:
        self.conn.execute("DELETE FROM rows")
        self.conn.execute("DELETE FROM overlay")

    def apply_pull(self, page: Page | dict[str, Any]) -> bool:
        """Apply one pull page in one transaction; False when a new schema dropped the replica (pull from scratch)."""
        page = _as_page(page)
        with self._transaction():
            known, started = self.schema_version, self.cursor is None
            if known is not None and page.schema_version != known:
                self._clear_rows()
                self._set(cursor=None, schema_version=page.schema_version, overlay_stale=True)
                if not (started or page.reset):
                    return False
            elif known is None:
                self._set(schema_version=page.schema_version)
            if page.reset:
                self._clear_rows()
            final = {(c.entity, c.id): c for c in page.changes}  # in sequence order: the last change of a row wins
            puts = [(c.entity, c.id, c.version or 0, bytes(c.data).decode()) for c in final.values() if c.op == "put"]
            dels = [key for key, c in final.items() if c.op == "del"]
            self.conn.executemany("INSERT OR REPLACE INTO rows (entity, id, version, data) VALUES (?, ?, ?, ?)", puts)
            self.conn.executemany("DELETE FROM rows WHERE entity = ? AND id = ?", dels)
            self._set(cursor=page.cursor, overlay_stale=True)
            if not page.more:
                # Only the last page makes the replica consistent with the server's last_mutation_id.
                self._drop(page.last_mutation_id)
        return True

    def forget_rows(self) -> None:
        """Drop the snapshot and the cursor (the queue stays): the next pull starts from scratch."""
        with self._transaction():
            self._clear_rows()
            self._set(cursor=None, overlay_stale=True)

    def snapshot(self, entity: str | None = None) -> list[dict[str, Any]]:
        """The server's rows as last pulled (all entities, or one)."""
        return self._select("rows", entity)

    def _select(self, table: str, entity: str | None) -> list[dict[str, Any]]:
        if entity is None:
            cur = self.conn.execute(f"SELECT data FROM {table} ORDER BY entity, id")
        else:
            cur = self.conn.execute(f"SELECT data FROM {table} WHERE entity = ? ORDER BY id", (entity,))
        return [_decode(data) for (data,) in cur]

    def items(self, optimistic: bool = False) -> dict[tuple[str, str], dict[str, Any]]:
        """Every row by (entity, id): the server's snapshot, or the optimistic view."""
        if optimistic:
            self.refresh()
        table = "optimistic" if optimistic else "rows"
        return {(e, i): _decode(d) for e, i, d in self.conn.execute(f"SELECT entity, id, data FROM {table}")}

    def counts(self, optimistic: bool = True) -> dict[str, int]:
        """Rows per entity (in the optimistic view, or the server snapshot)."""
        if optimistic:
            self.refresh()
        table = "optimistic" if optimistic else "rows"
        return dict(self.conn.execute(f"SELECT entity, COUNT(*) FROM {table} GROUP BY entity ORDER BY entity"))

    # --- the optimistic view --------------------------------------------------------

    def _entity_rows(self, entity: str) -> dict[str, dict[str, Any]]:
        cur = self.conn.execute("SELECT id, data FROM rows WHERE entity = ?", (entity,))
        return {row_id: _decode(data) for row_id, data in cur}

    def _row(self, entity: str, row_id: str) -> dict[str, Any] | None:
        found = self.conn.execute("SELECT data FROM rows WHERE entity = ? AND id = ?", (entity, row_id)).fetchone()
        return None if found is None else _decode(found[0])

    def refresh(self, force: bool = False) -> list[Outcome]:
        """Rebuild the optimistic overlay by replaying the pending mutations (only when something changed)."""
        with self._transaction():
            if not force and not self._get("overlay_stale"):
                return self.outcomes
            actor, mutations = self.actor, self.pending()
            self.conn.execute("DELETE FROM overlay")
            outcomes: list[Outcome] = []
            if actor is not None and mutations:
                tenants = [r for r in self.snapshot("tenant") if r["id"] == actor.tenant_id]
                tx = ReplicaTx(self._entity_rows, self._row, actor.tenant_id, now_iso())
                outcomes = replay(tx, actor, tenants[0] if tenants else {}, mutations, self.client_id or "")
                self.conn.executemany(
                    "INSERT INTO overlay (entity, id, op, version, data) VALUES (?, ?, ?, ?, ?)",
                    [
                        (
                            e,
                            i,
                            "del" if row is None else "put",
                            0 if row is None else row.get("version", 0),
                            None if row is None else _json.encode(row).decode(),
                        )
                        for (e, i), row in tx.overlay.items()
                    ],
                )
            self._set(overlay_stale=False)
            self.outcomes = outcomes
        return outcomes

    def view(self, entity: str) -> list[dict[str, Any]]:
        """Rows of ``entity`` as the user should see them: the server's snapshot plus pending mutations."""
        self.refresh()
        return self._select("optimistic", entity)

    def get(self, entity: str, row_id: str) -> dict[str, Any] | None:
        """One row of the optimistic view, or None."""
        self.refresh()
        found = self.conn.execute(
            "SELECT data FROM optimistic WHERE entity = ? AND id = ?", (entity, row_id)
        ).fetchone()
        return None if found is None else _decode(found[0])
