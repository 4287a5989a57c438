"""Server-side SVG charts drawn from dashboard tables: trend lines, stacked bars and bar comparisons.

Each chart is an image for screen readers (``role="img"`` with a title and a description) and the
page shows the table it was drawn from right beside it, so nothing is only visible in the picture.
Suppressed cells are not drawn at all: a bar would reveal what the table hides.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from dashboards.tables import Table, cell_number

#: colour-blind-safe palette (Okabe–Ito), darkened where needed for contrast on white
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F00", "#000000")
WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 56


@dataclass(frozen=True)
class Series:
    """One line or stack: its name and values (None: withheld or missing)."""

    name: str
    values: list[float | int | None]
    #: shown after a bar's value (``%`` for rates)
    unit: str = ""


def chart_data(table: Table, *, suppress: bool) -> tuple[list[str], list[Series]]:
    """Return x labels and series of a table's chart (the 합계 row is not plotted)."""
    rows = [row for row in table.body if row and row[0] != "합계"]
    labels = [str(row[0]) for row in rows]
    series = [
        Series(
            table.columns[index].label,
            [cell_number(row[index], suppress=suppress) for row in rows],
            "%" if table.columns[index].kind == "rate" else table.columns[index].unit,
        )
        for index in table.plotted()
    ]
    return labels, series


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(value)


def _frame(chart_id: str, title: str, description: str, body: str) -> Markup:
    # Every text that reaches the SVG (titles, labels, legends) is escaped where it is built.
    return Markup(  # noqa: S704
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="11">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>{body}</svg>'
    )


def _axes(top: float, labels: list[str], slot: float) -> str:
    parts = []
    plot_h = HEIGHT - TOP - BOTTOM
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_h - plot_h * step / 4
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}</text>'
        )
    every = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        if index % every == 0:
            x = LEFT + slot * (index + 0.5)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{escape(label)}</text>'
            )
    return "".join(parts)


def _legend(series: list[Series]) -> str:
    parts = []
    for index, item in enumerate(series):
        x = LEFT + index * 130
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="{HEIGHT - 22}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{HEIGHT - 13}">{escape(item.name)}</text>'
        )
    return "".join(parts)


def _describe(title: str, labels: list[str], series: list[Series]) -> str:
    withheld = any(value is None for item in series for value in item.values)
    text = f"{title}: {len(labels)}개 항목, 계열 {', '.join(s.name for s in series)}."
    if withheld:
        text += " 5 미만이라 가려진 값은 그리지 않았습니다."
    return text + " 자세한 값은 아래 표에 있습니다."


def line_chart(chart_id: str, title: str, labels: list[str], series: list[Series]) -> Markup:
    """Draw a trend: one line per series over the x labels (months)."""
    top = _nice_max(max((v for s in series for v in s.values if v is not None), default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [_axes(top, labels, slot)]
    for index, item in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        points = [
            (LEFT + slot * (i + 0.5), TOP + plot_h - plot_h * float(value) / top)
            for i, value in enumerate(item.values)
            if value is not None
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>')
        parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points)
    parts.append(_legend(series))
    return _frame(chart_id, title, _describe(title, labels, series), "".join(parts))


def stacked_bar_chart(chart_id: str, title: str, labels: list[str], series: list[Series]) -> Markup:
    """Draw one stacked bar per x label, a segment per series (e.g. household types per month)."""
    totals = [sum(float(s.values[i] or 0) for s in series) for i in range(len(labels))]
    top = _nice_max(max(totals, default=0))
    slot = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    plot_h = HEIGHT - TOP - BOTTOM
    parts = [_axes(top, labels, slot)]
    for i in range(len(labels)):
        base = 0.0
        for index, item in enumerate(series):
            value = item.values[i]
            if not value:
                continue
            height = plot_h * float(value) / top
            y = TOP + plot_h - plot_h * base / top - height
            parts.append(
                f'<rect x="{LEFT + slot * i + slot * 0.15:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[index % len(PALETTE)]}"/>'
            )
            base += float(value)
    parts.append(_legend(series))
    return _frame(chart_id, title, _describe(title, labels, series), "".join(parts))


def bar_chart(chart_id: str, title: str, labels: list[str], series: list[Series]) -> Markup:
    """Draw horizontal bars, one per row, for the first series (a comparison, e.g. per 권역)."""
    item = series[0] if series else Series("", [])
    count = max(len(labels), 1)
    height = TOP + 24 * count + 8
    top = _nice_max(max((v for v in item.values if v is not None), default=0))
    label_w = 150
    span = WIDTH - label_w - RIGHT - 40
    parts = []
    for i, label in enumerate(labels):
        y = TOP + 24 * i
        value = item.values[i] if i < len(item.values) else None
        parts.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label[:18])}</text>')
        if value is None:
            parts.append(f'<text x="{label_w + 4}" y="{y + 14}" fill="#555">5 미만</text>')
            continue
        width = span * float(value) / top
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{width:.1f}" height="16" fill="{PALETTE[0]}"/>'
            f'<text x="{label_w + width + 4:.1f}" y="{y + 14}">{float(value):g}{escape(item.unit)}</text>'
        )
    body = "".join(parts)
    svg = _frame(chart_id, title, _describe(title, labels, [item]), body)
    # Only the numeric viewBox height changes; the markup was escaped when it was built.
    resized = str(svg).replace(f'viewBox="0 0 {WIDTH} {HEIGHT}"', f'viewBox="0 0 {WIDTH} {height}"', 1)
    return Markup(resized)  # noqa: S704


def chart_for(table: Table, *, suppress: bool) -> Markup | None:
    """Return the SVG chart of a table, or None when the table has no chart or no rows."""
    if table.chart is None or not table.body:
        return None
    labels, series = chart_data(table, suppress=suppress)
    if not labels or not series or all(value is None for item in series for value in item.values):
        # Everything withheld: an empty picture says nothing the table does not.
        return None
    chart_id = f"chart-{table.key}"
    if table.chart == "line":
        return line_chart(chart_id, table.title, labels, series)
    if table.chart == "stacked":
        return stacked_bar_chart(chart_id, table.title, labels, series)
    return bar_chart(chart_id, table.title, labels, series)
