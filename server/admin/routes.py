"""The office API: portal settings and create/read/update of every record, staff only."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar import Request, delete, get, patch, post
from litestar.params import Body, FromPath, Parameter

from server.admin import console
from server.admin.deletion import delete_record
from server.admin.invites import send_invite, tenant_today
from server.admin.records import (
    COLLECTIONS,
    NUMBERED,
    READ_ONLY,
    SERVER_FIELDS,
    after_write,
    apply_status,
    check_references,
    normalise,
    notify_milestones,
)
from server.admin.recurring import RecurringSweep, schedule_series
from server.admin.workflow import (
    check_request_move,
    check_staff_change,
    check_staff_write,
    jobs_for_request,
    prepare_invoice,
)
from server.auth import guards
from server.billing import refunds
from server.db.store import IdTaken, InvalidRow, StaleRow, Store, decode_row, now_iso
from server.db.tables import KINDS
from server.documents.formatting import locale_problem
from server.effects.work import unit_of_work
from server.errors import ApiError, error_responses, not_found
from server.integrations.webhooks import record_office_events
from server.openapi import DocumentedAs, whole_numbers
from sync.entities import (
    ENTITIES,
    Address,
    BusinessHours,
    ColorOrEmpty,
    CountryCode,
    CurrencyCode,
    Features,
    HttpUrl,
    Locale,
    Name,
    NotifyEvents,
)
from sync.mutators.context import Context


def _toggles(struct: type[msgspec.Struct]) -> type[msgspec.Struct]:
    """``struct``'s switches, each optional: only those sent change."""
    fields = [(f.name, bool | msgspec.UnsetType, msgspec.UNSET) for f in msgspec.structs.fields(struct)]
    return msgspec.defstruct(f"{struct.__name__}In", fields, kw_only=True, forbid_unknown_fields=True, module=__name__)


if TYPE_CHECKING:  # made at import from the entity structs below; to the type checker, some struct

    class FeaturesIn(msgspec.Struct): ...

    class NotifyEventsIn(msgspec.Struct): ...

else:
    FeaturesIn = _toggles(Features)
    NotifyEventsIn = _toggles(NotifyEvents)

# 403 ``admin_only`` (staff are invited and changed by admins), 404 unknown collection or record, 405
# read-only collection, 409 id taken, an email already on the staff, a job, invoice or request status that
# cannot move that way, 422 a field that is unknown, of the wrong type or points at nothing.
WRITE_ERRORS = error_responses(403, 404, 405, 409, 422)
Limit = Annotated[int, Parameter(ge=1, le=1000)]
Offset = Annotated[int, Parameter(ge=0, le=2**31 - 1)]
Collection = Annotated[str, Parameter(description=f"one of: {', '.join(COLLECTIONS)}")]
RecordBody = Annotated[
    dict[str, Any],
    Body(
        description=(
            "Fields of the collection's record (the sync entity of that name, e.g. `AccountCreate` for accounts); "
            "server fields (`tenant_id`, `created_at`, `updated_at`, `version`) are ignored, unknown ones refused "
            "(422 `unknown_fields`), and ids must point at records of this tenant (422 `unknown_reference`)."
        )
    ),
]


# Required fields the server fills in on create.
FILLED_BY_SERVER = {"message": frozenset({"author_kind", "author_id", "author_name", "read_by_staff_at"})}


def _body_struct(entity: str, partial: bool) -> type[msgspec.Struct]:
    """What POST (``partial=False``: the entity's required fields) or PATCH (any of its fields) takes
    for ``entity``: the handlers check bodies with it (``_clean``) and the OpenAPI schema shows it."""
    fields: list[tuple[Any, ...]] = []
    filled = FILLED_BY_SERVER.get(entity, frozenset()) | {"id"}
    for field in msgspec.structs.fields(ENTITIES[entity]):
        if field.name in SERVER_FIELDS:  # (PATCH may repeat the id; it is ignored)
            continue
        if field.required and not partial and field.name not in filled:
            fields.append((field.name, field.type))
        else:
            fields.append((field.name, field.type | msgspec.UnsetType, msgspec.UNSET))
    name = "".join(part.title() for part in entity.split("_")) + ("Update" if partial else "Create")
    return msgspec.defstruct(name, fields, kw_only=True, forbid_unknown_fields=True, module=__name__)


CREATE_BODIES = {entity: _body_struct(entity, partial=False) for entity in COLLECTIONS.values()}
UPDATE_BODIES = {entity: _body_struct(entity, partial=True) for entity in COLLECTIONS.values()}
AccountCreate = Annotated[dict[str, Any], DocumentedAs(CREATE_BODIES["account"])]
AccountUpdate = Annotated[dict[str, Any], DocumentedAs(UPDATE_BODIES["account"])]


class TenantSettingsIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Portal settings; every field optional, only those sent change."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    display_name: str | msgspec.UnsetType = msgspec.UNSET
    logo_url: HttpUrl | msgspec.UnsetType = msgspec.UNSET
    primary_color: ColorOrEmpty | msgspec.UnsetType = msgspec.UNSET
    timezone: str | msgspec.UnsetType = msgspec.UNSET
    currency: CurrencyCode | msgspec.UnsetType = msgspec.UNSET
    locale: Locale | msgspec.UnsetType = msgspec.UNSET
    country: CountryCode | msgspec.UnsetType = msgspec.UNSET
    phone: str | msgspec.UnsetType = msgspec.UNSET
    email: str | msgspec.UnsetType = msgspec.UNSET
    address: Address | msgspec.UnsetType = msgspec.UNSET
    business_hours: BusinessHours | msgspec.UnsetType = msgspec.UNSET
    portal_enabled: bool | msgspec.UnsetType = msgspec.UNSET
    features: FeaturesIn | msgspec.UnsetType = msgspec.UNSET
    notify_events: NotifyEventsIn | msgspec.UnsetType = msgspec.UNSET
    show_pending_invoices: bool | msgspec.UnsetType = msgspec.UNSET
    auto_confirm_bookings: bool | msgspec.UnsetType = msgspec.UNSET


# Amounts are stored as numbers in the tenant's currency: once money is written down in one, another
# would relabel every amount (a $100.00 invoice would read €100.00).
_MONEY_TABLES = ("invoice", "payment", "estimate", "job")


async def _money_written(conn: Any, tenant_id: str) -> bool:
    """Whether any job, estimate, invoice or payment of the tenant holds an amount (in its currency): one
    row each at most, and none after the first found."""
    for table in _MONEY_TABLES:
        if await conn.fetchval(f"SELECT 1 FROM {table} WHERE tenant_id = ? LIMIT 1", tenant_id) is not None:
            return True
    return False


def _tenant_settings_out(request: Request, tenant: dict[str, Any], currency_locked: bool) -> dict[str, Any]:
    public = request.app.state.settings.public_url.rstrip("/")
    return {**tenant, "portal_url": f"{public}/t/{tenant['slug']}/", "currency_locked": currency_locked}


@get("/api/admin/settings", guards=[guards.staff])
async def read_settings(request: Request) -> dict[str, Any]:
    """The tenant's portal settings and the portal URL to share with customers."""
    async with request.app.state.db.read() as conn:
        tenant = await Store(conn, request.user.tenant_id).must_get("tenant", request.user.tenant_id)
        locked = await _money_written(conn, request.user.tenant_id)
    return _tenant_settings_out(request, tenant, locked)


@patch("/api/admin/settings", guards=[guards.staff], responses=error_responses(409, 422))
async def update_settings(request: Request, data: TenantSettingsIn) -> dict[str, Any]:
    """Change toggles, branding, notification events, pending-invoice visibility, hours."""
    changes = {f: v for f in data.__struct_fields__ if (v := getattr(data, f)) is not msgspec.UNSET}
    changes = msgspec.to_builtins(changes)
    problem = locale_problem(changes.get("locale"), changes.get("currency"))
    if problem:
        raise ApiError(422, *problem)
    async with unit_of_work(request.app.state, request.user.tenant_id) as store:
        tenant = await store.must_get("tenant", request.user.tenant_id)
        locked = await _money_written(store.conn, request.user.tenant_id)
        if locked and changes.get("currency", tenant["currency"]) != tenant["currency"]:
            raise ApiError(
                409,
                "currency_in_use",
                f"the currency stays {tenant['currency']}: jobs, estimates, invoices or payments already have "
                "prices in it",
                {"currency": tenant["currency"]},
            )
        for group in ("features", "notify_events"):
            if group in changes:
                changes[group] = {**tenant[group], **changes[group]}
        try:
            tenant = await store.update("tenant", tenant, **changes)
        except InvalidRow as exc:
            raise ApiError(422, "invalid", str(exc)) from None
    return _tenant_settings_out(request, tenant, locked)


def _entity(collection: str) -> str:
    entity = COLLECTIONS.get(collection)
    if entity is None:
        raise ApiError(404, "unknown_collection", f"there is no {collection!r} in the office API")
    return entity


_INT = re.compile(r"-?[0-9]{1,18}")


def _filter_value(collection: str, key: str, kind: str, value: str) -> Any:
    """A ``?field=value`` filter's value as the column's type (400 when it cannot be one)."""
    if kind == "bool":
        if value not in ("true", "false"):
            raise ApiError(400, "bad_filter", f"{collection} filter {key!r} takes true or false")
        return value == "true"
    if kind == "int":
        if not _INT.fullmatch(value):
            raise ApiError(400, "bad_filter", f"{collection} filter {key!r} takes a whole number")
        return int(value)
    return value


@get("/api/admin/{collection:str}", guards=[guards.staff], responses=error_responses(404))
async def list_records(
    request: Request, collection: Collection, limit: Limit = 100, offset: Offset = 0, q: str | None = None
) -> dict[str, Any]:
    """Records of a kind, newest first; filter with ``?field=value``, search names/numbers with ``q``."""
    entity = _entity(collection)
    kinds = KINDS[entity]
    filters = {k: v for k, v in request.query_params.items() if k not in ("limit", "offset", "q", "collection")}
    for key in filters:
        if kinds.get(key) not in ("text", "int", "bool"):
            raise ApiError(400, "bad_filter", f"cannot filter {collection} by {key!r}")
    clauses, args = ["tenant_id = ?"], [request.user.tenant_id]
    for key, value in filters.items():
        clauses.append(f'"{key}" = ?')
        args.append(_filter_value(collection, key, kinds[key], value))
    if q:
        searchable = [c for c in ("name", "number", "email", "phone", "rental_number", "code", "body") if c in kinds]
        if searchable:
            clauses.append("(" + " OR ".join(f"LOWER({c}) LIKE ?" for c in searchable) + ")")
            args.extend([f"%{q.lower()}%"] * len(searchable))
    sql = f"SELECT * FROM {entity} WHERE {' AND '.join(clauses)} ORDER BY created_at DESC LIMIT {limit} OFFSET {offset}"
    async with request.app.state.db.read() as conn:
        rows = [decode_row(entity, r) for r in await conn.fetch(sql, *args)]
    return {"items": rows, "limit": limit, "offset": offset}


@get("/api/admin/{collection:str}/{record_id:str}", guards=[guards.staff], responses=error_responses(404))
async def read_record(request: Request, collection: Collection, record_id: FromPath[str]) -> dict[str, Any]:
    entity = _entity(collection)
    async with request.app.state.db.read() as conn:
        row = await Store(conn, request.user.tenant_id).get(entity, record_id)
    if row is None:
        raise not_found(entity.replace("_", " "))
    return row


def _clean(entity: str, data: dict[str, Any], partial: bool) -> dict[str, Any]:
    """The fields a client may write: unknown ones refused, each of its field's type (422 either way)
    before any rule looks at them; server fields dropped."""
    unknown = set(data) - set(KINDS[entity])
    if unknown:
        raise ApiError(422, "unknown_fields", f"{entity} has no field(s): {', '.join(sorted(unknown))}")
    data = {k: v for k, v in whole_numbers(data).items() if k not in SERVER_FIELDS}
    try:
        msgspec.convert(data, (UPDATE_BODIES if partial else CREATE_BODIES)[entity], str_keys=True)
    except msgspec.ValidationError as exc:
        raise ApiError(422, "invalid", str(exc)) from None
    return data


@post("/api/admin/{collection:str}", guards=[guards.staff], status_code=201, responses=WRITE_ERRORS)
async def create_record(request: Request, collection: Collection, data: RecordBody) -> dict[str, Any]:
    """Create a record; ids of what it points at must exist in this tenant."""
    entity = _entity(collection)
    if entity in READ_ONLY or entity == "tenant":
        raise ApiError(405, "read_only_collection", f"{collection} cannot be created here")
    check_staff_write(request.user, entity)
    row = normalise(entity, _clean(entity, data, partial=False), None)
    if entity == "message":
        row.update(
            author_kind="staff",
            author_id=request.user.person_id,
            author_name=request.user.name,
            read_by_staff_at=now_iso(),
        )
    async with unit_of_work(request.app.state, request.user.tenant_id) as store:
        await check_references(store, row)
        if entity == "staff_user":
            await check_staff_change(store, None, row)
        if entity == "invoice":
            await prepare_invoice(store, None, row, tenant_today(guards.tenant_of(request)))
        if entity in NUMBERED and not row.get(NUMBERED[entity][0]):
            field, prefix = NUMBERED[entity]
            row[field] = await store.next_number(entity, prefix)
        if entity == "job" and row.get("status") and row["status"] != "requested":
            row["status_history"] = [
                {"status": row["status"], "at": now_iso(), "by": request.user.name, "applied": True}
            ]
        try:
            created = await store.insert(entity, row)
        except InvalidRow as exc:
            raise ApiError(422, "invalid", str(exc)) from None
        except IdTaken as exc:
            raise ApiError(409, "id_taken", str(exc)) from None
        created = await after_write(store, entity, created)
        if entity == "recurring_series":  # its jobs within the horizon are booked now
            await schedule_series(store, created, tenant_today(guards.tenant_of(request)), request.user.name)
            created = await store.must_get(entity, created["id"])
        ctx = Context(
            actor=request.user, tenant=guards.tenant_of(request), tx=store, now=now_iso(), effects=store.effects
        )
        await notify_milestones(ctx, entity, None, created)
    if entity == "staff_user":
        await send_invite(request.app.state, guards.tenant_of(request), created, request.user.name)
    return created


@patch("/api/admin/{collection:str}/{record_id:str}", guards=[guards.staff], responses=WRITE_ERRORS)
async def update_record(
    request: Request, collection: Collection, record_id: FromPath[str], data: RecordBody
) -> dict[str, Any]:
    """Change some fields of a record (job status only moves forward; approving a service request creates
    its jobs, prefilled and linked; posting an invoice dates it)."""
    entity = _entity(collection)
    if entity in READ_ONLY:
        raise ApiError(405, "read_only_collection", f"{collection} cannot be changed here")
    check_staff_write(request.user, entity)
    changes = _clean(entity, data, partial=True)
    changes.pop("id", None)
    jobs: list[dict[str, Any]] = []
    async with unit_of_work(request.app.state, request.user.tenant_id) as store:
        current = await store.get(entity, record_id)
        if current is None:
            raise not_found(entity.replace("_", " "))
        changes = normalise(entity, {**current, **changes}, current)
        changes = {k: v for k, v in changes.items() if current.get(k) != v}
        await check_references(store, {**current, **changes})
        await apply_status(entity, current, changes, request.user.name, now_iso())
        if entity == "staff_user":
            await check_staff_change(store, current, changes)
        if entity == "invoice":
            await prepare_invoice(store, current, changes, tenant_today(guards.tenant_of(request)))
        if entity == "service_request":
            check_request_move(current, changes)
            if changes.get("status") == "approved" and not current.get("job_id"):
                jobs = await jobs_for_request(store, {**current, **changes}, request.user.name, now_iso())
                changes["job_id"] = jobs[0]["id"]
        try:
            updated = await store.update(entity, current, **changes)
        except InvalidRow as exc:
            raise ApiError(422, "invalid", str(exc)) from None
        except StaleRow as exc:
            raise ApiError(409, "conflict", str(exc)) from None
        # A membership losing portal access ends that account's access only: sessions read memberships on
        # every request, and the person's live sockets are told to look again (server/live/session.py).
        updated = await after_write(store, entity, updated)
        if entity == "recurring_series":
            await schedule_series(store, updated, tenant_today(guards.tenant_of(request)), request.user.name)
            updated = await store.must_get(entity, updated["id"])
        await record_office_events(store, entity, current, updated)
        ctx = Context(
            actor=request.user, tenant=guards.tenant_of(request), tx=store, now=now_iso(), effects=store.effects
        )
        await notify_milestones(ctx, entity, current, updated)
        for job in jobs:
            await notify_milestones(ctx, "job", None, job)
    return updated


@delete(
    "/api/admin/{collection:str}/{record_id:str}",
    guards=[guards.staff],
    status_code=200,
    responses=error_responses(404, 405, 409),
)
async def delete_one(request: Request, collection: Collection, record_id: FromPath[str]) -> dict[str, Any]:
    """Delete a record made by mistake or no longer offered (``server/admin/deletion.py`` says which and
    when: 409 ``in_use`` while other records point at it; a posted invoice is voided instead)."""
    entity = _entity(collection)
    check_staff_write(request.user, entity)
    async with unit_of_work(request.app.state, request.user.tenant_id) as store:
        current = await store.get(entity, record_id)
        if current is None:
            raise not_found(entity.replace("_", " "))
        gone = await delete_record(store, entity, current, tenant_today(guards.tenant_of(request)))
    return {"deleted": record_id, "also_deleted": gone}


# "/api/admin/accounts/{id}/portal-view" makes "accounts" a fixed path segment, and Litestar does not
# fall back from a fixed segment to "{collection}", so accounts get their own thin handlers.
@get("/api/admin/accounts", guards=[guards.staff])
async def list_accounts(
    request: Request, limit: Limit = 100, offset: Offset = 0, q: str | None = None
) -> dict[str, Any]:
    return await list_records.fn(request, "accounts", limit, offset, q)


@get("/api/admin/accounts/{record_id:str}", guards=[guards.staff], responses=error_responses(404))
async def read_account(request: Request, record_id: FromPath[str]) -> dict[str, Any]:
    return await read_record.fn(request, "accounts", record_id)


@post("/api/admin/accounts", guards=[guards.staff], status_code=201, responses=WRITE_ERRORS)
async def create_account(request: Request, data: AccountCreate) -> dict[str, Any]:
    return await create_record.fn(request, "accounts", data)


@patch("/api/admin/accounts/{record_id:str}", guards=[guards.staff], responses=WRITE_ERRORS)
async def update_account(request: Request, record_id: FromPath[str], data: AccountUpdate) -> dict[str, Any]:
    return await update_record.fn(request, "accounts", record_id, data)


# The same for "payments": "/api/admin/payments/{id}/refund" makes it a fixed segment too. Payments are
# read-only here (they come from Stripe or the portal), so only the reads are declared: a POST or PATCH
# answers 405 ``method_not_allowed``, and the schema does not offer them.
@get("/api/admin/payments", guards=[guards.staff])
async def list_payments(
    request: Request, limit: Limit = 100, offset: Offset = 0, q: str | None = None
) -> dict[str, Any]:
    return await list_records.fn(request, "payments", limit, offset, q)


@get("/api/admin/payments/{record_id:str}", guards=[guards.staff], responses=error_responses(404))
async def read_payment(request: Request, record_id: FromPath[str]) -> dict[str, Any]:
    return await read_record.fn(request, "payments", record_id)


# 404 not this tenant's payment; 409 ``payment_not_refundable`` (pending or failed), ``refund_in_progress``
# or ``refund_not_made`` (a request at the same instant holds it); 422 ``not_a_stripe_payment`` or Stripe's
# refusal (its code and sentence); 503 Stripe unreachable or payments off.
@post(
    "/api/admin/payments/{payment_id:str}/refund",
    guards=[guards.staff],
    status_code=200,
    responses=error_responses(404, 409, 422),
)
async def refund_payment(request: Request, payment_id: FromPath[str]) -> dict[str, Any]:
    """Refund a succeeded payment in full through Stripe: every invoice it paid owes that amount again
    (a paid one is open again), the payment becomes ``refunded`` and the account is told. Idempotent:
    a refunded payment answers as it is, and requests at the same instant make one refund. Answers
    the payment."""
    return await refunds.refund_payment(
        request.app.state, request.app.state.stripe, guards.tenant_of(request), payment_id
    )


ROUTES = [
    delete_one,
    *console.ROUTES,
    read_settings,
    update_settings,
    list_records,
    read_record,
    create_record,
    update_record,
    list_accounts,
    read_account,
    create_account,
    update_account,
    list_payments,
    read_payment,
    refund_payment,
]


async def startup(state: Any) -> None:
    state.recurring = RecurringSweep(state)  # recurring services keep their next weeks booked
    state.effects.periodic.append(state.recurring.sweep)
