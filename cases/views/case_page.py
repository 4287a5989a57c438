"""The case page: the timeline, its print version and the stage transitions posted from it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from agencies.models import Agency, Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, forms, services
from cases.models import LOG_STAGES, Case, CaseStage
from cases.queries import case_page
from cases.queries.counselling import case_log_count
from cases.services.staleness import start_closure_review
from cases.views import common
from cases.views.common import bp
from cases.views.counselling import quick_log_form, save_log
from consents.coverage import ConsentCoverage, consent_coverage
from consents.gate import ClientView
from funds.access import can_request_from_case
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError
from hamkke.time import today_local


def _can_refer(person: Person, case: Case) -> bool:
    """Tell whether the case page offers "서비스 의뢰" (the referral form checks the same rule)."""
    # Referrals sit above cases and import them; only this link on the page asks them, at request time.
    from referrals.access import can_refer_from_case

    return not case.is_deleted and can_refer_from_case(person, case) is not None


def _referral_recipients(case: Case) -> list[Agency]:
    """Return the network agencies this case was referred to (draft or sent), for the consent indicator."""
    # Referrals sit above cases and import them; only the case page asks them, at request time.
    from referrals.models import Referral, ReferralStatus

    agency_ids = db.session.scalars(
        sa.select(Referral.receiving_agency_id)
        .where(
            Referral.case_id == case.id,
            Referral.receiving_agency_id.is_not(None),
            Referral.status.not_in([ReferralStatus.cancelled, ReferralStatus.revoked]),
        )
        .distinct()
    ).all()
    if not agency_ids:
        return []
    return list(db.session.scalars(sa.select(Agency).where(Agency.id.in_(agency_ids)).order_by(Agency.name)))


def _coverage(case: Case, view: ClientView | None, owner: Agency | None) -> ConsentCoverage | None:
    """Tell the owning agency what the client's consents leave out (nobody else is shown it)."""
    if view is None or not view.is_owner or owner is None or case.is_deleted:
        return None
    return consent_coverage(
        case.main_client, district_id=owner.district_id, recipients=_referral_recipients(case)
    )


def _case_context(case: Case, person: Person) -> dict[str, Any]:
    """Build the case page: the case's facts (`cases.queries.case_page`) and the gate's view of the client."""
    view = common.client_view(case, person)
    facts = case_page.case_page_facts(case, person, acting_agency_id=acting_agency_id())
    return {
        **facts,
        "view": view,
        "coverage": _coverage(case, view, facts.get("owner")),
        "can_refer": _can_refer(person, case),
        "can_request_fund": can_request_from_case(person, acting_agency_id(), case),
        "transition_form": forms.TransitionForm(),
        "reviews": view.records("case_closure_reviews") if view else (),
        "quick_log": quick_log_form(case, person) if facts["can_edit"] and case.stage in LOG_STAGES else None,
        "log_count": case_log_count(case.id),
    }


@bp.get("/<int:case_id>")
@login_required
def show_case(case_id: int) -> ResponseReturnValue:
    """Show the case as a timeline of stages, events and documents."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    return render_template("cases/case.html", **_case_context(case, person))


@bp.get("/<int:case_id>/print")
@login_required
def print_case(case_id: int) -> ResponseReturnValue:
    """Print-friendly record of the case following the seed forms (needs client data: owning agency)."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    return render_template("cases/print.html", **_case_context(case, person))


@bp.post("/<int:case_id>/logs/quick")
@login_required
def quick_log(case_id: int) -> ResponseReturnValue:
    """The case page's 상담일지 quick entry: saved and back to the page, or the page again with a 422."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = quick_log_form(case, person, request.form)
    if form.validate_on_submit():
        try:
            save_log(case, form, person)
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, "edit")
            attach_error(form, error)
        else:
            flash(_("상담일지를 저장했습니다."), "success")
            return see_other("cases.show_case", case_id=case.id, _anchor="quick-log")
    context = _case_context(case, person)
    context["quick_log"] = form
    return render_template("cases/case.html", **context), invalid_form_status(form) if form.errors else 422


@bp.post("/<int:case_id>/transition")
@login_required
def transition(case_id: int) -> ResponseReturnValue:
    """Move the case one step (or loop back) with the worker's reason."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.TransitionForm()
    if not form.validate_on_submit():
        context = _case_context(case, person)
        context["transition_form"] = form
        return render_template("cases/case.html", **context), invalid_form_status(form)
    try:
        services.transition_case(
            case,
            form.action.data or "",
            actor=person,
            agency_id=acting_agency_id(),
            reason=form.reason.data,
            target=CaseStage(form.target.data) if form.target.data else None,
        )
    except DomainError as error:
        db.session.rollback()
        case = access.get_case_for(person, case_id, "edit")
        context = _case_context(case, person)
        context["transition_form"] = form
        context["transition_error"] = error.message
        return render_template("cases/case.html", **context), error.status_code
    flash(_("'%(stage)s' 단계로 옮겼습니다.", stage=case.stage.label), "success")
    return see_other("cases.show_case", case_id=case.id)


@bp.post("/<int:case_id>/closure-review/start")
@login_required
def start_stale_review(case_id: int) -> ResponseReturnValue:
    """One click on a stale case: start the 종결심사 with the staleness as the reason."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    form = FlaskForm()
    if not form.validate_on_submit():
        context = _case_context(case, person)
        context["transition_error"] = _("요청이 만료되었습니다. 페이지를 새로 고친 뒤 다시 눌러 주세요.")
        return render_template("cases/case.html", **context), 400
    try:
        start_closure_review(case, actor=person, agency_id=acting_agency_id(), today=today_local())
    except DomainError as error:
        db.session.rollback()
        case = access.get_case_for(person, case_id, "edit")
        context = _case_context(case, person)
        context["transition_error"] = error.message
        return render_template("cases/case.html", **context), error.status_code
    flash(_("종결 검토를 시작했습니다. 종결심사회의를 기록해 주세요."), "success")
    return see_other("cases.show_case", case_id=case.id)
