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
from cases.models import Case
from cases.scores import CAPACITY_ITEMS, SELF_CHECK_CODES
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
from hamkke.db import db
from hamkke.web import parse_id


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
