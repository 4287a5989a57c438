"""사례관리 욕구조사지 (활용서식2): the survey form from the case page and its printed sheet."""

from __future__ import annotations

from typing import Any

from flask import flash, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import login_required, signed_in_person
from cases import access
from cases.models import Case
from cases.needs_survey import DOMAINS, SCALES, SUPPORT_KINDS, SUPPORT_PEOPLE, SURVEY_ITEMS
from cases.services.surveys import record_needs_survey
from cases.survey_forms import needs_survey_form_class, survey_answers, survey_support
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
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
