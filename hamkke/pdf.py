"""PDF documents in Korean (minutes, referral letters, reports) with one embedded Korean font.

The packaged Noto Sans KR (25,000 CFF glyphs, all CJK ideographs) is slow to read and to subset for
every document. Once per machine a reduced copy is built into a cache folder: every non-Han glyph of
the source (Hangul, Latin, punctuation, symbols) plus the 4,888 Hanja of KS X 1001 (names may be
written in Hanja), with TrueType outlines, which fontTools subsets far faster than CFF. Each process
parses that font once and hands every document a copy that shares the read-only metrics.
"""

from __future__ import annotations

import copy
import fcntl
import hashlib
import logging
import os
import tempfile
import threading
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from io import BytesIO
from pathlib import Path

import pylopdf_fonts_ko
from fontTools import subset as ftsubset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from hamkke.time import to_local

logger = logging.getLogger(__name__)
# fontTools' subsetter logs several INFO lines per PDF; they say nothing an operator needs.
logging.getLogger("fontTools").setLevel(logging.WARNING)

#: Noto Sans KR from a PyPI package: present wherever the app is installed, no system font needed
FONT_FILE = Path(pylopdf_fonts_ko.__file__).resolve().parent / "NotoSansKR-Regular.otf"
FONT_FAMILY = "NotoSansKR"
#: raise when the reduction below changes, so every machine builds its cached font again
FONT_RECIPE_VERSION = 1
#: where the reduced font is kept (default: the user's cache folder); set for read-only homes
FONT_CACHE_ENV = "HAMKKE_FONT_CACHE_DIR"
#: outline tolerance of the cubic → quadratic conversion, in font units (1000 per em): invisible
_CU2QU_MAX_ERR = 1.0
#: tables fpdf2 drops anyway or that only vertical/complex layout uses
_DROPPED_TABLES = ["GSUB", "GPOS", "GDEF", "BASE", "DSIG", "VORG", "vhea", "vmtx", "JSTF", "MATH"]


def _is_han(codepoint: int) -> bool:
    return (
        0x3400 <= codepoint <= 0x4DBF
        or 0x4E00 <= codepoint <= 0x9FFF
        or 0xF900 <= codepoint <= 0xFAFF
        or 0x20000 <= codepoint <= 0x3FFFF
    )


def ks_x_1001_hanja() -> frozenset[int]:
    """Return the code points of the 4,888 Hanja of KS X 1001 (EUC-KR rows 0xCA–0xFD)."""
    hanja: set[int] = set()
    for lead in range(0xCA, 0xFE):
        for trail in range(0xA1, 0xFF):
            try:
                hanja.add(ord(bytes((lead, trail)).decode("euc_kr")))
            except UnicodeDecodeError:
                continue
    return frozenset(hanja)


def reduced_codepoints(font: TTFont) -> set[int]:
    """Return what the reduced font keeps: every non-Han code point of the source, and KS X 1001 Hanja."""
    hanja = ks_x_1001_hanja()
    return {cp for cp in font.getBestCmap() if not _is_han(cp) or cp in hanja}


def _to_truetype(font: TTFont) -> None:
    # Quadratic outlines in a glyf table: fontTools subsets and writes them without running charstrings.
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, _CU2QU_MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attribute in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
    ):
        setattr(maxp, attribute, 0)
    maxp.maxZones = 1
    # maxPoints and friends are recalculated from the glyf table on save.
    maxp.maxPoints = maxp.maxContours = maxp.maxCompositePoints = maxp.maxCompositeContours = 0
    maxp.maxComponentDepth = 0
    font["head"].indexToLocFormat = 0
    font["head"].glyphDataFormat = 0
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    font.sfntVersion = "\x00\x01\x00\x00"
    # One Unicode cmap (3,10 format 12 covers every kept code point) instead of four: each document
    # decompiles it again. PDF viewers map codes to glyphs through CIDToGIDMap, not this table.
    cmap = font["cmap"]
    cmap.tables = [table for table in cmap.tables if (table.platformID, table.platEncID) == (3, 10)]


def build_reduced_font(source: Path, target: Path) -> None:
    """Write the reduced TrueType font of ``source`` to ``target`` atomically (temp file, then rename)."""
    # An unusable folder fails here, before the work of building.
    target.parent.mkdir(parents=True, exist_ok=True)
    font = TTFont(source, recalcTimestamp=False)
    options = ftsubset.Options()
    options.drop_tables += _DROPPED_TABLES
    options.layout_features = []
    options.notdef_outline = True
    options.recommended_glyphs = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=reduced_codepoints(font))
    subsetter.subset(font)
    _to_truetype(font)
    # Two workers may build at once: each writes its own temp file, and the rename is atomic.
    handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            font.save(stream)
        # mkstemp creates the file private; the font is no secret and other users' workers may share it.
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


def font_cache_dir() -> Path:
    """Return the folder that holds the reduced font: ``$HAMKKE_FONT_CACHE_DIR`` or the user cache."""
    configured = os.environ.get(FONT_CACHE_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hamkke" / "fonts"


def _source_digest(source: Path) -> str:
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def reduced_font_path() -> Path:
    """Return where the reduced font of the packaged source is kept (its name changes with the recipe)."""
    return font_cache_dir() / f"{FONT_FAMILY}-r{FONT_RECIPE_VERSION}-{_source_digest(FONT_FILE)}.ttf"


def ensure_reduced_font() -> Path:
    """Build the reduced font unless it exists, one builder per machine at a time; return its path.

    Building takes a minute of CPU. Web, worker and beat processes starting together used to build it
    side by side (85 s for the first PDF on two cores); an exclusive file lock makes the others wait for
    the one builder and then read its file. ``make install`` builds it ahead of the first start.
    """
    target = reduced_font_path()
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not target.is_file():  # built by the process that held the lock before us
                logger.info("Building the reduced PDF font %s (once per machine)", target)
                build_reduced_font(FONT_FILE, target)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


@cache
def document_font_file() -> Path:
    """Return the font documents embed: the reduced font (built on first use), else the packaged one."""
    try:
        return ensure_reduced_font()
    except OSError:
        # An unwritable cache folder costs speed only: the full font renders the same text.
        logger.exception("Could not build the reduced PDF font; using %s", FONT_FILE)
        return FONT_FILE


@dataclass(frozen=True)
class _FontTemplate:
    """A font parsed once per process: fpdf2's metrics object and the file's bytes."""

    font: TTFFont
    data: bytes


_templates: dict[Path, _FontTemplate] = {}
_templates_lock = threading.Lock()


def _font_template(path: Path) -> _FontTemplate:
    # Reading cmap, widths and glyph ids of 19,000 glyphs is the slow part of add_font: once per process.
    with _templates_lock:
        template = _templates.get(path)
        if template is None:
            scratch = FPDF()
            scratch.add_font(FONT_FAMILY, fname=str(path))
            font = scratch.fonts[FONT_FAMILY.lower()]
            if not isinstance(font, TTFFont):
                raise TypeError(f"{path} did not load as a TrueType/OpenType font")
            # The metrics are read; each document opens its own copy of the tables, so no file stays open.
            font.ttfont.close()
            # Kept in memory: a cache cleaner removing the file must not break documents in progress.
            template = _FontTemplate(font=font, data=path.read_bytes())
            _templates[path] = template
        return template


def _add_document_font(document: FPDF) -> None:
    """Register the Korean font on a document from the per-process template, sharing read-only metrics."""
    template = _font_template(document_font_file())
    # The same split fpdf2's own TTFFont.__deepcopy__ makes: cmap and descriptor are shared, the
    # per-document state (widths, glyph ids, used glyphs, missing glyphs) is the document's own.
    font = copy.copy(template.font)
    font.i = len(document.fonts) + 1
    font.cw = template.font.cw.copy()
    font.glyph_ids = dict(template.font.glyph_ids)
    # fpdf2 subsets the font's tables in place when it writes the PDF, so each document parses its own
    # copy, lazily: only the tables and glyphs the subset needs are read.
    font.ttfont = TTFont(BytesIO(template.data), recalcTimestamp=False, lazy=True)
    font._hbfont = None  # HarfBuzz state belongs to one font object; text shaping is not used
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    document.fonts[FONT_FAMILY.lower()] = font
    if font.is_cff and font.is_cid_keyed:
        # What add_font does for a CID-keyed CFF font (the fallback to the packaged font).
        document._set_min_pdf_version("1.6")


class KoreanDocument(FPDF):
    """An A4 document with the Korean font registered and a page footer (document number, page)."""

    def __init__(
        self, *, title: str, document_number: str | None = None, generated_at: datetime | None = None
    ):
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.document_title = title
        self.document_number = document_number
        self.generated_at = generated_at
        _add_document_font(self)
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


if __name__ == "__main__":
    # `make install` runs this so that the first PDF after `make run` does not wait for the build.
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(f"PDF font / PDF 글꼴: {ensure_reduced_font()}")
