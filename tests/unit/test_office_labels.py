"""Every stored value the office console shows has words in client_pwa/src/office/labels.ts: the
tables there are held against the entities' Literal types, so a new status cannot reach the screen raw."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import msgspec
import pytest

from sync.entities import ENTITIES

LABELS_TS = Path(__file__).resolve().parents[2] / "client_pwa" / "src" / "office" / "labels.ts"
# label table → (entity, field) whose values it names
TABLES = {
    "job_status": ("job", "status"),
    "job_source": ("job", "source"),
    "account_kind": ("account", "kind"),
    "site_type": ("site", "type"),
    "product_kind": ("product", "kind"),
    "invoice_status": ("invoice", "status"),
    "estimate_status": ("estimate", "status"),
    "rental_status": ("rental", "status"),
    "unit_condition": ("unit", "condition"),
    "request_status": ("service_request", "status"),
    "urgency": ("service_request", "urgency"),
    "pattern": ("recurring_series", "pattern"),
    "staff_role": ("staff_user", "role"),
    "payment_method": ("payment", "method"),
    "payment_status": ("payment", "status"),
    "load_estimate": ("job", "load_estimate"),
    "issue_kind": ("unit_issue", "kind"),
}


def _literal_values(entity: str, field: str) -> set[str]:
    info = {f.name: f.type for f in msgspec.structs.fields(ENTITIES[entity])}[field]
    values: set[str] = set()
    stack = [info]
    while stack:
        tp = stack.pop()
        if typing.get_origin(tp) is typing.Literal:
            values.update(typing.get_args(tp))
        else:
            stack.extend(typing.get_args(tp))
    return values


def _table(name: str) -> set[str]:
    match = re.search(rf"^\s*{name}: \{{(.*?)\}},?$", LABELS_TS.read_text(), re.M)
    assert match, f"labels.ts has no {name} table"
    return set(re.findall(r"(\w+): '", match.group(1)))


@pytest.mark.parametrize("table", sorted(TABLES))
def test_every_value_has_words_for_the_office(table):
    values = _literal_values(*TABLES[table])
    assert values, TABLES[table]
    assert values <= _table(table), f"{table} lacks words for {sorted(values - _table(table))}"
