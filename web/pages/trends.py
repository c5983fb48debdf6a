"""Pages: complaint trends — charts drawn on the server as SVG (pygal), each with its table."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlencode

import pygal
from litestar import Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Template
from pygal.style import Style

from recall import complaints
from recall.actors import Actor
from recall.complaints import UNTRIAGED, Category, ComplaintTrends
from recall.errors import InvalidInput
from web.pages.forms import FormState, typed_day
from web.pages.labels import COMPLAINT_CATEGORY_NAMES, translated
from web.pages.render import gettext_for, page
from web.pages.session import signed_in
from web.security import QUALITY_READ

PRODUCTS_CHARTED = 10
CHART_WIDTH = 760
BRAND = "#0b4f8a"
MONTHS_MAX = 120
# Blues of the site first; red only for adverse events and counterfeits, which must stand out.
CATEGORY_COLOURS: dict[str, str] = {
    Category.QUALITY_DEFECT: BRAND,
    Category.PACKAGING: "#5b8fc2",
    Category.LACK_OF_EFFICACY: "#9bbfe0",
    Category.ADVERSE_EVENT: "#a1161f",
    Category.COUNTERFEIT: "#d9822b",
    Category.OTHER: "#6b7785",
    UNTRIAGED: "#c5ccd6",
}
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif'
# Served as an image: its own styles only, never a script (images cannot run one anyway).
SVG_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
}
_SCRIPT = re.compile(r"<script\b.*?</script>", re.S)

From = Annotated[str | None, QueryParameter(name="from", max_length=20, required=False)]
To = Annotated[str | None, QueryParameter(name="to", max_length=20, required=False)]


class Chart(StrEnum):
    MONTHS = "months"
    CATEGORIES = "categories"
    PRODUCTS = "products"


def _style(colours: tuple[str, ...]) -> Style:
    return Style(
        background="#ffffff",
        plot_background="#ffffff",
        foreground="#1c2430",
        foreground_strong="#1c2430",
        foreground_subtle="#d5dbe3",
        opacity="1",
        opacity_hover="0.85",
        colors=colours,
        font_family=FONT,
        label_font_family=FONT,
        major_label_font_family=FONT,
        value_font_family=FONT,
        legend_font_family=FONT,
        title_font_family=FONT,
        tooltip_font_family=FONT,
        label_font_size=13,
        major_label_font_size=13,
        value_font_size=13,
        legend_font_size=13,
        title_font_size=15,
        guide_stroke_color="#d5dbe3",
        major_guide_stroke_color="#b4bdc9",
        guide_stroke_dasharray="1,0",
        major_guide_stroke_dasharray="1,0",
    )


@dataclass(frozen=True)
class Window:
    """The days counted, as typed (`start`/`end` are empty for the default twelve months)."""

    start: str = ""
    end: str = ""

    def days(self) -> tuple[date | None, date | None]:
        return typed_day(self.start, "from"), typed_day(self.end, "to")

    def query(self) -> str:
        return urlencode({k: v for k, v in (("from", self.start), ("to", self.end)) if v})


def _months(start: date, end: date) -> list[str]:
    """Every month from `start` to `end` as YYYY-MM, quiet ones too (at most MONTHS_MAX)."""
    last = end.year * 12 + end.month - 1
    first = max(start.year * 12 + start.month - 1, last - MONTHS_MAX + 1)
    return [f"{index // 12:04d}-{index % 12 + 1:02d}" for index in range(first, last + 1)]


@dataclass(frozen=True)
class Tables:
    """The numbers behind the charts, also shown as tables (the charts' text alternative)."""

    months: list[str]
    categories: list[str]  # those with complaints, in a fixed order
    by_month: dict[tuple[str, str], int]  # (month, category) → complaints
    by_category: list[tuple[str, int]]
    by_product: list[tuple[str, int]]
    by_batch: list[complaints.BatchCount]
    total: int


def tables(trends: ComplaintTrends, no_product: str) -> Tables:
    months = _months(trends.start, trends.end)
    by_month: Counter[tuple[str, str]] = Counter()
    by_category: Counter[str] = Counter()
    by_product: Counter[str] = Counter()
    for row in trends.by_month:
        by_month[row.month, row.category] += row.count
        by_category[row.category] += row.count
        by_product[row.product or no_product] += row.count
    order = [str(category) for category in CATEGORY_COLOURS]
    present = [category for category in order if by_category[category]]
    return Tables(
        months=months,
        categories=present,
        by_month=dict(by_month),
        by_category=[(category, by_category[category]) for category in present],
        by_product=sorted(by_product.items(), key=lambda item: (-item[1], item[0])),
        by_batch=trends.by_batch,
        total=sum(by_category.values()),
    )


async def _trends(window: Window, no_product: str) -> Tables:
    start, end = window.days()
    return tables(await complaints.complaint_trends(start, end), no_product)


def _short_month(month: str) -> str:
    year, number = month.split("-")
    return f"{number}/{year[2:]}"


def _ticks(highest: int) -> list[int]:
    """Whole numbers for the count axis: complaints are never fractions."""
    step = max(1, math.ceil(highest / 6))
    return list(range(0, max(highest, 1) + step, step))


def chart_height(chart: Chart, numbers: Tables) -> int:
    """The drawing's height: a bar per row for the horizontal charts."""
    if chart is Chart.MONTHS:
        return 380
    rows = len(numbers.by_category if chart is Chart.CATEGORIES else _products(numbers))
    return max(160, 70 + 40 * rows)


def _products(numbers: Tables) -> list[tuple[str, int]]:
    return numbers.by_product[:PRODUCTS_CHARTED]


def chart_svg(chart: Chart, numbers: Tables, _: Callable[[str], str]) -> str:
    """One chart as a standalone SVG document, in the reader's language, without scripts."""
    common: dict[str, Any] = {
        "js": [],
        "width": CHART_WIDTH,
        "height": chart_height(chart, numbers),
        "legend_at_bottom": True,
        "legend_at_bottom_columns": 3,
        "truncate_legend": -1,
        "truncate_label": -1,
        "no_data_text": _("No complaints in this period"),
        "margin": 12,
        # pygal leaves too little room under a one-row legend.
        "margin_bottom": 28 if chart is Chart.MONTHS else 12,
        "spacing": 14,
        "value_formatter": lambda value: f"{value:.0f}",
    }
    if chart is Chart.MONTHS:
        colours = tuple(CATEGORY_COLOURS[c] for c in numbers.categories)
        drawing = pygal.StackedBar(style=_style(colours or (BRAND,)), **common)
        drawing.x_labels = [_short_month(month) for month in numbers.months]
        drawing.x_label_rotation = 0 if len(numbers.months) <= 12 else 45
        highest = max(
            (
                sum(numbers.by_month.get((m, c), 0) for c in numbers.categories)
                for m in numbers.months
            ),
            default=0,
        )
        for category in numbers.categories:
            counts = [numbers.by_month.get((month, category), 0) for month in numbers.months]
            drawing.add(_(COMPLAINT_CATEGORY_NAMES[category]), counts)
    else:
        drawing = pygal.HorizontalBar(style=_style((BRAND,)), show_legend=False, **common)
        if chart is Chart.CATEGORIES:
            rows = [(_(COMPLAINT_CATEGORY_NAMES[c]), n) for c, n in numbers.by_category]
        else:
            rows = _products(numbers)
        # A horizontal bar chart draws its first label at the bottom: reverse to read top-down.
        drawing.x_labels = [label for label, _count in reversed(rows)]
        highest = max((count for _label, count in rows), default=0)
        if rows:
            drawing.add(_("Complaints"), [count for _label, count in reversed(rows)])
    if highest:  # pygal fails on axis labels without any series
        drawing.y_labels = _ticks(highest)
    return _SCRIPT.sub("", drawing.render(is_unicode=True))


@get("/trends", guards=[signed_in, QUALITY_READ], include_in_schema=False)
async def trends_page(
    request: Request[Actor, Any, Any],
    start: From = None,
    end: To = None,
) -> Template:
    _ = gettext_for(request)
    window = Window((start or "").strip(), (end or "").strip())
    form = FormState(values={k: v for k, v in (("from", window.start), ("to", window.end)) if v})
    numbers, status_code = None, 200
    period: tuple[date, date] | None = None
    try:
        first, last = window.days()
        trends = await complaints.complaint_trends(first, last)
        numbers, period = tables(trends, _("No product given")), (trends.start, trends.end)
    except InvalidInput as exc:
        text = exc.detail.removeprefix(f"{exc.field}: ")
        form = FormState(values=form.values, error_field=exc.field, error_text=text)
        status_code = 422
    return page(
        request,
        "trends/trends.html",
        {
            "form": form,
            "numbers": numbers,
            "period": period,
            "query": window.query(),
            "category_names": translated(_, COMPLAINT_CATEGORY_NAMES),
            "short_month": _short_month,
            "chart_width": CHART_WIDTH,
            "heights": {c.value: chart_height(c, numbers) for c in Chart} if numbers else {},
        },
        status_code=status_code,
    )


@get(
    [f"/trends/{chart.value}.svg" for chart in Chart],
    guards=[signed_in, QUALITY_READ],
    include_in_schema=False,
)
async def trend_chart(
    request: Request[Actor, Any, Any],
    start: From = None,
    end: To = None,
) -> Response[str]:
    """One chart of /trends as an image (a bad date: 422 and no image)."""
    _ = gettext_for(request)
    which = Chart(request.url.path.rsplit("/", 1)[-1].removesuffix(".svg"))
    try:
        numbers = await _trends(
            Window((start or "").strip(), (end or "").strip()), _("No product given")
        )
    except InvalidInput as exc:
        return Response(exc.detail, status_code=422, headers=SVG_HEADERS, media_type="text/plain")
    return Response(chart_svg(which, numbers, _), media_type="image/svg+xml", headers=SVG_HEADERS)


ROUTES: list[Any] = [trends_page, trend_chart]
