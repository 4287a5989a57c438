"""사례관리 욕구조사지 (활용서식2): scales, domain sums and the risk flag, over HTTP and on paper."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, Person
from cases.models import Case, CaseStage, NeedsSurvey
from cases.needs_survey import SURVEY_ITEMS, SupportRow, support_grid, survey_result
from hamkke.errors import ValidationFailed
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

#: every question without the children's part answered 0 (no problem)
CALM = {item.code: 0 for item in SURVEY_ITEMS if not item.children_only}
#: the no-is-problem questions score 3 for 아니오; 0 is their "예"
ADULT_CODES = set(CALM)


def test_domains_sum_their_answers_by_hand() -> None:
    answers = {**CALM, "chronic_illness": 2, "insomnia": 1, "smoking": 3, "family_help": 3, "debts": 3}
    result = survey_result(answers, has_school_children=False)
    assert result.domain_totals == {"health": 2 + 1 + 3, "family": 3, "social": 0, "economy": 3}
    # health: 6 questions of 0–3 + 운동 3 + 식사 2 + 흡연 3 + 음주 3; family without children: 5 × 3
    assert result.domain_maximums == {"health": 18 + 3 + 2 + 3 + 3, "family": 15, "social": 15, "economy": 27}
    assert result.risk is False


@pytest.mark.parametrize(("code", "score"), [("care_despair", 1), ("economic_despair", 3)])
def test_thoughts_of_giving_up_or_dying_raise_the_risk_flag(code: str, score: int) -> None:
    assert survey_result({**CALM, code: score}, has_school_children=False).risk is True


@pytest.mark.parametrize(
    ("answers", "children", "field", "message"),
    [
        ({k: v for k, v in CALM.items() if k != "debts"}, False, "debts", "답하세요"),
        ({**CALM, "meals": 3}, False, "meals", "없는 점수"),
        ({**CALM, "debts": 1}, False, "debts", "없는 점수"),
        ({**CALM, "child_peers": 1}, False, "child_peers", "자녀가 없으면"),
        (CALM, True, "child_study", "답하세요"),
    ],
)
def test_bad_answers_name_their_question(
    answers: dict[str, int], children: bool, field: str, message: str
) -> None:
    with pytest.raises(ValidationFailed, match=message) as caught:
        survey_result(answers, has_school_children=children)
    assert caught.value.field == field


def test_support_grid_refuses_help_from_nobody() -> None:
    with pytest.raises(ValidationFailed, match="이웃이 없다고") as caught:
        support_grid({"neighbours": SupportRow("없다", ("goods",))})
    assert caught.value.field == "support_neighbours_kinds"
    grid = support_grid({"friends": SupportRow("2명", ("money", "counsel"))})
    assert grid["friends"] == {"count": "2명", "kinds": ["counsel", "money"]}
    assert grid["parents"] == {"count": "없다", "kinds": []}


def _form(token: str, **changes: str) -> dict[str, str]:
    data = {"csrf_token": token, "surveyed_on": today_local().isoformat()}
    data |= {code: str(score) for code, score in CALM.items()}
    data |= {"support_parents": "없다", "support_relatives": "없다", "support_friends": "없다"}
    data |= {"support_neighbours": "없다"}
    return data | changes


@pytest.fixture
def worker_client(client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit) -> FlaskClient:
    login_as(case_kit.worker, agency_id=case_kit.dong_centre.id)
    return client


@pytest.mark.embedded
def test_the_survey_is_filled_from_the_case_page_and_printed(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    page = worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert f"/cases/{case.id}/needs-survey" in page
    token = page_csrf_token(worker_client, f"/cases/{case.id}/needs-survey")

    answer = worker_client.post(
        f"/cases/{case.id}/needs-survey",
        data=_form(
            token,
            chronic_illness="2",
            chronic_illness_illness="고혈압",
            economic_despair="3",
            support_friends="2명",
            support_friends_money="y",
        ),
    )

    assert answer.status_code == 303
    db.session.remove()
    stored = db.session.scalars(sa.select(NeedsSurvey).where(NeedsSurvey.case_id == case.id)).one()
    assert stored.domain_totals == {"health": 2, "family": 0, "social": 0, "economy": 3}
    assert stored.risk_flag is True
    assert stored.illness_names == {"chronic_illness": "고혈압"}
    assert stored.support["friends"] == {"count": "2명", "kinds": ["money"]}
    assert "위기도를 평가" in worker_client.get(f"/cases/{case.id}").get_data(as_text=True)
    printed = worker_client.get(f"/cases/{case.id}/needs-survey/print")
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "활용서식 2" in text
    assert "사례관리 욕구조사지" in text
    assert "질환명: 고혈압" in text
    assert "2 상당히 문제를 느낀다" in text
    assert "초·중·고 자녀가 없어 묻지 않았습니다." in text


@pytest.mark.embedded
def test_a_missing_answer_is_refused_beside_its_question_and_nothing_is_saved(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    token = page_csrf_token(worker_client, f"/cases/{case.id}/needs-survey")
    data = _form(token, child_peers="2")
    del data["hygiene"]

    without_children = worker_client.post(f"/cases/{case.id}/needs-survey", data=data)
    missing = worker_client.post(f"/cases/{case.id}/needs-survey", data=_form(token, hygiene=""))

    assert without_children.status_code == 422
    assert 'id="child_peers-error"' in without_children.get_data(as_text=True)
    assert missing.status_code == 422
    assert 'id="hygiene-error"' in missing.get_data(as_text=True)
    assert "이 문항에 답하세요." in missing.get_data(as_text=True)
    db.session.remove()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedsSurvey)) == 0


def test_another_agency_cannot_fill_or_print_the_survey(
    client: FlaskClient,
    login_as: Callable[..., Any],
    create_case: Callable[..., Case],
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> None:
    case = create_case(CaseStage.assessment)
    other = create_agency()
    login_as(create_person(agency=other), agency_id=other.id)
    assert client.get(f"/cases/{case.id}/needs-survey").status_code == 404
    assert client.get(f"/cases/{case.id}/needs-survey/print").status_code == 404


def test_before_any_survey_the_sheet_prints_blank_to_fill_by_hand(
    worker_client: FlaskClient, create_case: Callable[..., Case], db: Any
) -> None:
    case = create_case(CaseStage.assessment)
    db.session.commit()
    printed = worker_client.get(f"/cases/{case.id}/needs-survey/print")
    text = printed.get_data(as_text=True)
    assert printed.status_code == 200
    assert "□ 0 전혀 문제가 없다" in text
    assert "초·중·고 자녀가 있는 경우만" in text
