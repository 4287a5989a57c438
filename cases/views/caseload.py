"""The caseload list and registering a new case (접수/발굴)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Agency, AgencyType, Person, StaffRole
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import access, deadlines, forms, queries, services
from cases.models import (
    Case,
    CaseIntensity,
    CaseStage,
    CaseType,
    Client,
    HouseholdComposition,
    HouseholdProblemType,
    IntakeRoute,
)
from cases.views.common import bp
from consents.gate import view_clients
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound
from hamkke.paging import Page
from hamkke.time import today_local
from hamkke.web import page_arg


@bp.get("/")
@login_required
def caseload() -> ResponseReturnValue:
    """List the acting agency's cases with filters, deadline clocks and the caseload warning."""
    person = signed_in_person()
    acting = acting_agency_id()
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
    listing: Page[queries.CaseRow] = Page([], 0, 1, queries.CASELOAD_PAGE_SIZE)
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
    names = _main_client_names(listing, person, acting)
    return render_template(
        "cases/caseload.html",
        form=form,
        rows=listing.rows,
        listing=listing,
        include_closed=include_closed,
        names=names,
        agency=agency,
        load=queries.caseload_of(person.id),
        limit=deadlines.INTENSIVE_CASELOAD_LIMIT,
        can_open=bool(access.roles_for(person, acting) & access.EDIT_ROLES),
        is_dong=agency.type == AgencyType.dong_centre,
        is_team=access.is_coordinator_for(person, acting),
    ), status


def _main_client_names(
    listing: Page[queries.CaseRow], person: Person, acting: int | None
) -> dict[int, str | None]:
    """Name each listed case's main client as the gate allows (None where it withholds the name)."""
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
    return names


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_case() -> ResponseReturnValue:
    """Register a found or referred household (접수/발굴)."""
    person = signed_in_person()
    acting = acting_agency_id()
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
                problem_type=HouseholdProblemType(form.problem_type.data) if form.problem_type.data else None,
                composition_type=HouseholdComposition(form.composition_type.data)
                if form.composition_type.data
                else None,
                case_worker_id=person.id
                if StaffRole.case_worker in access.roles_for(person, acting)
                else None,
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
        else:
            flash(_("사례를 접수했습니다. 사례번호 %(number)s", number=case.number), "success")
            # The 중복 서비스 확인 runs once the client is saved (issue 17): its answer is the next page.
            return see_other("cases.other_services", case_id=case.id, after_intake=1)
    status = 200 if request.method == "GET" else invalid_form_status(form)
    return render_template(
        "cases/form.html",
        form=form,
        title=_("사례 접수 (발굴·의뢰)"),
        case=None,
        print_title="사례 접수 — 대상자 기본정보",
    ), status
