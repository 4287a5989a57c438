"""CSV and XLSX of dashboard tables, with the same small-cell suppression as the page."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.styles import Font

from dashboards.queries import Period, Scope
from dashboards.tables import (
    SUPPRESSED_TEXT,
    SUPPRESSION_NOTE,
    Ratio,
    Table,
    cell_number,
    cell_text,
    is_hidden,
)

#: Excel limits sheet names to 31 characters and forbids a few symbols
_SHEET_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))


def _heading(scope: Scope, period: Period) -> str:
    return f"{scope.name} · {period.label}"


def table_csv(table: Table, scope: Scope, period: Period) -> bytes:
    """Return a table as UTF-8 CSV with a BOM (so Excel opens Korean text correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([table.title, _heading(scope, period)])
    writer.writerow([column.label for column in table.columns])
    for row in table.body:
        writer.writerow(
            [
                cell_text(cell, column, suppress=scope.suppress)
                for cell, column in zip(row, table.columns, strict=True)
            ]
        )
    if table.note:
        writer.writerow([table.note])
    if scope.suppress:
        writer.writerow([SUPPRESSION_NOTE])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _sheet(workbook: Workbook, table: Table, scope: Scope, period: Period, *, first: bool) -> None:
    sheet = workbook.active if first and workbook.active is not None else workbook.create_sheet()
    sheet.title = table.title.translate(_SHEET_FORBIDDEN)[:31]
    sheet.append([table.title, _heading(scope, period)])
    sheet["A1"].font = Font(bold=True)
    sheet.append([column.label for column in table.columns])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for row in table.body:
        values: list[object] = []
        for cell, column in zip(row, table.columns, strict=True):
            if is_hidden(cell, suppress=scope.suppress):
                values.append(cell if isinstance(cell, str) else SUPPRESSED_TEXT)
            elif column.kind == "text" or isinstance(cell, str) or cell is None:
                values.append(cell_text(cell, column, suppress=scope.suppress) if cell is not None else "")
            elif isinstance(cell, Ratio):
                values.append(cell.value)
            else:
                values.append(cell_number(cell, suppress=scope.suppress))
        sheet.append(values)
    if table.note:
        sheet.append([])
        sheet.append([table.note])
    for letter, column in zip("ABCDEFGHIJKLMNOP", table.columns, strict=False):
        sheet.column_dimensions[letter].width = max(10, min(40, len(column.label) * 2 + 4))


def tables_xlsx(tables: Sequence[Table], scope: Scope, period: Period) -> bytes:
    """Return a workbook with one sheet per table (rates in percent, suppressed cells as text)."""
    workbook = Workbook()
    for index, table in enumerate(tables):
        _sheet(workbook, table, scope, period, first=index == 0)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
