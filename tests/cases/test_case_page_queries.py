"""The case page reads its records set-wise: more plan versions, goals or services add no statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from cases import services
from cases.models import Case, CaseStage, GoalTerm, NeedDomain
from hamkke.db import db
from hamkke.time import today_local
from tests.fixtures.cases import CaseKit


@contextmanager
def _statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


def _page_statements(client: FlaskClient, case: Case) -> list[str]:
    db.session.commit()
    # A real request starts with an empty identity map; the test session's objects would hide lazy loads.
    db.session.expire_all()
    with _statements() as seen:
        page = client.get(f"/cases/{case.id}")
    assert page.status_code == 200
    return seen


def _add_plan_version(case_kit: CaseKit, case: Case, number: int) -> None:
    today = today_local()
    services.create_plan(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        horizon_months=6,
        client_role=f"개정 {number}",
        family_role=None,
        agreed_on=today,
        goals=[
            services.GoalInput(
                NeedDomain.economy, GoalTerm.long, f"목표 {number}-{index}", today + timedelta(days=90)
            )
            for index in range(3)
        ],
        services=[
            services.ServiceInput(f"서비스 {number}-{index}", "1회", 1, "보통", provider_name="구청")
            for index in range(3)
        ],
    )


def test_more_plan_versions_add_no_statements_to_the_case_page(
    client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, create_case: Callable[..., Case]
) -> None:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    case = create_case(CaseStage.planning)
    _add_plan_version(case_kit, case, 1)
    # The first request of a session does its own bookkeeping; compare two ordinary page loads.
    _page_statements(client, case)
    before = len(_page_statements(client, case))

    for number in (2, 3, 4):
        _add_plan_version(case_kit, db.session.get(Case, case.id), number)
    seen = _page_statements(client, case)

    assert len(seen) == before
    assert sum("FROM case_plan_goals" in statement for statement in seen) == 1
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "목표 4-2" in page
    assert "서비스 3-1" in page
