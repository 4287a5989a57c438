"""The reduced PDF font: built once per machine, complete for Korean text, shared safely per process."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont

from hamkke import pdf
from hamkke.config import REPO_ROOT
from hamkke.pdf import KoreanDocument, document_font_file, ks_x_1001_hanja


def _text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages)


def _embedded_glyph_count(data: bytes) -> int:
    reader = pypdf.PdfReader(io.BytesIO(data))
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        descendant = font.get_object()["/DescendantFonts"][0].get_object()
        stream = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        with TTFont(io.BytesIO(stream)) as embedded:
            return len(embedded.getGlyphOrder())
    raise AssertionError("no font embedded")


@pytest.fixture
def unusable_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # A cache folder below a regular file cannot be created, not even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv(pdf.FONT_CACHE_ENV, str(blocker / "fonts"))
    document_font_file.cache_clear()
    yield
    document_font_file.cache_clear()


def test_ks_x_1001_has_4888_hanja() -> None:
    hanja = ks_x_1001_hanja()
    assert len(hanja) == 4888
    assert {ord("金"), ord("李"), ord("朴"), ord("洪")} <= hanja


def test_reduced_font_keeps_hangul_latin_symbols_and_ks_hanja_only() -> None:
    path = document_font_file()
    assert path != pdf.FONT_FILE
    assert not list(path.parent.glob(f".{path.stem}-*.tmp"))
    with TTFont(path, lazy=True) as font, TTFont(pdf.FONT_FILE, lazy=True) as packaged:
        assert "glyf" in font
        cmap = set(font.getBestCmap())
        source = set(packaged.getBestCmap())
    assert set(range(0xAC00, 0xD7A4)) <= cmap
    assert set(range(0x3131, 0x318F)) & source <= cmap
    assert set(range(0x20, 0x7F)) <= cmap
    assert {ord("○"), ord("①"), ord("·"), ord("「"), ord("Ａ")} <= cmap
    assert ks_x_1001_hanja() & source <= cmap
    # Han outside KS X 1001 is what makes the packaged font big; it is left out.
    assert ord("𠀀") not in cmap
    other_han = {cp for cp in source if 0x4E00 <= cp <= 0x9FFF} - ks_x_1001_hanja()
    assert other_han
    assert not other_han & cmap


def test_each_document_embeds_only_its_own_glyphs() -> None:
    # Documents of one process share the parsed font; the used-glyph state must not leak between them.
    first = KoreanDocument(title="첫째")
    first.add_page()
    first.labelled("성명", "홍길동(洪吉東)")
    first.block("내용", "가나다라마바사아자차카타파하 " * 20)
    first_pdf = first.render()
    second = KoreanDocument(title="둘째")
    second.add_page()
    second.labelled("성명", "김")
    second_pdf = second.render()

    assert "성명:홍길동(洪吉東)" in _text(first_pdf)
    assert _text(second_pdf).startswith("성명:김")
    assert _embedded_glyph_count(second_pdf) < _embedded_glyph_count(first_pdf)
    # Rendering again from the shared font gives the same text.
    again = KoreanDocument(title="첫째")
    again.add_page()
    again.labelled("성명", "홍길동(洪吉東)")
    assert "성명:홍길동(洪吉東)" in _text(again.render())


@pytest.mark.usefixtures("unusable_cache")
def test_an_unusable_cache_folder_falls_back_to_the_packaged_font() -> None:
    assert document_font_file() == pdf.FONT_FILE
    document = KoreanDocument(title="의뢰서")
    document.add_page()
    document.labelled("성명", "이순신(李舜臣)")
    assert "성명:이순신(李舜臣)" in _text(document.render())


def test_processes_starting_together_build_the_font_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Web, worker and beat used to build the font side by side at their first PDF (85 s on two cores).
    # The file lock lets one build while the others wait and then use its file. Separate open file
    # descriptions conflict under flock even within one process, so threads stand in for processes.
    monkeypatch.setenv(pdf.FONT_CACHE_ENV, str(tmp_path / "fonts"))
    builds: list[Path] = []
    started = threading.Barrier(4)

    def slow_build(source: Path, target: Path) -> None:
        builds.append(target)
        time.sleep(0.5)  # long enough for the others to arrive at the lock
        target.write_bytes(source.read_bytes())

    monkeypatch.setattr(pdf, "build_reduced_font", slow_build)
    results: list[Path] = []

    def first_pdf() -> None:
        started.wait()
        results.append(pdf.ensure_reduced_font())

    threads = [threading.Thread(target=first_pdf) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert results == [pdf.reduced_font_path()] * 4
    assert pdf.reduced_font_path().is_file()


def test_make_install_builds_the_font_ahead_of_the_first_start() -> None:
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "$(STAMPS)/font" in makefile.split("install:", 1)[1].splitlines()[0]
    assert "python -m hamkke.pdf" in makefile
