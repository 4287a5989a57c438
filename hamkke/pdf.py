"""PDF documents in Korean (minutes, referral letters, reports) with one embedded Korean font."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pylopdf_fonts_ko
from fpdf import FPDF

from hamkke.time import to_local

#: Noto Sans KR from a PyPI package: present wherever the app is installed, no system font needed
FONT_FILE = Path(pylopdf_fonts_ko.__file__).resolve().parent / "NotoSansKR-Regular.otf"
FONT_FAMILY = "NotoSansKR"


class KoreanDocument(FPDF):
    """An A4 document with the Korean font registered and a page footer (document number, page)."""

    def __init__(
        self, *, title: str, document_number: str | None = None, generated_at: datetime | None = None
    ):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document_title = title
        self.document_number = document_number
        self.generated_at = generated_at
        self.add_font(FONT_FAMILY, fname=str(FONT_FILE))
        self.set_font(FONT_FAMILY, size=10)
        self.set_title(title)
        self.set_creator("Hamkke")
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)

    def footer(self) -> None:
        """Print the document number, the creation time (Seoul) and the page on every page."""
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        parts = []
        if self.document_number:
            parts.append(self.document_number)
        if self.generated_at is not None:
            parts.append(to_local(self.generated_at).strftime("%Y-%m-%d %H:%M"))
        parts.append(f"{self.page_no()} / {{nb}}")
        self.cell(0, 6, "  ·  ".join(parts), align="C")

    def heading(self, text: str, size: int = 16) -> None:
        """Write a heading line."""
        self.set_font(FONT_FAMILY, size=size)
        self.multi_cell(0, size * 0.6, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.set_font(FONT_FAMILY, size=10)

    def labelled(self, label: str, value: str) -> None:
        """Write a "label: value" row, wrapping long values."""
        self.set_font(FONT_FAMILY, size=10)
        self.multi_cell(0, 6, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")

    def block(self, title: str, text: str) -> None:
        """Write a titled, bordered block (e.g. a SOAP section)."""
        self.set_font(FONT_FAMILY, size=11)
        self.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
        self.set_font(FONT_FAMILY, size=10)
        self.multi_cell(0, 6, text or "-", border=1, new_x="LMARGIN", new_y="NEXT")
        self.ln(2)

    def render(self) -> bytes:
        """Return the finished PDF as bytes."""
        return bytes(self.output())
