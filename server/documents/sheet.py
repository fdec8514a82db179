"""The page furniture every Haulport document shares: letterhead, address blocks, tables
that continue across pages, totals and a footer with page numbers."""

from __future__ import annotations

from dataclasses import dataclass

from server.documents.canvas import (
    A4,
    BLACK,
    GREY,
    LETTER,
    LIGHT,
    Canvas,
    Color,
    ensure_ready,
    fit,
    text_width,
    wrap,
)
from server.documents.formatting import (
    country_of,
    currency_of,
    format_date,
    format_datetime,
    format_money,
    format_phone,
    locale_of,
    tenant_zone,
)

MARGIN = 40
FOOTER_HEIGHT = 46
MAX_CELL_LINES = 40  # a longer text is cut rather than run off the bottom of the page
# No table runs on without end (thousands of lines would hold a render slot for seconds): past this
# many rows the rest is counted in one closing row ("… 4,801 more not shown").
MAX_TABLE_ROWS = 200
DEFAULT_ACCENT: Color = (0.15, 0.39, 0.92)
GOOD: Color = (0.09, 0.5, 0.24)
BAD: Color = (0.75, 0.11, 0.11)

# Letter paper where customers expect it (judged from the currency), A4 everywhere else.
_LETTER_CURRENCIES = frozenset({"USD", "CAD", "MXN"})


@dataclass(frozen=True)
class Column:
    title: str
    share: float  # fraction of the content width
    align: str = "left"


def accent_color(hex_color: str | None) -> Color:
    """The tenant's `primary_color` (#RRGGBB), darkened if too pale to read on white."""
    try:
        value = (hex_color or "").strip().lstrip("#")
        if len(value) != 6:
            raise ValueError(hex_color)
        red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    except ValueError:
        return DEFAULT_ACCENT
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    if luminance > 0.6:
        scale = 0.6 / luminance
        red, green, blue = red * scale, green * scale, blue * scale
    return (red, green, blue)


def address_lines(address: dict | str | None) -> list[str]:
    """A postal address (the DOMAIN.md dict, or free text) as printable lines."""
    if not address:
        return []
    if isinstance(address, str):
        return [line.strip() for line in address.splitlines() if line.strip()]
    city = address.get("city") or ""
    region_postal = " ".join(p for p in (address.get("region"), address.get("postal_code")) if p)
    locality = ", ".join(p for p in (city, region_postal) if p)
    lines = [address.get("line1"), address.get("line2"), locality, address.get("country")]
    return [str(line) for line in lines if line]


def tenant_name(tenant: dict) -> str:
    return tenant.get("display_name") or tenant.get("name") or ""


class Sheet:
    """A document being laid out top to bottom, breaking onto new pages as it fills."""

    def __init__(self, tenant: dict, title: str, number: str):
        ensure_ready()
        self.tenant = tenant
        self.title = title
        self.number = number
        self.currency = currency_of(tenant)
        self.locale = locale_of(tenant)
        self.zone = tenant_zone(tenant)
        self.accent = accent_color(tenant.get("primary_color"))
        self.canvas = Canvas(LETTER if self.currency in _LETTER_CURRENCIES else A4)
        self.left = MARGIN
        self.right = self.canvas.width - MARGIN
        self.bottom = self.canvas.height - FOOTER_HEIGHT - 10
        self.y = MARGIN

    @property
    def content_width(self) -> float:
        return self.right - self.left

    def money(self, cents: int | None) -> str:
        return format_money(cents, self.currency, self.locale)

    def date(self, value: str | None) -> str:
        """A calendar date or an instant's local date as the tenant's customers read it."""
        return format_date(value, self.zone, self.locale)

    def datetime(self, value: str | None) -> str:
        """An instant in the tenant's zone, date and time, as its customers read it."""
        return format_datetime(value, self.zone, self.locale)

    # -- page structure -------------------------------------------------------------

    def letterhead(self, facts: list[tuple[str, str]], badge: tuple[str, Color] | None = None) -> None:
        """Tenant branding on the left; document title, `facts` and a status badge on the right."""
        canvas, tenant = self.canvas, self.tenant
        canvas.box(0, 0, canvas.width, 6, self.accent)
        half = self.content_width / 2 - 10

        y = 52
        name_lines = wrap(tenant_name(tenant), half, 17, True)
        if len(name_lines) > 2:
            name_lines = [name_lines[0], fit(" ".join(name_lines[1:]), half, 17, True)]
        for line in name_lines:
            canvas.text(self.left, y, line, size=17, bold=True, color=self.accent)
            y += 19
        y -= 4
        phone = format_phone(tenant.get("phone"), country_of(tenant))
        contact = " · ".join(p for p in (phone, tenant.get("email")) if p)
        for line in [*address_lines(tenant.get("address")), contact]:
            if line:
                canvas.text(self.left, y, fit(line, half, 8.5), size=8.5, color=GREY)
                y += 11
        if tenant.get("logo_url"):
            # Printed, and clickable, but never fetched: rendering must not touch the network.
            logo = fit(str(tenant["logo_url"]), half, 7.5)
            width = canvas.text(self.left, y, logo, size=7.5, color=GREY)
            canvas.link(self.left, y - 7.5, width, 9.5, str(tenant["logo_url"]))
            y += 11

        right_y = 54
        canvas.text(self.right, right_y, self.title.upper(), size=20, bold=True, color=self.accent, align="right")
        right_y += 18
        label_x = self.right - 210
        for label, value in facts:
            if not value:
                continue
            canvas.text(label_x, right_y, label, size=8.5, color=GREY)
            canvas.text(self.right, right_y, fit(str(value), 130, 9, True), size=9, bold=True, align="right")
            right_y += 12
        if badge:
            text, color = badge
            width = text_width(text, 9, True) + 14
            canvas.box(self.right - width, right_y - 2, width, 15, color)
            canvas.text(self.right - 7, right_y + 9, text, size=9, bold=True, color=(1, 1, 1), align="right")
            right_y += 17
        self.y = max(y, right_y) + 14

    def _continuation_header(self) -> None:
        canvas = self.canvas
        canvas.box(0, 0, canvas.width, 6, self.accent)
        name = fit(tenant_name(self.tenant), self.content_width / 2 - 10, 10, True)
        canvas.text(self.left, 34, name, size=10, bold=True, color=self.accent)
        canvas.text(self.right, 34, f"{self.title} {self.number} (continued)", size=9, color=GREY, align="right")
        self.y = 56

    def room_for(self, height: float) -> bool:
        """Make sure `height` points fit below the cursor; returns True if a page was added."""
        if self.y + height <= self.bottom:
            return False
        self.canvas.new_page()
        self._continuation_header()
        return True

    def finish(self, closing_note: str = "") -> bytes:
        """Footers with page numbers on every page, then the PDF bytes."""
        canvas, tenant = self.canvas, self.tenant
        pages = canvas.page_count
        contact = " · ".join(
            p
            for p in (tenant_name(tenant), format_phone(tenant.get("phone"), country_of(tenant)), tenant.get("email"))
            if p
        )
        footer_y = canvas.height - FOOTER_HEIGHT + 10
        for index in range(pages):
            canvas.go_to_page(index)
            canvas.rule(self.left, self.right, footer_y)
            page_label = f"{self.number} · page {index + 1} of {pages}".lstrip(" ·")
            label_width = canvas.text(self.right, footer_y + 13, page_label, size=7.5, color=GREY, align="right")
            room = self.content_width - label_width - 20
            if closing_note:
                canvas.text(self.left, footer_y + 13, fit(closing_note, room, 8), size=8, color=GREY)
            canvas.text(self.left, footer_y + 24, fit(contact, room, 7.5), size=7.5, color=GREY)
        return canvas.to_pdf(title=f"{self.title} {self.number}".strip(), author=tenant_name(tenant))

    # -- blocks ---------------------------------------------------------------------

    def blocks(self, blocks: list[tuple[str, list[str]]]) -> None:
        """Side-by-side labelled blocks of lines ("Bill to", "Service site", …)."""
        blocks = [(label, [line for line in lines if line]) for label, lines in blocks]
        blocks = [(label, lines) for label, lines in blocks if lines]
        if not blocks:
            return
        width = self.content_width / len(blocks)
        tallest = max(len(lines) for _, lines in blocks)
        self.room_for(16 + tallest * 12)
        for index, (label, lines) in enumerate(blocks):
            x = self.left + index * width
            self.canvas.text(x, self.y, label.upper(), size=7.5, bold=True, color=GREY)
            for row, line in enumerate(lines):
                bold = row == 0
                self.canvas.text(x, self.y + 14 + row * 12, fit(line, width - 14, 9.5, bold), size=9.5, bold=bold)
        self.y += 16 + tallest * 12 + 8

    def heading(self, text: str) -> None:
        """A small section heading in the accent colour."""
        self.room_for(40)
        self.y += 8
        self.canvas.text(self.left, self.y, text, size=10.5, bold=True, color=self.accent)
        self.y += 8

    def photos(self, photos: list[tuple[str, bytes, tuple[int, int]]], per_row: int = 3) -> None:
        """Thumbnails (caption, JPEG bytes, pixel size) in rows across the content width."""
        gap = 12
        cell = (self.content_width - gap * (per_row - 1)) / per_row
        for start in range(0, len(photos), per_row):
            row = photos[start : start + per_row]
            heights = [cell * size[1] / max(size[0], 1) for _, _, size in row]
            tallest = min(max(heights), cell * 1.4)
            self.room_for(tallest + 22)
            for index, ((caption, jpeg, size), height) in enumerate(zip(row, heights, strict=True)):
                scale = min(1.0, tallest / height) if height else 1.0
                width, shown = cell * scale, height * scale
                x = self.left + index * (cell + gap)
                self.canvas.image(x, self.y, width, shown, jpeg, size)
                self.canvas.text(x, self.y + tallest + 10, fit(caption, cell, 7.5), size=7.5, color=GREY)
            self.y += tallest + 22

    def paragraph(self, text: str, size: float = 9, color: Color = BLACK) -> None:
        """Wrapped text across the content width."""
        for line in wrap(text, self.content_width, size):
            self.room_for(size + 3)
            self.canvas.text(self.left, self.y + size, line, size=size, color=color)
            self.y += size + 3
        self.y += 4

    def table(
        self,
        columns: list[Column],
        rows: list[list[str]],
        *,
        wrap_column: int = 0,
        bold_rows: frozenset[int] = frozenset(),
        max_rows: int = MAX_TABLE_ROWS,
    ) -> None:
        """A table whose `wrap_column` wraps; the header row repeats on every page it spans. At most
        `max_rows` rows: the last one then says how many more there were."""
        if len(rows) > max_rows:
            hidden = len(rows) - (max_rows - 1)
            rows = [*rows[: max_rows - 1], [f"… {hidden:,} more not shown"] + [""] * (len(columns) - 1)]
        widths = [column.share * self.content_width for column in columns]
        lefts = [self.left + sum(widths[:i]) for i in range(len(columns))]
        pad, size, leading = 5, 8.8, 11

        def header() -> None:
            self.canvas.box(self.left, self.y, self.content_width, 17, LIGHT)
            for column, x, width in zip(columns, lefts, widths):
                self._cell(column.align, x, width, self.y + 11.5, column.title.upper(), 7.5, True, GREY, pad)
            self.y += 17

        self.room_for(17 + 2 * leading + 8)
        header()
        for index, row in enumerate(rows):
            bold = index in bold_rows
            cells = [
                (
                    wrap(str(value), width - 2 * pad, size, bold)[:MAX_CELL_LINES]
                    if i == wrap_column
                    else [fit(str(value), width - 2 * pad, size, bold)]
                )
                for i, (value, width) in enumerate(zip(row, widths))
            ]
            height = max(len(lines) for lines in cells) * leading + 7
            if self.room_for(height):
                header()
            for column, x, width, lines in zip(columns, lefts, widths, cells):
                for line_no, line in enumerate(lines):
                    self._cell(column.align, x, width, self.y + leading * (line_no + 1), line, size, bold, BLACK, pad)
            self.y += height
            self.canvas.rule(self.left, self.right, self.y - 2)
        self.y += 8

    def details(self, pairs: list[tuple[str, str]]) -> None:
        """Label/value lines (values wrap), skipping pairs without a value."""
        label_width, size = 110, 9
        for label, value in pairs:
            if not value:
                continue
            lines = wrap(str(value), self.content_width - label_width, size)[:MAX_CELL_LINES]
            self.room_for(len(lines) * 12 + 2)
            self.canvas.text(self.left, self.y + size, label, size=8.5, color=GREY)
            for line in lines:
                self.canvas.text(self.left + label_width, self.y + size, line, size=size)
                self.y += 12
            self.y += 2
        self.y += 6

    def _cell(
        self, align: str, x: float, width: float, y: float, text: str, size: float, bold: bool, color: Color, pad: float
    ) -> None:
        if align == "right":
            self.canvas.text(x + width - pad, y, text, size=size, bold=bold, color=color, align="right")
        elif align == "center":
            self.canvas.text(x + width / 2, y, text, size=size, bold=bold, color=color, align="center")
        else:
            self.canvas.text(x + pad, y, text, size=size, bold=bold, color=color)

    def totals(self, rows: list[tuple[str, str]], emphasise_last: bool = True) -> None:
        """Label/amount pairs stacked at the right edge; the last one stands out."""
        self.room_for(len(rows) * 15 + 14)
        label_x = self.right - 230
        for index, (label, value) in enumerate(rows):
            last = emphasise_last and index == len(rows) - 1
            if last:
                self.canvas.box(label_x - 6, self.y + 1, self.right - label_x + 6, 19, self.accent)
                self.canvas.text(label_x, self.y + 14, label, size=10, bold=True, color=(1, 1, 1))
                self.canvas.text(
                    self.right - 5, self.y + 14, value, size=10.5, bold=True, color=(1, 1, 1), align="right"
                )
                self.y += 22
            else:
                self.canvas.text(label_x, self.y + 11, label, size=9, color=GREY)
                self.canvas.text(self.right - 5, self.y + 11, value, size=9, align="right")
                self.y += 15
        self.y += 8
