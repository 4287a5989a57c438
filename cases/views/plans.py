"""The plans' pages: the ISP of both manuals, the IAP, 실행점검, versions with their changes, proposals."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import flash, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Agency, AgencyType, Person
from agencies.sessions import login_required, signed_in_person
from cases import access, plan_forms, services
from cases.models import Case, GoalTerm, NeedDomain, PlanService, ServicePlan
from cases.models.selfplans import (
    ExecutionPhase,
    PlanKind,
    PlanProposal,
    ProposalStatus,
    SupportDomain,
    TargetPath,
)
from cases.queries import plans as plan_queries
from cases.scores import CLOSURE_REVIEW_THRESHOLD, EvaluationRow
from cases.services import planning as isp
from cases.services import proposals, selfplans
from cases.views import common
from cases.views.common import actor_args, agency_choices, bp, stage_form
from hamkke.db import db
from hamkke.edge import attach_error, invalid_form_status, see_other
from hamkke.errors import DomainError, NotFound, ValidationFailed
from hamkke.web import parse_id

Record = Mapping[str, Any]

_ROW_ERROR = re.compile(r"^(goals|services)-(\d+)-(\w+)$")


def plan_kind(case: Case) -> PlanKind:
    """A 지역자활센터's case follows seed 000's ISP (필수서식5); every other agency seed 001's plan."""
    owner = db.session.get(Agency, case.owning_agency_id)
    return (
        PlanKind.jahwal
        if owner is not None and owner.type == AgencyType.self_sufficiency_centre
        else PlanKind.integrated
    )


def _row_input(form: Any, row: int, kind: PlanKind) -> isp.GoalInput:
    """Read one goal row of the ISP form into the service's input."""
    prefix = f"g{row}_"

    def value(name: str) -> Any:
        return form[prefix + name].data

    service: tuple[isp.ServiceInput, ...] = ()
    if (value("service") or "").strip():
        service = (
            isp.ServiceInput(
                name=value("service"),
                quantity=value("quantity") or "",
                duration_months=None,
                intensity=value("intensity") or "",
                provider_agency_id=int(value("provider")) if value("provider") else None,
                provider_name=value("provider_name"),
                starts_on=value("starts_on"),
                ends_on=value("ends_on"),
            ),
        )
    domain = value("domain") or None
    jahwal = kind == PlanKind.jahwal
    return isp.GoalInput(
        domain=None if jahwal or domain is None else NeedDomain(domain),
        term=GoalTerm.long if jahwal else GoalTerm(value("term") or "long"),
        statement=value("statement") or "",
        target_on=value("target_on"),
        support_domain=SupportDomain(domain) if jahwal and domain else None,
        participant_words=value("participant_words"),
        services=service,
    )


def _filled_rows(form: Any) -> list[int]:
    """Rows with a goal; a row with a service but no goal is refused at its goal field."""
    rows = []
    for row in range(1, plan_forms.GOAL_ROWS + 1):
        if (form[f"g{row}_statement"].data or "").strip():
            rows.append(row)
        elif (form[f"g{row}_service"].data or "").strip():
            raise ValidationFailed("서비스가 돕는 목표를 적어 주세요.", field=f"g{row}_statement")
    return rows


def _row_field(field: str | None, rows: list[int], service_rows: list[int]) -> str | None:
    """Name the form field of a service error about the i-th goal or service."""
    match = _ROW_ERROR.match(field or "")
    if match is None:
        return field
    kind, index, name = match.group(1), int(match.group(2)), match.group(3)
    owners = rows if kind == "goals" else service_rows
    if index >= len(owners):
        return field
    return f"g{owners[index]}_{plan_forms.SERVICE_ERROR_FIELDS.get(name, name)}"


def _prefill(form: Any, plan: Record) -> None:
    """Start a revision from the current version (the gate's record): horizon, roles, goals, first service."""
    form.horizon_months.data = str(plan["horizon_months"])
    form.client_role.data, form.family_role.data = plan["client_role"], plan["family_role"]
    for row, goal in enumerate(plan["goals"][: plan_forms.GOAL_ROWS], start=1):
        prefix = f"g{row}_"
        domain = goal["support_domain"] or goal["domain"]
        form[prefix + "domain"].data = domain.value if domain else ""
        if prefix + "term" in form:
            form[prefix + "term"].data = goal["term"].value
        form[prefix + "participant_words"].data = goal["participant_words"]
        form[prefix + "statement"].data = goal["statement"]
        form[prefix + "target_on"].data = goal["target_on"]
        if goal["services"]:
            service = goal["services"][0]
            form[prefix + "service"].data = service["name"]
            form[prefix + "provider"].data = str(service["provider_agency_id"] or "")
            form[prefix + "provider_name"].data = service["provider_name"]
            form[prefix + "quantity"].data = service["quantity"]
            form[prefix + "starts_on"].data = service["starts_on"]
            form[prefix + "ends_on"].data = service["ends_on"]
            form[prefix + "intensity"].data = service["intensity"]


def _latest(case: Case, table: str) -> Record | None:
    """The newest version of a plan table's record for the case, as the gate shows it to the viewer."""
    view = common.client_view(case, signed_in_person())
    records = view.records(table) if view else ()
    return max(records, key=lambda record: record["version"]) if records else None


def _has_plan(case: Case) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.func.count()).select_from(ServicePlan).where(ServicePlan.case_id == case.id)
        )
    )


@bp.route("/<int:case_id>/plan", methods=["GET", "POST"])
@login_required
def plan(case_id: int) -> ResponseReturnValue:
    """ISP: 서비스제공계획 (seed 001) or 개인별 자활 지원 계획 (seed 000 필수서식5), a new version."""
    case = access.get_case_for(signed_in_person(), case_id, "edit")
    kind = plan_kind(case)

    def prepare(case: Case, form: Any) -> None:
        providers = agency_choices(case)
        for row in range(1, plan_forms.GOAL_ROWS + 1):
            form[f"g{row}_provider"].choices = providers
        latest = _latest(case, "case_service_plans") if request.method == "GET" else None
        if latest is not None:
            _prefill(form, latest)

    def save(case: Case, form: Any, person: Person) -> None:
        rows = _filled_rows(form)
        goals = [_row_input(form, row, kind) for row in rows]
        service_rows = [row for row, goal in zip(rows, goals, strict=True) if goal.services]
        try:
            isp.create_plan(
                case,
                kind=kind,
                horizon_months=int(form.horizon_months.data),
                client_role=form.client_role.data,
                family_role=form.family_role.data,
                goals=goals,
                agreed_on=form.agreed_on.data,
                revision_reason=form.revision_reason.data,
                **actor_args(person),
            )
        except DomainError as error:
            error.field = _row_field(error.field, rows, service_rows)
            if error.field in {"goals", "services"}:
                error.field = "g1_statement" if error.field == "goals" else "g1_service"
            raise

    title = _("개인별 자활 지원 계획") if kind == PlanKind.jahwal else _("서비스제공계획")
    print_title = (
        "개인별 자활 지원 계획 ISP (필수서식5)" if kind == PlanKind.jahwal else "서비스제공계획 (ISP)"
    )
    return stage_form(case_id, plan_forms.isp_form_class(kind), title, print_title, save, prepare=prepare)


_IAP_FIELDS = (
    "security_type",
    "work_team",
    "weaknesses",
    "strengths",
    "short_term_goal",
    "short_term_target_on",
    "long_term_goal",
    "long_term_target_on",
    "target_path_other",
    "help_wanted",
)


@bp.route("/<int:case_id>/iap", methods=["GET", "POST"])
@login_required
def action_plan(case_id: int) -> ResponseReturnValue:
    """개인별 자립 계획 (IAP, 필수서식4): a revision starts from the current version and keeps it."""

    def prepare(case: Case, form: Any) -> None:
        latest = _latest(case, "case_action_plans") if request.method == "GET" else None
        if latest is not None:
            for name in _IAP_FIELDS:
                form[name].data = latest[name]
            form.target_path.data = latest["target_path"].value

    def save(case: Case, form: Any, person: Person) -> None:
        data = selfplans.ActionPlanInput(
            counselled_on=form.counselled_on.data,
            target_path=TargetPath(form.target_path.data),
            written_by_participant=bool(form.written_by_participant.data),
            proxy_reason=form.proxy_reason.data,
            agreed_on=form.agreed_on.data,
            revision_reason=form.revision_reason.data,
            **{name: form[name].data for name in _IAP_FIELDS},
        )
        selfplans.write_action_plan(case, data, **actor_args(person))

    return stage_form(
        case_id,
        plan_forms.ActionPlanForm,
        _("개인별 자립 계획"),
        "개인별 자립 계획 IAP (필수서식4)",
        save,
        prepare=prepare,
    )


def _case_service(case: Case, service_id: int) -> PlanService:
    service = db.session.get(PlanService, service_id)
    if service is None or service.plan.case_id != case.id:
        raise NotFound("계획된 서비스를 찾을 수 없습니다.", english="The planned service does not exist.")
    return service


@bp.route("/<int:case_id>/services/<int:service_id>/check", methods=["GET", "POST"])
@login_required
def execution_check(case_id: int, service_id: int) -> ResponseReturnValue:
    """실행점검: tick a planned service as delivered, with its phase and a note."""
    _case_service(access.get_case_for(signed_in_person(), case_id, "edit"), service_id)

    def save(case: Case, form: Any, person: Person) -> None:
        isp.tick_execution(
            _case_service(case, service_id),
            checked_on=form.checked_on.data,
            phase=ExecutionPhase(form.phase.data) if form.phase.data else None,
            note=form.note.data,
            **actor_args(person),
        )

    return stage_form(case_id, plan_forms.ExecutionCheckForm, _("실행점검"), "실행점검", save)


@bp.route("/<int:case_id>/plans/<int:plan_id>/agreement", methods=["GET", "POST"])
@login_required
def plan_agreement(case_id: int, plan_id: int) -> ResponseReturnValue:
    """서면 합의 of a plan version not yet signed (a version made from a proposal starts unsigned)."""

    def _plan(case: Case) -> ServicePlan:
        plan = db.session.get(ServicePlan, plan_id)
        if plan is None or plan.case_id != case.id:
            raise NotFound("계획을 찾을 수 없습니다.", english="The plan does not exist.")
        return plan

    _plan(access.get_case_for(signed_in_person(), case_id, "edit"))

    def save(case: Case, form: Any, person: Person) -> None:
        isp.record_agreement(_plan(case), agreed_on=form.agreed_on.data, **actor_args(person))

    return stage_form(case_id, plan_forms.AgreementForm, _("서면 합의"), "서면 합의", save)


@bp.get("/<int:case_id>/plans/history")
@login_required
def plan_history(case_id: int) -> ResponseReturnValue:
    """The IAP and ISP versions, newest first, each with what changed from the one before."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "view")
    view = common.client_view(case, person)
    iaps = view.records("case_action_plans") if view else ()
    isps = view.records("case_service_plans") if view else ()
    return render_template(
        "cases/plan_history.html",
        case=case,
        view=view,
        iap_history=plan_queries.version_history(iaps, plan_queries.action_plan_changes),
        isp_history=plan_queries.version_history(isps, plan_queries.plan_changes),
    )


def _proposal(case: Case, proposal_id: int) -> PlanProposal:
    proposal = db.session.get(PlanProposal, proposal_id)
    if proposal is None or proposal.case_id != case.id:
        raise NotFound("제안을 찾을 수 없습니다.", english="The proposal does not exist.")
    return proposal


#: the service's field names of the accepted item → the acceptance form's fields
_PROPOSAL_ERRORS = {
    "services-0-ends_on": "ends_on",
    "services-0-duration_months": "ends_on",
    "services-0-provider": "goal_id",
    "services-0-name": "goal_id",
}


def _goal_choices(case: Case) -> list[Any]:
    """Offer the current plan's goals by domain, rank and date: no goal text, this page discloses nothing."""
    plan = db.session.scalars(
        sa.select(ServicePlan).where(ServicePlan.case_id == case.id).order_by(ServicePlan.version.desc())
    ).first()
    choices = [("", "고르세요")]
    for goal in plan.goals if plan else []:
        domain = goal.support_domain or goal.domain
        where = f"{domain.label if domain else ''} {goal.rank or ''}"
        label = f"{where} · {goal.term.label} · 목표일 {goal.target_on.isoformat()}"
        choices.append((str(goal.id), label))
    return plan_forms.pairs(choices)


@bp.route("/<int:case_id>/proposals/<int:proposal_id>", methods=["GET", "POST"])
@login_required
def proposal(case_id: int, proposal_id: int) -> ResponseReturnValue:
    """A conference's ISP item: accept it into the current plan (a new version) or decline with a reason."""
    person = signed_in_person()
    case = access.get_case_for(person, case_id, "edit")
    item = _proposal(case, proposal_id)
    accept_form, decline_form = plan_forms.AcceptProposalForm(), plan_forms.DeclineProposalForm()
    accept_form.goal_id.choices = _goal_choices(case)
    status, refused = 200, 0
    if request.method == "POST":
        deciding = request.form.get("decision")
        form = accept_form if deciding == "accept" else decline_form
        if form.validate_on_submit():
            try:
                if deciding == "accept":
                    proposals.accept_proposal(
                        item,
                        goal_id=parse_id(accept_form.goal_id.data),
                        starts_on=accept_form.starts_on.data,
                        ends_on=accept_form.ends_on.data,
                        **actor_args(person),
                    )
                else:
                    proposals.decline_proposal(item, reason=decline_form.reason.data, **actor_args(person))
            except DomainError as error:
                db.session.rollback()
                case = access.get_case_for(person, case_id, "edit")
                item = _proposal(case, proposal_id)
                attach_error(form, error, aliases=_PROPOSAL_ERRORS)
                # An already decided proposal is a conflict (409), not input to correct.
                refused = error.status_code
            else:
                return see_other("cases.show_case", case_id=case.id)
        status = refused or (invalid_form_status(form) if form.errors else 422)
    agency = db.session.get(Agency, item.agency_id)
    return render_template(
        "cases/proposal.html",
        case=case,
        proposal=item,
        agency_name=agency.name if agency else "",
        pending=item.status == ProposalStatus.pending,
        accept_form=accept_form,
        decline_form=decline_form,
        has_plan=_has_plan(case),
    ), status


def _evaluation_rows(form: Any) -> list[EvaluationRow]:
    """Read the filled rows of 활용서식9 (a row without its goal is not evaluated)."""
    return [
        EvaluationRow(
            key,
            form[f"goal_{key}"].data.strip(),
            *(int(form[f"{score}_{key}"].data) for score in plan_forms.EVALUATION_SCORES),
        )
        for key in plan_forms.EVALUATION_ROWS
        if (form[f"goal_{key}"].data or "").strip()
    ]


def _prefill_evaluation(case: Case, form: Any) -> None:
    """Fill the agreed goals from the current IAP and ISP, so the sheet lists what was agreed."""
    action = _latest(case, "case_action_plans")
    if action is not None:
        form.goal_iap_short.data, form.goal_iap_long.data = (
            action["short_term_goal"],
            action["long_term_goal"],
        )
        form.affiliation.data = action["work_team"]
    latest = _latest(case, "case_service_plans")
    for goal in latest["goals"] if latest and latest["kind"] == PlanKind.jahwal else []:
        key = f"{'work' if goal['support_domain'] == SupportDomain.work else 'welfare'}{goal['rank']}"
        if f"goal_{key}" in form:
            form[f"goal_{key}"].data = goal["statement"]


@bp.route("/<int:case_id>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(case_id: int) -> ResponseReturnValue:
    """사례관리 평가서 (활용서식9): IAP 단기·장기, ISP 3 + 3 rows; averages computed, ≥ 8 suggests review."""

    def prepare(case: Case, form: Any) -> None:
        if request.method == "GET":
            _prefill_evaluation(case, form)

    def save(case: Case, form: Any, person: Person) -> None:
        record = services.record_evaluation(
            case,
            evaluated_on=form.evaluated_on.data,
            rows=_evaluation_rows(form),
            affiliation=form.affiliation.data,
            worker_opinion=form.worker_opinion.data,
            **actor_args(person),
        )
        flash(_("평균 달성도 %(average)s점", average=record.average_achievement), "info")
        if record.average_achievement >= CLOSURE_REVIEW_THRESHOLD:
            flash(_("평균 달성도가 8점 이상입니다. 종결심사를 검토하세요."), "info")

    return stage_form(
        case_id,
        plan_forms.evaluation_form_class(),
        _("사례관리 평가"),
        "사례관리 평가서 (활용서식9)",
        save,
        prepare=prepare,
    )
