"""Forms of the first stages: 초기상담, 욕구사정, 위기도, 선정, 유형 분류, and the household's members."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from agencies.models import Person
from agencies.sessions import acting_agency_id, login_required, signed_in_person
from cases import consent_basis, forms, interview_forms, services
from cases.models import Case, CaseIntensity, CaseType, ContactMethod, NeedDomain, RiskLevel, SelectionOutcome
from cases.views import common
from cases.views.common import actor_args, bp, stage_form
from consents.gate import view_client
from hamkke.errors import NotFound
from hamkke.time import today_local


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
            details={name: form[name].data for name in interview_forms.INTAKE_DETAIL_FIELDS},
            prior_services=[
                {name: value or None for name, value in entry.form.data.items()}
                for entry in form.prior_services
                if interview_forms.filled(entry.form)
            ],
            **actor_args(person),
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

    return stage_form(
        case_id,
        interview_forms.IntakeRecordForm,
        _("초기상담 기록"),
        "초기상담기록지 (통합사례관리)",
        save,
        prepare=prepare,
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
            **actor_args(person),
        )

    return stage_form(case_id, forms.NeedForm, _("욕구사정"), "자활사정지 (필수서식3) — 욕구영역", save)


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
            **actor_args(person),
        )

    return stage_form(case_id, forms.SelectionForm, _("선정 결과"), "클라이언트 선정", save)


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
            **actor_args(person),
        )

    return stage_form(case_id, forms.ClassifyForm, _("유형 분류"), "사례 유형 분류", save, prepare=prepare)


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
            **actor_args(person),
        )

    return stage_form(case_id, forms.MemberForm, _("가구원 추가"), "가구원 추가 (가족사항)", save)


@bp.route("/<int:case_id>/main-client", methods=["GET", "POST"])
@login_required
def main_client(case_id: int) -> ResponseReturnValue:
    """주요 클라이언트 선정."""

    def prepare(case: Case, form: Any) -> None:
        view = common.client_view(case, signed_in_person())
        choices = [("", "고르세요")]
        for position, member in enumerate(case.household.members, start=1):
            # Members are named through the gate too; a withheld name shows only its place in the household.
            label = f"가구원 {position}"
            if view is not None:
                with contextlib.suppress(NotFound):
                    label = view_client(
                        member,
                        signed_in_person(),
                        purpose="case_management",
                        acting_agency_id=acting_agency_id(),
                    ).name
            choices.append((str(member.id), label))
        form.client_id.choices = forms.pairs(choices)

    def save(case: Case, form: Any, person: Person) -> None:
        client = next((m for m in case.household.members if str(m.id) == form.client_id.data), None)
        if client is None:
            raise services.ValidationFailed("이 가구의 구성원을 골라 주세요.", field="client_id")
        services.choose_main_client(case, client, reason=form.reason.data or "", **actor_args(person))

    return stage_form(
        case_id,
        forms.MainClientForm,
        _("주요 클라이언트 선정"),
        "주요 클라이언트 선정",
        save,
        prepare=prepare,
    )
