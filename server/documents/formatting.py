"""Formatting of money, quantities and dates for printed documents."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Currencies whose customers expect a symbol in front; any other ISO code is printed
# after the amount ("1,234.56 CHF"), which is unambiguous everywhere.
_SYMBOLS = {
    "USD": "$",
    "CAD": "$",
    "AUD": "$",
    "NZD": "$",
    "MXN": "$",
    "EUR": "€",
    "GBP": "£",
}


def currency_of(tenant: dict | None) -> str:
    """The tenant's ISO currency code, USD when unset."""
    code = ((tenant or {}).get("currency") or "USD").strip().upper()
    return code or "USD"


def format_money(cents: int | None, currency: str = "USD") -> str:
    """Integer cents as a display amount: 123456 → "$1,234.56", -500 → "-$5.00"."""
    cents = int(cents or 0)
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}.{frac:02d}"
    code = (currency or "USD").upper()
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{sign}{digits} {code}"
    return f"{sign}{symbol}{digits}"


def format_quantity(quantity: int | float | str | None) -> str:
    """1 → "1", 2.5 → "2.5", 0.333 → "0.33"; strings pass through."""
    if quantity is None:
        return ""
    if isinstance(quantity, str):
        return quantity
    if float(quantity).is_integer():
        return str(int(quantity))
    return f"{quantity:.2f}".rstrip("0").rstrip(".")


def zone_named(name: str | None) -> dt.tzinfo:
    """The IANA time zone `name`; UTC when unset or unknown."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def tenant_zone(tenant: dict | None) -> dt.tzinfo:
    """The tenant's time zone; UTC when unset or unknown."""
    return zone_named((tenant or {}).get("timezone"))


def parse_instant(value: str) -> dt.datetime:
    """An ISO-8601 instant ("2025-01-05T14:03:00Z") as an aware datetime (UTC if naive)."""
    moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def local_date(value: str | None, zone: dt.tzinfo) -> str:
    """The calendar date (YYYY-MM-DD) of an instant in `zone`; plain dates pass through."""
    if not value:
        return ""
    if len(value) == 10:
        return value
    return parse_instant(value).astimezone(zone).date().isoformat()


def local_datetime(value: str | None, zone: dt.tzinfo) -> str:
    """An instant as "YYYY-MM-DD HH:MM" in `zone`; plain dates pass through."""
    if not value:
        return ""
    if len(value) == 10:
        return value
    return parse_instant(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
