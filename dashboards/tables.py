"""Dashboard tables: the one shape every section, chart, export and the monthly report share.

A table holds raw numbers; whether a small cell is shown is decided when it is rendered, by the
viewer's scope (``suppress``), so one computation serves the page, CSV, XLSX and the PDF alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: cells under this count are hidden from anyone outside the owning agency
SMALL_CELL_LIMIT = 5
#: what a suppressed cell shows (Korean first: reports go to 결재 in Korean)
SUPPRESSED_TEXT = "5 미만"
#: what a cell hidden only so that a sum does not reveal a small cell shows (it may be 5 or more)
SECONDARY_TEXT = "비공개"
#: the explanation every suppressed export and report carries
SUPPRESSION_NOTE = (
    f"여러 기관에 걸친 수치라 5 미만인 칸은 '{SUPPRESSED_TEXT}'로, 합계에서 빼서 알아낼 수 있는 칸은 "
    f"'{SECONDARY_TEXT}'로 가렸습니다."
)

#: ``won``: an amount of money in integer won, shown as ₩123,000 (never a count, never suppressed as one)
ColumnKind = Literal["text", "count", "rate", "measure", "won"]


@dataclass(frozen=True)
class Ratio:
    """A share computed from two counts (e.g. referrals accepted of those answered)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """Return the share in percent, or None without a denominator."""
        return None if self.denominator == 0 else round(100 * self.numerator / self.denominator, 1)


@dataclass(frozen=True)
class Measure:
    """A statistic (a median, an average) over ``n`` records."""

    value: float | None
    n: int


Cell = int | str | float | Ratio | Measure | None


@dataclass(frozen=True)
class Column:
    """A column: its heading, what its cells hold, and the unit of a measure."""

    label: str
    kind: ColumnKind = "count"
    unit: str = ""


@dataclass
class Table:
    """One dashboard table; ``key`` names it in export URLs."""

    key: str
    title: str
    columns: list[Column]
    body: list[list[Cell]] = field(default_factory=list)
    note: str = ""
    #: chart drawn from this table: ``line``, ``stacked`` or ``bar`` (None: table only)
    chart: Literal["line", "stacked", "bar"] | None = None
    #: columns (indexes) the chart plots; default every count column
    chart_columns: tuple[int, ...] = ()
    #: (sum column, part columns) that add up in every row, so suppression can protect them
    row_sums: tuple[tuple[int, tuple[int, ...]], ...] = ()

    def plotted(self) -> tuple[int, ...]:
        """Return the indexes of the columns a chart draws."""
        if self.chart_columns:
            return self.chart_columns
        return tuple(i for i, column in enumerate(self.columns) if column.kind == "count")


def is_small(count: int) -> bool:
    """Tell whether a count falls under the small-cell limit (zero is not suppressed)."""
    return 0 < count < SMALL_CELL_LIMIT


def is_hidden(cell: Cell, *, suppress: bool) -> bool:
    """Tell whether a cell is withheld from this viewer (or was already replaced by the marker)."""
    if cell in (SUPPRESSED_TEXT, SECONDARY_TEXT):
        return True
    if not suppress:
        return False
    if isinstance(cell, bool):
        return False
    if isinstance(cell, int):
        return is_small(cell)
    if isinstance(cell, Ratio):
        return is_small(cell.numerator) or is_small(cell.denominator)
    if isinstance(cell, Measure):
        return is_small(cell.n)
    return False


def cell_text(cell: Cell, column: Column, *, suppress: bool) -> str:
    """Render one cell as text, suppressing small counts for viewers outside the owning agency."""
    if isinstance(cell, str) and is_hidden(cell, suppress=suppress):
        return cell
    if column.kind == "won" and isinstance(cell, int) and not isinstance(cell, bool):
        return f"₩{cell:,}"
    if is_hidden(cell, suppress=suppress):
        return SUPPRESSED_TEXT
    if cell is None:
        return "-"
    if isinstance(cell, Ratio):
        value = cell.value
        return "-" if value is None else f"{value:.1f}%"
    if isinstance(cell, Measure):
        return "-" if cell.value is None else f"{cell.value:.1f}{column.unit}"
    if isinstance(cell, float):
        return f"{cell:.1f}{column.unit}"
    return str(cell)


def cell_number(cell: Cell, *, suppress: bool) -> float | int | None:
    """Return a cell's number for charts and spreadsheets (None when withheld or not a number)."""
    if is_hidden(cell, suppress=suppress) or cell is None or isinstance(cell, str):
        return None
    if isinstance(cell, Ratio):
        return cell.value
    if isinstance(cell, Measure):
        return cell.value
    return cell


Position = tuple[int, int]


def _relations(table: Table) -> list[tuple[Position, list[Position]]]:
    """Sums a reader could subtract: each 합계 cell over its column, and each row's declared sums."""
    relations: list[tuple[Position, list[Position]]] = []
    body = table.body
    if body and body[-1] and body[-1][0] == "합계":
        last = len(body) - 1
        for c, column in enumerate(table.columns):
            if column.kind == "count":
                relations.append(((last, c), [(r, c) for r in range(last)]))
    for r in range(len(body)):
        for total, parts in table.row_sums:
            relations.append(((r, total), [(r, part) for part in parts]))
    return relations


def _count_at(body: list[list[Cell]], position: Position) -> int | None:
    cell = body[position[0]][position[1]]
    return cell if isinstance(cell, int) and not isinstance(cell, bool) else None


def suppressed(table: Table) -> Table:
    """Return a copy of the table with small cells replaced by '5 미만' (for viewers outside the owner).

    Besides every cell under 5 (primary suppression), a sum whose single hidden part could be worked
    out by subtraction (a 합계 row, or a row sum such as 의뢰 = 선정 + 미선정 + 서비스연계 + 판정 전)
    gets a second part hidden, the smallest non-zero one, or else the sum itself.
    """
    body = table.body
    primary = {
        (r, c) for r, row in enumerate(body) for c, cell in enumerate(row) if is_hidden(cell, suppress=True)
    }
    hidden = set(primary)
    relations = _relations(table)
    changed = True
    while changed:
        changed = False
        for total, parts in relations:
            if total in hidden or sum(part in hidden for part in parts) != 1:
                continue
            candidates = [
                (count, part)
                for part in parts
                if part not in hidden and (count := _count_at(body, part)) is not None and count > 0
            ]
            hidden.add(min(candidates)[1] if candidates else total)
            changed = True
    # A rate or median beside a count hidden only to protect a sum could give that count back.
    for r in {row for row, _ in hidden - primary}:
        for other, cell in enumerate(body[r]):
            if isinstance(cell, Ratio | Measure):
                hidden.add((r, other))
    copy = [
        [
            SUPPRESSED_TEXT if (r, c) in primary else SECONDARY_TEXT if (r, c) in hidden else cell
            for c, cell in enumerate(row)
        ]
        for r, row in enumerate(body)
    ]
    return Table(
        table.key,
        table.title,
        table.columns,
        copy,
        table.note,
        table.chart,
        table.chart_columns,
        table.row_sums,
    )
