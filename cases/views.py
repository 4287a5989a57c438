"""Pages of the case process: caseload, the case timeline, one form per stage, dong meeting, escalations.

Each view loads the case through ``cases.access`` (404/403), reads client data only through
``consents.gate.view_client``, calls one service and redirects (303); the edge commits
(``hamkke.unit_of_work``). A refused form is shown again with the reason next to its field and a
4xx status; nothing of it is saved.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from agencies.models import Agency, AgencyType, Dong, Person, StaffRole
from agencies.sessions import current_person, login_required
from cases import access, consent_basis, deadlines, forms, queries, services, workflow
from cases.fields import FIELD_GROUPS, OUT_OF_SCOPE
from cases.models import (
    AttachmentKind,
    Case,
    CaseIntensity,
    CaseStage,
    CaseType,
    Client,
    ClosureReview,
    ClosureType,
    ContactMethod,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
    FollowUpMethod,
    FollowUpOutcome,
    GoalTerm,
    IntakeRoute,
    MonitoringChannel,
    MonitoringFinding,
    NeedDomain,
    RiskLevel,
    SelectionOutcome,
)
from consents.gate import ClientView, view_client, view_clients
from hamkke.db import db
from hamkke.errors import DomainError, NotFound
from hamkke.korean import particle
from hamkke.time import today_local
from hamkke.web import page_arg, parse_id

bp = Blueprint("cases", __name__, url_prefix="/cases")

#: date fields a new form fills with today (the worker usually records the same day)
TODAY_FIELDS = frozenset(
    {"counselled_on", "rated_on", "decided_on", "contacted_on", "reviewed_on", "outcome_on", "starts_on"}
)


def _person() -> Person:
    person = current_person()
    if person is None:  # login_required ran first; this only narrows the type
        abort(401)
    return person


def _acting() -> int | None:
    return access.acting_agency_id()


def _see_other(endpoint: str, **values: Any) -> Response:
    return redirect(url_for(endpoint, **values), code=303)


def _attach_error(form: FlaskForm, error: DomainError) -> None:
    """Show a service's refusal next to the field it is about (or above the form)."""
    field = form._fields.get(error.field) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def _invalid_status(form: FlaskForm) -> int:
    return 400 if "csrf_token" in form.errors else 422


def _client_view(case: Case, person: Person) -> ClientView | None:
    """Ask the gate for the case's main client; None when the gate withholds everything."""
    try:
        return view_client(
            case.main_client,
            person,
            purpose="case_management",
            acting_agency_id=_acting(),
            context={"case_id": case.id},
        )
    except NotFound:
        return None


def _staff_choices(case: Case, role: StaffRole) -> list[SelectChoice]:
    choices: list[tuple[str, str]] = [("", "고르세요")]
    for agency_id in (case.owning_agency_id, case.lead_agency_id):
        agency = db.session.get(Agency, agency_id) if agency_id else None
        if agency is None:
            continue
        for membership in agency.memberships:
            if role in membership.role_set and membership.person.is_active:
                choices.append((str(membership.person_id), f"{membership.person.name} ({agency.name})"))
    return forms.pairs(choices)


def _agency_choices(case: Case) -> list[SelectChoice]:
    owner = db.session.get(Agency, case.owning_agency_id)
    agencies = owner.district.agencies if owner else []
    return forms.pairs(
        [("", "고르세요")]
        + [(str(a.id), a.name) for a in sorted(agencies, key=lambda a: a.name) if a.is_active]
    )


# --- caseload ----------------------------------------------------------------------------------


@bp.get("/")
@login_required
def caseload() -> ResponseReturnValue:
    """List the acting agency's cases with filters, deadline clocks and the caseload warning."""
    person = _person()
    acting = _acting()
    agency = db.session.get(Agency, acting) if acting else None
    if agency is None or not access.roles_for(person, acting):
        raise NotFound("사례 목록을 볼 수 있는 소속 기관이 없습니다.")
    form = forms.CaseloadFilterForm(formdata=request.args)
    form.dong.choices = forms.pairs([("", "모든 동")] + [(str(d.id), d.name) for d in agency.district.dongs])
    form.agency.choices = forms.pairs(
        [("", "모든 기관")]
        + [(str(a.id), a.name) for a in sorted(agency.district.agencies, key=lambda a: a.name)]
    )
    status = 200
    include_closed = request.args.get("closed") == "1"
    requested_page = page_arg()
    listing = queries.CaseloadPage([], 0, 1, queries.CASELOAD_PAGE_SIZE)
    if form.validate():
        filters = queries.CaseFilters(
            stage=CaseStage(form.stage.data) if form.stage.data else None,
            case_type=CaseType(form.case_type.data) if form.case_type.data else None,
            intensity=CaseIntensity(form.intensity.data) if form.intensity.data else None,
            dong_id=int(form.dong.data) if form.dong.data else None,
            agency_id=int(form.agency.data) if form.agency.data else None,
            overdue_only=bool(form.overdue.data),
            include_closed=include_closed,
        )
        listing = queries.list_caseload(
            agency,
            person_id=person.id,
            coordinator=access.is_coordinator_for(person, acting),
            filters=filters,
            today=today_local(),
            page=requested_page,
        )
    else:
        status = 400
    # Names come only from the gate, in one call for the page's main clients and without case records
    # (a list shows a name only); other agencies' rows carry facts and no name.
    main_clients = dict(
        db.session.execute(
            sa.select(Case.id, Case.main_client_id).where(Case.id.in_([row.case.id for row in listing.rows]))
        )
        .tuples()
        .all()
    )
    clients = (
        db.session.scalars(sa.select(Client).where(Client.id.in_(set(main_clients.values())))).all()
        if main_clients
        else []
    )
    try:
        views = view_clients(clients, person, purpose="case_management", acting_agency_id=acting)
    except NotFound:
        views = []
    client_names = {view.client_id: view.name for view in views}
    names: dict[int, str | None] = {
        case_id: client_names.get(client_id) for case_id, client_id in main_clients.items()
    }
    query: dict[str, Any] = {key: value for key, value in request.args.items() if key != "page"}
    page_urls = {
        number: url_for("cases.caseload", **query, page=number)
        for number in {
            *range(max(1, listing.page - 2), min(listing.pages, listing.page + 2) + 1),
            1,
            listing.pages,
        }
    }
    return render_template(
        "cases/caseload.html",
        form=form,
        rows=listing.rows,
        listing=listing,
        page_urls=dict(sorted(page_urls.items())),
        include_closed=include_closed,
        names=names,
        agency=agency,
        load=queries.caseload_of(person.id),
        limit=deadlines.INTENSIVE_CASELOAD_LIMIT,
        can_open=bool(access.roles_for(person, acting) & access.EDIT_ROLES),
        is_dong=agency.type == AgencyType.dong_centre,
        is_team=access.is_coordinator_for(person, acting),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_case() -> ResponseReturnValue:
    """Register a found or referred household (접수/발굴)."""
    person = _person()
    acting = _acting()
    agency = db.session.get(Agency, acting) if acting else None
    if agency is None or not access.roles_for(person, acting) & access.EDIT_ROLES:
        raise NotFound("사례를 접수할 수 있는 소속 기관이 없습니다.")
    form = forms.OpenCaseForm()
    if request.method == "GET":
        form.opened_on.data = today_local()
    if form.validate_on_submit():
        try:
            case = services.open_case(
                agency,
                services.ClientInput(
                    name=form.name.data or "",
                    sex=form.sex.data or None,
                    birth_date=form.birth_date.data,
                    phone=form.phone.data,
                    address=form.address.data,
                    rrn=form.rrn.data,
                    rrn_legal_basis=form.rrn_legal_basis.data,
                ),
                actor=person,
                opened_on=form.opened_on.data,
                intake_route=IntakeRoute(form.intake_route.data),
                referred_on=form.referred_on.data,
                referrer=form.referrer.data,
                household_type=form.household_type.data,
                case_worker_id=person.id
                if StaffRole.case_worker in access.roles_for(person, acting)
                else None,
            )
        except DomainError as error:
            db.session.rollback()
            _attach_error(form, error)
        else:
            flash(_("사례를 접수했습니다. 사례번호 %(number)s", number=case.number), "success")
            return _see_other("cases.show_case", case_id=case.id)
    status = 200 if request.method == "GET" else 422 if not form.errors.get("csrf_token") else 400
    return render_template(
        "cases/form.html",
        form=form,
        title=_("사례 접수 (발굴·의뢰)"),
        case=None,
        print_title="기본면접기록지 (필수서식1) — 대상자정보",
    ), status


# --- the case page -----------------------------------------------------------------------------


def _can_refer(person: Person, case: Case) -> bool:
    """Tell whether the case page offers "서비스 의뢰" (the referral form checks the same rule)."""
    from referrals.access import can_refer_from_case

    return not case.is_deleted and can_refer_from_case(person, case) is not None


def _case_context(case: Case, person: Person) -> dict[str, Any]:
    acting = _acting()
    view = _client_view(case, person)
    owner = db.session.get(Agency, case.owning_agency_id)
    clocks = deadlines.case_clocks(
        case, queries.profile_of(owner) if owner else deadlines.DEFAULT_PROFILE, today_local()
    )
    last = queries.last_contacts([case.id]).get(case.id)
    escalations = [
        e for e in queries.list_escalations(case.owning_agency_id, incoming=False) if e.case_id == case.id
    ]
    return {
        "case": case,
        "view": view,
        "groups": FIELD_GROUPS,
        "out_of_scope": OUT_OF_SCOPE,
        "owner": owner,
        "clocks": clocks,
        "next_contact": deadlines.next_contact_due(case.intensity, last, case.opened_on),
        "transitions": workflow.transitions_from(case.stage),
        "can_edit": access.can_on_case(person, case, "edit", agency_id=acting),
        "can_supervise": access.can_on_case(person, case, "supervise", agency_id=acting),
        "can_refer": _can_refer(person, case),
        "escalations": escalations,
        "transition_form": forms.TransitionForm(),
        "reviews": view.records("case_closure_reviews") if view else (),
        "people": {
            p.id: p.name
            for p in db.session.query(Person).filter(
                Person.id.in_({e.actor_id for e in case.events if e.actor_id})
            )
        },
    }


@bp.get("/<int:case_id>")
@login_required
def show_case(case_id: int) -> ResponseReturnValue:
    """Show the case as a timeline of stages, events and documents."""
    person = _person()
    case = access.get_case_for(person, case_id, "view")
    return render_template("cases/case.html", **_case_context(case, person))


@bp.get("/<int:case_id>/print")
@login_required
def print_case(case_id: int) -> ResponseReturnValue:
    """Print-friendly record of the case following the seed forms (needs client data: owning agency)."""
    person = _person()
    case = access.get_case_for(person, case_id, "edit")
    return render_template("cases/print.html", **_case_context(case, person))


@bp.post("/<int:case_id>/transition")
@login_required
def transition(case_id: int) -> ResponseReturnValue:
    """Move the case one step (or loop back) with the worker's reason."""
    person = _person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.TransitionForm()
    if not form.validate_on_submit():
        context = _case_context(case, person)
        context["transition_form"] = form
        return render_template("cases/case.html", **context), _invalid_status(form)
    try:
        services.transition_case(
            case,
            form.action.data or "",
            actor=person,
            agency_id=_acting(),
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
    return _see_other("cases.show_case", case_id=case.id)


def _stage_form(
    case_id: int,
    form_class: type[forms.CaseForm],
    title: str,
    print_title: str,
    save: Callable[[Case, Any, Person], Any],
    *,
    prepare: Callable[[Case, Any], None] | None = None,
    permission: access.CasePermission = "edit",
) -> ResponseReturnValue:
    """Render a stage's form, or save it through one service call and return to the case."""
    person = _person()
    case = access.get_case_for(person, case_id, permission)
    form = form_class()
    if prepare is not None:
        prepare(case, form)
    if request.method == "GET":
        for name in TODAY_FIELDS & set(form._fields):
            if form._fields[name].data is None:
                form._fields[name].data = today_local()
    elif form.validate_on_submit():
        try:
            save(case, form, person)
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, permission)
            _attach_error(form, error)
        else:
            flash(_("%(title)s%(eul)s 저장했습니다.", title=title, eul=particle(str(title), "을")), "success")
            return _see_other("cases.show_case", case_id=case.id)
    status = 200 if request.method == "GET" else _invalid_status(form) if form.errors else 422
    return render_template(
        "cases/form.html", form=form, title=title, case=case, print_title=print_title
    ), status


def _common(person: Person) -> dict[str, Any]:
    return {"actor": person, "agency_id": _acting()}


@bp.route("/<int:case_id>/intake", methods=["GET", "POST"])
@login_required
def intake(case_id: int) -> ResponseReturnValue:
    """초기상담 기록."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_intake(
            case,
            counselled_on=form.counselled_on.data,
            method=ContactMethod(form.method.data),
            main_complaint=form.main_complaint.data,
            facts=form.facts.data,
            worker_opinion=form.worker_opinion.data,
            is_urgent=form.is_urgent.data,
            collection_basis=form.collection_basis.data,
            statutory_basis=form.statutory_basis.data,
            **_common(person),
        )

    def prepare(case: Case, form: Any) -> None:
        consents = consent_basis.collection_consent_ids(case.main_client, today_local())
        if request.method == "GET" and consents:
            form.collection_basis.data = consent_basis.CollectionBasis.consent.value
        form.derived_notes = [
            (
                _("기록된 개인정보 수집·이용 동의"),
                _("%(count)s건 (효력 있음)", count=len(consents)) if consents else _("없음"),
            )
        ]

    return _stage_form(
        case_id, forms.IntakeForm, _("초기상담 기록"), "기본면접기록지 (필수서식1)", save, prepare=prepare
    )


@bp.route("/<int:case_id>/needs", methods=["GET", "POST"])
@login_required
def needs(case_id: int) -> ResponseReturnValue:
    """욕구사정 (요구와 욕구를 나누어)."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.add_need(
            case,
            domain=NeedDomain(form.domain.data),
            phenomenon=form.phenomenon.data,
            cause=form.cause.data,
            risk_level=RiskLevel(form.risk_level.data),
            client_words=form.client_words.data,
            need_statement=form.need_statement.data,
            priority=form.priority.data,
            **_common(person),
        )

    return _stage_form(case_id, forms.NeedForm, _("욕구사정"), "자활사정지 (필수서식3) — 욕구영역", save)


@bp.route("/<int:case_id>/crisis", methods=["GET", "POST"])
@login_required
def crisis(case_id: int) -> ResponseReturnValue:
    """위기도 조사."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.rate_crisis(
            case,
            rated_on=form.rated_on.data,
            level=RiskLevel(form.level.data),
            life_safety=form.life_safety.data,
            notes=form.notes.data,
            **_common(person),
        )

    return _stage_form(case_id, forms.CrisisForm, _("위기도 조사"), "위기도 조사표", save)


@bp.route("/<int:case_id>/selection", methods=["GET", "POST"])
@login_required
def selection(case_id: int) -> ResponseReturnValue:
    """선정 결과."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_selection(
            case,
            decided_on=form.decided_on.data,
            outcome=SelectionOutcome(form.outcome.data),
            reason=form.reason.data,
            alternative_services=form.alternative_services.data,
            **_common(person),
        )

    return _stage_form(case_id, forms.SelectionForm, _("선정 결과"), "클라이언트 선정", save)


@bp.route("/<int:case_id>/classify", methods=["GET", "POST"])
@login_required
def classify(case_id: int) -> ResponseReturnValue:
    """사례 유형과 개입 강도."""

    def prepare(case: Case, form: Any) -> None:
        if request.method == "GET":
            form.case_type.data, form.intensity.data = case.case_type.value, case.intensity.value

    def save(case: Case, form: Any, person: Person) -> None:
        services.classify_case(
            case,
            case_type=CaseType(form.case_type.data),
            intensity=CaseIntensity(form.intensity.data),
            **_common(person),
        )

    return _stage_form(case_id, forms.ClassifyForm, _("유형 분류"), "사례 유형 분류", save, prepare=prepare)


@bp.route("/<int:case_id>/plan", methods=["GET", "POST"])
@login_required
def plan(case_id: int) -> ResponseReturnValue:
    """서비스제공계획 (ISP)."""

    def prepare(case: Case, form: Any) -> None:
        form.service_provider.choices = _agency_choices(case)

    def save(case: Case, form: Any, person: Person) -> None:
        goals = [
            services.GoalInput(
                NeedDomain(form.long_domain.data),
                GoalTerm.long,
                form.long_statement.data or "",
                form.long_target_on.data,
            )
        ]
        if form.short_domain.data or (form.short_statement.data or "").strip():
            if not form.short_domain.data:
                raise services.ValidationFailed("단기목표의 욕구영역을 골라 주세요.", field="short_domain")
            goals.append(
                services.GoalInput(
                    NeedDomain(form.short_domain.data),
                    GoalTerm.short,
                    form.short_statement.data or "",
                    form.short_target_on.data,
                )
            )
        service = services.ServiceInput(
            name=form.service_name.data or "",
            quantity=form.service_quantity.data or "",
            duration_months=form.service_duration.data or 0,
            intensity=form.service_intensity.data or "",
            provider_agency_id=int(form.service_provider.data) if form.service_provider.data else None,
            provider_name=form.service_provider_name.data,
        )
        try:
            services.create_plan(
                case,
                horizon_months=int(form.horizon_months.data),
                client_role=form.client_role.data,
                family_role=form.family_role.data,
                goals=goals,
                services=[service],
                agreed_on=form.agreed_on.data,
                **_common(person),
            )
        except DomainError as error:
            # Map the service's row-indexed field names onto this form's fields.
            names = {
                "goals-0-target_on": "long_target_on",
                "goals-1-target_on": "short_target_on",
                "goals-0-statement": "long_statement",
                "goals-1-statement": "short_statement",
                "services-0-provider": "service_provider",
                "services-0-duration_months": "service_duration",
                "services-0-name": "service_name",
                "case_worker_id": None,
            }
            if error.field in names:
                error.field = names[error.field]
            raise

    return _stage_form(
        case_id,
        forms.PlanForm,
        _("서비스제공계획"),
        "개인별 지원 계획 ISP (필수서식5)",
        save,
        prepare=prepare,
    )


@bp.route("/<int:case_id>/logs", methods=["GET", "POST"])
@login_required
def logs(case_id: int) -> ResponseReturnValue:
    """상담일지 (네 가지 점검 경로)."""

    def save(case: Case, form: Any, person: Person) -> None:
        _log, action = services.add_counselling_log(
            case,
            contacted_on=form.contacted_on.data,
            channel=MonitoringChannel(form.channel.data),
            method=ContactMethod(form.method.data),
            minutes=form.minutes.data or 0,
            content=form.content.data,
            worker_opinion=form.worker_opinion.data,
            finding=MonitoringFinding(form.finding.data),
            **_common(person),
        )
        if action.value != "none":
            flash(
                _(
                    "점검 결과에 따라 '%(action)s'%(i_ga)s 필요합니다.",
                    action=action.label,
                    i_ga=particle(str(action.label), "이"),
                ),
                "info",
            )

    return _stage_form(case_id, forms.LogForm, _("상담일지"), "상담일지 (필수서식7)", save)


@bp.route("/<int:case_id>/closure-review", methods=["GET", "POST"])
@login_required
def closure_review(case_id: int) -> ResponseReturnValue:
    """종결심사회의 (활용서식10)."""

    def prepare(case: Case, form: Any) -> None:
        form.supervisor_id.choices = _staff_choices(case, StaffRole.supervisor)

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
            **_common(person),
        )

    return _stage_form(
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
    person = _person()
    case = access.get_case_for(person, case_id, "supervise")
    review = db.session.get(ClosureReview, review_id)
    if review is None or review.case_id != case.id or not FlaskForm().validate_on_submit():
        abort(404 if review is None or review.case_id != case.id else 400)
    services.approve_closure(review, actor=person, agency_id=_acting())
    flash(_("종결을 승인했습니다."), "success")
    return _see_other("cases.show_case", case_id=case.id)


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
            **_common(person),
        )

    return _stage_form(
        case_id, forms.FollowUpPlanForm, _("사후관리 계획"), "사후관리 계획서 (활용서식12)", save
    )


@bp.route("/<int:case_id>/follow-up/outcome", methods=["GET", "POST"])
@login_required
def follow_up_outcome(case_id: int) -> ResponseReturnValue:
    """사후관리 결과: 재개입 / 타기관 의뢰 / 종결확정."""

    def prepare(case: Case, form: Any) -> None:
        form.referred_agency_id.choices = _agency_choices(case)

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_follow_up_outcome(
            case,
            outcome=FollowUpOutcome(form.outcome.data),
            outcome_on=form.outcome_on.data,
            note=form.note.data,
            referred_agency_id=int(form.referred_agency_id.data) if form.referred_agency_id.data else None,
            **_common(person),
        )

    return _stage_form(
        case_id, forms.FollowUpOutcomeForm, _("사후관리 결과"), "사후관리 결과", save, prepare=prepare
    )


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
            **_common(person),
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

    return _stage_form(
        case_id, forms.EscalationForm, _("구청 의뢰"), "통합사례관리 의뢰서", save, prepare=prepare
    )


@bp.route("/<int:case_id>/members", methods=["GET", "POST"])
@login_required
def members(case_id: int) -> ResponseReturnValue:
    """가구원 추가 (가족사항)."""

    def save(case: Case, form: Any, person: Person) -> None:
        services.add_household_member(
            case,
            services.ClientInput(
                name=form.name.data or "",
                sex=form.sex.data or None,
                birth_date=form.birth_date.data,
                phone=form.phone.data,
                relationship_to_head=form.relationship_to_head.data,
            ),
            **_common(person),
        )

    return _stage_form(
        case_id, forms.MemberForm, _("가구원 추가"), "기본면접기록지 (필수서식1) — 가족사항", save
    )


@bp.route("/<int:case_id>/main-client", methods=["GET", "POST"])
@login_required
def main_client(case_id: int) -> ResponseReturnValue:
    """주요 클라이언트 선정."""

    def prepare(case: Case, form: Any) -> None:
        view = _client_view(case, _person())
        choices = [("", "고르세요")]
        for position, member in enumerate(case.household.members, start=1):
            # Members are named through the gate too; a withheld name shows only its place in the household.
            label = f"가구원 {position}"
            if view is not None:
                with contextlib.suppress(NotFound):
                    label = view_client(
                        member, _person(), purpose="case_management", acting_agency_id=_acting()
                    ).name
            choices.append((str(member.id), label))
        form.client_id.choices = forms.pairs(choices)

    def save(case: Case, form: Any, person: Person) -> None:
        client = next((m for m in case.household.members if str(m.id) == form.client_id.data), None)
        if client is None:
            raise services.ValidationFailed("이 가구의 구성원을 골라 주세요.", field="client_id")
        services.choose_main_client(case, client, reason=form.reason.data or "", **_common(person))

    return _stage_form(
        case_id,
        forms.MainClientForm,
        _("주요 클라이언트 선정"),
        "주요 클라이언트 선정",
        save,
        prepare=prepare,
    )


def _service_choices(case: Case) -> list[SelectChoice]:
    view = _client_view(case, _person())
    choices = [("", "고르세요")]
    for plan in view.records("case_service_plans") if view else ():
        for service in plan["services"]:
            choices.append((str(service["id"]), f"v{plan['version']} · {service['name']}"))
    return forms.pairs(choices)


def _plan_service(case: Case, value: str | None) -> services.PlanService:
    service_id = parse_id(value)
    service = db.session.get(services.PlanService, service_id) if service_id is not None else None
    if service is None or service.plan.case_id != case.id:
        raise services.ValidationFailed("이 사례의 계획에 있는 서비스를 골라 주세요.", field="service_id")
    return service


@bp.route("/<int:case_id>/service-checks", methods=["GET", "POST"])
@login_required
def service_check(case_id: int) -> ResponseReturnValue:
    """서비스 점검 (충분성·적절성·효율성)."""

    def prepare(case: Case, form: Any) -> None:
        form.service_id.choices = _service_choices(case)

    def save(case: Case, form: Any, person: Person) -> None:
        services.add_service_check(
            case,
            _plan_service(case, form.service_id.data),
            checked_on=form.checked_on.data,
            sufficiency=int(form.sufficiency.data),
            appropriateness=int(form.appropriateness.data),
            efficiency=int(form.efficiency.data),
            note=form.note.data,
            **_common(person),
        )

    return _stage_form(
        case_id, forms.ServiceCheckForm, _("서비스 점검"), "서비스 점검표", save, prepare=prepare
    )


@bp.route("/<int:case_id>/service-results", methods=["GET", "POST"])
@login_required
def service_result(case_id: int) -> ResponseReturnValue:
    """계획한 개입의 결과 기록."""

    def prepare(case: Case, form: Any) -> None:
        form.service_id.choices = _service_choices(case)

    def save(case: Case, form: Any, person: Person) -> None:
        services.record_service_result(
            _plan_service(case, form.service_id.data),
            result=form.result.data or "",
            result_on=form.result_on.data,
            **_common(person),
        )

    return _stage_form(
        case_id, forms.ServiceResultForm, _("개입 결과"), "과정기록지 (필수서식8)", save, prepare=prepare
    )


@bp.route("/<int:case_id>/capacity", methods=["GET", "POST"])
@login_required
def capacity(case_id: int) -> ResponseReturnValue:
    """자활역량평가표 (활용서식1): the total and group are computed."""
    from cases.scores import CAPACITY_ITEMS

    def save(case: Case, form: Any, person: Person) -> None:
        record = services.record_capacity_assessment(
            case,
            assessed_on=form.assessed_on.data,
            answers={code: form[code].data for code in CAPACITY_ITEMS},
            worker_will=int(form.worker_will.data),
            worker_employability=int(form.worker_employability.data),
            supervisor_adjustment=form.supervisor_adjustment.data or 0,
            **_common(person),
        )
        flash(_("자활역량 점수 %(total)s점, %(group)s그룹", total=record.total, group=record.group), "info")

    return _stage_form(
        case_id, forms.capacity_form_class(), _("자활역량평가표"), "자활역량 평가표 (활용서식1)", save
    )


@bp.route("/<int:case_id>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(case_id: int) -> ResponseReturnValue:
    """사례관리 평가서 (활용서식9): averages computed; ≥ 8 suggests a closure review."""
    from cases.scores import CLOSURE_REVIEW_THRESHOLD, EvaluationRow

    def save(case: Case, form: Any, person: Person) -> None:
        rows = [
            EvaluationRow(
                f"목표 {n}",
                form[f"goal{n}"].data.strip(),
                int(form[f"participant{n}"].data),
                int(form[f"worker{n}"].data),
                int(form[f"external{n}"].data),
                int(form[f"achievement{n}"].data),
            )
            for n in range(1, 4)
            if (form[f"goal{n}"].data or "").strip()
        ]
        record = services.record_evaluation(
            case,
            evaluated_on=form.evaluated_on.data,
            rows=rows,
            worker_opinion=form.worker_opinion.data,
            **_common(person),
        )
        flash(_("평균 달성도 %(average)s점", average=record.average_achievement), "info")
        if record.average_achievement >= CLOSURE_REVIEW_THRESHOLD:
            flash(_("평균 달성도가 8점 이상입니다. 종결심사를 검토하세요."), "info")

    return _stage_form(
        case_id, forms.evaluation_form_class(), _("사례관리 평가"), "사례관리 평가서 (활용서식9)", save
    )


# --- attachments -------------------------------------------------------------------------------


@bp.route("/<int:case_id>/attachments", methods=["GET", "POST"])
@login_required
def attachments(case_id: int) -> ResponseReturnValue:
    """Upload a genogram, eco-map or scanned form."""
    person = _person()
    case = access.get_case_for(person, case_id, "edit")
    form = forms.AttachmentForm()
    status = 200
    if form.validate_on_submit():
        upload = form.file.data
        try:
            if upload is None or not getattr(upload, "filename", ""):
                raise services.ValidationFailed("올릴 파일을 골라 주세요.", field="file")
            services.add_attachment(
                case,
                kind=AttachmentKind(form.kind.data),
                filename=upload.filename,
                content_type=upload.mimetype or "",
                data=upload.read(services.MAX_ATTACHMENT_BYTES + 1),
                **_common(person),
            )
        except DomainError as error:
            db.session.rollback()
            case = access.get_case_for(person, case_id, "edit")
            _attach_error(form, error)
            status = error.status_code
        else:
            flash(_("파일을 올렸습니다."), "success")
            return _see_other("cases.show_case", case_id=case.id)
    elif request.method == "POST":
        status = _invalid_status(form)
    return render_template("cases/attachment_form.html", form=form, case=case), status


@bp.get("/<int:case_id>/attachments/<int:attachment_id>")
@login_required
def download_attachment(case_id: int, attachment_id: int) -> ResponseReturnValue:
    """Serve a stored file only to those the gate lets see the case's needs records."""
    person = _person()
    case = access.get_case_for(person, case_id, "view")
    view = _client_view(case, person)
    # The file's record comes from the gate's view (needs group): outside it the file does not exist.
    records = view.records("case_attachments") if view is not None and view.can_see("needs") else ()
    attachment = next((row for row in records if row["id"] == attachment_id), None)
    if attachment is None:
        raise NotFound("파일을 찾을 수 없습니다.")
    path = services.attachment_folder() / attachment["storage_key"]
    if not path.is_file():
        raise NotFound("파일을 찾을 수 없습니다.")
    return send_file(
        path,
        mimetype=attachment["content_type"],
        as_attachment=True,
        download_name=attachment["filename"],
        max_age=0,
    )


# --- dong meeting and escalations -------------------------------------------------------------


@bp.route("/dong-meetings/new", methods=["GET", "POST"])
@login_required
def dong_meeting() -> ResponseReturnValue:
    """내부판정회의: a decision per assessed household, 구청 의뢰 sending an escalation."""
    person = _person()
    acting = _acting()
    agency = db.session.get(Agency, acting) if acting else None
    if (
        agency is None
        or agency.type != AgencyType.dong_centre
        or not access.roles_for(person, acting) & access.EDIT_ROLES
    ):
        raise NotFound("내부판정회의는 동 주민센터 직원이 기록합니다.")
    cases = queries.cases_awaiting_judgment(agency.id)
    form = forms.DongMeetingForm()
    if request.method == "GET":
        form.held_on.data = today_local()
    errors: dict[str, str] = {}
    status = 200
    if form.validate_on_submit():
        decisions = []
        for case in cases:
            outcome = request.form.get(f"decision-{case.id}", "")
            if not outcome:
                continue
            try:
                chosen = SelectionOutcome(outcome)
                urgency = EscalationUrgency(request.form.get(f"urgency-{case.id}", "normal"))
            except ValueError:
                errors[f"decision-{case.id}"] = "목록에서 골라 주세요."
                continue
            decisions.append(
                services.MeetingDecisionInput(
                    case.id,
                    chosen,
                    request.form.get(f"reason-{case.id}", ""),
                    alternative_services=request.form.get(f"alternatives-{case.id}"),
                    urgency=urgency,
                    tried=request.form.get(f"tried-{case.id}"),
                )
            )
        if not errors:
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
                if error.field and error.field.startswith("decisions-"):
                    parts = error.field.split("-")
                    index = int(parts[1])
                    key = parts[2] if len(parts) > 2 else "decision"
                    target = decisions[index].case_id if index < len(decisions) else 0
                    errors[f"{key}-{target}"] = error.message
                elif error.field in form._fields:
                    _attach_error(form, error)
                else:
                    form.form_errors.append(error.message)
                status = error.status_code
            else:
                flash(
                    _("내부판정회의 결과 %(count)s건을 기록했습니다.", count=len(meeting.decisions)),
                    "success",
                )
                return _see_other("cases.escalations")
        else:
            status = 422
    elif request.method == "POST":
        status = _invalid_status(form)
    names = {}
    for case in cases:
        view = _client_view(case, person)
        names[case.id] = view.name if view else None
    return render_template(
        "cases/dong_meeting.html",
        form=form,
        cases=cases,
        names=names,
        errors=errors,
        values=request.form,
        outcomes=list(SelectionOutcome),
        urgencies=list(EscalationUrgency),
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
    person = _person()
    acting = _acting()
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
    person = _person()
    acting = _acting()
    item = access.get_escalation_for(person, escalation_id)
    is_receiver = acting == item.to_agency_id
    accept_form = forms.AcceptEscalationForm(prefix="accept")
    return_form = forms.ReturnEscalationForm(prefix="return")
    status = 200
    if request.method == "POST":
        if not is_receiver or item.status != EscalationStatus.submitted:
            abort(409 if is_receiver else 403)
        chosen = accept_form if "accept-placement" in request.form else return_form
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
                _attach_error(chosen, error)
                status = error.status_code
            else:
                flash(_("의뢰를 처리했습니다: %(status)s", status=item.status.label), "success")
                return _see_other("cases.escalation", escalation_id=item.id)
        else:
            status = _invalid_status(chosen)
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


def _dong_names() -> dict[int, str]:
    return {dong.id: dong.name for dong in db.session.query(Dong)}


@bp.app_template_filter("case_date")
def case_date(value: date | None) -> str:
    """Render a local date as YYYY-MM-DD (empty when missing)."""
    return value.isoformat() if value else ""


@bp.app_context_processor
def case_labels() -> dict[str, Any]:
    """Expose the enums' labels and the dong names to the case templates."""
    return {"CaseStage": CaseStage, "MonitoringFinding": MonitoringFinding, "dong_names": _dong_names}
