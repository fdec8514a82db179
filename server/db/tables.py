"""Piccolo tables: one per entity in sync/entities.py, plus the server's own bookkeeping.

Entity tables are derived from the msgspec structs so a field is declared once. Nested values
(addresses, lines, photos…) are JSON columns; ids are text (UUIDs made by clients too);
instants and dates are ISO text, which sorts correctly on both SQLite and PostgreSQL.
"""

from __future__ import annotations

import types
from typing import Any

import msgspec
from piccolo.columns import (
    JSON,
    BigInt,
    Boolean,
    Bytea,
    DoublePrecision,
    Integer,
    Text,
    Varchar,
)
from piccolo.columns.base import Column
from piccolo.table import Table

from sync.entities import ENTITIES, Row

# Columns looked up on hot paths get an index.
INDEXED = {"tenant_id", "account_id", "site_id", "contact_id", "truck_id", "email", "phone", "slug", "code"}
# Kinds of stored value, used to turn database values back into wire values.
JSON_KIND, BOOL_KIND, FLOAT_KIND, INT_KIND, TEXT_KIND = "json", "bool", "float", "int", "text"


def _kind_of(info: msgspec.inspect.Type) -> tuple[str, bool]:
    """The stored kind of a msgspec field type, and whether it is nullable."""
    nullable = False
    if isinstance(info, msgspec.inspect.UnionType):
        members = [t for t in info.types if not isinstance(t, msgspec.inspect.NoneType)]
        nullable = len(members) != len(info.types)
        if len({_kind_of(t)[0] for t in members}) == 1:
            return _kind_of(members[0])[0], nullable
        return JSON_KIND, nullable
    if isinstance(info, msgspec.inspect.BoolType):
        return BOOL_KIND, nullable
    if isinstance(info, msgspec.inspect.IntType):
        return INT_KIND, nullable
    if isinstance(info, msgspec.inspect.FloatType):
        return FLOAT_KIND, nullable
    if isinstance(info, (msgspec.inspect.StrType, msgspec.inspect.LiteralType)):
        return TEXT_KIND, nullable
    return JSON_KIND, nullable


def _struct_info(struct: type[Row]) -> msgspec.inspect.StructType:
    info = msgspec.inspect.type_info(struct)
    assert isinstance(info, msgspec.inspect.StructType), struct
    return info


def column_kinds(struct: type[Row]) -> dict[str, str]:
    """Field name → stored kind for an entity struct."""
    info = _struct_info(struct)
    return {f.name: _kind_of(f.type)[0] for f in info.fields}


def _column_for(field: msgspec.inspect.Field) -> Column:
    kind, nullable = _kind_of(field.type)
    index = field.name in INDEXED
    if field.name == "id":
        return Varchar(length=64, primary_key=True)
    if kind == BOOL_KIND:
        return Boolean(default=False, null=nullable)
    if kind == INT_KIND:
        return BigInt(default=0, null=nullable, index=index)
    if kind == FLOAT_KIND:
        return DoublePrecision(null=True)
    if kind == JSON_KIND:
        return JSON(null=True)
    if field.name.endswith("_id") or field.name in {"slug", "email", "phone", "code", "status", "number"}:
        return Varchar(length=255, null=True, index=index)
    return Text(null=True, index=index)


def _table_from_struct(entity: str, struct: type[Row]) -> type[Table]:
    info = _struct_info(struct)
    attrs: dict[str, Any] = {f.name: _column_for(f) for f in info.fields}
    class_name = "".join(part.title() for part in entity.split("_"))
    return types.new_class(class_name, (Table,), {"tablename": entity}, lambda ns: ns.update(attrs))


ENTITY_TABLES: dict[str, type[Table]] = {name: _table_from_struct(name, s) for name, s in ENTITIES.items()}


class SyncCounter(Table, tablename="sync_counter"):
    """Per-tenant change sequence; taking it serialises a tenant's writers in commit order."""

    tenant_id = Varchar(length=64, primary_key=True)
    seq = BigInt(default=0)
    floor = BigInt(default=0)  # cursors below this were compacted away and must reset


class Changelog(Table, tablename="changelog"):
    """The latest change of every synced row (compacted: one entry per row)."""

    id = Varchar(length=160, primary_key=True)  # "{entity}:{row_id}"
    seq = BigInt(default=0)
    tenant_id = Varchar(length=64)
    entity = Varchar(length=40)
    row_id = Varchar(length=64)
    op = Varchar(length=4)
    account_id = Varchar(length=64, null=True)
    site_id = Varchar(length=64, null=True)
    contact_id = Varchar(length=64, null=True)
    data = Text(null=True)


class SyncScope(Table, tablename="sync_scope"):
    """The scope (its parts, JSON) a person was served under one cursor fingerprint: what a pull after a
    scope change compares the new scope with (server/sync_api/pull.py)."""

    id = Varchar(length=200, primary_key=True)  # "{tenant_id}:{person_id}:{fingerprint}"
    tenant_id = Varchar(length=64)
    person_id = Varchar(length=64, index=True)
    parts = Text()
    created_at = Varchar(length=40)


class SyncClient(Table, tablename="sync_client"):
    """One install of a client and the last mutation the server applied for it."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64)
    owner_id = Varchar(length=64)
    last_mutation_id = BigInt(default=0)
    created_at = Varchar(length=40)
    updated_at = Varchar(length=40)


class Outbox(Table, tablename="outbox"):
    """Messages sent (or, in dev mode without providers, only recorded) to people."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64, null=True)
    channel = Varchar(length=10)
    recipient = Varchar(length=255)
    subject = Text(default="")
    body = Text(default="")
    link = Text(default="")
    status = Varchar(length=20, default="recorded")
    attempts = Integer(default=0)
    created_at = Varchar(length=40)


class NumberCounter(Table, tablename="number_counter"):
    """Human-facing document numbers (J-1001, INV-1001…) per tenant and kind."""

    id = Varchar(length=120, primary_key=True)
    value = BigInt(default=1000)


class Upload(Table, tablename="upload"):
    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64)
    owner_id = Varchar(length=64)
    content_type = Varchar(length=100)
    size = Integer(default=0)
    content = Bytea()
    created_at = Varchar(length=40)


class GpsFix(Table, tablename="gps_fix"):
    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64)
    truck_id = Varchar(length=64, index=True)
    lat = DoublePrecision()
    lng = DoublePrecision()
    heading = DoublePrecision(null=True)
    speed_mps = DoublePrecision(null=True)
    accuracy_m = DoublePrecision(null=True)
    at = Varchar(length=40)


class PaymentAttempt(Table, tablename="payment_attempt"):
    """An ``Idempotency-Key`` and the payment it produced."""

    id = Varchar(length=300, primary_key=True)  # "{account_id}:{key}"
    tenant_id = Varchar(length=64)
    payment_id = Varchar(length=64, null=True)
    request_hash = Varchar(length=64)
    response = Text(null=True)
    created_at = Varchar(length=40)


class StripeEvent(Table, tablename="stripe_event"):
    """Webhook events already settled (replays change nothing)."""

    id = Varchar(length=255, primary_key=True)
    type = Varchar(length=100)
    received_at = Varchar(length=40)


class PushSubscription(Table, tablename="push_subscription"):
    """A browser's Web Push subscription, for one person's bell notifications (server/notify/webpush.py)."""

    id = Varchar(length=64, primary_key=True)  # sha256 of the endpoint: one row per browser
    tenant_id = Varchar(length=64, index=True)
    contact_id = Varchar(length=64, index=True)  # whose notifications (staff have no bell)
    endpoint = Text()
    p256dh = Varchar(length=100)
    auth = Varchar(length=40)
    created_at = Varchar(length=40)
    updated_at = Varchar(length=40)


class EffectOutbox(Table, tablename="effect_outbox"):
    """Effects committed with the writes that asked for them, carried out after the commit
    (server/effects/): at least once, each under its stable id, its outcome recorded here."""

    id = Varchar(length=300, primary_key=True)  # "{origin}:{index}", e.g. "m:{client_id}:{mutation_id}:0"
    tenant_id = Varchar(length=64, index=True)
    kind = Varchar(length=64)
    payload = Text()
    status = Varchar(length=20, index=True)  # pending, done, failed
    attempts = Integer(default=0)
    next_at = Varchar(length=40)  # not tried again before this instant
    lease_until = Varchar(length=40)  # a dispatcher holds it until then
    outcome = Text()
    created_at = Varchar(length=40)
    updated_at = Varchar(length=40)


class SignIn(Table, tablename="sign_in"):
    """A person who has exchanged a login link at least once (``{kind}:{person id}``); docs/SECURITY.md."""

    id = Varchar(length=80, primary_key=True)
    tenant_id = Varchar(length=64, index=True)
    person_kind = Varchar(length=10)
    person_id = Varchar(length=64)
    first_at = Varchar(length=40)
    last_at = Varchar(length=40)


class RevokedSession(Table, tablename="revoked_session"):
    """A session ended by logging out (its ``sid``), kept until it would have expired."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64)
    person_id = Varchar(length=64)
    expires_at = Integer(default=0, index=True)


class ExternalKey(Table, tablename="external_key"):
    """An imported row's id in the system it came from (``haulport import``, server/dataio/)."""

    id = Varchar(length=400, primary_key=True)  # "{tenant_id}:{entity}:{external_id}"
    tenant_id = Varchar(length=64, index=True)
    entity = Varchar(length=40)
    external_id = Varchar(length=255)
    row_id = Varchar(length=64, index=True)


class ApiKey(Table, tablename="api_key"):
    """A tenant's key for the office API (server/integrations/api_keys.py); only its hash is kept."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64, index=True)
    name = Varchar(length=200)
    prefix = Varchar(length=40)  # shown in the console so a key can be recognised
    secret_hash = Varchar(length=64)
    scope = Varchar(length=20)  # "read" | "read_write"
    created_by = Varchar(length=200)
    created_at = Varchar(length=40)
    last_used_at = Varchar(length=40, null=True)
    revoked_at = Varchar(length=40, null=True)


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """A URL a tenant's admin registered for some event types (server/integrations/webhooks.py)."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64, index=True)
    url = Text()
    events = Text()  # JSON list of event types
    secret = Varchar(length=100)
    description = Text(default="")
    active = Boolean(default=True)
    created_at = Varchar(length=40)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event for one endpoint: the outbox the dispatcher delivers after commit."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64, index=True)
    endpoint_id = Varchar(length=64, index=True)
    event_id = Varchar(length=64)
    type = Varchar(length=60)
    body = Text()  # the exact JSON posted (the same bytes on every attempt)
    status = Varchar(length=20, index=True)  # pending | delivered | failed
    attempts = Integer(default=0)
    next_attempt_at = Varchar(length=40, index=True)
    last_status_code = Integer(null=True)
    last_error = Text(default="")
    created_at = Varchar(length=40)
    delivered_at = Varchar(length=40, null=True)


class WebhookAttempt(Table, tablename="webhook_attempt"):
    """Each try of a delivery and what the receiver answered."""

    id = Varchar(length=64, primary_key=True)
    tenant_id = Varchar(length=64)
    delivery_id = Varchar(length=64, index=True)
    at = Varchar(length=40)
    status_code = Integer(null=True)
    error = Text(default="")
    duration_ms = Integer(default=0)


BOOKKEEPING_TABLES: list[type[Table]] = [
    SyncCounter,
    Changelog,
    SyncClient,
    SyncScope,
    Outbox,
    NumberCounter,
    Upload,
    GpsFix,
    PaymentAttempt,
    StripeEvent,
    PushSubscription,
    EffectOutbox,
    SignIn,
    RevokedSession,
    ExternalKey,
    ApiKey,
    WebhookEndpoint,
    WebhookDelivery,
    WebhookAttempt,
]
ALL_TABLES: list[type[Table]] = [*ENTITY_TABLES.values(), *BOOKKEEPING_TABLES]
KINDS: dict[str, dict[str, str]] = {name: column_kinds(s) for name, s in ENTITIES.items()}
