"""The monthly report PDF for internal approval (결재): an approval box, every table and its chart."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from fpdf.fonts import FontFace

from dashboards.charts import PALETTE, chart_data
from dashboards.queries import Period, Scope
from dashboards.tables import SUPPRESSION_NOTE, Table, cell_text
from hamkke.pdf import FONT_FAMILY, KoreanDocument

APPROVERS = ("담당", "팀장", "과장")
CHART_HEIGHT = 45.0


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _approval_box(document: KoreanDocument) -> None:
    """Draw the empty 결재 boxes at the right margin (signed on paper or in the e-approval system)."""
    width = 22.0
    x = document.w - document.r_margin - width * len(APPROVERS)
    y = document.get_y()
    document.set_font(FONT_FAMILY, size=8)
    document.set_xy(x - 8, y)
    document.cell(8, 20, "결재", border=1, align="C")
    for index, role in enumerate(APPROVERS):
        document.set_xy(x + index * width, y)
        document.cell(width, 6, role, border=1, align="C")
        document.set_xy(x + index * width, y + 6)
        document.cell(width, 14, "", border=1)
    document.set_xy(document.l_margin, y + 24)


def _table(document: KoreanDocument, table: Table, *, suppress: bool) -> None:
    size = 7 if len(table.columns) > 7 else 8
    document.set_font(FONT_FAMILY, size=size)
    # The embedded font has no bold face: headings are set apart by a grey fill instead.
    headings = FontFace(emphasis=None, fill_color=(230, 230, 230))
    with document.table(text_align="CENTER", line_height=size * 0.6, headings_style=headings) as grid:
        heading = grid.row()
        for column in table.columns:
            heading.cell(column.label)
        for row in table.body:
            line = grid.row()
            for cell, column in zip(row, table.columns, strict=True):
                line.cell(cell_text(cell, column, suppress=suppress))
    document.set_font(FONT_FAMILY, size=10)


def _chart(document: KoreanDocument, table: Table, *, suppress: bool) -> None:
    """Draw the table's chart with PDF primitives (bars, stacks or lines); withheld cells are skipped."""
    labels, series = chart_data(table, suppress=suppress)
    if not labels or not series or all(value is None for item in series for value in item.values):
        return
    if document.get_y() + CHART_HEIGHT + 16 > document.h - document.b_margin:
        document.add_page()
    left = document.l_margin + 10
    width = document.w - document.l_margin - document.r_margin - 12
    top = document.get_y() + 2
    bottom = top + CHART_HEIGHT
    if table.chart == "stacked":
        peak = max((sum(float(s.values[i] or 0) for s in series) for i in range(len(labels))), default=0.0)
    else:
        shown = series if table.chart == "line" else series[:1]
        peak = max((float(v) for s in shown for v in s.values if v is not None), default=0.0)
    peak = peak or 1.0
    slot = width / len(labels)
    document.set_draw_color(180, 180, 180)
    document.line(left, bottom, left + width, bottom)
    document.set_font(FONT_FAMILY, size=6)
    document.set_xy(document.l_margin, top - 1)
    document.cell(9, 3, f"{peak:g}", align="R")
    for i, label in enumerate(labels):
        if len(labels) <= 12 or i % 2 == 0:
            document.set_xy(left + slot * i, bottom + 1)
            document.cell(slot, 3, label[-10:], align="C")
    if table.chart == "line":
        for index, item in enumerate(series):
            document.set_draw_color(*_hex(PALETTE[index % len(PALETTE)]))
            points = [
                (left + slot * (i + 0.5), bottom - CHART_HEIGHT * float(v) / peak)
                for i, v in enumerate(item.values)
                if v is not None
            ]
            for (x1, y1), (x2, y2) in itertools.pairwise(points):
                document.line(x1, y1, x2, y2)
    else:
        for i in range(len(labels)):
            base = 0.0
            for index, item in enumerate(series if table.chart == "stacked" else series[:1]):
                value = item.values[i]
                if not value:
                    continue
                height = CHART_HEIGHT * float(value) / peak
                document.set_fill_color(*_hex(PALETTE[index % len(PALETTE)]))
                document.rect(
                    left + slot * i + slot * 0.15, bottom - base - height, slot * 0.7, height, style="F"
                )
                base += height
    document.set_draw_color(0, 0, 0)
    legend = " · ".join(s.name for s in (series if table.chart != "bar" else series[:1]))
    document.set_xy(document.l_margin, bottom + 5)
    document.set_font(FONT_FAMILY, size=7)
    document.cell(0, 4, f"그림: {table.title} ({legend})", new_x="LMARGIN", new_y="NEXT")
    document.set_font(FONT_FAMILY, size=10)
    document.ln(2)


def monthly_report(
    tables: Sequence[Table], scope: Scope, period: Period, *, generated_at: datetime, author: str
) -> bytes:
    """Return the report PDF: title, approval box, then per table its chart and the table itself."""
    title = f"{scope.name} 통합사례관리 월간 보고 ({period.label})"
    document = KoreanDocument(
        title=title, document_number=f"통합사례관리-{period.code}", generated_at=generated_at
    )
    document.alias_nb_pages()
    document.add_page()
    _approval_box(document)
    document.heading(title)
    document.labelled("작성", author)
    document.labelled("기간", f"{period.start:%Y-%m-%d} ~ {period.end:%Y-%m-%d}")
    if scope.suppress:
        document.labelled("공개 기준", SUPPRESSION_NOTE)
    document.ln(2)
    for table in tables:
        if document.get_y() > document.h - 60:
            document.add_page()
        document.set_font(FONT_FAMILY, size=12)
        document.multi_cell(0, 7, table.title, new_x="LMARGIN", new_y="NEXT")
        document.set_font(FONT_FAMILY, size=10)
        if table.chart is not None and table.body:
            _chart(document, table, suppress=scope.suppress)
        if table.body:
            _table(document, table, suppress=scope.suppress)
        else:
            document.labelled("결과", "이 기간에 해당하는 자료가 없습니다.")
        if table.note:
            document.set_font(FONT_FAMILY, size=7)
            document.multi_cell(0, 4, table.note, new_x="LMARGIN", new_y="NEXT")
            document.set_font(FONT_FAMILY, size=10)
        document.ln(4)
    return document.render()
