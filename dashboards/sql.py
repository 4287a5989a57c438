"""Dialect helpers of the dashboard queries: the same SQL meaning on PostgreSQL and SQLite.

Medians are taken from a per-value histogram the database returns (a small result set), since
SQLite has no percentile function.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa

from hamkke.db import db

# --- dialect helpers (the same SQL meaning on PostgreSQL and SQLite) ----------------------------


def dialect() -> str:
    """The name of the database dialect in use (postgresql or sqlite)."""
    return db.session.get_bind().dialect.name


def date_literal(day: date) -> sa.ColumnElement[Any]:
    """A date as a SQL literal comparable with the dialect's stored dates."""
    # SQLite keeps dates as ISO text: compare text with text so computed dates line up.
    return sa.literal(day.isoformat()) if dialect() == "sqlite" else sa.literal(day, sa.Date)


def local_date(column: Any) -> sa.ColumnElement[Any]:
    """The Seoul calendar day of a UTC instant column."""
    if dialect() == "sqlite":
        return sa.func.date(column, "+9 hours")
    return sa.cast(sa.func.timezone("Asia/Seoul", column), sa.Date)


def add_interval(column: Any, amount: int, unit: str) -> sa.ColumnElement[Any]:
    """A date column plus ``amount`` days or months."""
    if dialect() == "sqlite":
        return sa.func.date(column, f"+{amount} {unit}")
    interval = (
        sa.func.make_interval(0, amount) if unit == "months" else sa.func.make_interval(0, 0, 0, amount)
    )
    return sa.cast(column + interval, sa.Date)


def weekday_shift(day: sa.ColumnElement[Any]) -> sa.ColumnElement[Any]:
    """Move a deadline on Saturday or Sunday to Monday, as `cases.deadlines.roll_past_weekend` does."""
    if dialect() == "sqlite":
        dow: sa.ColumnElement[Any] = sa.cast(sa.func.strftime("%w", day), sa.Integer)
        shift = sa.case((dow == 6, "+2 days"), (dow == 0, "+1 days"), else_="+0 days")
        return sa.func.date(day, shift)
    dow = sa.extract("dow", day)
    return sa.cast(day + sa.case((dow == 6, 2), (dow == 0, 1), else_=0), sa.Date)


def due_date(start: Any, spec: tuple[int, str]) -> sa.ColumnElement[Any]:
    """The deadline ``spec`` (amount, unit) after ``start``, moved past a weekend."""
    return weekday_shift(add_interval(start, spec[0], spec[1]))


def elapsed_hours(start: Any, end: Any) -> sa.ColumnElement[Any]:
    """Whole hours between two instant columns."""
    if dialect() == "sqlite":
        return sa.cast(sa.func.round((sa.func.julianday(end) - sa.func.julianday(start)) * 24), sa.Integer)
    return sa.cast(sa.func.round(sa.extract("epoch", end - start) / 3600), sa.Integer)


def count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[Any]:
    """Count the rows that meet ``condition`` (0 when none)."""
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def median_of(histogram: Sequence[tuple[int, int]]) -> float | None:
    """Return the median of values given as (value, count) pairs."""
    ordered = sorted((value, count) for value, count in histogram if count > 0)
    total = sum(count for _, count in ordered)
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]
    found: list[int] = []
    seen = 0
    for value, count in ordered:
        for position in wanted:
            if seen <= position < seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)
