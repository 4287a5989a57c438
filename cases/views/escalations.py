"""To the district: a case's 구청 의뢰, the dong's 내부판정회의, and the coordinator's decision."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Agency, AgencyType, Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, consent_basis, forms, queries, services
from cases.models import Case, EscalationPlacement, EscalationStatus, EscalationUrgency
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound
from hamkke.time import today_local


@bp.route("/<int:case_id>/escalate", methods=["GET", "POST"])
@login_required
def escalate(case_id: int) -> ResponseReturnValue:
    """구청 의뢰 (고난도) to the district coordinator."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.escalate_case(
            case,
            reason=form.reason.data,
            urgency=EscalationUrgency(form.urgency.data),
            tried=form.tried.data,
            **actor_args(person),
        )

    def prepare(case: Case, form: Any) -> None:
        # Shown as the records say it now; the service derives it again when the escalation is sent.
        team = consent_basis.district_team_of(case)
        status = consent_basis.escalation_consent(case, team, today_local()).status if team else None
        form.derived_notes = [
            (
                _("동의 상태 (동의 기록에서 자동 판정)"),
                status.label if status else _("의뢰받을 구청 팀이 없음"),
            )
        ]

    return stage_form(
        case_id, forms.EscalationForm, _("구청 의뢰"), "통합사례관리 의뢰서", save, prepare=prepare
    )


@bp.route("/dong-meetings/new", methods=["GET", "POST"])
@login_required
def dong_meeting() -> ResponseReturnValue:
    """내부판정회의: a decision per assessed household, 구청 의뢰 sending an escalation."""
    person = signed_in_person()
    acting = acting_agency_id()
    agency = db.session.get(Agency, acting) if acting else None
    if (
        agency is None
        or agency.type != AgencyType.dong_centre
        or not access.roles_for(person, acting) & access.EDIT_ROLES
    ):
        raise NotFound("내부판정회의는 동 주민센터 직원이 기록합니다.")
    cases = queries.cases_awaiting_judgment(agency.id)
    form = forms.dong_meeting_form_class(case.id for case in cases)()
    if request.method == "GET":
        form.held_on.data = today_local()
    status = 200
    if form.validate_on_submit():
        decisions = form.decisions()
        try:
            meeting = services.hold_dong_meeting(
                agency,
                actor=person,
                held_on=form.held_on.data,
                attendees=form.attendees.data,
                decisions=decisions,
            )
        except DomainError as error:
            db.session.rollback()
            form.attach_service_error(error, [decision.case_id for decision in decisions])
            status = error.status_code
        else:
            flash(_("내부판정회의 결과 %(count)s건을 기록했습니다.", count=len(meeting.decisions)), "success")
            return see_other("cases.escalations")
    elif request.method == "POST":
        status = invalid_form_status(form)
    names = {}
    for case in cases:
        view = common.client_view(case, person)
        names[case.id] = view.name if view else None
    return render_template(
        "cases/dong_meeting.html",
        form=form,
        cases=cases,
        names=names,
        consent_labels=_derived_consent_labels(cases),
    ), status


def _derived_consent_labels(cases: list[Case]) -> dict[int, str]:
    """Return each case's consent status toward its district team as the records say it today."""
    labels: dict[int, str] = {}
    for case in cases:
        team = consent_basis.district_team_of(case)
        if team is not None:
            labels[case.id] = consent_basis.escalation_consent(case, team, today_local()).status.label
    return labels


@bp.get("/escalations")
@login_required
def escalations() -> ResponseReturnValue:
    """The dong's sent escalations with their status; the coordinator's incoming ones."""
    person = signed_in_person()
    acting = acting_agency_id()
    if acting is None or not access.roles_for(person, acting):
        raise NotFound("의뢰 목록을 볼 수 있는 소속 기관이 없습니다.")
    incoming = access.is_coordinator_for(person, acting)
    return render_template(
        "cases/escalations.html", items=queries.list_escalations(acting, incoming=incoming), incoming=incoming
    )


@bp.route("/escalations/<int:escalation_id>", methods=["GET", "POST"])
@login_required
def escalation(escalation_id: int) -> ResponseReturnValue:
    """Show an escalation; the coordinator accepts it (agenda or urgent conference) or returns it."""
    person = signed_in_person()
    acting = acting_agency_id()
    item = access.get_escalation_for(person, escalation_id)
    is_receiver = acting == item.to_agency_id
    accept_form = forms.AcceptEscalationForm(prefix="accept")
    return_form = forms.ReturnEscalationForm(prefix="return")
    status = 200
    if request.method == "POST":
        if not is_receiver or item.status != EscalationStatus.submitted:
            abort(409 if is_receiver else 403)
        # The page holds both forms; the one whose field was posted is the one the coordinator used.
        chosen = accept_form if accept_form.placement.raw_data else return_form
        if chosen.validate_on_submit():
            try:
                if chosen is accept_form:
                    services.accept_escalation(
                        item,
                        actor=person,
                        agency_id=acting,
                        placement=EscalationPlacement(accept_form.placement.data),
                        note=accept_form.note.data,
                    )
                else:
                    services.return_escalation(
                        item, actor=person, agency_id=acting, guidance=return_form.guidance.data or ""
                    )
            except DomainError as error:
                db.session.rollback()
                attach_error(chosen, error)
                status = error.status_code
            else:
                flash(_("의뢰를 처리했습니다: %(status)s", status=item.status.label), "success")
                return see_other("cases.escalation", escalation_id=item.id)
        else:
            status = invalid_form_status(chosen)
    return render_template(
        "cases/escalation.html",
        item=item,
        is_receiver=is_receiver,
        accept_form=accept_form,
        return_form=return_form,
        agencies={
            a.id: a
            for a in db.session.query(Agency).filter(Agency.id.in_([item.from_agency_id, item.to_agency_id]))
        },
    ), status
