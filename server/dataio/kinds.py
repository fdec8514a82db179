"""What each kind of import/export file holds: the entity, its columns and the references it makes.

Columns are the entity's wire names (DOMAIN.md) plus ``external_id`` (the row's id in the system the
file came from) and ``<entity>_external_id`` for each reference. A reference names an imported row by
its external id, or any row of the tenant by its Haulport id (what an export writes for rows that
were never imported), so an exported file imports back unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from sync.entities import ENTITIES


@dataclass(frozen=True)
class Kind:
    name: str
    entity: str
    columns: tuple[str, ...]  # entity fields read from the file
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)  # column → (entity field, target entity)
    required: frozenset[str] = frozenset()  # columns a file must have (besides external_id)
    importable: bool = True

    @property
    def header(self) -> list[str]:
        return ["external_id", *self.columns, *self.refs]


ACCOUNT = {"account_external_id": ("account_id", "account")}
SITE = {"site_external_id": ("site_id", "site")}
PRODUCT = {"product_external_id": ("product_id", "product")}

KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "accounts",
            "account",
            ("number", "name", "kind", "billing_address", "email", "phone", "net_terms_days", "po_required"),
            required=frozenset({"name"}),
        ),
        # A contact's row also says which account it belongs to (a company membership: the whole account).
        Kind(
            "contacts",
            "contact",
            ("name", "email", "phone", "portal_access", "primary"),
            ACCOUNT,
            required=frozenset({"name", "account_external_id"}),
        ),
        Kind(
            "sites",
            "site",
            ("number", "name", "type", "address", "building", "unit", "access_code", "lat", "lng", "notes"),
            ACCOUNT,
            required=frozenset({"name", "account_external_id"}),
        ),
        Kind("catalog", "product", ("name", "kind", "size"), required=frozenset({"name"})),
        Kind(
            "jobs",
            "job",
            (
                "number",
                "status",
                "scheduled_date",
                "window_start",
                "window_end",
                "crew",
                "description",
                "items",
                "load_estimate",
                "po_number",
                "price",
            ),
            {
                **ACCOUNT,
                **SITE,
                "service_type_external_id": ("service_type_id", "service_type"),
                "time_slot_external_id": ("time_slot_id", "time_slot"),
                "truck_external_id": ("truck_id", "truck"),
            },
            required=frozenset({"account_external_id", "site_external_id"}),
        ),
        Kind(
            "invoices",
            "invoice",
            (
                "number",
                "issued_on",
                "due_on",
                "terms",
                "status",
                "lines",
                "tax",
                "balance",
                "po_number",
                "allow_online_payment",
            ),
            {**ACCOUNT, **SITE},
            required=frozenset({"account_external_id", "lines"}),
        ),
        Kind(
            "rentals",
            "rental",
            (
                "rental_number",
                "container_size",
                "delivered_on",
                "included_days",
                "ends_on",
                "daily_rate",
                "swap_fee",
                "status",
                "notes",
            ),
            {**ACCOUNT, **SITE, **PRODUCT},
            required=frozenset({"account_external_id", "site_external_id"}),
        ),
        Kind(
            "units",
            "unit",
            ("number", "condition", "last_serviced_at"),
            {**ACCOUNT, **SITE, **PRODUCT},
            required=frozenset({"number", "account_external_id", "site_external_id"}),
        ),
        Kind(
            "payments",
            "payment",
            ("number", "amount", "method", "status", "reference", "paid_at", "allocations", "refunded_at"),
            ACCOUNT,
            importable=False,
        ),
    )
}
IMPORT_KINDS = tuple(name for name, kind in KINDS.items() if kind.importable)
EXPORT_KINDS = tuple(KINDS)

# Contact fields that live on its membership of the account.
MEMBERSHIP_COLUMNS = ("portal_access", "primary")


def field_types(entity: str) -> dict[str, object]:
    """Field name → its annotated type (with the entity's constraints)."""
    types = {f.name: f.type for f in msgspec.structs.fields(ENTITIES[entity])}
    if entity == "contact":
        types.update(
            {f.name: f.type for f in msgspec.structs.fields(ENTITIES["membership"]) if f.name in MEMBERSHIP_COLUMNS}
        )
    return types
