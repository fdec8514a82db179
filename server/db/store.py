"""Rows in and out of the database, every write recorded in the changelog.

``Store`` is bound to one connection (one transaction) and one tenant. It is what the sync
mutators and the office API write through, so every change reaches clients by sync.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import msgspec
from piccolo.columns import Text, Varchar

from server.db.engine import Conn
from server.db.tables import BOOL_KIND, ENTITY_TABLES, INT_KIND, JSON_KIND, KINDS
from sync.cursor import fingerprint
from sync.entities import ENTITIES, NOT_SYNCED, OWNER_LEVEL, TENANT_LEVEL
from sync.rules import IdTaken

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.decode


class StaleRow(Exception):
    """A row changed between read and write."""


class InvalidRow(Exception):
    """A row does not match its entity's schema; the message says where."""


def now_iso() -> str:
    """Now as an ISO-8601 UTC instant ending in Z (millisecond precision)."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_id() -> str:
    return str(uuid.uuid4())


def decode_row(entity: str, raw: dict[str, Any]) -> dict[str, Any]:
    """A database row as its wire dict."""
    kinds = KINDS[entity]
    out: dict[str, Any] = {}
    for key, value in raw.items():
        kind = kinds.get(key)
        if kind == JSON_KIND and isinstance(value, (str, bytes)):
            value = _decode(value) if value else None
        elif kind == BOOL_KIND and value is not None:
            value = bool(value)
        out[key] = value
    return out


def _text_limits(entity: str) -> dict[str, int | None]:
    """Text columns → their length limit. Ids, and the account/site/contact ids the changelog copies
    into 64-character columns, are at most 64."""
    limits: dict[str, int | None] = {}
    for column in ENTITY_TABLES[entity]._meta.columns:
        name = column._meta.name
        if isinstance(column, Varchar):
            limits[name] = min(column.length or 64, 64) if name == "id" or name.endswith("_id") else column.length
        elif isinstance(column, Text):
            limits[name] = None
    return limits


_TEXT_LIMITS = {entity: _text_limits(entity) for entity in ENTITY_TABLES}
_INT_COLUMNS = {entity: [k for k, kind in kinds.items() if kind == INT_KIND] for entity, kinds in KINDS.items()}


def _check_storable(entity: str, row: dict[str, Any]) -> None:
    """What the entity struct allows but a database column cannot hold (PostgreSQL refuses it; SQLite
    is held to the same): NUL characters in text, text longer than its column, integers beyond 64 bits."""
    for name, limit in _TEXT_LIMITS[entity].items():
        value = row.get(name)
        if isinstance(value, str):
            if "\x00" in value:
                raise InvalidRow(f"text may not contain NUL characters - at `$.{name}`")
            if limit is not None and len(value) > limit:
                raise InvalidRow(f"at most {limit} characters - at `$.{name}`")
    for name in _INT_COLUMNS[entity]:
        value = row.get(name)
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise InvalidRow(f"number out of range - at `$.{name}`")


def validate_row(entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check ``data`` against the entity struct and what its columns can hold; return it with defaults
    filled in."""
    try:
        row = msgspec.to_builtins(msgspec.convert(data, ENTITIES[entity], str_keys=True))
    except msgspec.ValidationError as exc:
        raise InvalidRow(str(exc)) from None
    _check_storable(entity, row)
    return row


def _column_values(entity: str, row: dict[str, Any]) -> list[Any]:
    kinds = KINDS[entity]
    values = []
    for key, kind in kinds.items():
        value = row.get(key)
        if kind == JSON_KIND and value is not None:
            value = _encode(value).decode()
        values.append(value)
    return values


def scope_of(entity: str, row: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
    """(account_id, site_id, contact_id) that decide who may see a row."""
    if entity in TENANT_LEVEL:
        return None, None, None
    if entity in OWNER_LEVEL:
        return row.get("account_id"), None, row["id"] if entity == "contact" else row.get("contact_id")
    if entity == "account":
        return row["id"], None, None
    if entity == "site":
        return row["account_id"], row["id"], None
    return row.get("account_id"), row.get("site_id"), None


class Store:
    """Reads and writes of one tenant's rows inside one transaction."""

    authoritative = True

    def __init__(self, conn: Conn, tenant_id: str, remember_rows: bool = False):
        self.conn = conn
        self.tenant_id = tenant_id
        # remember_rows: ``get`` keeps what it read for the rest of the transaction (a push batch reads
        # the same account for each of its messages); this Store's own writes forget the row they change,
        # and ``forget()`` all of them (after a rollback to a savepoint). Only for a transaction whose
        # rows change through this Store alone.
        self._rows: dict[tuple[str, str], dict[str, Any] | None] | None = {} if remember_rows else None
        self.changed: list[tuple[str, dict[str, Any]]] = []
        # Every updated row as it was before: the hub pokes its old place as well as its new one (a job
        # moved to another account or truck; `server/live/hub.py` `channels_for` knows which fields count).
        self.left: list[tuple[str, dict[str, Any]]] = []
        self.effects: list[Any] = []  # `sync.effects` to carry out after the commit (server/effects/work.py)
        self.memo: dict[Any, Any] = {}  # reads this transaction's writes cannot change (e.g. webhook endpoints)
        self._held: int | None = None  # the changelog counter while held in memory (`lock(hold=True)`)
        self._flushed: int | None = None

    def emit(self, effect: Any) -> None:
        """Ask for ``effect`` once this transaction commits (stored in the effect outbox with the rows)."""
        self.effects.append(effect)

    async def lock(self, hold: bool = False) -> None:
        """Serialise this tenant's writers (PostgreSQL row lock; SQLite already holds the write lock).

        ``hold``: also read the tenant's changelog counter once and count in memory from there, so a
        transaction writing many changelog entries (a push batch) spends no statement on each number;
        ``flush()`` must then write it back before the commit. Numbers a rolled-back savepoint took are
        skipped, which pulls do not mind (they only need ``seq`` to grow in commit order)."""
        if self.conn.dialect == "postgres" or hold:
            # Creates the tenant's counter if needed and locks it, in one statement.
            seq = await self.conn.fetchval(
                "INSERT INTO sync_counter (tenant_id, seq, floor) VALUES (?, 0, 0) ON CONFLICT (tenant_id) "
                "DO UPDATE SET seq = sync_counter.seq RETURNING seq",
                self.tenant_id,
            )
            if hold:
                self._held = self._flushed = seq

    async def flush(self) -> None:
        """Write a held changelog counter back (see ``lock``); call it last in the transaction."""
        if self._held is not None and self._held != self._flushed:
            await self.conn.execute("UPDATE sync_counter SET seq = ? WHERE tenant_id = ?", self._held, self.tenant_id)
            self._flushed = self._held

    async def _next_seq(self) -> int:
        """The next changelog sequence number (taken under the writers' lock, so in commit order)."""
        if self._held is not None:
            self._held += 1
            return self._held
        seq = await self.conn.fetchval(
            "UPDATE sync_counter SET seq = seq + 1 WHERE tenant_id = ? RETURNING seq", self.tenant_id
        )
        if seq is None:  # the tenant's first change
            await self.conn.execute(
                "INSERT INTO sync_counter (tenant_id, seq, floor) VALUES (?, 0, 0) ON CONFLICT (tenant_id) DO NOTHING",
                self.tenant_id,
            )
            seq = await self.conn.fetchval(
                "UPDATE sync_counter SET seq = seq + 1 WHERE tenant_id = ? RETURNING seq", self.tenant_id
            )
        return seq

    async def get(self, entity: str, row_id: str) -> dict[str, Any] | None:
        if not isinstance(row_id, str) or "\x00" in row_id:  # (no row has it; PostgreSQL would refuse it)
            return None
        rows = self._rows
        if rows is not None and (entity, row_id) in rows:
            raw = rows[entity, row_id]
        else:
            raw = await self.conn.fetchrow(
                f"SELECT * FROM {entity} WHERE id = ? AND tenant_id = ?", row_id, self.tenant_id
            )
            if rows is not None:
                rows[entity, row_id] = raw
        return None if raw is None else decode_row(entity, raw)  # a new dict (and JSON values) each time

    def forget(self) -> None:
        """Drop the rows ``get`` remembered (see ``remember_rows``)."""
        if self._rows is not None:
            self._rows.clear()

    def _changing(self, entity: str, row_id: str) -> None:
        if self._rows is not None:
            self._rows.pop((entity, row_id), None)

    async def must_get(self, entity: str, row_id: str) -> dict[str, Any]:
        """A row that exists by construction (the session's tenant, a row just locked or written):
        its absence is a broken invariant, not a client's mistake."""
        row = await self.get(entity, row_id)
        if row is None:
            raise LookupError(f"{entity} {row_id} does not exist")
        return row

    async def find(
        self, entity: str, order_by: str | None = None, limit: int | None = None, **where: Any
    ) -> list[dict[str, Any]]:
        kinds = KINDS[entity]
        clauses, args = ["tenant_id = ?"], [self.tenant_id]
        for key, value in where.items():
            if key not in kinds:
                raise KeyError(f"{entity} has no field {key}")
            if value is None:
                clauses.append(f'"{key}" IS NULL')
            elif isinstance(value, (list, tuple, set, frozenset)):
                values = [v for v in value if not (isinstance(v, str) and "\x00" in v)]
                if not values:
                    return []
                clauses.append(f'"{key}" IN ({", ".join("?" * len(values))})')
                args.extend(values)
            elif isinstance(value, str) and "\x00" in value:
                return []  # no stored text holds a NUL (see _check_storable)
            else:
                clauses.append(f'"{key}" = ?')
                args.append(value)
        sql = f"SELECT * FROM {entity} WHERE {' AND '.join(clauses)}"
        if order_by:
            direction = "DESC" if order_by.startswith("-") else "ASC"
            column = order_by.lstrip("-")
            if column not in kinds:
                raise KeyError(f"{entity} has no field {column}")
            sql += f' ORDER BY "{column}" {direction}'
        if limit:
            sql += f" LIMIT {int(limit)}"
        return [decode_row(entity, r) for r in await self.conn.fetch(sql, *args)]

    async def insert(self, entity: str, data: dict[str, Any]) -> dict[str, Any]:
        """Create a row; ``IdTaken`` if its id exists anywhere."""
        stamp = now_iso()
        row = validate_row(
            entity,
            {
                **data,
                "id": data.get("id") or new_id(),
                "tenant_id": self.tenant_id,
                "created_at": stamp,
                "updated_at": stamp,
                "version": 1,
            },
        )
        self._changing(entity, row["id"])
        cols = list(KINDS[entity])
        names = ", ".join(f'"{c}"' for c in cols)
        sql = (
            f"INSERT INTO {entity} ({names}) VALUES ({', '.join('?' * len(cols))}) "
            f"ON CONFLICT (id) DO NOTHING RETURNING id"
        )
        if self.conn.deferring and entity not in NOT_SYNCED:
            # Sent with the next statement (one round trip for a run of inserts); a taken id then fails
            # that statement on the primary key (no ON CONFLICT here) instead of raising IdTaken.
            self.changed.append((entity, row))
            entry = await self._entry(f"{entity}:{row['id']}", entity, row["id"], "put", scope_of(entity, row), row)
            await self.conn.later(
                f"INSERT INTO {entity} ({names}) VALUES ({', '.join('?' * len(cols))})", *_column_values(entity, row)
            )
            await self.conn.later(
                f"INSERT INTO changelog ({_LOG_COLUMNS}) VALUES ({', '.join('?' * 10)}) {_LOG_CONFLICT}", *entry
            )
            return row
        if self.conn.dialect == "postgres" and entity not in NOT_SYNCED:
            # The row and its changelog entry in one statement (one round trip): the entry is written
            # only when the row was, so an id already taken writes neither.
            self.changed.append((entity, row))
            entry = await self._entry(f"{entity}:{row['id']}", entity, row["id"], "put", scope_of(entity, row), row)
            written = await self.conn.fetchval(
                f"WITH row AS ({sql}) {_LOG_FROM_ROW}", *_column_values(entity, row), *entry
            )
            if written is None:
                self.changed.pop()
                raise IdTaken(f"{entity} {row['id']} already exists")
            return row
        if await self.conn.fetchrow(sql, *_column_values(entity, row)) is None:
            raise IdTaken(f"{entity} {row['id']} already exists")
        await self._record(entity, row, "put")
        return row

    async def update(self, entity: str, current: dict[str, Any], **changes: Any) -> dict[str, Any]:
        """Write ``changes`` over ``current`` (a row read in this transaction), bumping its version."""
        row = validate_row(
            entity,
            {
                **current,
                **changes,
                "id": current["id"],
                "tenant_id": self.tenant_id,
                "updated_at": now_iso(),
                "version": current["version"] + 1,
            },
        )
        self._changing(entity, row["id"])
        cols = [c for c in KINDS[entity] if c != "id"]
        values = _column_values(entity, row)[1:]
        assignments = ", ".join(f'"{c}" = ?' for c in cols)
        sql = f"UPDATE {entity} SET {assignments} WHERE id = ? AND tenant_id = ? AND version = ? RETURNING id"
        if await self.conn.fetchrow(sql, *values, row["id"], self.tenant_id, current["version"]) is None:
            raise StaleRow(f"{entity} {row['id']} changed meanwhile")
        before = scope_of(entity, current)
        self.left.append((entity, current))
        await self._record(entity, row, "put", moved_from=before if before != scope_of(entity, row) else None)
        return row

    async def delete(self, entity: str, current: dict[str, Any]) -> None:
        self._changing(entity, current["id"])
        await self.conn.execute(f"DELETE FROM {entity} WHERE id = ? AND tenant_id = ?", current["id"], self.tenant_id)
        await self._record(entity, current, "del")

    async def next_number(self, kind: str, prefix: str) -> str:
        """The next human-facing number of ``kind`` for this tenant, e.g. ``J-1001``."""
        key = f"{self.tenant_id}:{kind}"
        await self.conn.execute(
            "INSERT INTO number_counter (id, value) VALUES (?, 1000) ON CONFLICT (id) DO NOTHING", key
        )
        value = await self.conn.fetchval(
            "UPDATE number_counter SET value = value + 1 WHERE id = ? RETURNING value", key
        )
        return f"{prefix}-{value}"

    async def has_signed_in(self, kind: str, person_id: str) -> bool:
        """Whether this person has ever exchanged a login link (``sign_in``)."""
        return (
            await self.conn.fetchval(
                "SELECT 1 FROM sign_in WHERE id = ? AND tenant_id = ?", f"{kind}:{person_id}", self.tenant_id
            )
            is not None
        )

    async def upload_exists(self, upload_id: str, owner_id: str) -> bool:
        """Whether ``owner_id`` uploaded ``upload_id`` in this tenant (``job.add_photo`` checks it)."""
        if "\x00" in upload_id:
            return False
        return (
            await self.conn.fetchval(
                "SELECT 1 FROM upload WHERE id = ? AND tenant_id = ? AND owner_id = ?",
                upload_id,
                self.tenant_id,
                owner_id,
            )
            is not None
        )

    async def _record(
        self,
        entity: str,
        row: dict[str, Any],
        op: str,
        moved_from: tuple[str | None, str | None, str | None] | None = None,
    ) -> None:
        self.changed.append((entity, row))
        if entity in NOT_SYNCED:
            return
        if moved_from is not None:
            # The row left a site/account: whoever sees only its old place must drop it. The tombstone
            # gets the lower seq, so a session seeing both places applies the del before the put.
            await self._log(
                f"{entity}:{row['id']}~{fingerprint(*moved_from)}", entity, row["id"], "del", moved_from, None
            )
        await self._log(
            f"{entity}:{row['id']}",
            entity,
            row["id"],
            op,
            scope_of(entity, row),
            _encode(row).decode() if op == "put" else None,
        )

    async def _entry(
        self,
        key: str,
        entity: str,
        row_id: str,
        op: str,
        scope: tuple[str | None, str | None, str | None],
        row: dict[str, Any] | None,
    ) -> tuple[Any, ...]:
        """A changelog entry's values, in ``_LOG_COLUMNS`` order (taking the next sequence number)."""
        seq = await self._next_seq()
        account_id, site_id, contact_id = scope
        data = _encode(row).decode() if row is not None else None
        return key, seq, self.tenant_id, entity, row_id, op, account_id, site_id, contact_id, data

    async def _log(
        self,
        key: str,
        entity: str,
        row_id: str,
        op: str,
        scope: tuple[str | None, str | None, str | None],
        data: str | None,
    ) -> None:
        seq = await self._next_seq()
        account_id, site_id, contact_id = scope
        await self.conn.execute(
            f"INSERT INTO changelog ({_LOG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) {_LOG_CONFLICT}",
            key,
            seq,
            self.tenant_id,
            entity,
            row_id,
            op,
            account_id,
            site_id,
            contact_id,
            data,
        )


_LOG_COLUMNS = "id, seq, tenant_id, entity, row_id, op, account_id, site_id, contact_id, data"
_LOG_CONFLICT = (
    "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, op = excluded.op, account_id = excluded.account_id, "
    "site_id = excluded.site_id, contact_id = excluded.contact_id, data = excluded.data"
)
# After a ``WITH row AS (INSERT ... RETURNING id)``: the entry, only if the row was inserted (PostgreSQL).
_LOG_FROM_ROW = (
    f"INSERT INTO changelog ({_LOG_COLUMNS}) SELECT ?::varchar, ?::bigint, ?::varchar, ?::varchar, ?::varchar, "
    f"?::varchar, ?::varchar, ?::varchar, ?::varchar, ?::text FROM row {_LOG_CONFLICT} RETURNING seq"
)
