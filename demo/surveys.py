"""욕구조사지 (활용서식2) of the demo district: a few households surveyed during their assessment."""

from __future__ import annotations

import random
from datetime import timedelta

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case, CaseStage
from cases.needs_survey import SURVEY_ITEMS, SupportRow
from cases.services.surveys import record_needs_survey
from hamkke.db import db
from hamkke.time import today_local

#: at most this many surveys: enough to see the form filled, few enough to keep the demo quick
SURVEYED = 4
#: stages in which a household has been surveyed
SURVEYED_STAGES = (CaseStage.assessment, CaseStage.planning, CaseStage.delivery)


def load_demo_needs_surveys(seed: int) -> int:
    """Survey the first assigned cases in assessment or later, as their workers would; return how many."""
    rng = random.Random(seed)
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.stage.in_(SURVEYED_STAGES), Case.case_worker_id.is_not(None), Case.is_deleted.is_(False))
        .order_by(Case.id)
        .limit(SURVEYED)
    ).all()
    for number, case in enumerate(cases):
        worker = db.session.get(Person, case.case_worker_id)
        if worker is None:
            continue
        children = number % 2 == 1
        # Mostly small problems, with one or two heavier answers per household, never a risk answer
        # (a risk answer belongs to a case the demo shows as a crisis).
        answers = {
            item.code: rng.choice((0, 0, 1)) if item.scale == "problem" and item.risk_from is None else 0
            for item in SURVEY_ITEMS
            if children or not item.children_only
        }
        answers["chronic_illness"] = 2
        answers["debts"] = 3
        record_needs_survey(
            case,
            actor=worker,
            agency_id=case.owning_agency_id,
            surveyed_on=today_local() - timedelta(days=7 + number),
            has_school_children=children,
            answers=answers,
            illness_names={"chronic_illness": rng.choice(("고혈압", "당뇨", "관절염"))},
            support={"friends": SupportRow("1명", ("counsel",)), "neighbours": SupportRow("2명", ("goods",))},
            other_requests="방과후 학습 지원을 원함" if children else None,
        )
    return len(cases)
