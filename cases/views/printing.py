"""What the printable seed forms share (templates/cases/print/_a4.html): the time a sheet is printed."""

from __future__ import annotations

from datetime import datetime

from cases.views.common import bp
from hamkke.time import now_utc


@bp.app_template_global("a4_now_utc")
def a4_now_utc() -> datetime:
    """Return the current UTC instant for the sheet's 출력일시 (the template shows it in Asia/Seoul)."""
    return now_utc()
