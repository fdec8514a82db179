"""Writing an import file's rows through the Store (rows + changelog, so portals get them on their next
pull), all or nothing, idempotent by ``external_id``.

A row whose external id was imported before (or that is a Haulport id, as in an exported file) updates
that record when something changed and is left alone otherwise; a new one is created with an id derived
from the tenant, entity and external id. Every problem is reported as ``line N: field: reason`` and then
nothing is written. A dry run does the same work in a transaction that is rolled back.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from server.admin.records import NUMBERED
from server.dataio.kinds import KINDS, MEMBERSHIP_COLUMNS, Kind
from server.dataio.reading import FileRow, guess_format, read_file
from server.db.engine import Conn, Database
from server.db.store import InvalidRow, Store, now_iso
from sync.rules import invoice_totals

NAMESPACE = uuid.UUID("3d1f7a52-6c1e-4a51-9f3b-2b8c9e0d7a41")
CHUNK = 500


class ImportRefused(Exception):
    """The file was refused; ``errors`` lists every problem (``line N: field: reason``)."""

    def __init__(self, errors: list[str]):
        super().__init__("\n".join(errors))
        self.errors = errors


class _RollBack(Exception):
    pass


@dataclass
class ImportResult:
    kind: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False
    changed: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    left: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # see `Store.left`

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
        }

    def sentence(self) -> str:
        would = "would be " if self.dry_run else ""
        return f"{self.kind}: {self.created} {would}created, {self.updated} {would}updated, {self.unchanged} unchanged"


def key_id(tenant_id: str, entity: str, external_id: str) -> str:
    return f"{tenant_id}:{entity}:{external_id}"


async def _rows_by_id(conn: Conn, tenant_id: str, entity: str, ids: list[str], columns: str = "*") -> dict[str, dict]:
    from server.db.store import decode_row

    out: dict[str, dict] = {}
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        chunk = unique[start : start + CHUNK]
        rows = await conn.fetch(
            f"SELECT {columns} FROM {entity} WHERE tenant_id = ? AND id IN ({', '.join('?' * len(chunk))})",
            tenant_id,
            *chunk,
        )
        for row in rows:
            out[row["id"]] = decode_row(entity, row) if columns == "*" else row
    return out


async def external_keys(conn: Conn, tenant_id: str, entity: str) -> dict[str, str]:
    """External id → row id of everything imported into ``entity``."""
    rows = await conn.fetch(
        "SELECT external_id, row_id FROM external_key WHERE tenant_id = ? AND entity = ?", tenant_id, entity
    )
    return {r["external_id"]: r["row_id"] for r in rows}


async def _resolve(conn: Conn, tenant_id: str, kind: Kind, rows: list[FileRow], errors: list[str]) -> dict:
    """Each reference's row id (by external id, else Haulport id); ``site_external_id`` must be a site of the
    row's account."""
    resolved: dict[tuple[str, str], str] = {}
    for column, (_, target) in kind.refs.items():
        names = {r.refs[column] for r in rows if column in r.refs}
        if not names:
            continue
        keys = await external_keys(conn, tenant_id, target)
        found = {n: keys[n] for n in names if n in keys}
        by_id = await _rows_by_id(conn, tenant_id, target, [n for n in names if n not in found], "id")
        found.update({n: n for n in by_id})
        for name, row_id in found.items():
            resolved[(column, name)] = row_id
    site_accounts: dict[str, str] = {}
    if "site_external_id" in kind.refs:
        site_ids = [v for (c, _), v in resolved.items() if c == "site_external_id"]
        site_accounts = {
            i: r["account_id"]
            for i, r in (await _rows_by_id(conn, tenant_id, "site", site_ids, "id, account_id")).items()
        }
    for row in rows:
        for column, name in row.refs.items():
            target = kind.refs[column][1]
            row_id = resolved.get((column, name))
            if row_id is None:
                errors.append(f"line {row.line}: {column}: no {target.replace('_', ' ')} with external id {name!r}")
                continue
            row.values[kind.refs[column][0]] = row_id
        site_id, account_id = row.values.get("site_id"), row.values.get("account_id")
        if site_id and account_id and site_accounts.get(site_id) != account_id:
            errors.append(f"line {row.line}: site_external_id: that site belongs to another account")
    return resolved


def _derived(
    kind: Kind, values: dict[str, Any], current: dict[str, Any] | None, line: int, errors: list[str]
) -> dict[str, Any]:
    """Fields worked out from the file's: invoice totals and balance, a job's first status event."""
    if kind.entity == "invoice":
        lines = values.get("lines", current["lines"] if current else [])
        tax = values.get("tax", current["tax"] if current else 0)
        totals = invoice_totals(lines, tax)
        values.update(lines=totals["lines"], subtotal=totals["subtotal"], total=totals["total"])
        status = values.get("status", current["status"] if current else "draft")
        if "balance" not in values:
            values["balance"] = (
                0
                if status in ("paid", "void")
                else (current["balance"] if current and current["total"] == totals["total"] else totals["total"])
            )
        elif values["balance"] > totals["total"]:
            errors.append(f"line {line}: balance: more than the invoice's total ({totals['total']} cents)")
    if kind.entity == "job" and current is None:
        values["status_history"] = [
            {"status": values.get("status", "requested"), "at": now_iso(), "by": "import", "applied": True}
        ]
    if kind.entity == "contact" and values.get("email"):
        values["email"] = values["email"].strip().lower()
    return values


async def _write_membership(store: Store, contact: dict[str, Any], account_id: str, member: dict[str, Any]) -> bool:
    """The contact's membership of the account (company role), created or brought up to date."""
    wanted = {"name": contact["name"], "email": contact.get("email"), "phone": contact.get("phone"), **member}
    current = next(iter(await store.find("membership", contact_id=contact["id"], account_id=account_id)), None)
    if current is None:
        await store.insert(
            "membership",
            {
                "id": str(uuid.uuid5(NAMESPACE, f"{contact['id']}:{account_id}")),
                "contact_id": contact["id"],
                "account_id": account_id,
                "role": "company",
                **wanted,
            },
        )
        return True
    changes = {k: v for k, v in wanted.items() if current.get(k) != v}
    if changes:
        await store.update("membership", current, **changes)
    return bool(changes)


async def _apply(store: Store, kind: Kind, rows: list[FileRow], result: ImportResult, errors: list[str]) -> None:
    tenant_id, entity = store.tenant_id, kind.entity
    keys = await external_keys(store.conn, tenant_id, entity)
    wanted_ids = [keys.get(r.external_id, r.external_id) for r in rows]
    existing = await _rows_by_id(store.conn, tenant_id, entity, wanted_ids)
    emails: dict[str, str] = {}
    if entity == "contact":
        emails = {
            r["email"]: r["id"]
            for r in await store.conn.fetch(
                "SELECT id, email FROM contact WHERE tenant_id = ? AND email IS NOT NULL", tenant_id
            )
        }
    new_keys: list[tuple] = []
    for row, row_id in zip(rows, wanted_ids):
        current = existing.get(row_id)
        values = dict(row.values)
        member = {k: values.pop(k) for k in MEMBERSHIP_COLUMNS if k in values} if entity == "contact" else {}
        account_id = values.pop("account_id", None) if entity == "contact" else None
        values = _derived(kind, values, current, row.line, errors)
        if entity == "contact":
            email = values.get("email", current.get("email") if current else None)
            phone = values.get("phone", current.get("phone") if current else None)
            if not (email or phone):
                errors.append(f"line {row.line}: email: a contact needs an email or a phone number")
                continue
            other = emails.get(email) if email else None
            if other and other != (current or {}).get("id"):
                errors.append(f"line {row.line}: email: another contact already has {email}")
                continue
        try:
            if current is None:
                new_id = str(uuid.uuid5(NAMESPACE, key_id(tenant_id, entity, row.external_id)))
                if entity in NUMBERED and not values.get(NUMBERED[entity][0]):
                    number_field, prefix = NUMBERED[entity]
                    values[number_field] = await store.next_number(entity, prefix)
                saved = await store.insert(entity, {**values, "id": new_id})
                new_keys.append(
                    (key_id(tenant_id, entity, row.external_id), tenant_id, entity, row.external_id, new_id)
                )
                result.created += 1
            else:
                changes = {k: v for k, v in values.items() if current.get(k) != v}
                saved = await store.update(entity, current, **changes) if changes else current
                if changes and row.external_id not in keys and row.external_id != current["id"]:
                    new_keys.append(
                        (key_id(tenant_id, entity, row.external_id), tenant_id, entity, row.external_id, current["id"])
                    )
                membership_changed = False
                if entity == "contact" and account_id:
                    membership_changed = await _write_membership(store, saved, account_id, member)
                    account_id = None
                if changes or membership_changed:
                    result.updated += 1
                else:
                    result.unchanged += 1
            if entity == "contact" and account_id:
                await _write_membership(store, saved, account_id, member)
                if saved.get("email"):
                    emails[saved["email"]] = saved["id"]
        except InvalidRow as exc:
            text = str(exc)
            name = text.rsplit("`$.", 1)[1].split("`")[0].split(".")[0].split("[")[0] if "`$." in text else "row"
            errors.append(f"line {row.line}: {name}: {text.split(' - at ')[0]}")
    if new_keys and not errors:
        await store.conn.executemany(
            "INSERT INTO external_key (id, tenant_id, entity, external_id, row_id) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            new_keys,
        )


async def import_rows(
    db: Database,
    tenant_id: str,
    kind_name: str,
    data: bytes,
    filename: str = "",
    dry_run: bool = False,
    fmt: str | None = None,
) -> ImportResult:
    """Import ``data`` (a CSV or JSON-lines file) into the tenant; ``ImportRefused`` with every problem."""
    kind = KINDS.get(kind_name)
    if kind is None or not kind.importable:
        from server.dataio.kinds import IMPORT_KINDS

        raise ImportRefused([f"line 1: kind: {kind_name!r} cannot be imported (one of: {', '.join(IMPORT_KINDS)})"])
    read = read_file(kind, data, fmt or guess_format(filename, data))
    errors = list(read.errors)
    result = ImportResult(kind=kind_name, dry_run=dry_run)
    try:
        async with db.write() as conn:
            store = Store(conn, tenant_id)
            await store.lock()
            await _resolve(conn, tenant_id, kind, read.rows, errors)
            if not errors:
                await _apply(store, kind, read.rows, result, errors)
            if errors:
                raise ImportRefused(sorted(dict.fromkeys(errors), key=_line_of))
            if dry_run:
                raise _RollBack()
    except _RollBack:
        return result
    result.changed = store.changed
    result.left = store.left
    return result


def _line_of(error: str) -> tuple[int, str]:
    head = error.split(":", 1)[0]
    return (int(head.removeprefix("line ")) if head.startswith("line ") else 0, error)
