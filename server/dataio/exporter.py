"""Exporting a tenant's records in the import format (CSV or JSON lines), so a file imports back unchanged."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from server.dataio.importer import external_keys
from server.dataio.kinds import KINDS, MEMBERSHIP_COLUMNS
from server.db.engine import Database
from server.db.store import decode_row
from server.db.tables import JSON_KIND
from server.db.tables import KINDS as COLUMN_KINDS


async def export_records(db: Database, tenant_id: str, kind_name: str) -> list[dict[str, Any]]:
    """The kind's records as file records: ``external_id``, the kind's columns, references by external id."""
    kind = KINDS[kind_name]
    async with db.read() as conn:
        rows = [
            decode_row(kind.entity, r)
            for r in await conn.fetch(
                f"SELECT * FROM {kind.entity} WHERE tenant_id = ? ORDER BY created_at, id", tenant_id
            )
        ]
        own = {v: k for k, v in (await external_keys(conn, tenant_id, kind.entity)).items()}
        targets = {}
        for _, target in kind.refs.values():
            targets[target] = {v: k for k, v in (await external_keys(conn, tenant_id, target)).items()}
        memberships: dict[str, dict] = {}
        if kind.entity == "contact":
            for m in await conn.fetch(
                "SELECT * FROM membership WHERE tenant_id = ? AND role = 'company' ORDER BY created_at", tenant_id
            ):
                memberships.setdefault(m["contact_id"], decode_row("membership", m))
    out = []
    for row in rows:
        if kind.entity == "contact":
            membership = memberships.get(row["id"])
            if membership is None:
                continue  # (site contacts are not in the import format)
            row = {**row, "account_id": membership["account_id"], **{k: membership[k] for k in MEMBERSHIP_COLUMNS}}
        record: dict[str, Any] = {"external_id": own.get(row["id"], row["id"])}
        for column in kind.columns:
            record[column] = row.get(column)
        for column, (field, target) in kind.refs.items():
            value = row.get(field)
            record[column] = None if value is None else targets[target].get(value, value)
        out.append(record)
    return out


def _cell(entity: str, column: str, value: Any) -> str:
    if value is None:
        return ""
    kind = COLUMN_KINDS[entity].get(column)
    if kind == JSON_KIND or isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def as_csv(kind_name: str, records: list[dict[str, Any]]) -> Iterator[str]:
    """CSV text, line by line (the header first)."""
    kind = KINDS[kind_name]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(kind.header)
    yield buffer.getvalue()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(kind.entity, c, record.get(c)) for c in kind.header])
        yield buffer.getvalue()


def as_jsonl(records: list[dict[str, Any]]) -> Iterator[str]:
    for record in records:
        yield json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
