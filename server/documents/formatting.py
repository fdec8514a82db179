"""Formatting of money, quantities and dates for printed documents."""

from __future__ import annotations

import datetime as dt
import functools
import re
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


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
US_ENGLISH = "en-US"


def locale_of(tenant: dict | None) -> str:
    """The tenant's BCP 47 locale ("en-US", "de-DE"), US English when unset."""
    return ((tenant or {}).get("locale") or US_ENGLISH).strip() or US_ENGLISH


@functools.lru_cache(maxsize=64)
def _babel_locale(locale: str):  # babel.Locale, imported lazily (its data is large)
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(locale.replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return None


def country_of(tenant: dict | None) -> str:
    """The tenant's country (ISO 3166 alpha-2), for phone numbers; the US when unset."""
    return ((tenant or {}).get("country") or "US").strip().upper() or "US"


def locale_problem(locale: str | None, currency: str | None) -> tuple[str, str] | None:
    """(code, sentence) when a locale or currency cannot format documents; None when both are fine."""
    if locale and _babel_locale(locale) is None:
        return "unknown_locale", f"{locale} is not a language and region we can format amounts in, e.g. de-DE"
    if currency:
        from babel.numbers import get_currency_name

        if get_currency_name(currency, locale="en") == currency:
            return "unknown_currency", f"{currency} is not a currency code such as EUR or USD"
    return None


def _printable(text: str) -> str:
    """CLDR's narrow no-break space (fr-FR, …) is not in the PDF fonts' encoding: a no-break space."""
    return text.replace("\u202f", "\xa0")


def currency_of(tenant: dict | None) -> str:
    """The tenant's ISO currency code, USD when unset."""
    code = ((tenant or {}).get("currency") or "USD").strip().upper()
    return code or "USD"


def format_money(cents: int | None, currency: str = "USD", locale: str = US_ENGLISH) -> str:
    """Integer cents as a display amount: 123456 → "$1,234.56", -500 → "-$5.00"; in de-DE
    EUR "1.234,56 €" (the same text the portal's Intl writes)."""
    cents = int(cents or 0)
    if locale != US_ENGLISH and (babel_locale := _babel_locale(locale)) is not None:
        from decimal import Decimal

        from babel.numbers import format_currency

        return _printable(format_currency(Decimal(cents) / 100, (currency or "USD").upper(), locale=babel_locale))
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    digits = f"{whole:,}.{frac:02d}"
    code = (currency or "USD").upper()
    symbol = _SYMBOLS.get(code)
    if symbol is None:
        return f"{sign}{digits} {code}"
    return f"{sign}{symbol}{digits}"


def tenant_money(cents: int | None, tenant: dict | None) -> str:
    """An amount in the tenant's currency, written the way its locale writes money."""
    return format_money(cents, currency_of(tenant), locale_of(tenant))


# Phone numbers are stored in E.164 ("+15550100000"). In the tenant's own country they are written
# the national way, elsewhere internationally. The same table as the portal's (client_pwa/src/lib/phone.ts):
# country → calling code, trunk prefix, digit groups of the national number, and groups by leading digits
# (area codes of another length, mobiles). The last group takes whatever digits are left.
_PHONE_PLANS: dict[str, tuple[str, str, tuple[int, ...], dict[str, tuple[int, ...]]]] = {
    "US": ("1", "", (3, 3, 4), {}),
    "CA": ("1", "", (3, 3, 4), {}),
    "GB": ("44", "0", (4, 6), {"20": (2, 4, 4), "7": (4, 6), "3": (3, 3, 4), "8": (3, 3, 4)}),
    "IE": ("353", "0", (2, 3, 4), {"1": (1, 3, 4)}),
    "DE": ("49", "0", (3, 8), {"30": (2, 8), "40": (2, 8), "69": (2, 8), "89": (2, 8)}),
    "AT": ("43", "0", (3, 8), {"1": (1, 8)}),
    "CH": ("41", "0", (2, 3, 2, 2), {}),
    "FR": ("33", "0", (1, 2, 2, 2, 2), {}),
    "BE": ("32", "0", (2, 2, 2, 2), {"4": (3, 2, 2, 2), "2": (1, 3, 2, 2)}),
    "NL": ("31", "0", (2, 3, 4), {"6": (1, 8), "20": (2, 3, 4)}),
    "ES": ("34", "", (3, 3, 3), {}),
    "IT": ("39", "", (3, 3, 4), {}),
    "PT": ("351", "", (3, 3, 3), {}),
    "AU": ("61", "0", (1, 4, 4), {"4": (3, 3, 3)}),
    "NZ": ("64", "0", (1, 3, 4), {"2": (2, 3, 4)}),
    "MX": ("52", "", (2, 4, 4), {}),
}


def _grouped(digits: str, sizes: tuple[int, ...]) -> list[str]:
    out, at = [], 0
    for size in sizes[:-1]:
        if at + size >= len(digits):
            break
        out.append(digits[at : at + size])
        at += size
    out.append(digits[at:])
    return out


def format_phone(phone: str | None, country: str | None = "US") -> str:
    """An E.164 number as people dial it: "+15550100000" → "(555) 010-0000" for a US tenant,
    "+4930123456" → "030 123456" for a German one, "+49 30123456" from elsewhere. Anything
    not in E.164 is shown as typed."""
    text = (phone or "").strip()
    if not text.startswith("+") or not text[1:].isdigit():
        return text
    plan = _PHONE_PLANS.get((country or "US").upper())
    if plan and text[1:].startswith(plan[0]):
        code, trunk, sizes, by_prefix = plan
        national = text[1 + len(code) :]
        if code == "1" and len(national) == 10:
            return f"({national[:3]}) {national[3:6]}-{national[6:]}"
        for prefix in sorted(by_prefix, key=len, reverse=True):
            if national.startswith(prefix):
                sizes = by_prefix[prefix]
                break
        groups = _grouped(national, sizes)
        return " ".join([trunk + groups[0], *groups[1:]])
    for other_code in sorted({p[0] for p in _PHONE_PLANS.values()}, key=len, reverse=True):
        if text[1:].startswith(other_code):
            rest = text[1 + len(other_code) :]
            if other_code == "1" and len(rest) == 10:
                rest = f"{rest[:3]} {rest[3:6]} {rest[6:]}"
            return f"+{other_code} {rest}"
    return text


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


def _date_of(value: str | None, zone: dt.tzinfo) -> dt.date | None:
    text = local_date(value, zone)
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def format_date(value: str | None, zone: dt.tzinfo, locale: str = US_ENGLISH) -> str:
    """A calendar date or an instant's date in `zone`, as people read it: "Dec 3, 2026" in en-US,
    "03.12.2026" in de-DE."""
    day = _date_of(value, zone)
    if day is None:
        return value or ""
    if locale != US_ENGLISH and (babel_locale := _babel_locale(locale)) is not None:
        from babel.dates import format_date as babel_date

        return _printable(babel_date(day, "medium", locale=babel_locale))
    return f"{_MONTHS[day.month - 1]} {day.day}, {day.year}"


_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b(?!T)")


def readable_dates(text: str, tenant: dict | None) -> str:
    """``text`` with every calendar date written as ISO (``2026-12-10``, as mutators write them into a
    notification) in the tenant's own way ("Dec 10, 2026"): for email, SMS and Web Push, which people
    read as they are. A string that only looks like a date is left alone."""
    zone, locale = tenant_zone(tenant), locale_of(tenant)

    def one(match: re.Match[str]) -> str:
        return format_date(match.group(1), zone, locale) if _date_of(match.group(1), zone) else match.group(1)

    return _ISO_DATE.sub(one, text) if text else text


def format_datetime(value: str | None, zone: dt.tzinfo, locale: str = US_ENGLISH) -> str:
    """An instant in `zone`: "Dec 3, 2026, 2:05 PM" in en-US, "03.12.2026, 14:05" in de-DE."""
    if not value:
        return ""
    if len(value) == 10:
        return format_date(value, zone, locale)
    try:
        moment = parse_instant(value).astimezone(zone)
    except ValueError:
        return value
    if locale != US_ENGLISH and (babel_locale := _babel_locale(locale)) is not None:
        from babel.dates import format_time

        return f"{format_date(value, zone, locale)}, {_printable(format_time(moment, 'short', locale=babel_locale))}"
    hour = moment.hour % 12 or 12
    clock = f"{hour}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
    return f"{format_date(value, zone)}, {clock}"


def local_datetime(value: str | None, zone: dt.tzinfo) -> str:
    """An instant as "YYYY-MM-DD HH:MM" in `zone`; plain dates pass through."""
    if not value:
        return ""
    if len(value) == 10:
        return value
    return parse_instant(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def thumbnail(content: bytes, longest: int = 360) -> tuple[bytes, tuple[int, int]] | None:
    """A photo (JPEG, PNG, WebP or GIF bytes) as a small baseline RGB JPEG and its pixel size, for
    printing; None when the bytes are not an image Pillow can read."""
    import io

    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(content)) as image:
            image.thumbnail((longest, longest))
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None
    out = io.BytesIO()
    rgb.save(out, format="JPEG", quality=80)
    return out.getvalue(), rgb.size
