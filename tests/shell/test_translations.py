"""Every Korean UI string has its English translation (Korean first, English second)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from hamkke.config import REPO_ROOT

CATALOGUE = REPO_ROOT / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def _extracted_ids(tmp_path: Path) -> set[str]:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(template),
            "--no-location",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "-k",
            "ngettext:1,2",
            ".",
        ],
        cwd=REPO_ROOT,
        check=True,
        capture_output=True,
    )
    with template.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


def test_every_ui_string_is_translated_to_english(tmp_path: Path) -> None:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle, locale="en")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalogue
        if m.id and (m.string if isinstance(m.string, str) else all(m.string)) and "fuzzy" not in m.flags
    }
    missing = sorted(_extracted_ids(tmp_path) - translated)
    assert not missing, (
        f"{len(missing)} strings lack English (run pybabel update, then translate): {missing[:10]}"
    )
