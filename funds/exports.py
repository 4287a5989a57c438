"""The quarterly settlement (분기 정산) as a 구청 files it: XLSX and PDF with its 합계 and 결재란."""

from __future__ import annotations

import io
from datetime import datetime

from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from funds.models import PURPOSE_LABELS, FundPurpose
from funds.queries import Settlement, SettlementRow
from hamkke.pdf import FONT_FAMILY, KoreanDocument
from hamkke.time import to_local

#: the 결재란 of the settlement (담당 writes it, 팀장 and 과장 sign)
APPROVERS = ("담당", "팀장", "과장")
#: the money columns after the dong's name, in order
HEADINGS = (
    "동",
    "사업비 예산",
    "교부액 (누계)",
    *(PURPOSE_LABELS[purpose] for purpose in FundPurpose),
    "분기 집행액",
    "집행 누계",
    "지원 가구 수",
    "잔액",
)
#: the column (0-based) of the household count: every other number is won
HOUSEHOLD_COLUMN = len(HEADINGS) - 2


def title(settlement: Settlement, dong_name: str | None) -> str:
    """Return the document's title (the district, or one dong of it)."""
    where = f"{settlement.district_name} {dong_name}" if dong_name else settlement.district_name
    return f"{where} 사례관리사업비 {settlement.fiscal_year}년 {settlement.quarter}분기 정산 보고"


def row_values(row: SettlementRow) -> list[str | int]:
    """Return one line of the table: name, then integer won (and the household count)."""
    return [
        row.name,
        row.budget,
        row.granted,
        *(row.by_purpose[purpose] for purpose in FundPurpose),
        row.spent_quarter,
        row.spent_to_date,
        row.households,
        row.remaining,
    ]


def settlement_xlsx(
    settlement: Settlement, *, dong_name: str | None, author: str, generated_at: datetime
) -> bytes:
    """Return the settlement workbook: title, 기간, 동, the table in won with its 합계, 작성자, 결재란."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 -- a new workbook always has its first sheet
    sheet.title = f"{settlement.fiscal_year}년 {settlement.quarter}분기 정산"
    sheet.append([title(settlement, dong_name)])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["기간", f"{settlement.start:%Y-%m-%d} ~ {settlement.end:%Y-%m-%d}"])
    sheet.append(["동", dong_name or "전체"])
    sheet.append(["작성자", author, "작성일", f"{to_local(generated_at):%Y-%m-%d}"])
    sheet.append(["결재", *APPROVERS])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(list(HEADINGS))
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="E6E6E6")
        cell.alignment = Alignment(horizontal="center", wrap_text=True)
        cell.border = border
    for row in [*settlement.lines, settlement.total]:
        sheet.append(row_values(row))
        for index, cell in enumerate(sheet[sheet.max_row]):
            cell.border = border
            if index > 0:
                cell.number_format = "#,##0" if index == HOUSEHOLD_COLUMN else '#,##0"원"'
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    sheet.append([])
    sheet.append(
        ["교부액은 분기별 균등 교부(분기마다 사업비의 4분의 1) 누계입니다. 잔액 = 사업비 예산 - 집행 누계."]
    )
    sheet.column_dimensions["A"].width = 16
    for letter in "BCDEFGHIJKL":
        sheet.column_dimensions[letter].width = 14
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _approval_box(document: KoreanDocument) -> None:
    """Draw the 결재란 at the right margin (signed on paper or in the e-approval system)."""
    width = 20.0
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


def _cell(value: str | int) -> str:
    return value if isinstance(value, str) else f"{value:,}"


def settlement_pdf(
    settlement: Settlement, *, dong_name: str | None, author: str, generated_at: datetime
) -> bytes:
    """Return the settlement as an A4 landscape-width table with title, 기간, 동, 합계, 작성자 and 결재란."""
    heading = title(settlement, dong_name)
    document = KoreanDocument(
        title=heading,
        document_number=f"사례관리사업비-{settlement.fiscal_year}-Q{settlement.quarter}",
        generated_at=generated_at,
    )
    document.alias_nb_pages()
    document.set_margins(10, 18, 10)
    document.add_page()
    _approval_box(document)
    document.heading(heading, size=14)
    document.labelled("기간", f"{settlement.start:%Y-%m-%d} ~ {settlement.end:%Y-%m-%d}")
    document.labelled("동", dong_name or "전체")
    document.labelled("작성자", author)
    document.labelled("단위", "원 (지원 가구 수는 가구)")
    document.ln(2)
    document.set_font(FONT_FAMILY, size=6)
    headings = FontFace(emphasis=None, fill_color=(230, 230, 230))
    with document.table(text_align="CENTER", line_height=4, headings_style=headings) as grid:
        line = grid.row()
        for text in HEADINGS:
            line.cell(text)
        for row in [*settlement.lines, settlement.total]:
            line = grid.row()
            for value in row_values(row):
                line.cell(_cell(value))
    document.set_font(FONT_FAMILY, size=8)
    document.ln(2)
    document.multi_cell(
        0,
        4,
        "교부액은 분기별 균등 교부(분기마다 사업비의 4분의 1) 누계입니다. 잔액 = 사업비 예산 - 집행 누계.",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return document.render()
