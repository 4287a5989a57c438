"""Closure forms: 종결심사, approval, 종결보고서, the 사후관리 plan and outcome, and their prints."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from agencies.models import Person, StaffRole
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, forms, services
from cases.models import Case, ClosureReview, ClosureType, FollowUpMethod, FollowUpOutcome
from cases.views.common import actor_args, agency_choices, bp, client_view, staff_choices, stage_form
from hamkke.db import db
from hamkke.edge import see_other
from hamkke.time import now_utc


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
            history_summary=form.history_summary.data,
            current_situation=form.current_situation.data,
            main_services=form.main_services.data,
            worker_opinion=form.worker_opinion.data,
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


@bp.route("/<int:case_id>/closure-report", methods=["GET", "POST"])
@login_required
def closure_report(case_id: int) -> ResponseReturnValue:
    """종결보고서 (필수서식10), once the case has been decided closed."""

    def prepare(case: Case, form: Any) -> None:
        if request.method == "GET" and not form.benefit_category_at_closure.data:
            # The category as it stands now, read through the gate; the worker confirms or corrects it.
            view = client_view(case, signed_in_person())
            if view is not None and view.can_see("economic"):
                form.benefit_category_at_closure.data = view.value("economic", "benefit_category")

    def save(case: Case, form: Any, person: Person) -> None:
        services.write_closure_report(
            case,
            written_on=form.written_on.data,
            current_status=form.current_status.data,
            closure_reason=form.closure_reason.data,
            benefit_category_at_closure=form.benefit_category_at_closure.data,
            follow_up_plan_note=form.follow_up_plan_note.data,
            participant_opinion=form.participant_opinion.data,
            worker_opinion=form.worker_opinion.data,
            notes=form.notes.data,
            **actor_args(person),
        )

    return stage_form(
        case_id, forms.ClosureReportForm, _("종결보고서"), "종결보고서 (필수서식10)", save, prepare=prepare
    )


def _print_closure_sheet(case_id: int, template: str, table: str) -> ResponseReturnValue:
    """Print one closure form of the case on A4 through the gate, newest record first (or blank)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    view = client_view(case, person)
    records = sorted(view.records(table), key=lambda r: r["id"], reverse=True) if view else []
    reviews = view.records("case_closure_reviews") if view else ()
    author_ids = {record["author_id"] for record in records if record.get("author_id")}
    authors: list[Person] = (
        list(db.session.scalars(sa.select(Person).where(Person.id.in_(author_ids)))) if author_ids else []
    )
    return render_template(
        template,
        case=case,
        view=view,
        # Before anything is written the sheet prints blank, to fill in by hand.
        records=records or [{}],
        last_review=max(reviews, key=lambda r: r["id"]) if reviews else None,
        author_names={author.id: author.name for author in authors},
        age_on=_age_on,
        printed_at=now_utc(),
    )


def _age_on(birth_date: date, day: date) -> int:
    """만 나이 on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


@bp.get("/<int:case_id>/closure-report/print")
@login_required
def print_closure_report(case_id: int) -> ResponseReturnValue:
    """종결보고서 (필수서식10) on A4."""
    return _print_closure_sheet(case_id, "cases/print/closure_report.html", "case_closure_reports")


@bp.get("/<int:case_id>/follow-up/print")
@login_required
def print_follow_up_plan(case_id: int) -> ResponseReturnValue:
    """사후관리 계획서 (활용서식12) on A4."""
    return _print_closure_sheet(case_id, "cases/print/follow_up_plan.html", "case_follow_up_plans")
