"""A dashboard's period (year, quarter, month), its scope (district, agency, dong), the cases it counts."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

import sqlalchemy as sa

from agencies.models import Agency, Dong
from cases.models import (
    Case,
)
from hamkke.errors import ValidationFailed
from hamkke.time import SEOUL, today_local

# --- periods -----------------------------------------------------------------------------------

PeriodKind = Literal["year", "quarter", "month"]
_PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")


@dataclass(frozen=True)
class Period:
    """A year, quarter or month in local (Seoul) dates; ``code`` is its URL form (2026, 2026-Q2, 2026-05)."""

    kind: PeriodKind
    year: int
    number: int = 1

    @classmethod
    def parse(cls, text: str | None, *, today: date | None = None) -> Period:
        """Read a period code; an empty one means this year. Unknown codes are refused (422)."""
        today = today or today_local()
        if not text:
            return cls("year", today.year)
        found = _PERIOD.match(text.strip())
        year = int(found.group("year")) if found else 0
        if found is None or not 2000 <= year <= today.year + 1:
            raise ValidationFailed(
                f"알 수 없는 기간입니다: '{text[:20]}'. 2026, 2026-Q2, 2026-05처럼 연·분기·월로 적어 주세요.",
                field="period",
                english="Unknown period; use a year (2026), a quarter (2026-Q2) or a month (2026-05).",
            )
        if found.group("quarter"):
            return cls("quarter", year, int(found.group("quarter")))
        if found.group("month"):
            return cls("month", year, int(found.group("month")))
        return cls("year", year)

    @property
    def code(self) -> str:
        """The URL form of the period."""
        if self.kind == "year":
            return str(self.year)
        if self.kind == "quarter":
            return f"{self.year}-Q{self.number}"
        return f"{self.year}-{self.number:02d}"

    @property
    def label(self) -> str:
        """The Korean name of the period."""
        if self.kind == "year":
            return f"{self.year}년"
        if self.kind == "quarter":
            return f"{self.year}년 {self.number}분기"
        return f"{self.year}년 {self.number}월"

    @property
    def months(self) -> list[tuple[int, int]]:
        """The (year, month) pairs the period covers."""
        if self.kind == "year":
            return [(self.year, m) for m in range(1, 13)]
        if self.kind == "quarter":
            first = 3 * (self.number - 1) + 1
            return [(self.year, m) for m in range(first, first + 3)]
        return [(self.year, self.number)]

    @property
    def start(self) -> date:
        """First local day of the period."""
        year, month = self.months[0]
        return date(year, month, 1)

    @property
    def end(self) -> date:
        """Last local day of the period."""
        year, month = self.months[-1]
        return date(year, month, calendar.monthrange(year, month)[1])

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """The period as a half-open UTC interval, for instants stored in UTC."""
        start = datetime.combine(self.start, time(0), SEOUL).astimezone(UTC)
        end = datetime.combine(self.end + timedelta(days=1), time(0), SEOUL).astimezone(UTC)
        return start, end

    def previous(self) -> Period:
        """The period of the same kind just before."""
        if self.kind == "year":
            return Period("year", self.year - 1)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number - 2
        return Period(self.kind, index // size, index % size + 1)

    def next(self) -> Period:
        """The period of the same kind just after."""
        if self.kind == "year":
            return Period("year", self.year + 1)
        size = 4 if self.kind == "quarter" else 12
        index = self.year * size + self.number
        return Period(self.kind, index // size, index % size + 1)


# --- scopes ------------------------------------------------------------------------------------

ScopeKind = Literal["district", "agency", "dong"]


@dataclass(frozen=True)
class Scope:
    """Whose numbers a dashboard shows, and whether small cells are hidden from this viewer."""

    kind: ScopeKind
    district_id: int
    object_id: int
    name: str
    #: the viewer is outside the owning agency: cells under 5 are suppressed
    suppress: bool
    #: the viewer belongs to the scope's agency: lists of people ("action needed") may be shown
    is_own: bool = False
    #: 권역 filter of the district dashboard
    region_id: int | None = None
    #: the dong centre agency of a dong scope
    dong_agency_id: int | None = None


def _agencies_of_district(district_id: int) -> sa.Select[Any]:
    return sa.select(Agency.id).where(Agency.district_id == district_id)


def _dong_ids_of_region(region_id: int) -> sa.Select[Any]:
    return sa.select(Dong.id).where(Dong.region_id == region_id)


def case_scope(scope: Scope) -> sa.ColumnElement[bool]:
    """The cases a scope counts: the district's agencies' cases, an agency's own or led cases, a dong's."""
    clauses: list[sa.ColumnElement[bool]] = [Case.is_deleted.is_(False)]
    if scope.kind == "district":
        clauses.append(Case.owning_agency_id.in_(_agencies_of_district(scope.district_id)))
        if scope.region_id is not None:
            clauses.append(Case.dong_id.in_(_dong_ids_of_region(scope.region_id)))
    elif scope.kind == "agency":
        clauses.append(
            sa.or_(Case.owning_agency_id == scope.object_id, Case.lead_agency_id == scope.object_id)
        )
    else:
        clauses.append(Case.dong_id == scope.object_id)
        clauses.append(Case.owning_agency_id.in_(_agencies_of_district(scope.district_id)))
    return sa.and_(*clauses)
