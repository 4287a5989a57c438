"""Korean PDFs carry real, extractable Korean text with the embedded font."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf

from hamkke.pdf import FONT_FAMILY, KoreanDocument


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # pypdf spaces out CJK glyphs; compare without whitespace.
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def test_korean_document_embeds_the_font_and_numbers_pages() -> None:
    document = KoreanDocument(
        title="회의록",
        document_number="한빛구-2026-0042",
        generated_at=datetime(2026, 3, 2, 15, 30, tzinfo=UTC),
    )
    document.add_page()
    document.heading("1권역 정기 통합사례회의 회의록")
    document.block("P (계획)", "한빛종합사회복지관이 주 사례관리기관을 맡는다. " * 300)
    pdf = document.render()

    text = _text(pdf)
    assert "1권역정기통합사례회의회의록" in text
    assert "주사례관리기관을맡는다" in text
    # 15:30 UTC is 00:30 the next day in Seoul; the footer shows local time and "page / pages".
    assert "2026-03-0300:30" in text
    pages = len(pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert pages > 1
    assert f"1/{pages}" in text
    assert f"{pages}/{pages}" in text
    fonts = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"]
    assert any(FONT_FAMILY in str(font.get_object()["/BaseFont"]) for font in fonts.values())


def test_rows_follow_each_other_from_the_left_margin() -> None:
    # Each row must start a new line at the margin; otherwise the next multi_cell has no width left.
    document = KoreanDocument(title="의뢰서")
    document.add_page()
    document.labelled("의뢰사유", "주거 위기")
    document.labelled("주호소문제", "체납과 건강 악화")
    document.block("S", "본인 진술")
    document.block("O", "관찰")
    document.heading("다음 항목")
    document.labelled("특이사항", "없음")
    assert "의뢰사유:주거위기주호소문제:체납과건강악화" in _text(document.render())
