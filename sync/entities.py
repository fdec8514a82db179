"""Every entity as one msgspec Struct: the wire shape of sync rows, the database columns
(server/db/tables.py derives its piccolo tables from these), and the PWA's TypeScript types.

Field names are DOMAIN.md's wire names. Money is integer cents, instants are ISO-8601 UTC
strings ending in ``Z``, calendar dates are ``YYYY-MM-DD``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

# Patterns mean the same to Python's re (msgspec) and to JavaScript/JSON Schema (the PWA, the OpenAPI
# schema): ASCII [0-9] for digits (Python's \d takes any Unicode digit), "$(?!\n)" for the end (Python's
# $ also matches before a final newline) and NOT_BLANK for "no whitespace or control character" (the two
# engines' \s differ on \x1c-\x1f, \x85 and \ufeff).
END = r"$(?!\n)"
NOT_BLANK = r"[^\s\x00-\x20\x7f-\x9f\ufeff]"
NOT_BLANK_OR_AT = r"[^@\s\x00-\x20\x7f-\x9f\ufeff]"
Color = Annotated[str, msgspec.Meta(pattern=r"^#[0-9A-Fa-f]{6}" + END)]
# "" = the default colours. (Not ``Color | Literal[""]``: msgspec checks a str in that union against Color only.)
ColorOrEmpty = Annotated[str, msgspec.Meta(pattern=r"^(#[0-9A-Fa-f]{6})?" + END)]
# Calendar dates and instants are checked as the calendar has them (no 2026-13-45, no 99:99:99, no
# 29 February outside leap years), years 1900-2199: a value every later reader (PDFs, date
# arithmetic, the PWA's Date) can parse. One pattern for Python and JavaScript alike.
_MONTH_DAY = r"((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
_LEAP_DAY = r"((19|20|21)(0[48]|[2468][048]|[13579][26])|2000)-02-29"
DATE_PATTERN = f"((19|20|21)[0-9]{{2}}-{_MONTH_DAY}|{_LEAP_DAY})"
TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?Z"
Date = Annotated[str, msgspec.Meta(pattern=f"^{DATE_PATTERN}{END}")]
# An instant: ISO-8601 UTC ending in Z, e.g. 2026-12-01T09:30:00.000Z.
Instant = Annotated[str, msgspec.Meta(pattern=f"^{DATE_PATTERN}T{TIME_PATTERN}{END}", max_length=40)]
Clock = Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]" + END)]
Cents = Annotated[int, msgspec.Meta(ge=0, le=10**11)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
PHONE_PATTERN = r"^\+[1-9][0-9]{6,14}" + END
Phone = Annotated[str, msgspec.Meta(pattern=PHONE_PATTERN)]
# A BCP 47 language tag as the portal formats with it: "en-US", "de-DE", "fr-CA", "es-419", "nl".
Locale = Annotated[str, msgspec.Meta(pattern=r"^[a-z]{2,3}(-([A-Z]{2}|[0-9]{3}))?" + END)]
CurrencyCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{3}" + END)]
CountryCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Z]{2}" + END)]
EMAIL_PATTERN = f"^{NOT_BLANK_OR_AT}+@{NOT_BLANK_OR_AT}+\\.{NOT_BLANK_OR_AT}+{END}"
Email = Annotated[str, msgspec.Meta(pattern=EMAIL_PATTERN, max_length=254)]
HttpUrl = Annotated[str, msgspec.Meta(pattern=f"^(https?://{NOT_BLANK}+)?{END}", max_length=2000)]
# A photo: an upload of this server (/api/uploads/…) or an http(s) URL; never javascript: or data:.
PhotoUrl = Annotated[
    str, msgspec.Meta(pattern=f"^(https?://{NOT_BLANK}+|/api/uploads/[A-Za-z0-9_-]+){END}", max_length=2000)
]


class Row(msgspec.Struct, kw_only=True):
    """Columns every row carries."""

    id: str
    tenant_id: str = ""
    created_at: str = ""
    updated_at: str = ""
    version: int = 0


# --- nested values -----------------------------------------------------------------


class Address(msgspec.Struct, kw_only=True):
    line1: str = ""
    line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"


class DayHours(msgspec.Struct, kw_only=True):
    open: Clock | None = None
    close: Clock | None = None


class BusinessHours(msgspec.Struct, kw_only=True):
    mon: DayHours = msgspec.field(default_factory=DayHours)
    tue: DayHours = msgspec.field(default_factory=DayHours)
    wed: DayHours = msgspec.field(default_factory=DayHours)
    thu: DayHours = msgspec.field(default_factory=DayHours)
    fri: DayHours = msgspec.field(default_factory=DayHours)
    sat: DayHours = msgspec.field(default_factory=DayHours)
    sun: DayHours = msgspec.field(default_factory=DayHours)


class Features(msgspec.Struct, kw_only=True):
    booking: bool = True
    invoice_payment: bool = True
    estimate_approval: bool = True
    review_collection: bool = True
    rentals: bool = True
    supplies: bool = True
    messaging: bool = True


class NotifyEvents(msgspec.Struct, kw_only=True):
    job_booked: bool = True
    technician_dispatched: bool = True
    en_route: bool = True
    work_complete: bool = True
    invoice_sent: bool = True


class Photo(msgspec.Struct, kw_only=True):
    id: str = ""
    url: PhotoUrl
    stage: Literal["before", "during", "after"]
    taken_at: Instant


class StatusEvent(msgspec.Struct, kw_only=True):
    status: str
    at: Instant
    by: str = ""
    applied: bool = True


class Crew(msgspec.Struct, kw_only=True):
    name: str


class RequestLine(msgspec.Struct, kw_only=True):
    product_id: str | None = None
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10000)] = 1
    service_type_id: str | None = None


class SupplyLine(msgspec.Struct, kw_only=True):
    supply_item_id: str
    quantity: Annotated[int, msgspec.Meta(ge=1, le=10000)]


class MoneyLine(msgspec.Struct, kw_only=True):
    description: str
    quantity: Annotated[float, msgspec.Meta(gt=0, le=100000)] = 1
    unit_price: Cents = 0
    amount: Cents = 0


class Swap(msgspec.Struct, kw_only=True):
    on: Date
    fee: Cents


class Extension(msgspec.Struct, kw_only=True):
    days: int
    amount: Cents
    payment_id: str | None = None
    at: str
    # pending: accepted, its charge not made yet (the days already count); paid: charged (or free);
    # declined: the charge failed, the days were taken back off ``ends_on`` and ``reason`` says why.
    status: Literal["pending", "paid", "declined"] = "paid"
    reason: str = ""


class Allocation(msgspec.Struct, kw_only=True):
    invoice_id: str
    amount: Annotated[int, msgspec.Meta(gt=0, le=10**11)]


class RejectionError(msgspec.Struct, kw_only=True):
    code: str
    message: str


# --- tenancy and people ----------------------------------------------------------------


class Tenant(Row, kw_only=True):
    slug: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,62}" + END)]
    name: Name
    display_name: str = ""
    logo_url: HttpUrl = ""
    primary_color: ColorOrEmpty = ""
    timezone: str = "UTC"
    currency: str = "USD"
    # How amounts, dates and phone numbers read in the portal and on documents: the language and
    # region ("de-DE": "1.234,56 €", "03.12.2026") and the country whose national phone format applies.
    locale: Locale = "en-US"
    country: CountryCode = "US"
    phone: str = ""
    email: str = ""
    address: Address = msgspec.field(default_factory=Address)
    business_hours: BusinessHours = msgspec.field(default_factory=BusinessHours)
    portal_enabled: bool = True
    features: Features = msgspec.field(default_factory=Features)
    notify_events: NotifyEvents = msgspec.field(default_factory=NotifyEvents)
    show_pending_invoices: bool = False
    auto_confirm_bookings: bool = False


class Account(Row, kw_only=True):
    number: str = ""
    name: Name
    kind: Literal["residential", "commercial"] = "residential"
    billing_address: Address = msgspec.field(default_factory=Address)
    email: str = ""
    phone: str = ""
    net_terms_days: Annotated[int, msgspec.Meta(ge=0, le=365)] = 0
    po_required: bool = False
    stripe_customer_id: str = ""


class Contact(Row, kw_only=True):
    name: Name
    email: str | None = None
    phone: str | None = None
    token_version: int = 1


class Membership(Row, kw_only=True):
    contact_id: str
    account_id: str
    role: Literal["company", "site"] = "company"
    site_ids: list[str] = []
    portal_access: bool = True
    primary: bool = False
    # denormalised from the contact so a synced membership row can be shown on its own
    name: str = ""
    email: str | None = None
    phone: str | None = None


class StaffUser(Row, kw_only=True):
    name: Name
    email: Email
    phone: str | None = None
    role: Literal["admin", "office", "driver"]
    truck_id: str | None = None
    token_version: int = 1


# --- places and things -------------------------------------------------------------


class Site(Row, kw_only=True):
    account_id: str
    number: str = ""
    name: Name
    type: Literal["residential", "commercial", "construction", "event", "other"] = "residential"
    address: Address = msgspec.field(default_factory=Address)
    building: str = ""
    unit: str = ""
    access_code: str = ""
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    lng: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    notes: str = ""


class System(Row, kw_only=True):
    account_id: str
    site_id: str
    name: Name
    kind: str = ""


class Truck(Row, kw_only=True):
    name: Name
    plate: str = ""


class Unit(Row, kw_only=True):
    account_id: str
    site_id: str
    number: str
    product_id: str | None = None
    condition: Literal["good", "needs_service", "damaged", "missing"] = "good"
    last_serviced_at: Instant | None = None


class Product(Row, kw_only=True):
    name: Name
    kind: Literal["dumpster", "toilet", "septic", "junk", "other"] = "other"
    size: str = ""


# How full a load is expected to be (a dumpster, a junk truck): the booking form's "How much will it fill?".
LoadEstimate = Literal["min", "quarter", "half", "three_quarter", "full"]


class ServiceType(Row, kw_only=True):
    name: Name
    product_id: str | None = None
    online_bookable: bool = True
    base_price: Cents = 0
    # The price for a load estimate, where it differs from ``base_price`` (a booking without an
    # estimate, or with one not listed here, is quoted ``base_price``).
    load_prices: dict[LoadEstimate, Cents] = {}
    duration_min: Annotated[int, msgspec.Meta(ge=0, le=24 * 60)] = 60


class TimeSlot(Row, kw_only=True):
    label: Name
    start: Clock
    end: Clock
    capacity: Annotated[int, msgspec.Meta(ge=0, le=10000)] = 4


class SupplyItem(Row, kw_only=True):
    name: Name
    unit: str = "each"


class PromoCode(Row, kw_only=True):
    code: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,40}" + END)]
    percent_off: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    amount_off: Cents | None = None
    valid_from: Date | None = None
    valid_to: Date | None = None
    max_uses: Annotated[int, msgspec.Meta(ge=0)] | None = None
    uses: int = 0
    # Public codes (advertised ones, e.g. WELCOME10) are in customers' replicas, so the booking form
    # shows their effect before anything is sent; others are checked by the server only.
    public: bool = False


# --- work ---------------------------------------------------------------------------

JobStatus = Literal["requested", "confirmed", "en_route", "in_progress", "completed", "cancelled"]


class Job(Row, kw_only=True):
    number: str = ""
    account_id: str
    site_id: str
    service_type_id: str | None = None
    status: JobStatus = "requested"
    scheduled_date: Date | None = None
    time_slot_id: str | None = None
    window_start: str | None = None
    window_end: str | None = None
    truck_id: str | None = None
    truck_name: str = ""
    crew: list[Crew] = []
    route_order: int = 0
    description: str = ""
    items: str = ""
    load_estimate: LoadEstimate | None = None
    po_number: str = ""
    promo_code: str = ""
    discount: Cents = 0
    price: Cents = 0
    # What the customer was quoted when booking (after the promo): kept as is when the office changes ``price``.
    quoted_price: Cents | None = None
    source: Literal["portal", "office", "recurring"] = "office"
    recurring_series_id: str | None = None
    estimate_id: str | None = None
    lines: list[RequestLine] = []  # what the work is: product × quantity × service (from a request or the office)
    service_request_id: str | None = None  # the approved service request this job was made from
    photos: list[Photo] = []
    status_history: list[StatusEvent] = []
    completed_at: Instant | None = None
    cancel_reason: str = ""


class RecurringSeries(Row, kw_only=True):
    account_id: str
    site_id: str
    service_type_id: str | None = None
    pattern: Literal["weekly", "biweekly", "monthly"] = "weekly"
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    day_of_month: Annotated[int, msgspec.Meta(ge=1, le=31)] | None = None
    next_run: Date | None = None
    active: bool = True


class ServiceRequest(Row, kw_only=True):
    account_id: str
    site_id: str
    system_id: str | None = None
    requested_date: Date
    start_time: Clock | None = None
    end_time: Clock | None = None
    lines: list[RequestLine] = []
    urgency: Literal["normal", "urgent", "emergency"] = "normal"
    po_number: str = ""
    comments: str = ""
    # The catalogue price of the lines that have one (service × quantity) when it was sent; None: no line has one.
    quoted_price: Cents | None = None
    status: Literal["submitted", "approved", "declined", "scheduled"] = "submitted"
    job_id: str | None = None
    decision_note: str = ""


class SupplyRequest(Row, kw_only=True):
    account_id: str
    site_id: str
    lines: list[SupplyLine] = []
    priority: Literal["normal", "urgent"] = "normal"
    notes: str = ""
    status: Literal["submitted", "approved", "declined", "fulfilled"] = "submitted"


class UnitIssue(Row, kw_only=True):
    account_id: str
    site_id: str
    unit_id: str
    kind: Literal["damage", "needs_service", "missing", "other"]
    description: str = ""
    status: Literal["open", "acknowledged", "resolved"] = "open"


class Estimate(Row, kw_only=True):
    number: str = ""
    account_id: str
    site_id: str | None = None
    lines: list[MoneyLine] = []
    total: Cents = 0
    status: Literal["sent", "approved", "declined", "expired"] = "sent"
    signer_name: str = ""
    decline_reason: str = ""
    decided_at: Instant | None = None
    valid_until: Date | None = None


class Review(Row, kw_only=True):
    account_id: str
    site_id: str | None = None
    job_id: str
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]
    comment: str = ""


# --- rentals ------------------------------------------------------------------------


class Rental(Row, kw_only=True):
    rental_number: str = ""
    account_id: str
    site_id: str
    product_id: str | None = None
    container_size: str = ""
    delivered_on: Date | None = None
    included_days: Annotated[int, msgspec.Meta(ge=0, le=3650)] = 7
    ends_on: Date | None = None
    daily_rate: Cents = 0
    swap_fee: Cents = 0
    swaps: list[Swap] = []
    status: Literal["scheduled", "active", "pickup_requested", "closed"] = "scheduled"
    extensions: list[Extension] = []
    pickup_requested_on: Date | None = None
    notes: str = ""


# --- money --------------------------------------------------------------------------


class Invoice(Row, kw_only=True):
    number: str = ""
    account_id: str
    site_id: str | None = None
    site_ids: list[str] = []
    job_ids: list[str] = []
    issued_on: Date | None = None
    due_on: Date | None = None
    terms: str = ""
    status: Literal["draft", "pending", "open", "paid", "void"] = "draft"
    lines: list[MoneyLine] = []
    subtotal: Cents = 0
    tax: Cents = 0
    total: Cents = 0
    balance: Cents = 0
    po_number: str = ""
    allow_online_payment: bool = True


class Payment(Row, kw_only=True):
    number: str = ""
    account_id: str
    amount: Cents
    method: Literal["card", "bank", "other"] = "card"
    status: Literal["pending", "succeeded", "failed", "refunded"] = "pending"
    reference: str = ""
    stripe_payment_intent_id: str = ""
    allocations: list[Allocation] = []
    paid_at: Instant | None = None
    failure_reason: str = ""
    refunded_at: Instant | None = None  # when it was refunded in full (office console or Stripe's dashboard)
    stripe_refund_id: str = ""


class PaymentMethod(Row, kw_only=True):
    account_id: str
    stripe_payment_method_id: str
    kind: Literal["card", "bank"] = "card"
    brand: str = ""  # card brand, or the bank's name when Stripe gives one (US bank accounts)
    last4: str = ""
    country: str = ""  # ISO country of the card or bank account (for SEPA: the IBAN's)
    exp_month: int | None = None
    exp_year: int | None = None
    default: bool = False
    # A US bank account entered by hand is usable only once the customer confirms the two
    # micro-deposits Stripe sends it: until then it is ``verification_pending`` (never the default,
    # never charged), with how to verify (``amounts`` | ``descriptor_code``) and when they arrive.
    status: Literal["active", "verification_pending"] = "active"
    microdeposit_type: str = ""
    deposits_arrive_at: Instant | None = None
    stripe_setup_intent_id: str = ""


# --- conversation -------------------------------------------------------------------


class Message(Row, kw_only=True):
    account_id: str
    author_kind: Literal["contact", "staff", "system"]
    author_id: str | None = None
    author_name: str = ""
    body: Annotated[str, msgspec.Meta(min_length=1, max_length=5000)]
    read_by_customer_at: Instant | None = None
    read_by_staff_at: Instant | None = None


class Notification(Row, kw_only=True):
    contact_id: str
    account_id: str | None = None
    kind: str
    title: str
    body: str = ""
    link: str = ""
    read_at: Instant | None = None


class MutationRejection(Row, kw_only=True):
    contact_id: str
    client_id: str
    mutation_id: int
    name: str
    args: dict[str, Any] = {}
    error: RejectionError


# --- registry -----------------------------------------------------------------------

ENTITIES: dict[str, type[Row]] = {
    "tenant": Tenant,
    "account": Account,
    "contact": Contact,
    "membership": Membership,
    "staff_user": StaffUser,
    "site": Site,
    "system": System,
    "truck": Truck,
    "unit": Unit,
    "product": Product,
    "service_type": ServiceType,
    "time_slot": TimeSlot,
    "supply_item": SupplyItem,
    "promo_code": PromoCode,
    "job": Job,
    "recurring_series": RecurringSeries,
    "service_request": ServiceRequest,
    "supply_request": SupplyRequest,
    "unit_issue": UnitIssue,
    "estimate": Estimate,
    "review": Review,
    "rental": Rental,
    "invoice": Invoice,
    "payment": Payment,
    "payment_method": PaymentMethod,
    "message": Message,
    "notification": Notification,
    "mutation_rejection": MutationRejection,
}

# Entities every session of a tenant sees (tenant-level rows).
TENANT_LEVEL = frozenset({"tenant", "product", "service_type", "time_slot", "supply_item", "truck", "promo_code"})
# Entities that belong to one person (the ``contact_id`` column), not to an account.
OWNER_LEVEL = frozenset({"notification", "mutation_rejection", "contact"})
# Never synced: staff, secrets and server bookkeeping.
# (Promo codes are synced, but customers see only the public ones: ``sync.scope.present``.)
NOT_SYNCED = frozenset({"staff_user"})

SCHEMA_VERSION = 1


def to_builtins(row: Row) -> dict[str, Any]:
    """A row as plain JSON-ready values."""
    return msgspec.to_builtins(row)
