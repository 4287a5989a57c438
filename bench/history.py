"""The committed history of full benchmark runs: one small JSON per full run in ``bench/results/history/``.

Only a full run (every benchmark, not ``--quick``, at the district's full scale or more) is kept: it is
the only source of the figures in ``docs/benchmarks.md``. Large per-sample arrays are cut down to their
length so the files stay small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HISTORY_DIR = Path(__file__).resolve().parent / "results" / "history"
#: a list longer than this is per-sample data, not a figure: it is replaced by its length
MAX_LIST = 20


def is_full_run(*, quick: bool, chosen: Sequence[str], every: Sequence[str], scale: float) -> bool:
    """Whether a run may go into the history: not ``--quick``, every benchmark (no ``--only`` subset),
    and at least the full district (a smaller one would flatter the pages and the gate)."""
    return not quick and set(chosen) == set(every) and scale >= 1.0


def strip_samples(value: Any) -> Any:
    """``value`` with every list longer than ``MAX_LIST`` replaced by ``{"samples_dropped": length}``."""
    if isinstance(value, dict):
        return {key: strip_samples(item) for key, item in value.items()}
    if isinstance(value, list):
        if len(value) > MAX_LIST:
            return {"samples_dropped": len(value)}
        return [strip_samples(item) for item in value]
    return value


def file_name(report: dict[str, Any]) -> str:
    """``<UTC date and time>-<short git revision>.json`` for a run's report (sorts by date)."""
    machine = report.get("machine", {})
    stamp = re.sub(r"[^0-9T]", "", str(machine.get("date", ""))[:19]) or "undated"
    revision = str(machine.get("git_revision", "unknown"))
    short = revision.split("+", 1)[0][:10] + ("-uncommitted" if "+uncommitted" in revision else "")
    return f"{stamp}-{re.sub(r'[^0-9A-Za-z-]', '', short) or 'unknown'}.json"


def write(report: dict[str, Any], directory: Path = HISTORY_DIR) -> Path:
    """Write the stripped report into the history folder; return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / file_name(report)
    target.write_text(
        json.dumps(strip_samples(report), ensure_ascii=False, indent=1, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return target


def newest(directory: Path = HISTORY_DIR) -> Path | None:
    """The newest history file (by the run's date, then by name), or None when there is none."""
    files = sorted(directory.glob("*.json")) if directory.is_dir() else []
    if not files:
        return None

    def when(path: Path) -> tuple[str, str]:
        try:
            date = str(json.loads(path.read_text(encoding="utf-8")).get("machine", {}).get("date", ""))
        except (OSError, ValueError):
            date = ""
        return date, path.name

    return max(files, key=when)
