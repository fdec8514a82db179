"""A small drawing surface on top of borb: positioned text, filled boxes, rules and links.

Why not borb's own layout elements (Paragraph, FixedColumnWidthTable, SingleColumnLayout)?
Measured on the bench machine, a bare ten-line invoice built from them rendered at about 16
per second: every cell re-measures and re-wraps its text, paints its borders by appending to
an immutable bytes stream (quadratic copying) and brings its own font object. Their
`get_size` results also sit in class-level `functools.cache` tables that keep every element
ever laid out alive, so a long-running server would grow without bound. Here the renderers
place text themselves with two standard-14 fonts and hand borb one content stream per page;
borb still builds the document objects and serialises the file.

Coordinates are PDF points measured from the top-left corner (y grows downwards), which is
how the renderers think; `y` for text is its baseline.
"""

from __future__ import annotations

import functools

Color = tuple[float, float, float]
BLACK: Color = (0.0, 0.0, 0.0)
GREY: Color = (0.42, 0.45, 0.5)
LIGHT: Color = (0.94, 0.95, 0.96)
RULE: Color = (0.82, 0.84, 0.87)

LETTER = (612, 792)
A4 = (595, 842)

_FONTS = {False: "F1", True: "F2"}
_ready = False


def ensure_ready() -> None:
    """Opt out of borb's usage reporting before anything is rendered (idempotent).

    Unless opted out, borb 3 queues a usage event on every PDF read or write, posts the
    queue to its vendor over HTTP from a thread, and on the first event replaces the
    process's SIGINT and SIGTERM handlers with its own flush function, which would stop a
    server from shutting down cleanly.
    """
    global _ready
    if not _ready:
        from borb.pdf.license.usage_statistics import UsageStatistics

        UsageStatistics.opt_out()
        _ready = True


@functools.cache
def _char_widths(bold: bool) -> dict[str, float]:
    """Advance widths (in ems) of every character the WinAnsi-encoded Helvetica can show."""
    from borb.pdf.font.simple_font.helvetica.helvetica import Helvetica
    from borb.pdf.font.simple_font.helvetica.helvetica_bold import HelveticaBold

    font = HelveticaBold() if bold else Helvetica()
    widths = {}
    for code in range(32, 256):
        try:
            char = bytes([code]).decode("cp1252")
        except UnicodeDecodeError:
            continue
        widths[char] = font.get_width(text=char, font_size=1000) / 1000
    return widths


def text_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of `text` set in Helvetica (bold) at `size`."""
    widths = _char_widths(bold)
    unknown = widths["?"]  # what an unencodable character is printed as
    return sum([widths.get(char, unknown) for char in text]) * size


def fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """`text`, cut short with an ellipsis if it is wider than `width`."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + "…", size, bold) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """`text` broken into lines no wider than `width` (words longer than a line are cut)."""
    space = text_width(" ", size, bold)
    lines: list[str] = []
    for paragraph in str(text).splitlines() or [""]:
        line: list[str] = []
        used = 0.0
        for word in paragraph.split():
            needed = text_width(word, size, bold)
            if line and used + space + needed <= width:
                line.append(word)
                used += space + needed
                continue
            if line:
                lines.append(" ".join(line))
            if needed > width:
                word = fit(word, width, size, bold)
                needed = text_width(word, size, bold)
            line, used = [word], needed
        lines.append(" ".join(line))
    return lines


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return "".join(" " if ord(char) < 32 else char for char in text)


def _rgb(color: Color) -> str:
    return f"{color[0]:.3f} {color[1]:.3f} {color[2]:.3f}"


class Canvas:
    """Pages of drawing operations, turned into a PDF by `to_pdf`."""

    def __init__(self, size: tuple[int, int] = LETTER):
        self.width, self.height = size
        self._pages: list[list[str]] = []
        self._links: list[list[tuple[float, float, float, float, str]]] = []
        self._images: list[dict[str, tuple[bytes, int, int]]] = []
        self._current = -1
        self.new_page()

    @property
    def page_count(self) -> int:
        return len(self._pages)

    @property
    def page_index(self) -> int:
        return self._current

    def new_page(self) -> None:
        """Start a new, empty page and draw on it from now on."""
        self._pages.append([])
        self._links.append([])
        self._images.append({})
        self._current = len(self._pages) - 1

    def go_to_page(self, index: int) -> None:
        """Draw on an earlier page (for footers that need the page count)."""
        self._current = index

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float = 9,
        bold: bool = False,
        color: Color = BLACK,
        align: str = "left",
    ) -> float:
        """Draw one line of text with its baseline at `y`; returns its width."""
        text = str(text)
        width = text_width(text, size, bold)
        if align == "right":
            x -= width
        elif align == "center":
            x -= width / 2
        self._pages[self._current].append(
            f"BT /{_FONTS[bold]} {size:g} Tf {_rgb(color)} rg "
            f"{x:.2f} {self.height - y:.2f} Td ({_escape(text)}) Tj ET\n"
        )
        return width

    def box(self, x: float, y: float, width: float, height: float, color: Color) -> None:
        """Fill a rectangle whose top-left corner is at (x, y)."""
        self._pages[self._current].append(
            f"{_rgb(color)} rg {x:.2f} {self.height - y - height:.2f} {width:.2f} {height:.2f} re f\n"
        )

    def rule(self, x1: float, x2: float, y: float, color: Color = RULE, weight: float = 0.6) -> None:
        """Draw a horizontal line at `y` from `x1` to `x2`."""
        flipped = self.height - y
        self._pages[self._current].append(
            f"{_rgb(color)} RG {weight:g} w {x1:.2f} {flipped:.2f} m {x2:.2f} {flipped:.2f} l S\n"
        )

    def image(self, x: float, y: float, width: float, height: float, jpeg: bytes, pixels: tuple[int, int]) -> None:
        """Draw a baseline JPEG (RGB, `pixels` wide and high) into the box with top-left (x, y)."""
        images = self._images[self._current]
        key = f"Im{len(images) + 1}"
        images[key] = (jpeg, *pixels)
        self._pages[self._current].append(
            f"q {width:.2f} 0 0 {height:.2f} {x:.2f} {self.height - y - height:.2f} cm /{key} Do Q\n"
        )

    def link(self, x: float, y: float, width: float, height: float, url: str) -> None:
        """Make the box with top-left (x, y) a clickable link; only http(s) URLs are kept."""
        if url.lower().startswith(("https://", "http://")):
            self._links[self._current].append((x, y, width, height, url))

    def to_pdf(self, title: str = "", author: str = "") -> bytes:
        """The finished PDF file."""
        ensure_ready()
        from borb.pdf.document import Document
        from borb.pdf.font.simple_font.helvetica.helvetica import Helvetica
        from borb.pdf.font.simple_font.helvetica.helvetica_bold import HelveticaBold
        from borb.pdf.page import Page
        from borb.pdf.primitives import name

        document = Document()
        fonts = {"F1": Helvetica(), "F2": HelveticaBold()}
        for key, font in fonts.items():
            font[name("Name")] = name(key)
        for operations, links, images in zip(self._pages, self._links, self._images):
            page = Page(width_in_points=self.width, height_in_points=self.height)
            page["Resources"][name("Font")] = dict(fonts)
            if images:
                page["Resources"][name("XObject")] = {name(key): _jpeg_stream(*image) for key, image in images.items()}
            page["Contents"]["DecodedBytes"] = "".join(operations).encode("cp1252", "replace")
            if links:
                page[name("Annots")] = [self._link_annotation(*link) for link in links]
            document.append_page(page)
        info = document["Trailer"]["Info"]  # exists once a page has been appended
        if title:
            info[name("Title")] = _text_string(title)
        if author:
            info[name("Author")] = _text_string(author)
        return _serialise(document)

    def _link_annotation(self, x: float, y: float, width: float, height: float, url: str) -> dict:
        from borb.pdf.primitives import name

        bottom = self.height - y - height
        return {
            name("Type"): name("Annot"),
            name("Subtype"): name("Link"),
            name("Rect"): [round(x, 2), round(bottom, 2), round(x + width, 2), round(bottom + height, 2)],
            name("Border"): [0, 0, 0],
            name("A"): {name("S"): name("URI"), name("URI"): _uri_string(url)},
        }


def _jpeg_stream(jpeg: bytes, width: int, height: int):
    """An image XObject holding JPEG bytes as they are (the PDF reader decodes them)."""
    from borb.pdf.primitives import name, stream

    image = stream()
    image[name("Type")] = name("XObject")
    image[name("Subtype")] = name("Image")
    image[name("Width")] = width
    image[name("Height")] = height
    image[name("ColorSpace")] = name("DeviceRGB")
    image[name("BitsPerComponent")] = 8
    image[name("Filter")] = name("DCTDecode")
    image[name("Bytes")] = jpeg
    image[name("Length")] = len(jpeg)
    return image


# borb writes a Python str as a literal "(...)" string without escaping anything, so a
# title with an unbalanced parenthesis would corrupt the file; hex strings are always safe.
def _text_string(text: str):
    """A PDF text string (UTF-16BE with byte-order mark) as a hex string."""
    from borb.pdf.primitives import hexstr

    return hexstr("FEFF" + text.encode("utf-16-be").hex().upper())


def _uri_string(url: str):
    """A URI as a 7-bit ASCII hex string, non-ASCII characters percent-encoded."""
    from urllib.parse import quote

    from borb.pdf.primitives import hexstr

    return hexstr(quote(url, safe=":/?#[]@!$&'()*+,;=%~").encode("ascii").hex().upper())


def _serialise(document) -> bytes:
    # borb's PDF.write is this visitor plus a UsageStatistics.event() call; skipping that
    # call keeps the vendor's licence banner (printed to stdout every 64 unlicensed
    # documents, even after opting out) out of the server's logs. borb's producer line
    # and AGPL comment stay in every file, as its licence asks.
    from borb.pdf.visitor.write_new.facade_visitor import FacadeVisitor

    writer = FacadeVisitor()
    writer.visit(node=document)
    return bytes(writer.bytes())
