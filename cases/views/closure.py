"""Forms of closure: 종결심사, a supervisor's approval, and the 사후관리 plan and outcome."""

from __future__ import annotations

from typing import Any

from flask import abort, flash
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from agencies.models import Person, StaffRole
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, forms, services
from cases.models import Case, ClosureReview, ClosureType, FollowUpMethod, FollowUpOutcome
from cases.views.common import actor_args, agency_choices, bp, staff_choices, stage_form
from hamkke.db import db
from hamkke.edge import see_other


@bp.route("/<int:case_id>/closure-review", methods=["GET", "POST"])
@login_required
def closure_review(case_id: int) -> ResponseReturnValue:
    """종결심사회의 (활용서식10)."""

    def prepare(case: Case, form: Any) -> None:
        form.supervisor_id.choices = staff_choices(case, StaffRole.supervisor)

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_closure_review(
            case,
            reviewed_on=form.reviewed_on.data,
            closure_type=ClosureType(form.closure_type.data),
            short_term_achievement=int(form.short_term_achievement.data),
            long_term_achievement=int(form.long_term_achievement.data),
            review_opinion=form.review_opinion.data,
            supervisor_id=int(form.supervisor_id.data),
            planned_closure_on=form.planned_closure_on.data,
            notice_given_on=form.notice_given_on.data,
            worker_opinion=form.worker_opinion.data,
            other_attendees=form.other_attendees.data,
            **actor_args(person),
        )

    return stage_form(
        case_id,
        forms.ClosureReviewForm,
        _("종결심사"),
        "사례관리 종결 심사서 (활용서식10)",
        save,
        prepare=prepare,
    )


@bp.post("/<int:case_id>/closure-reviews/<int:review_id>/approve")
@login_required
def approve_closure(case_id: int, review_id: int) -> ResponseReturnValue:
    """A supervisor approves the closure of a life/safety case."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "supervise")
    review = db.session.get(ClosureReview, review_id)
    if review is None or review.case_id != case.id or not FlaskForm().validate_on_submit():
        abort(404 if review is None or review.case_id != case.id else 400)
    services.approve_closure(review, actor=person, agency_id=acting_agency_id())
    flash(_("종결을 승인했습니다."), "success")
    return see_other("cases.show_case", case_id=case.id)


@bp.route("/<int:case_id>/follow-up", methods=["GET", "POST"])
@login_required
def follow_up(case_id: int) -> ResponseReturnValue:
    """사후관리 계획 (활용서식12)."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.plan_follow_up(
            case,
            method=FollowUpMethod(form.method.data),
            starts_on=form.starts_on.data,
            ends_on=form.ends_on.data,
            services_needed=form.services_needed.data,
            **actor_args(person),
        )

    return stage_form(
        case_id, forms.FollowUpPlanForm, _("사후관리 계획"), "사후관리 계획서 (활용서식12)", save
    )


@bp.route("/<int:case_id>/follow-up/outcome", methods=["GET", "POST"])
@login_required
def follow_up_outcome(case_id: int) -> ResponseReturnValue:
    """사후관리 결과: 재개입 / 타기관 의뢰 / 종결확정."""

    def prepare(case: Case, form: Any) -> None:
        form.referred_agency_id.choices = agency_choices(case)

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_follow_up_outcome(
            case,
            outcome=FollowUpOutcome(form.outcome.data),
            outcome_on=form.outcome_on.data,
            note=form.note.data,
            referred_agency_id=int(form.referred_agency_id.data) if form.referred_agency_id.data else None,
            **actor_args(person),
        )

    return stage_form(
        case_id, forms.FollowUpOutcomeForm, _("사후관리 결과"), "사후관리 결과", save, prepare=prepare
    )
