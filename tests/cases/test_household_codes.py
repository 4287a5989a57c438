"""The intake form codes 가구유형 in seed 004's two typologies with selects; an unknown code is refused."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, Household, HouseholdComposition, HouseholdProblemType
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


def _form(token: str, **codes: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "name": "이순자",
        "opened_on": today_local().isoformat(),
        "intake_route": "outreach",
        **codes,
    }


@pytest.mark.embedded
def test_the_intake_form_saves_both_codes(worker_client: FlaskClient, db: Any) -> None:
    page = worker_client.get("/cases/new").get_data(as_text=True)
    assert '<select id="problem_type"' in page
    assert "한부모(모자)" in page
    token = page_csrf_token(worker_client, "/cases/new")
    response = worker_client.post(
        "/cases/new", data=_form(token, problem_type="economic", composition_type="single_mother")
    )
    assert response.status_code == 303
    case = db.session.scalars(sa.select(Case).order_by(Case.id.desc())).first()
    household = db.session.get(Household, case.household_id)
    assert household.problem_type == HouseholdProblemType.economic
    assert household.composition_type == HouseholdComposition.single_mother


@pytest.mark.embedded
def test_an_unknown_code_is_refused_and_nothing_is_saved(worker_client: FlaskClient, db: Any) -> None:
    before = db.session.scalar(sa.select(sa.func.count()).select_from(Household))
    token = page_csrf_token(worker_client, "/cases/new")
    response = worker_client.post("/cases/new", data=_form(token, problem_type="poverty"))
    assert response.status_code == 422
    assert "목록에서 골라 주세요." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Household)) == before
