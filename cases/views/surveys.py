"""Surveys from the case page: the 욕구조사지 (활용서식2) and the two 만족도 평가지, with their A4 sheets."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import login_required, signed_in_person
from cases import access
from cases import self_assessment as self_assessment_sheet
from cases.models import Case
from cases.needs_survey import DOMAINS, SCALES, SUPPORT_KINDS, SUPPORT_PEOPLE, SURVEY_ITEMS
from cases.satisfaction import SCALE as SATISFACTION_SCALE
from cases.satisfaction import STATEMENTS, SatisfactionKind
from cases.services.self_assessment import record_self_assessment
from cases.services.surveys import record_needs_survey, record_satisfaction
from cases.survey_forms import (
    needs_survey_form_class,
    satisfaction_answers,
    satisfaction_form_class,
    self_assessment_form_class,
    survey_answers,
    survey_support,
)
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
from hamkke.errors import NotFound
from hamkke.time import now_utc


@bp.route("/<int:case_id>/needs-survey", methods=["GET", "POST"])
@login_required
def needs_survey(case_id: int) -> ResponseReturnValue:
    """사례관리 욕구조사지 (활용서식2): domain sums computed; a risk answer asks for a crisis rating."""

    def save(case: Case, form: Any, person: Person) -> None:
        survey = record_needs_survey(
            case,
            surveyed_on=form.surveyed_on.data,
            has_school_children=bool(form.has_school_children.data),
            answers=survey_answers(form),
            illness_names={
                item.code: form[f"{item.code}_illness"].data for item in SURVEY_ITEMS if item.asks_illness
            },
            support=survey_support(form),
            other_requests=form.other_requests.data,
            **actor_args(person),
        )
        if survey.risk_flag:
            flash(
                _(
                    "가족원을 포기하거나 죽고 싶다는 생각에 답이 있습니다. "
                    "위기도를 평가하고 안전부터 확인하세요."
                ),
                "warning",
            )

    return stage_form(
        case_id, needs_survey_form_class(), _("사례관리 욕구조사"), "사례관리 욕구조사지 (활용서식2)", save
    )


@bp.get("/<int:case_id>/needs-survey/print")
@login_required
def print_needs_surveys(case_id: int) -> ResponseReturnValue:
    """The case's 욕구조사지 on A4, newest first; a blank form to fill by hand when none is recorded yet."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    recorded = view.records("case_needs_surveys") if view else ()
    surveys = sorted(recorded, key=lambda s: (s["surveyed_on"], s["id"]), reverse=True)
    return render_template(
        "cases/print/needs_survey.html",
        case=case,
        view=view,
        surveys=surveys or [None],
        domains=DOMAINS,
        items=SURVEY_ITEMS,
        scales=SCALES,
        support_people=SUPPORT_PEOPLE,
        support_kinds=SUPPORT_KINDS,
        printed_at=now_utc(),
    )


def _kind(kind: str) -> SatisfactionKind:
    try:
        return SatisfactionKind(kind)
    except ValueError:
        raise NotFound("없는 평가지입니다.", english="No such questionnaire.") from None


@bp.route("/<int:case_id>/satisfaction/<kind>", methods=["GET", "POST"])
@login_required
def satisfaction(case_id: int, kind: str) -> ResponseReturnValue:
    """만족도 평가지 (사례관리사 / 사례관리 서비스): the participant's answers entered, averaged."""
    sheet = _kind(kind)

    def save(case: Case, form: Any, person: Person) -> None:
        survey = record_satisfaction(
            case,
            kind=sheet,
            answered_on=form.answered_on.data,
            answers=satisfaction_answers(form, sheet),
            answered_by_family=bool(form.answered_by_family.data),
            comment=form.comment.data,
            **actor_args(person),
        )
        flash(_("평균 %(average)s점 (4점 만점)", average=survey.average), "info")

    return stage_form(case_id, satisfaction_form_class(sheet), _(sheet.label), sheet.label, save)


@bp.get("/<int:case_id>/satisfaction/print")
@login_required
def print_satisfaction(case_id: int) -> ResponseReturnValue:
    """Both 만족도 평가지 on A4: the answered ones, or blank sheets to hand to the participant."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    answered = view.records("case_satisfaction_surveys") if view else ()
    sheets = [
        (kind, sorted((s for s in answered if s["kind"] == kind.value), key=lambda s: s["id"], reverse=True))
        for kind in SatisfactionKind
    ]
    return render_template(
        "cases/print/satisfaction.html",
        case=case,
        view=view,
        sheets=sheets,
        statements=STATEMENTS,
        scale=SATISFACTION_SCALE,
        printed_at=now_utc(),
    )


@bp.route("/<int:case_id>/self-assessment", methods=["GET", "POST"])
@login_required
def self_assessment(case_id: int) -> ResponseReturnValue:
    """자활사정지 (필수서식3) of a 자활 participant's assessment interview."""

    def save(case: Case, form: Any, person: Person) -> None:
        values = {name: value for name, value in form.data.items() if name != "csrf_token"}
        record_self_assessment(
            case, counselled_on=form.counselled_on.data, values=values, **actor_args(person)
        )

    return stage_form(case_id, self_assessment_form_class(), _("자활사정지"), "자활사정지 (필수서식3)", save)


@bp.get("/<int:case_id>/self-assessment/print")
@login_required
def print_self_assessment(case_id: int) -> ResponseReturnValue:
    """자활사정지 (필수서식3) on A4, newest first, as far as the gate lets the viewer see them (or blank)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = common.client_view(case, person)
    records = sorted(
        view.records("case_self_sufficiency_assessments") if view else (), key=lambda r: r["id"], reverse=True
    )
    return render_template(
        "cases/print/self_assessment.html",
        case=case,
        view=view,
        # Before any interview the sheet prints blank, to fill in by hand.
        records=records or [{}],
        sheet=self_assessment_sheet,
        printed_at=now_utc(),
    )
