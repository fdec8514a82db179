"""Reading an import file (CSV or JSON lines) into checked rows, every problem as ``line N: field: reason``.

CSV cells are text: an empty cell leaves the field at its default, list and object fields (an invoice's
``lines``, a site's ``address``) are JSON in one cell, numbers and true/false are converted. JSON lines
carry typed values. Line numbers count the file's lines: in a CSV file the header is line 1.
"""

from __future__ import annotations

import csv
import io
import json
import typing
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import msgspec

from server.dataio.kinds import Kind, field_types
from server.db.tables import JSON_KIND
from server.db.tables import KINDS as COLUMN_KINDS
from sync.entities import Date

MAX_EXTERNAL_ID = 255


@dataclass
class FileRow:
    line: int
    external_id: str
    values: dict[str, Any]  # entity fields present in the file, converted
    refs: dict[str, str] = field(default_factory=dict)  # reference column → the external id it names


@dataclass
class ReadResult:
    rows: list[FileRow]
    errors: list[str]


def _literal_options(typ: Any) -> tuple[str, ...]:
    for arg in (typ, *typing.get_args(typ)):
        if typing.get_origin(arg) is typing.Literal:
            return typing.get_args(arg)
        inner = typing.get_args(arg)
        if inner and typing.get_origin(inner[0]) is typing.Literal:
            return typing.get_args(inner[0])
    return ()


def _is_date(typ: Any) -> bool:
    return typ is Date or Date in typing.get_args(typ)


def _reason(typ: Any, exc: msgspec.ValidationError) -> str:
    text, _, where = str(exc).partition(" - at ")
    options = _literal_options(typ)
    if options and "enum" in text.lower():
        return f"must be one of: {', '.join(options)}"
    if _is_date(typ):
        return "not a date (write it as YYYY-MM-DD)"
    if text.startswith("Expected `int`, got") or text.startswith("Expected `int | null`, got"):
        return "must be a whole number"
    if text.startswith("Expected `bool"):
        return "must be true or false"
    if text.startswith("Expected `float") or text.startswith("Expected `number"):
        return "must be a number"
    where = where.strip("`")
    suffix = f" (at {where.replace('$', 'item', 1)})" if where not in ("", "$") else ""
    return text[:1].lower() + text[1:] + suffix


class _Bad(Exception):
    pass


def convert_value(name: str, raw: Any, typ: Any, kind: str, from_csv: bool) -> Any:
    """One cell or JSON value as the field's type; ``_Bad(reason)`` when it cannot be."""
    value = raw
    if from_csv and kind == JSON_KIND and isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError:
            raise _Bad("not valid JSON (list and object fields are JSON in one cell)") from None
    try:
        value = msgspec.convert(value, typ, strict=False)
    except msgspec.ValidationError as exc:
        raise _Bad(_reason(typ, exc)) from None
    if _is_date(typ) and value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise _Bad("not a date (write it as YYYY-MM-DD)") from None
    return msgspec.to_builtins(value)


def _check_header(kind: Kind, header: list[str], line: int) -> list[str]:
    errors = []
    known = set(kind.header)
    for name in header:
        if name not in known:
            errors.append(f"line {line}: {name}: unknown column (the columns are: {', '.join(kind.header)})")
    seen = set()
    for name in header:
        if name in seen:
            errors.append(f"line {line}: {name}: column appears twice")
        seen.add(name)
    for name in ["external_id", *sorted(kind.required)]:
        if name not in header:
            errors.append(f"line {line}: {name}: missing column")
    return errors


def _row(kind: Kind, line: int, record: dict[str, Any], from_csv: bool, errors: list[str]) -> FileRow:
    types = field_types(kind.entity)
    column_kinds = {
        **COLUMN_KINDS[kind.entity],
        **({"portal_access": "bool", "primary": "bool"} if kind.entity == "contact" else {}),
    }

    def blank(value: Any) -> bool:
        return value is None or (isinstance(value, str) and value.strip() == "")

    external_id = record.get("external_id")
    if blank(external_id):
        errors.append(f"line {line}: external_id: required")
    elif not isinstance(external_id, (str, int)) or isinstance(external_id, bool):
        errors.append(f"line {line}: external_id: must be text")
    else:
        external_id = str(external_id).strip()
        if len(external_id) > MAX_EXTERNAL_ID or "\x00" in external_id:
            errors.append(f"line {line}: external_id: at most {MAX_EXTERNAL_ID} characters")
    values: dict[str, Any] = {}
    for name in kind.columns:
        if name not in record:
            continue
        raw = record[name]
        if from_csv and blank(raw):
            if name in kind.required:
                errors.append(f"line {line}: {name}: required")
            continue
        if raw is None and name in kind.required:
            errors.append(f"line {line}: {name}: required")
            continue
        try:
            values[name] = convert_value(name, raw, types[name], column_kinds.get(name, ""), from_csv)
        except _Bad as exc:
            errors.append(f"line {line}: {name}: {exc}")
    refs: dict[str, str] = {}
    for column in kind.refs:
        raw = record.get(column)
        if blank(raw):
            if column in kind.required:
                errors.append(f"line {line}: {column}: required")
            continue
        if not isinstance(raw, (str, int)) or isinstance(raw, bool):
            errors.append(f"line {line}: {column}: must be text")
            continue
        refs[column] = str(raw).strip()
    # A row with a bad field is still returned: its references and external id are checked too, so the
    # file's every problem is reported at once (nothing is written while there are errors).
    return FileRow(line=line, external_id=external_id if isinstance(external_id, str) else "", values=values, refs=refs)


def read_csv(kind: Kind, text: str) -> ReadResult:
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        return ReadResult([], ["line 1: file: empty (the first line names the columns)"])
    except csv.Error as exc:
        return ReadResult([], [f"line 1: file: not readable as CSV ({exc})"])
    header = [h.strip().lstrip("\ufeff") for h in header]
    errors = _check_header(kind, header, 1)
    if errors:
        return ReadResult([], errors)
    rows: list[FileRow] = []
    start = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            errors.append(f"line {start}: file: not readable as CSV ({exc})")
            break
        line, start = start, reader.line_num + 1
        if not cells or all(not c.strip() for c in cells):
            continue  # blank lines (a spreadsheet's trailing rows) are not records
        if len(cells) != len(header):
            errors.append(f"line {line}: file: {len(cells)} cells where the header has {len(header)} columns")
            continue
        rows.append(_row(kind, line, dict(zip(header, cells)), True, errors))
    return ReadResult(rows, errors)


def read_jsonl(kind: Kind, text: str) -> ReadResult:
    errors: list[str] = []
    rows: list[FileRow] = []
    known = set(kind.header)
    for line, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            errors.append(f"line {line}: file: not a JSON object")
            continue
        if not isinstance(record, dict):
            errors.append(f"line {line}: file: not a JSON object")
            continue
        bad = False
        for name in record:
            if name not in known:
                errors.append(f"line {line}: {name}: unknown field (the fields are: {', '.join(kind.header)})")
                bad = True
        for name in sorted(kind.required):
            if name not in record:
                errors.append(f"line {line}: {name}: required")
                bad = True
        if bad:
            continue
        rows.append(_row(kind, line, record, False, errors))
    return ReadResult(rows, errors)


def guess_format(filename: str, data: bytes) -> str:
    """``csv`` or ``jsonl``, from the file's name or else its first character."""
    lower = filename.lower()
    if lower.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lower.endswith(".csv"):
        return "csv"
    return "jsonl" if data.lstrip()[:1] == b"{" else "csv"


def read_file(kind: Kind, data: bytes, fmt: str) -> ReadResult:
    """Rows of ``data`` (UTF-8) and every problem found, with the duplicate external ids."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return ReadResult([], [f"line {line}: file: not UTF-8 text (save the file as UTF-8)"])
    result = read_csv(kind, text) if fmt == "csv" else read_jsonl(kind, text)
    first_line: dict[str, int] = {}
    for row in result.rows:
        if not row.external_id:
            continue
        if row.external_id in first_line:
            result.errors.append(
                f"line {row.line}: external_id: {row.external_id!r} is also on line {first_line[row.external_id]}"
            )
        else:
            first_line[row.external_id] = row.line
    return result
