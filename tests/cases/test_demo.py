"""The demo creates cases at every stage, households of seed 004's types, a dong meeting and escalations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cases.models import Case, CaseStage, DongMeeting, Escalation, EscalationStatus, Household, NeedsSurvey
from cases.models.interview import BasicInterview, InterviewFamilyMember, PriorService
from demo.cases import HOUSEHOLD_TYPES
from demo.district import load_demo


def test_demo_has_every_stage_escalations_and_household_types(db: Any) -> None:
    load_demo()
    db.session.commit()
    stages = set(db.session.scalars(sa.select(Case.stage)))
    assert stages == set(CaseStage)
    statuses = set(db.session.scalars(sa.select(Escalation.status)))
    assert statuses == set(EscalationStatus)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DongMeeting)) == 1
    types = set(db.session.scalars(sa.select(Household.household_type)))
    assert types == {kind[0] for kind in HOUSEHOLD_TYPES}


def test_demo_households_in_assessment_or_later_have_filled_needs_surveys(db: Any) -> None:
    load_demo()
    db.session.commit()
    surveys = db.session.scalars(sa.select(NeedsSurvey)).all()
    assert len(surveys) == 4
    assert all(survey.domain_totals["economy"] >= 3 for survey in surveys)  # every one owes money
    assert not any(survey.risk_flag for survey in surveys)


def test_demo_has_filled_interview_and_intake_forms(db: Any) -> None:
    load_demo()
    db.session.commit()
    interviews = db.session.scalars(sa.select(BasicInterview)).all()
    assert len(interviews) == 3
    for interview in interviews:
        family = sa.select(sa.func.count()).where(InterviewFamilyMember.case_id == interview.case_id)
        assert db.session.scalar(family) >= 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PriorService)) >= 1
