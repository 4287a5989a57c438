"""The case fund's pages: overview and queue, budgets and the cap, a request, its 결재 and spend."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.access import active_memberships
from agencies.models import Agency, District, Person, StaffRole
from agencies.sessions import current_actor, login_required, signed_in_person
from cases.access import get_case_for
from cases.models import Case, PlanGoal, ServicePlan
from funds import access, forms, queries, services
from funds.models import PENDING_STATUSES, FundRequest, FundRequestStatus, won
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError
from hamkke.paging import read_list_form
from hamkke.time import to_local, today_local

bp = Blueprint("funds", __name__, url_prefix="/funds")

#: the list filter's values and the states each shows
LIST_FILTERS: dict[str, frozenset[FundRequestStatus]] = {
    "pending": PENDING_STATUSES,
    "approved": frozenset({FundRequestStatus.approved}),
    "spent": frozenset({FundRequestStatus.spent}),
    "returned": frozenset({FundRequestStatus.returned}),
}


@bp.app_template_filter("won")
def won_filter(amount: int | None) -> str:
    """Show an integer amount as ₩123,000."""
    return won(amount)


@bp.app_template_filter("seoul_time")
def seoul_time(value: datetime | None) -> str:
    """Show a stored UTC instant in Seoul time (YYYY-MM-DD HH:MM)."""
    return "" if value is None else f"{to_local(value):%Y-%m-%d %H:%M}"


def quarter_of(month: int) -> int:
    """Return the quarter (1–4) of a month."""
    return (month - 1) // 3 + 1


def decision_queue(person: Person) -> list[FundRequest]:
    """Return the requests waiting for the person's 결재 (team lead: 동, coordinator: 구)."""
    dong_agencies = {
        m.agency_id
        for m in active_memberships(person)
        if StaffRole.supervisor in m.role_set and access.is_dong_centre(m.agency)
    }
    districts = {
        m.agency.district_id
        for m in active_memberships(person)
        if StaffRole.coordinator in m.role_set and m.agency.type.value == "district_team"
    }
    return queries.awaiting_decision(dong_agency_ids=dong_agencies, district_ids=districts)


def _case_numbers(rows: list[FundRequest]) -> dict[int, str]:
    """Return the case number of each request's case (numbers only: the fund pages name no client)."""
    ids = {row.case_id for row in rows}
    if not ids:
        return {}
    cases = db.session.scalars(sa.select(Case).where(Case.id.in_(ids))).all()
    return {case.id: case.number for case in cases}


@bp.get("/")
@login_required
def index() -> ResponseReturnValue:
    """The fund of the viewer's district or dong: this quarter's figures, the 결재 queue, the requests."""
    person, agency = current_actor()
    scope = access.require_scope(person, agency)
    district = db.session.get(District, scope.district_id)
    assert district is not None  # noqa: S101 -- an agency's district always exists
    today = today_local()
    form = forms.FundListForm(formdata=request.args)
    reset = read_list_form(form)
    listing = queries.requests_page(
        district_id=district.id,
        agency_id=agency.id if scope.kind == "dong" else None,
        statuses=LIST_FILTERS.get(form.status.data or ""),
        page=request.args.get("page", 1, type=int) or 1,
    )
    queue = decision_queue(person)
    start, end = queries.quarter_bounds(today.year, quarter_of(today.month))
    panel = queries.fund_panel(district, today.year, start, end, dong_id=scope.dong_id)
    return render_template(
        "funds/index.html",
        scope=scope,
        district=district,
        panel=panel,
        quarter=quarter_of(today.month),
        year=today.year,
        queue=queue,
        listing=listing,
        numbers=_case_numbers([*queue, *listing.items]),
        form=form,
        reset=reset,
        cap=queries.household_cap(district),
    )


def _budget_form(district: District, year: int, data: Any = None) -> forms.BudgetForm:
    form = forms.BudgetForm(formdata=data)
    form.dong.choices = forms.pairs(
        [("", _("구 자체 (운영비 등)")), *((str(d.id), d.name) for d in district.dongs)]
    )
    if data is None:
        form.fiscal_year.data = year
        form.national_share.data, form.city_share.data, form.district_share.data = 50, 25, 25
    return form


def _budgets_page(district: District, year: int, budget_form: Any, cap_form: Any, status: int = 200) -> Any:
    budgets = queries.budgets_of(district.id, year)
    held = {b.dong_id: queries.dong_held(b.dong_id, year) for b in budgets if b.dong_id is not None}
    return (
        render_template(
            "funds/budgets.html",
            district=district,
            year=year,
            budgets=budgets,
            held=held,
            budget_form=budget_form,
            cap_form=cap_form,
            cap=queries.household_cap(district),
        ),
        status,
    )


@bp.route("/budgets", methods=["GET", "POST"])
@login_required
def budgets() -> ResponseReturnValue:
    """The district's budgets of a year (the coordinator sets them) and the per-household cap."""
    person, agency = current_actor()
    scope = access.require_scope(person, agency)
    access.require_coordinator(person, scope.district_id)
    district = db.session.get(District, scope.district_id)
    assert district is not None  # noqa: S101 -- an agency's district always exists
    year = request.args.get("year", today_local().year, type=int) or today_local().year
    # Not read from this post (it is the budget form's): the cap form shows the stored cap.
    cap_form = forms.CapForm(formdata=None, cap=queries.household_cap(district))
    if request.method != "POST":
        return _budgets_page(district, year, _budget_form(district, year), cap_form)
    form = _budget_form(district, year, request.form)
    if not form.validate_on_submit():
        return _budgets_page(district, year, form, cap_form, invalid_form_status(form))
    try:
        services.save_budget(
            district,
            actor=person,
            agency_id=agency.id,
            dong_id=int(form.dong.data) if form.dong.data else None,
            fiscal_year=int(form.fiscal_year.data or 0),
            operating_amount=int(form.operating_amount.data or 0),
            project_amount=int(form.project_amount.data or 0),
            national_share=int(form.national_share.data or 0),
            city_share=int(form.city_share.data or 0),
            district_share=int(form.district_share.data or 0),
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        district = db.session.get(District, scope.district_id)
        assert district is not None  # noqa: S101 -- reloaded after the rollback
        return _budgets_page(district, year, form, cap_form, error.status_code)
    flash(_("예산을 저장했습니다."), "success")
    return see_other("funds.budgets", year=form.fiscal_year.data)


@bp.post("/cap")
@login_required
def set_cap() -> ResponseReturnValue:
    """Set the district's per-household yearly cap."""
    person, agency = current_actor()
    scope = access.require_scope(person, agency)
    district = db.session.get(District, scope.district_id)
    assert district is not None  # noqa: S101 -- an agency's district always exists
    year = today_local().year
    form = forms.CapForm()
    if form.validate_on_submit():
        try:
            services.set_household_cap(
                district, actor=person, agency_id=agency.id, cap=int(form.cap.data or 0)
            )
        except DomainError as error:
            db.session.rollback()
            attach_error(form, error)
            district = db.session.get(District, scope.district_id)
            assert district is not None  # noqa: S101 -- reloaded after the rollback
            return _budgets_page(district, year, _budget_form(district, year), form, error.status_code)
        flash(_("가구당 한도를 저장했습니다."), "success")
        return see_other("funds.budgets")
    access.require_coordinator(person, district.id)
    return _budgets_page(district, year, _budget_form(district, year), form, invalid_form_status(form))


def _goal_choices(case: Case) -> list[tuple[str, str]]:
    """The case's plan goals by domain, term and target day (the goal's text stays behind the gate)."""
    goals = db.session.scalars(
        sa.select(PlanGoal)
        .join(ServicePlan, ServicePlan.id == PlanGoal.plan_id)
        .where(ServicePlan.case_id == case.id)
        .order_by(ServicePlan.version.desc(), PlanGoal.id)
    ).all()
    options = [("", _("고르지 않음"))]
    for goal in goals:
        options.append(
            (str(goal.id), f"{_goal_area(goal)} · {goal.term.label} ({goal.target_on:%Y-%m-%d}까지)")
        )
    return options


def _goal_area(goal: PlanGoal) -> str:
    """Name the goal's area: its need domain (seed 001) or its 근로/복지 support domain (seed 000)."""
    area = goal.domain or goal.support_domain
    return area.label if area is not None else ""


def _request_page(case: Case, agency: Agency, form: forms.RequestForm, status: int = 200) -> Any:
    district = agency.district
    year = today_local().year
    cap = queries.household_cap(district)
    held = queries.household_held(case.household_id, year)
    budget = queries.dong_budget(district.id, agency.dong_id or 0, year)
    dong_left = budget.project_amount - queries.dong_held(budget.dong_id or 0, year) if budget else None
    return (
        render_template(
            "funds/request_form.html",
            case=case,
            form=form,
            cap=cap,
            household_left=max(cap - held, 0),
            dong_left=dong_left,
            year=year,
        ),
        status,
    )


def _item_lines(form: forms.RequestForm) -> list[tuple[str, int]]:
    """The filled lines of the form (a line with neither text nor amount is left out)."""
    lines = []
    for entry in form.items.entries:
        description, amount = entry.form.description.data or "", entry.form.amount.data
        if description.strip() or amount is not None:
            lines.append((description, amount if amount is not None else 0))
    return lines


@bp.route("/cases/<int:case_id>/request", methods=["GET", "POST"])
@login_required
def new_request(case_id: int) -> ResponseReturnValue:
    """Ask for 사례사업비 for a case's household (dong centre staff)."""
    person, agency = current_actor()
    case = get_case_for(person, case_id, "edit")
    access.requesting_centre(person, agency, case)
    form = forms.RequestForm()
    form.plan_goal.choices = forms.pairs(_goal_choices(case))
    if not form.validate_on_submit():
        return _request_page(
            case, agency, form, invalid_form_status(form) if request.method == "POST" else 200
        )
    upload = form.evidence.data
    evidence = None
    if upload is not None and upload.filename:
        evidence = services.Evidence(upload.filename, upload.mimetype or "", upload.read(5 * 1024 * 1024 + 1))
    try:
        created = services.request_fund(
            case,
            actor=person,
            agency=agency,
            purpose=services.FundPurpose(form.purpose.data),
            payee_kind=services.PayeeKind(form.payee_kind.data),
            items=_item_lines(form),
            plan_goal_id=int(form.plan_goal.data) if form.plan_goal.data else None,
            evidence=evidence,
        )
    except DomainError as error:
        db.session.rollback()
        person, agency = current_actor()
        case = get_case_for(person, case_id, "edit")
        attach_error(form, error, aliases={"items": "", "file": "evidence"})
        return _request_page(case, agency, form, error.status_code)
    flash(_("사업비를 신청했습니다. 동 팀장의 결재를 기다립니다."), "success")
    return see_other("funds.show_request", request_id=created.id)


def _detail(fund_request: FundRequest, person: Person, *, decision: Any = None, spend: Any = None) -> str:
    people = {
        p.id: p.name
        for p in db.session.scalars(
            sa.select(Person).where(
                Person.id.in_(
                    {
                        fund_request.requested_by_id,
                        fund_request.dong_decided_by_id or 0,
                        fund_request.district_decided_by_id or 0,
                        fund_request.spent_by_id or 0,
                    }
                )
            )
        )
    }
    can_decide = (
        fund_request.status == FundRequestStatus.requested and access.can_decide_dong(person, fund_request)
    ) or (
        fund_request.status == FundRequestStatus.dong_approved
        and access.can_decide_district(person, fund_request)
    )
    can_spend = fund_request.status == FundRequestStatus.approved and access.can_record_spend(
        person, fund_request
    )
    return render_template(
        "funds/request.html",
        item=fund_request,
        case_number=_case_numbers([fund_request]).get(fund_request.case_id, ""),
        people=people,
        decision=decision if decision is not None else (forms.DecisionForm() if can_decide else None),
        spend=spend if spend is not None else (forms.SpendForm() if can_spend else None),
    )


@bp.get("/requests/<int:request_id>")
@login_required
def show_request(request_id: int) -> ResponseReturnValue:
    """A request: its items, evidence, the 결재 line, and the forms of whoever acts next."""
    person = signed_in_person()
    return _detail(access.get_request_for(person, request_id), person)


@bp.post("/requests/<int:request_id>/decide")
@login_required
def decide(request_id: int) -> ResponseReturnValue:
    """Approve or return the request at the step it waits for (동 내부결재, then 구)."""
    person, agency = current_actor()
    fund_request = access.get_request_for(person, request_id)
    form = forms.DecisionForm()
    if not form.validate_on_submit():
        return _detail(fund_request, person, decision=form), invalid_form_status(form)
    step: services.Step = "dong" if fund_request.status == FundRequestStatus.requested else "district"
    try:
        services.decide(
            fund_request,
            actor=person,
            agency_id=agency.id,
            step=step,
            approve=form.decision.data == "approve",
            reason=form.reason.data,
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error, aliases={"reason": "reason"})
        fund_request = access.get_request_for(person, request_id)
        return _detail(fund_request, person, decision=form), error.status_code
    flash(_("결재를 기록했습니다."), "success")
    return see_other("funds.show_request", request_id=request_id)


@bp.post("/requests/<int:request_id>/spend")
@login_required
def spend(request_id: int) -> ResponseReturnValue:
    """Record the spend of an approved request (day and amount paid)."""
    person, agency = current_actor()
    fund_request = access.get_request_for(person, request_id)
    form = forms.SpendForm()
    if not form.validate_on_submit():
        return _detail(fund_request, person, spend=form), invalid_form_status(form)
    try:
        services.record_spend(
            fund_request,
            actor=person,
            agency_id=agency.id,
            spent_on=form.spent_on.data,
            amount=int(form.amount.data or 0),
        )
    except DomainError as error:
        db.session.rollback()
        attach_error(form, error)
        fund_request = access.get_request_for(person, request_id)
        return _detail(fund_request, person, spend=form), error.status_code
    flash(_("집행을 기록했습니다."), "success")
    return see_other("funds.show_request", request_id=request_id)
