"""Deadline clocks under a frozen clock (weekends too), cadence and caseload, scores, files, retention."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from cases import deadlines, queries, services
from cases.models import (
    AttachmentKind,
    Case,
    CaseIntensity,
    CaseStage,
    CaseType,
    Client,
    DestructionLog,
    Need,
    SelectionOutcome,
)
from cases.retention import DESTROYED, purge_expired_records, retention_ends
from cases.scores import EvaluationRow, capacity_score, evaluation_result, group_of
from cases.tasks import purge_expired_records_task
from hamkke.errors import ValidationFailed
from hamkke.time import today_local
from tests.fixtures.cases import CaseKit

# Noon in Seoul, so the local date is unambiguous.
KST_NOON = 3  # UTC hour


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, KST_NOON, tzinfo=UTC)


# --- deadlines ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "amount", "unit", "due"),
    [
        (date(2026, 11, 2), 10, "days", date(2026, 11, 12)),  # Mon + 10 = Thu
        (date(2026, 11, 4), 10, "days", date(2026, 11, 16)),  # Wed + 10 = Sat → Mon
        (date(2026, 11, 5), 10, "days", date(2026, 11, 16)),  # Thu + 10 = Sun → Mon
        (date(2026, 11, 6), 5, "days", date(2026, 11, 11)),  # Fri + 5 counts the weekend
        (date(2026, 11, 7), 30, "days", date(2026, 12, 7)),  # opened on a Saturday
        (date(2026, 8, 31), 2, "months", date(2026, 10, 31)),  # Sat → Mon 2 Nov
        (date(2026, 12, 31), 2, "months", date(2027, 2, 28)),  # month end clamps; Sun → Mon
    ],
)
def test_due_dates_count_calendar_days_and_move_off_weekends(
    start: date, amount: int, unit: str, due: date
) -> None:
    expected = deadlines.roll_past_weekend(due)
    assert deadlines.due_date(start, amount, unit) == expected
    assert expected.weekday() < 5


def test_clocks_run_overdue_and_met_under_a_frozen_clock(case_kit: CaseKit) -> None:
    opened = date(2026, 11, 4)  # a Wednesday; intake → assessment due Mon 16 Nov (Sat 14 rolls)
    profile = deadlines.profile_for({}, self_sufficiency=False)
    with time_machine.travel(_at(date(2026, 11, 6)), tick=False):
        case = case_kit.open(opened_on=opened)
    with time_machine.travel(_at(date(2026, 11, 14)), tick=False):  # Saturday
        clock = deadlines.case_clocks(case, profile, today_local())[0]
        assert (clock.code, clock.due_on, clock.state, clock.days_left) == (
            "intake_to_assessment",
            date(2026, 11, 16),
            "running",
            2,
        )
    with time_machine.travel(_at(date(2026, 11, 16)), tick=False):  # the Monday: still on time
        assert deadlines.case_clocks(case, profile, today_local())[0].state == "running"
    with time_machine.travel(_at(date(2026, 11, 17)), tick=False):
        clocks = deadlines.case_clocks(case, profile, today_local())
        assert (clocks[0].state, clocks[0].days_left) == ("overdue", -1)
        assert deadlines.is_overdue(clocks)
        case_kit.advance(case, CaseStage.selection)
        assert case.assessed_on == date(2026, 11, 17)
        clocks = deadlines.case_clocks(case, profile, today_local())
        assert clocks[0].state == "late"
        assert (clocks[-1].code, clocks[-1].due_on) == ("intake_to_plan", date(2026, 12, 4))


def test_conference_clock_and_district_profiles(case_kit: CaseKit) -> None:
    case = case_kit.open(opened_on=date(2026, 11, 2))
    case.conference_on = date(2026, 11, 13)  # Friday → +5 = Wed 18
    settings = {"case_deadlines": {"overrides": {"intake_to_plan": [45, "days"], "bogus": [1, "days"]}}}
    profile = deadlines.profile_for(settings, self_sufficiency=False)
    clocks = {clock.code: clock for clock in deadlines.case_clocks(case, profile, date(2026, 11, 19))}
    assert clocks["conference_to_classification"].due_on == date(2026, 11, 18)
    assert clocks["conference_to_classification"].state == "overdue"
    assert clocks["intake_to_plan"].due_on == date(2026, 12, 17)
    self_sufficiency = deadlines.profile_for({}, self_sufficiency=True)
    case.referred_on = date(2026, 10, 30)  # Friday + 3 = Mon 2 Nov
    clocks = {clock.code: clock for clock in deadlines.case_clocks(case, self_sufficiency, date(2026, 11, 3))}
    assert clocks["referral_to_intake"].due_on == date(2026, 11, 2)
    assert clocks["intake_to_assessment"].due_on == date(2027, 1, 4)  # 2 Jan 2027 is a Saturday
    assert clocks["intake_to_plan"].due_on == date(2027, 2, 2)


def test_cadence_weekly_for_intensive_cases() -> None:
    opened = date(2026, 11, 2)
    assert deadlines.next_contact_due(CaseIntensity.intensive, None, opened) == date(2026, 11, 9)
    assert deadlines.next_contact_due(CaseIntensity.intensive, date(2026, 11, 20), opened) == date(
        2026, 11, 27
    )
    assert deadlines.next_contact_due(CaseIntensity.simple, None, opened) == date(2026, 12, 2)
    assert deadlines.next_contact_due(CaseIntensity.crisis, None, opened) == date(2026, 11, 5)


def test_caseload_warns_above_twenty_intensive_cases(case_kit: CaseKit) -> None:
    for index in range(21):
        case = case_kit.open()
        services.classify_case(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            case_type=CaseType.general,
            intensity=CaseIntensity.intensive if index < 20 else CaseIntensity.simple,
        )
    load = queries.caseload_of(case_kit.worker.id)
    assert (load.intensive, load.total, load.over_limit) == (20, 21, False)
    extra = case_kit.open()
    services.classify_case(
        extra,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        case_type=CaseType.crisis,
        intensity=CaseIntensity.intensive,
    )
    assert queries.caseload_of(case_kit.worker.id).over_limit


# --- scores (활용서식1 and 9) ------------------------------------------------------------------------

BEST = {
    "age": "le34",
    "work_will": "high",
    "education": "level4",
    "work_capacity": "8h",
    "illness": "none",
    "career_gap": "le1",
    "licences": "two",
    "public_assistance": "0_43",
    "family": "none",
    "credit": "ok",
}


def test_capacity_scorecard_maxima_add_up_to_55_25_20() -> None:
    score = capacity_score(BEST, worker_will=10, worker_employability=10)
    assert (score.personal, score.environment, score.worker, score.total, score.group) == (
        55,
        25,
        20,
        100,
        "A",
    )
    assert capacity_score(BEST, worker_will=10, worker_employability=10, supervisor_adjustment=5).total == 100


def test_capacity_scorecard_example_participant() -> None:
    # 48세, 근로의지 중, 고졸, 4시간 이상, 만성질환, 경력단절 4~5년, 자격증 1개, 공적부조 51~70%,
    # 부분 돌봄 1명, 신용회복 필요, 담당자 의견 6 + 4, 슈퍼바이저 +3.
    answers = {
        "age": "45_55",
        "work_will": "medium",
        "education": "level3",
        "work_capacity": "4h",
        "illness": "chronic",
        "career_gap": "4_5",
        "licences": "one",
        "public_assistance": "51_70",
        "family": "partial1",
        "credit": "recovery",
    }
    score = capacity_score(answers, worker_will=6, worker_employability=4, supervisor_adjustment=3)
    assert score.personal == 6 + 5 + 4 + 3 + 0 + 6 + 4 == 28
    assert score.environment == 6 + 6 + 3 == 15
    assert (score.subtotal, score.total, score.group) == (53, 56, "C")
    assert (
        capacity_score(answers, worker_will=10, worker_employability=8, supervisor_adjustment=-1).group == "B"
    )


@pytest.mark.parametrize(
    ("total", "group"), [(100, "A"), (80, "A"), (79, "B"), (60, "B"), (59, "C"), (0, "C")]
)
def test_group_boundaries(total: int, group: str) -> None:
    assert group_of(total) == group


@pytest.mark.parametrize(
    ("answers", "kwargs", "field"),
    [
        ({**BEST, "age": "ancient"}, {}, "age"),
        ({k: v for k, v in BEST.items() if k != "credit"}, {}, "credit"),
        (BEST, {"worker_will": 7}, "worker_will"),
        (BEST, {"supervisor_adjustment": 6}, "supervisor_adjustment"),
    ],
)
def test_capacity_scorecard_refuses_bad_input(
    answers: dict[str, str], kwargs: dict[str, int], field: str
) -> None:
    values = {"worker_will": 10, "worker_employability": 10, **kwargs}
    with pytest.raises(ValidationFailed) as caught:
        capacity_score(answers, **values)
    assert caught.value.field == field


def test_evaluation_average_of_eight_suggests_closure_review() -> None:
    rows = [
        EvaluationRow("IAP", "단기", 9, 8, 7, 8),
        EvaluationRow("IAP", "장기", 8, 8, 6, 7),
        EvaluationRow("ISP 근로", "취업 유지", 9, 9, 8, 9),
    ]
    result = evaluation_result(rows)
    assert (result.average_achievement, result.suggests_closure_review) == (8.0, True)
    assert result.average_external == 7.0
    lower = evaluation_result(rows[:2])
    assert (lower.average_achievement, lower.suggests_closure_review) == (7.5, False)
    with pytest.raises(ValidationFailed, match="0점부터 10점"):
        evaluation_result([EvaluationRow("IAP", "단기", 11, 8, 7, 8)])


def test_scores_are_stored_computed(case_kit: CaseKit, create_case: Callable[..., Case]) -> None:
    case = create_case(CaseStage.delivery)
    record = services.record_capacity_assessment(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        assessed_on=today_local(),
        answers=BEST,
        worker_will=8,
        worker_employability=6,
    )
    assert (record.total, record.group) == (94, "A")
    with pytest.raises(services.PermissionDenied):
        services.record_capacity_assessment(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            assessed_on=today_local(),
            answers=BEST,
            worker_will=8,
            worker_employability=6,
            supervisor_adjustment=2,
        )


# --- attachments ---------------------------------------------------------------------------------


def test_attachment_limits_and_storage_outside_static(
    case_kit: CaseKit, create_case: Callable[..., Case], app: Any
) -> None:
    case = create_case(CaseStage.assessment)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    attachment = services.add_attachment(
        case,
        actor=case_kit.worker,
        agency_id=case_kit.dong_centre.id,
        kind=AttachmentKind.genogram,
        filename="../../가계도.png",
        content_type="image/png",
        data=png,
    )
    stored = Path(app.instance_path) / "case_files" / attachment.storage_key
    assert stored.read_bytes() == png
    assert "static" not in stored.parts
    assert attachment.filename == "가계도.png"
    for content_type, data, match in (
        ("text/html", b"<html>", "PDF, PNG, JPEG"),
        ("image/png", b"%PDF-1.7", "형식과 맞지"),
        ("application/pdf", b"%PDF" + b"0" * services.MAX_ATTACHMENT_BYTES, "5MB"),
        ("application/pdf", b"", "빈 파일"),
    ):
        with pytest.raises(ValidationFailed, match=match):
            services.add_attachment(
                case,
                actor=case_kit.worker,
                agency_id=case_kit.dong_centre.id,
                kind=AttachmentKind.scanned_form,
                filename="x",
                content_type=content_type,
                data=data,
            )


# --- retention ---------------------------------------------------------------------------------


def test_retention_ends_five_years_on() -> None:
    assert retention_ends(date(2021, 3, 1)) == date(2026, 3, 1)
    assert retention_ends(date(2024, 2, 29)) == date(2029, 2, 28)


def test_purge_destroys_records_five_years_after_closure_and_logs_no_personal_data(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any
) -> None:
    with time_machine.travel(_at(date(2021, 6, 1)), tick=False):
        old = create_case(CaseStage.closed, opened_on=date(2021, 5, 20))
        refused = create_case(CaseStage.selection, opened_on=date(2021, 5, 25))
        services.record_selection(
            refused,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            decided_on=date(2021, 6, 1),
            outcome=SelectionOutcome.not_selected,
            reason="일회성",
            alternative_services="푸드뱅크",
        )
        case_kit.do(refused, "not_select")
    with time_machine.travel(_at(date(2022, 1, 10)), tick=False):
        recent = create_case(CaseStage.closed, opened_on=date(2022, 1, 3))
    with time_machine.travel(_at(date(2026, 5, 31)), tick=False):
        assert purge_expired_records(today_local())[0] == 0
    with time_machine.travel(_at(date(2026, 6, 1)), tick=False):
        purged, _files = purge_expired_records(today_local())
    assert purged == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Need).where(Need.case_id == old.id)) == 0
    client = db.session.get(Client, old.main_client_id)
    assert (client.name, client.birth_date, client.is_deleted) == (DESTROYED, None, True)
    assert old.stage == CaseStage.closed  # the statistics skeleton stays
    assert old.purged_at is not None
    assert all(event.note is None for event in old.events)
    assert recent.purged_at is None
    logs = db.session.scalars(sa.select(DestructionLog).order_by(DestructionLog.case_id)).all()
    assert [(log.case_id, log.basis) for log in logs] == [(old.id, "closed"), (refused.id, "not_selected")]
    assert logs[0].counts["case_needs"] == 1
    assert "김민수" not in str([log.counts for log in logs])
    with time_machine.travel(_at(date(2026, 6, 2)), tick=False):
        assert purge_expired_records(today_local())[0] == 0  # idempotent


def test_purge_task_commits_and_removes_files(
    case_kit: CaseKit, create_case: Callable[..., Case], db: Any, app: Any
) -> None:
    with time_machine.travel(_at(date(2020, 1, 6)), tick=False):
        case = create_case(CaseStage.assessment, opened_on=date(2020, 1, 2))
        attachment = services.add_attachment(
            case,
            actor=case_kit.worker,
            agency_id=case_kit.dong_centre.id,
            kind=AttachmentKind.ecomap,
            filename="e.pdf",
            content_type="application/pdf",
            data=b"%PDF-1.4 ecomap",
        )
        case_kit.advance(case, CaseStage.closed)
    stored = Path(app.instance_path) / "case_files" / attachment.storage_key
    assert stored.exists()
    with time_machine.travel(_at(date(2025, 1, 6)), tick=False):
        assert purge_expired_records_task() == 1
        assert purge_expired_records_task() == 0
    assert not stored.exists()
