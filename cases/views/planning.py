"""Forms of planning and delivery: the ISP, 상담일지, service checks and results, and the scores."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from wtforms import SelectChoice

from agencies.models import Person
from agencies.sessions import login_required, signed_in_person
from cases import forms, services
from cases.models import Case, GoalTerm, NeedDomain
from cases.scores import CAPACITY_ITEMS, CLOSURE_REVIEW_THRESHOLD, SELF_CHECK_CODES, EvaluationRow
from cases.views import common
from cases.views.common import actor_args, agency_choices, bp, stage_form
from hamkke.db import db
from hamkke.errors import DomainError
from hamkke.web import parse_id


@bp.route("/<int:case_id>/plan", methods=["GET", "POST"])
@login_required
def plan(case_id: int) -> ResponseReturnValue:
    """서비스제공계획 (ISP)."""

    def prepare(case: Case, form: Any) -> None:
        form.service_provider.choices = agency_choices(case)

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
                **actor_args(person),
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

    return stage_form(
        case_id,
        forms.PlanForm,
        _("서비스제공계획"),
        "개인별 지원 계획 ISP (필수서식5)",
        save,
        prepare=prepare,
    )


def _service_choices(case: Case) -> list[SelectChoice]:
    view = common.client_view(case, signed_in_person())
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
            **actor_args(person),
        )

    return stage_form(
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
            **actor_args(person),
        )

    return stage_form(
        case_id, forms.ServiceResultForm, _("개입 결과"), "개입 결과 기록", save, prepare=prepare
    )


@bp.route("/<int:case_id>/capacity", methods=["GET", "POST"])
@login_required
def capacity(case_id: int) -> ResponseReturnValue:
    """자활역량평가표 (활용서식1): the total and group are computed."""

    def save(case: Case, form: Any, person: Person) -> None:
        record = services.record_capacity_assessment(
            case,
            assessed_on=form.assessed_on.data,
            answers={code: form[code].data for code in CAPACITY_ITEMS},
            worker_will=int(form.worker_will.data),
            worker_employability=int(form.worker_employability.data),
            supervisor_adjustment=form.supervisor_adjustment.data or 0,
            self_check=[code for code in SELF_CHECK_CODES if form[code].data],
            **actor_args(person),
        )
        flash(_("자활역량 점수 %(total)s점, %(group)s그룹", total=record.total, group=record.group), "info")

    return stage_form(
        case_id, forms.capacity_form_class(), _("자활역량평가표"), "자활역량 평가표 (활용서식1)", save
    )


@bp.route("/<int:case_id>/evaluation", methods=["GET", "POST"])
@login_required
def evaluation(case_id: int) -> ResponseReturnValue:
    """사례관리 평가서 (활용서식9): averages computed; ≥ 8 suggests a closure review."""

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
            **actor_args(person),
        )
        flash(_("평균 달성도 %(average)s점", average=record.average_achievement), "info")
        if record.average_achievement >= CLOSURE_REVIEW_THRESHOLD:
            flash(_("평균 달성도가 8점 이상입니다. 종결심사를 검토하세요."), "info")

    return stage_form(
        case_id, forms.evaluation_form_class(), _("사례관리 평가"), "사례관리 평가서 (활용서식9)", save
    )
