"""The PDF document the recall report is drawn on (fpdf2, core fonts): running head and foot,
the drill mark, and its building blocks (headings, notes, label-value fields, fast grids)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import CoreFont

DRILL_MARK = "DRILL / LATIHAN"

_REPLACEMENTS = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2026": "...",
        "\u2022": "*",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
        "\u2264": "<=",
        "\u2265": ">=",
        "\u2192": "->",
        "\t": " ",
        "\r": "",
    }
)


def latin1(value: object) -> str:
    """Text the PDF core fonts can draw: typographic marks simplified, accents kept when
    Latin-1 has them, stripped when it does not, anything else as "?"."""
    text = str(value).translate(_REPLACEMENTS)
    if all(ord(char) < 256 for char in text):
        return "".join(char for char in text if char == "\n" or ord(char) >= 32)
    out = []
    for char in text:
        if ord(char) < 256:
            out.append(char if char == "\n" or ord(char) >= 32 else "")
            continue
        base = unicodedata.normalize("NFKD", char).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


@dataclass(frozen=True)
class _Column:
    title: str
    width: float
    numeric: bool = False


LINE = 4.6
PAD = 1.0


class _Document(FPDF):
    def __init__(self, running_head: str, running_foot: str, drill: bool) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.running_head = running_head
        self.running_foot = running_foot
        self.drill = drill
        self.set_margins(10, 16, 10)
        self.set_auto_page_break(True, margin=16)

    def header(self) -> None:
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(90, 90, 90)
        self.set_xy(self.l_margin, 7)
        self.cell(self.epw * 0.7, 4, self.running_head)
        if self.drill:
            self.set_font("Helvetica", "B", 9)
            self.set_text_color(190, 0, 0)
            self.cell(self.epw * 0.3, 4, DRILL_MARK, align="R")
        self.set_text_color(0, 0, 0)
        self.set_draw_color(160, 160, 160)
        self.line(self.l_margin, 12, self.w - self.r_margin, 12)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-11)
        self.set_font("Helvetica", "", 7)
        self.set_text_color(90, 90, 90)
        self.cell(self.epw * 0.75, 4, self.running_foot)
        self.cell(self.epw * 0.25, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    # Building blocks --------------------------------------------------------------------------

    def heading(self, text: str) -> None:
        if self.will_page_break(18):
            self.add_page(same=True)
        self.ln(3)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 8.5)

    def note(self, text: str) -> None:
        self.set_font("Helvetica", "I", 8)
        self.multi_cell(0, 4.2, latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", "", 8.5)

    def fields(self, pairs: Iterable[tuple[str, str]], label_width: float = 48) -> None:
        for label, value in pairs:
            text = latin1(value)
            self.set_font("Helvetica", "", 8.5)
            lines = self.multi_cell(self.epw - label_width, 4.6, text, dry_run=True, output="LINES")
            height = max(1, len(lines) if isinstance(lines, list) else 1) * 4.6
            if self.will_page_break(min(height, 40)):
                self.add_page(same=True)
            self.set_font("Helvetica", "B", 8.5)
            self.cell(label_width, 4.6, latin1(label))
            self.set_font("Helvetica", "", 8.5)
            self.multi_cell(self.epw - label_width, 4.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def grid(
        self,
        columns: Sequence[_Column],
        rows: Iterable[Sequence[object]],
        *,
        size: float = 7.5,
        bold: frozenset[int] = frozenset(),
    ) -> None:
        """A table drawn with plain text and rules (fast enough for tens of thousands of rows);
        cells too wide are cut with "...", the header repeats on every page; rows whose index
        is in `bold` are bold."""
        rows = list(rows)
        bottom = self.h - self.b_margin

        def head() -> None:
            self.set_font("Helvetica", "B", size)
            self.set_fill_color(232, 232, 232)
            x = self.l_margin
            for column in columns:
                self.set_xy(x, self.get_y())
                self.cell(column.width, LINE + 0.4, column.title, fill=True,
                          align="R" if column.numeric else "L")  # fmt: skip
                x += column.width
            self.set_xy(self.l_margin, self.get_y() + LINE + 0.4)
            self.set_font("Helvetica", "", size)

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
                self.set_font("Helvetica", "B", size)
            x = self.l_margin
            for column, value in zip(columns, row, strict=True):
                text = self._fit(latin1(value), column.width - 2 * PAD)
                if column.numeric:
                    self.text(x + column.width - PAD - self.width_of(text), y + 3.3, text)
                else:
                    self.text(x + PAD, y + 3.3, text)
                x += column.width
            self.line(self.l_margin, y + LINE, right, y + LINE)
            self.set_xy(self.l_margin, y + LINE)
            if last:
                self.set_font("Helvetica", "", size)
        self.ln(1.5)

    def width_of(self, text: str) -> float:
        """get_string_width for the core fonts, without its per-call overhead (big tables)."""
        font = self.current_font
        if not isinstance(font, CoreFont):
            return float(self.get_string_width(text))
        widths = font.cw
        return sum(widths.get(char, 500) for char in text) * self.font_size_pt * 0.001 / self.k

    def _fit(self, text: str, width: float) -> str:
        if self.width_of(text) <= width:
            return text
        while text and self.width_of(text + "...") > width:
            text = text[: max(0, min(len(text) - 1, int(len(text) * 0.9)))]
        return text + "..."
