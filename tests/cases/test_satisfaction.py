"""The two 만족도 평가지 (seed 000 §3.5): 8 and 9 statements on 1–4, averaged, entered and printed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from cases.models import Case, CaseStage, SatisfactionSurvey
from cases.satisfaction import STATEMENTS, SatisfactionKind, satisfaction_result
from hamkke.errors import ValidationFailed
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit


def test_the_sheets_have_the_manuals_eight_and_nine_statements() -> None:
    assert len(STATEMENTS[SatisfactionKind.worker]) == 8
    assert len(STATEMENTS[SatisfactionKind.service]) == 9


def test_sum_and_average_by_hand() -> None:
    answers = {1: 4, 2: 4, 3: 3, 4: 3, 5: 2, 6: 4, 7: 3, 8: 1}
    result = satisfaction_result(SatisfactionKind.worker, answers)
    assert (result.total, result.average) == (24, 3.0)
    nine = satisfaction_result(SatisfactionKind.service, dict.fromkeys(range(1, 10), 4) | {9: 3})
    assert (nine.total, nine.average) == (35, 3.9)


@pytest.mark.parametrize(("answers", "field"), [({1: 4}, "q2"), (dict.fromkeys(range(1, 9), 5), "q1")])
def test_a_missing_or_off_scale_answer_names_its_statement(answers: dict[int, int], field: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        satisfaction_result(SatisfactionKind.worker, answers)
    assert caught.value.field == field


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


@pytest.mark.embedded
def test_the_participants_answers_are_entered_and_printed(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.delivery)
    db.session.commit()
    assert f"/cases/{case.id}/satisfaction/service" in worker_client.get(f"/cases/{case.id}").get_data(
        as_text=True
    )
    blank = worker_client.get(f"/cases/{case.id}/satisfaction/print").get_data(as_text=True)
    assert blank.count("□") == (8 + 9) * 4
    url = f"/cases/{case.id}/satisfaction/service"
    token = page_csrf_token(worker_client, url)
    data = {"csrf_token": token, "answered_on": today_local().isoformat(), "comment": "덕분에 힘이 났어요"}
    data |= {f"q{number}": "4" for number in range(1, 10)} | {"q9": "3"}

    missing = worker_client.post(url, data={**data, "q5": ""})
    saved = worker_client.post(url, data=data)

    assert missing.status_code == 422
    assert 'id="q5-error"' in missing.get_data(as_text=True)
    assert saved.status_code == 303
    db.session.remove()
    stored = db.session.scalars(sa.select(SatisfactionSurvey)).one()
    assert (stored.kind, stored.total, stored.average) == ("service", 35, 3.9)
    printed = worker_client.get(f"/cases/{case.id}/satisfaction/print").get_data(as_text=True)
    assert "35점 / 3.9점" in printed
    assert "덕분에 힘이 났어요" in printed
    assert printed.count("□") == 8 * 4  # the worker sheet is still blank


def test_an_unknown_sheet_is_404(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.delivery)
    db.session.commit()
    assert worker_client.get(f"/cases/{case.id}/satisfaction/mood").status_code == 404
