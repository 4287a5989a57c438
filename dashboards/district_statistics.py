"""The district statistics section of the district and dong dashboards (issue 17, point 5)."""

from __future__ import annotations

from datetime import date

from dashboards.district_tables import discovery_rate, district_flow, expanded_conferences
from dashboards.household_tables import households_by_composition
from dashboards.roster import roster_table, training_table
from dashboards.scopes import Period, Scope
from dashboards.tables import Table


def district_statistics(scope: Scope, period: Period, *, today: date) -> list[Table]:
    """The per-dong flow, 발굴률, the second 가구유형 typology, expanded conferences, roster and training."""
    tables = [
        district_flow(scope, period),
        discovery_rate(scope, period),
        households_by_composition(scope, period),
        expanded_conferences(scope, period),
    ]
    if scope.kind == "district":
        tables += [roster_table(scope.district_id, today=today), training_table(scope.district_id, period)]
    return tables
