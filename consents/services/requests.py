"""Data-subject requests (열람·정정·삭제·처리정지): recording, closing, deadlines and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa

from agencies.models import Person
from consents.models import DataSubjectRequest, RequestKind, RequestStatus
from consents.services.base import fail
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import InvalidTransition
from hamkke.time import now_utc, today_local
from notifications.services import notify

if TYPE_CHECKING:
    from agencies.models import Agency
    from cases.models import Client

#: PIPA 시행령 제41조④, 제43조③, 제44조②: answer within 10 days
REQUEST_DEADLINE_DAYS = 10


def record_request(
    client: Client,
    *,
    actor: Person,
    agency: Agency,
    kind: str,
    details: str | None = None,
    received_on: date | None = None,
) -> DataSubjectRequest:
    """Record a 열람·정정·삭제·처리정지 request with its 10-day deadline."""
    try:
        request_kind = RequestKind(kind)
    except ValueError:
        raise fail("요청 종류를 선택해 주십시오.", "kind", "Choose the kind of request.") from None
    received = received_on or today_local()
    if received > today_local():
        raise fail(
            "접수일은 오늘 이후일 수 없습니다.",
            "received_on",
            "The request cannot be received in the future.",
        )
    item = DataSubjectRequest(
        client_id=client.id,
        agency_id=agency.id,
        kind=request_kind,
        details=(details or "").strip() or None,
        received_on=received,
        due_on=received + timedelta(days=REQUEST_DEADLINE_DAYS),
        recorded_by_id=actor.id,
    )
    db.session.add(item)
    db.session.flush()
    record("consents.request_recorded", actor_id=actor.id, agency_id=agency.id, obj=item, data={"kind": kind})
    return item


#: requests whose fulfilment changes data: they are fulfilled by applying them, never by a note alone
APPLIED_KINDS = frozenset({RequestKind.correction, RequestKind.deletion, RequestKind.suspension})


def _require_open(item: DataSubjectRequest) -> None:
    if item.status != RequestStatus.open:
        raise InvalidTransition("이미 처리된 요청입니다.", english="The request is already closed.")


def close_request(
    item: DataSubjectRequest, *, actor: Person, outcome: str, refused: bool = False
) -> DataSubjectRequest:
    """Mark a request fulfilled (or refused with a reason); closing twice is refused.

    정정·삭제·처리정지 are fulfilled only through :func:`fulfil_correction`, :func:`fulfil_deletion`
    and :func:`fulfil_suspension`, which change the data; here they can only be refused.
    """
    _require_open(item)
    if not refused and item.kind in APPLIED_KINDS:
        raise InvalidTransition(
            "정정·삭제·처리정지 요청은 '처리하기' 화면에서 반영해야 완료됩니다.",
            english="Correction, erasure and suspension requests are completed by applying them.",
        )
    if not outcome.strip():
        raise fail("처리 내용을 적어 주십시오.", "outcome", "Describe how the request was answered.")
    item.status = RequestStatus.refused if refused else RequestStatus.fulfilled
    item.outcome = outcome.strip()
    item.closed_at = now_utc()
    item.closed_by_id = actor.id
    db.session.flush()
    record(
        "consents.request_closed",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={"refused": refused},
    )
    return item


def check_request_client(item: DataSubjectRequest, client: Client, kind: RequestKind) -> None:
    """Refuse to fulfil a closed request, or one of another kind or about another client."""
    _require_open(item)
    if item.kind != kind or item.client_id != client.id:
        raise InvalidTransition(
            "이 요청에는 이 처리를 할 수 없습니다.", english="This request cannot be fulfilled that way."
        )


def finish_request(item: DataSubjectRequest, actor: Person, outcome: str) -> None:
    """Close a request as fulfilled by ``actor`` with the outcome shown in its history."""
    item.status = RequestStatus.fulfilled
    item.outcome = outcome
    item.closed_at = now_utc()
    item.closed_by_id = actor.id


def remind_overdue_requests(on: date | None = None) -> list[int]:
    """Notify the recording worker of open requests due within 3 days or overdue (once per request)."""
    day = on or today_local()
    items = db.session.scalars(
        sa.select(DataSubjectRequest).where(
            DataSubjectRequest.status == RequestStatus.open,
            DataSubjectRequest.due_on <= day + timedelta(days=3),
            DataSubjectRequest.reminded_at.is_(None),
        )
    ).all()
    for item in items:
        person = db.session.get(Person, item.recorded_by_id)
        if person is not None:
            notify(
                person,
                "consents.request_due",
                title=f"정보주체 요청 처리 기한 {item.due_on.isoformat()}",
                body=f"{item.kind.label} 요청(번호 {item.id})의 처리 기한이 다가왔습니다.",
                dedupe_key=f"consents.request_due:{item.id}",
                agency_id=item.agency_id,
            )
        item.reminded_at = now_utc()
    db.session.flush()
    return [item.id for item in items]
