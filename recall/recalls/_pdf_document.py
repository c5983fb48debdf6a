"""The PDF document the recall reports are drawn on (fpdf2 with the vendored DejaVu Sans, so
any language's text is drawn as written): running head and foot, the drill mark, and its
building blocks (headings, notes, label-value fields, fast grids)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont, TTFFont

DRILL_MARK = "DRILL / LATIHAN"
FONT = "DejaVu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}
PAGES_ALIAS = "{pages}"
FONT_DIR = Path(__file__).resolve().parents[1] / "fonts"

# Control characters (a tab reads as a space, the rest vanish); line breaks are kept.
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")
MISSING = "\ufffd"  # drawn for a character the font has no glyph for (CJK, emoji)


@cache
def _drawn() -> frozenset[int]:
    """The characters every vendored style has a glyph for."""
    maps = [set(TTFont(FONT_DIR / name, lazy=True).getBestCmap()) for name in FONT_FILES.values()]
    return frozenset(set.intersection(*maps))


def printable(value: object) -> str:
    """The text as written, without the control characters a PDF cannot draw; a character
    the font lacks is shown as the replacement character rather than dropped."""
    text = str(value)
    if not text.isprintable():
        text = _CONTROL.sub(lambda found: " " if found.group() == "\t" else "", text)
    if text.isascii():
        return text
    drawn = _drawn()
    return "".join(char if ord(char) in drawn or char == "\n" else MISSING for char in text)


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    numeric: bool = False


LINE = 4.6
ELLIPSIS = "\u2026"
PAD = 1.0


class _Document(FPDF):
    def __init__(
        self,
        running_head: str,
        running_foot: str,
        drill: bool,
        page_of: str = "Page {} of {}",
        drill_mark: str = DRILL_MARK,
    ) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_head = running_head
        self.drill_mark = drill_mark
        self.page_of = page_of
        # An alias as wide as a four-digit page count (the big reports run to a thousand pages).
        self.alias_nb_pages(PAGES_ALIAS)
        self.running_foot = running_foot
        self.drill = drill
        for style, name in FONT_FILES.items():
            self.add_font(FONT, style, str(FONT_DIR / name))
        self.set_margins(10, 16, 10)
        self.set_auto_page_break(True, margin=16)

    def header(self) -> None:
        self.set_font(FONT, "", 7.5)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw * 0.7, 4, self.running_head)
        if self.drill:
            self.set_font(FONT, "B", 9)
            self.set_text_color(190, 0, 0)
            self.cell(self.epw * 0.3, 4, self.drill_mark, align="R")
        self.set_text_color(0, 0, 0)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, 12, self.w - self.r_margin, 12)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font(FONT, "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(self.epw * 0.75, 4, self.running_foot)
        self.cell(self.epw * 0.25, 4, self.page_of.format(self.page_no(), PAGES_ALIAS), align="R")
        self.set_text_color(0, 0, 0)

    # Building blocks --------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.will_page_break(18):
            self.add_page(same=True)
        self.ln(3)
        self.set_font(FONT, "B", 11)
        self.cell(0, 7, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)

    def note(self, text: str) -> None:
        self.set_font(FONT, "I", 8)
        self.multi_cell(0, 4.2, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT, "", 8.5)

    def fields(self, pairs: Iterable[tuple[str, str]], label_width: float = 48) -> None:
        for label, value in pairs:
            text = printable(value)
            self.set_font(FONT, "", 8.5)
            lines = self.multi_cell(self.epw - label_width, 4.6, text, dry_run=True, output="LINES")
            height = max(1, len(lines) if isinstance(lines, list) else 1) * 4.6
            if self.will_page_break(min(height, 40)):
                self.add_page(same=True)
            self.set_font(FONT, "B", 8.5)
            self.cell(label_width, 4.6, printable(label))
            self.set_font(FONT, "", 8.5)
            self.multi_cell(
                self.epw - label_width, 4.6, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def grid(
        self,
        columns: Sequence[_Column],
        rows: Iterable[Sequence[object]],
        *,
        size: float = 7.5,
        bold: frozenset[int] = frozenset(),
    ) -> None:
        """A table drawn with plain text and rules (fast enough for tens of thousands of rows);
        cells too wide are cut with an ellipsis, the header repeats on every page; rows whose index
        is in `bold` are bold."""
        rows = list(rows)
        bottom = self.h - self.b_margin

        def head() -> None:
            self.set_font(FONT, "B", size)
            self.set_fill_color(232, 232, 232)
            x = self.l_margin
            for column in columns:
                self.set_xy(x, self.get_y())
                title = self._fit(printable(column.title), column.width - 2 * PAD)
                self.cell(column.width, LINE + 0.4, title, fill=True,
                          align="R" if column.numeric else "L")  # fmt: skip
                x += column.width
            self.set_xy(self.l_margin, self.get_y() + LINE + 0.4)
            self.set_font(FONT, "", size)

        if self.get_y() + 2 * LINE > bottom:
            self.add_page(same=True)
        head()
        right = self.l_margin + sum(column.width for column in columns)
        self.set_draw_color(200, 200, 200)
        for index, row in enumerate(rows):
            y = self.get_y()
            if y + LINE > bottom:
                self.add_page(same=True)
                head()
                y = self.get_y()
            last = index in bold
            if last:
                self.set_font(FONT, "B", size)
            x = self.l_margin
            cells = []
            for column, value in zip(columns, row, strict=True):
                text = self._fit(printable(value), column.width - 2 * PAD)
                if text:
                    end = x + column.width - PAD
                    cells.append((end - self.width_of(text) if column.numeric else x + PAD, text))
                x += column.width
            self._row(cells, y, right)
            self.set_xy(self.l_margin, y + LINE)
            if last:
                self.set_font(FONT, "", size)
        self.ln(1.5)

    def _row(self, cells: Sequence[tuple[float, str]], y: float, right: float) -> None:
        """A grid row's texts in one text object and its rule below: what text() and line()
        write for each cell, written once per row (a third of the time on big tables)."""
        font = self.current_font
        assert font is not None and self.text_color is not None
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        k = self.k
        baseline = (self.h - y - 3.3) * k
        rule = (self.h - y - LINE) * k
        shown = " ".join(
            f"1 0 0 1 {x * k:.2f} {baseline:.2f} Tm {font.encode_text(text)}" for x, text in cells
        )
        self._out(
            f"q {self.text_color.serialize().lower()} BT {shown} ET Q "
            f"{self.l_margin * k:.2f} {rule:.2f} m {right * k:.2f} {rule:.2f} l S"
        )

    def width_of(self, text: str) -> float:
        """get_string_width without its per-call overhead (big tables)."""
        font = self.current_font
        if isinstance(font, TTFFont):
            widths = font.cw
            units = sum(widths[ord(char)] for char in text)
        elif isinstance(font, CoreFont):
            units = sum(font.cw.get(char, 500) for char in text)
        else:
            return float(self.get_string_width(text))
        return units * self.font_size_pt * 0.001 / self.k

    def _fit(self, text: str, width: float) -> str:
        if self.width_of(text) <= width:
            return text
        while text and self.width_of(text + ELLIPSIS) > width:
            text = text[: max(0, min(len(text) - 1, int(len(text) * 0.9)))]
        return text + ELLIPSIS
