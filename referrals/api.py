"""Referral endpoints of the agency API (``/api/v1/referrals``): an agency's system reads and answers.

Declared through the registry, so the OpenAPI document lists them with their scopes and schemas.
A response carries the client's fields only within the consent to the receiving agency, and each
such response is written to the access log (channel ``api``).
"""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

import sqlalchemy as sa

from agencies.api.routes import PAGE_PARAMS
from agencies.queries import paginate
from cases.fields import FIELD_GROUPS
from cases.models import Client
from hamkke.api.registry import ApiCall, Doc, Param, api
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import ValidationFailed
from referrals import access, disclosure, services
from referrals.models import Referral, ReferralStatus, RejectionReason

READ = ("referrals:read",)
WRITE = ("referrals:write",)
ERRORS = (400, 401, 403, 404)
WRITE_ERRORS = (*ERRORS, 409, 422)


class ReferralOut(TypedDict):
    """A referral as the other agency's system sees it (no client data)."""

    id: int
    status: Annotated[
        str, Doc("FHIR Task status code: requested, received, accepted, rejected, in-progress, …")
    ]
    status_label: Annotated[str, Doc("Korean name of the status.")]
    sending_agency_code: str
    receiving_agency_code: str | None
    service_id: int | None
    service_name: str | None
    request_document_number: str | None
    response_due_on: Annotated[str | None, Doc("Last day to answer (ISO date, Asia/Seoul working days).")]
    sent_at: str | None


class ClientField(TypedDict):
    """One client field disclosed within the consent."""

    label: str
    value: str


class ReferralDetail(ReferralOut):
    """A referral with its 활용서식6 content, the consented client fields and the reply."""

    reason: Annotated[str, Doc("의뢰사유 (field group needs); '동의 범위 밖' outside the consent.")]
    requested_services: Annotated[str, Doc("대상자 요구 서비스 (needs); '동의 범위 밖' outside the consent.")]
    main_problem: Annotated[str, Doc("주호소문제 (counselling); '동의 범위 밖' outside the consent.")]
    service_history: Annotated[str, Doc("기존 서비스 이력 (service_history); '동의 범위 밖' outside it.")]
    notes: Annotated[str, Doc("기타 특이사항 (counselling); '동의 범위 밖' outside the consent.")]
    shared_field_groups: Annotated[
        list[str], Doc("Field groups the client consented to and the sender chose.")
    ]
    client_fields: list[ClientField]
    rejection_reason: str | None
    outcome: str | None
    result_report: str | None


class ReferralPage(TypedDict):
    """One page of referrals."""

    items: list[ReferralOut]
    page: int
    per_page: int
    total: int


class RejectBody(TypedDict):
    """Why the receiving agency declines."""

    reason: Annotated[
        Literal[
            "capacity_full", "not_eligible", "out_of_area", "duplicate_service", "client_declined", "other"
        ],
        Doc("Structured reason."),
    ]
    note: NotRequired[Annotated[str, Doc("Explanation; required for ``other``.")]]


class CompleteBody(TypedDict):
    """The 회신서 / 결과보고서."""

    outcome: Annotated[str, Doc("What was provided and what came of it.")]
    result_report: NotRequired[Annotated[str, Doc("Result report (period, content, next steps).")]]


class AcceptBody(TypedDict):
    """An optional note for the sender."""

    note: NotRequired[str]


def _out(referral: Referral) -> ReferralOut:
    return {
        "id": referral.id,
        "status": referral.status.value,
        "status_label": referral.status.label,
        "sending_agency_code": referral.sending_agency.code,
        "receiving_agency_code": referral.receiving_agency.code if referral.receiving_agency else None,
        "service_id": referral.service_id,
        "service_name": referral.service.name if referral.service is not None else None,
        "request_document_number": referral.request_document_number,
        "response_due_on": referral.response_due_on.isoformat() if referral.response_due_on else None,
        "sent_at": referral.sent_at.isoformat() if referral.sent_at else None,
    }


def _system(call: ApiCall) -> access.AgencySystem:
    return access.AgencySystem(agency=call.agency, api_client_id=call.client.id)


def _referral(call: ApiCall) -> Referral:
    return access.require_view(_system(call), db.session.get(Referral, call.path["referral_id"]))


def _detail(referral: Referral, call: ApiCall) -> ReferralDetail:
    client = db.session.get(Client, referral.client_id)
    assert client is not None  # noqa: S101 -- foreign key
    groups = disclosure.shared_now(client, referral)
    rows = disclosure.client_fields(client, groups)
    # The sending (owning) agency's system reads the texts it wrote; a recipient only inside consent.
    owner = call.agency.id == client.owning_agency_id
    texts = disclosure.texts(referral, FIELD_GROUPS if owner else groups)
    by_name = {text.name: text.value for text in texts}
    carried = sorted({text.group for text in texts if text.visible and text.value} | set(groups))
    if not owner and referral.shared_field_groups and not groups:
        # Everything the sender shared has been withdrawn since: the refusal goes to the audit trail.
        record(
            "referrals.disclosure_refused",
            agency_id=call.agency.id,
            object_type="clients",
            object_id=client.id,
            data={"channel": "api", "referral_id": referral.id, "api_client_id": call.client.id},
        )
    if rows or carried:
        disclosure.log_disclosure(
            actor=None,
            agency_id=call.agency.id,
            client_id=client.id,
            groups=carried,
            channel="api",
            basis=f"referral:{referral.id};api_client:{call.client.id}",
        )
    return {
        **_out(referral),
        "reason": by_name["reason"],
        "requested_services": by_name["requested_services"],
        "main_problem": by_name["main_problem"],
        "service_history": by_name["service_history"],
        "notes": by_name["notes"],
        "shared_field_groups": groups,
        "client_fields": [{"label": label, "value": value} for label, value in rows],
        "rejection_reason": referral.rejection_reason.value if referral.rejection_reason else None,
        "outcome": referral.outcome,
        "result_report": referral.result_report,
    }


def _text(call: ApiCall, name: str, *, required: bool = False) -> str:
    value = (call.body or {}).get(name, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValidationFailed(
            f"'{name}' 값을 글자로 보내 주세요.", field=name, english=f"'{name}' must be text."
        )
    return value


REFERRAL_ID = Param("referral_id", int, "The referral's ID.", required=True, minimum=1)


@api.operation(
    "/referrals",
    summary="List referrals received (or sent) by the client's agency",
    tags=("Referrals",),
    scopes=READ,
    query=(
        Param("box", str, "``received`` (default) or ``sent``.", default="received", max_length=10),
        Param("status", ReferralStatus, "Only referrals in this state."),
        *PAGE_PARAMS,
    ),
    response=ReferralPage,
    errors=(400, 401, 403),
)
def list_referrals(call: ApiCall) -> ReferralPage:
    """List the agency's received (default) or sent referrals, newest first; drafts never leave the sender."""
    sent = call.query["box"] == "sent"
    column = Referral.sending_agency_id if sent else Referral.receiving_agency_id
    select = sa.select(Referral).where(column == call.agency.id).order_by(Referral.id.desc())
    if not sent:
        select = select.where(Referral.status != ReferralStatus.draft)
    if call.query["status"] is not None:
        select = select.where(Referral.status == call.query["status"])
    page = paginate(select, page=call.query["page"], per_page=call.query["per_page"])
    return {
        "items": [_out(r) for r in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


@api.operation(
    "/referrals/<int:referral_id>",
    summary="One referral with its content and the consented client fields",
    tags=("Referrals",),
    scopes=READ,
    path=(REFERRAL_ID,),
    response=ReferralDetail,
    errors=ERRORS,
)
def get_referral(call: ApiCall) -> ReferralDetail:
    """Return a referral of the agency; client fields only within consent, the disclosure logged."""
    return _detail(_referral(call), call)


@api.operation(
    "/referrals/<int:referral_id>/accept",
    method="POST",
    summary="Accept a referral received",
    tags=("Referrals",),
    scopes=WRITE,
    path=(REFERRAL_ID,),
    request_json=AcceptBody,
    response=ReferralDetail,
    errors=WRITE_ERRORS,
)
def accept_referral(call: ApiCall) -> ReferralDetail:
    """Accept the referral for the receiving agency (409 when its state does not allow it)."""
    referral = _referral(call)
    services.accept(referral, actor=_system(call), note=_text(call, "note"))
    return _detail(referral, call)


@api.operation(
    "/referrals/<int:referral_id>/reject",
    method="POST",
    summary="Decline a referral received, with a structured reason",
    tags=("Referrals",),
    scopes=WRITE,
    path=(REFERRAL_ID,),
    request_json=RejectBody,
    response=ReferralDetail,
    errors=WRITE_ERRORS,
)
def reject_referral(call: ApiCall) -> ReferralDetail:
    """Decline the referral (reasons: capacity_full, not_eligible, out_of_area, …; ``other`` needs a note)."""
    referral = _referral(call)
    reason = _text(call, "reason", required=True)
    if reason not in {code.value for code in RejectionReason}:
        raise ValidationFailed(
            "거절 사유 코드가 올바르지 않습니다.", field="reason", english="Unknown reason."
        )
    services.reject(referral, actor=_system(call), reason=reason, note=_text(call, "note"))
    return _detail(referral, call)


@api.operation(
    "/referrals/<int:referral_id>/complete",
    method="POST",
    summary="Close the loop with the result (회신서 / 결과보고서)",
    tags=("Referrals",),
    scopes=WRITE,
    path=(REFERRAL_ID,),
    request_json=CompleteBody,
    response=ReferralDetail,
    errors=WRITE_ERRORS,
)
def complete_referral(call: ApiCall) -> ReferralDetail:
    """Complete an accepted referral with its outcome; the reply letter is rendered by the worker."""
    referral = _referral(call)
    services.complete(
        referral,
        actor=_system(call),
        outcome=_text(call, "outcome", required=True),
        result_report=_text(call, "result_report"),
    )
    return _detail(referral, call)
