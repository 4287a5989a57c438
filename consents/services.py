"""Consent operations: record, revoke, announce changes, data-subject requests, exports and reports.

Services validate, add rows, flush and audit; they never commit (the view, task or command does).
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from cases.fields import FIELD_GROUPS, group_of_column
from consents import gate
from consents.models import (
    PURPOSE_LABELS,
    SUSPENSION_LIFT_GROUNDS,
    AccessChannel,
    AccessLogEntry,
    Consent,
    ConsentGrant,
    ConsentMethod,
    ConsentPurpose,
    ConsentRevocation,
    DataSubjectRequest,
    RecipientKind,
    RequestKind,
    RequestStatus,
    SignerCapacity,
)
from consents.policy import (
    CURRENT_NOTICE_VERSION,
    NOTICE_TEMPLATES,
    SENSITIVE_GROUPS,
    UNIQUE_ID_GROUPS,
    NoticeGrant,
    notice_hash,
    render_notice,
)
from consents.sharing import notice_items
from hamkke.audit import record
from hamkke.db import after_commit, db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.realtime import publish
from hamkke.signals import consent_changed as consent_changed_signal
from hamkke.time import now_utc, today_local

if TYPE_CHECKING:
    from agencies.models import Agency, Person
    from cases.models import Client
    from consents.gate import ClientView
    from notifications.models import OutboxMessage

logger = logging.getLogger(__name__)


#: PIPA 시행령 제41조④, 제43조③, 제44조②: answer within 10 days
REQUEST_DEADLINE_DAYS = 10
#: scans of signed paper forms
ATTACHMENT_TYPES: dict[str, tuple[str, bytes]] = {
    "application/pdf": (".pdf", b"%PDF-"),
    "image/png": (".png", b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": (".jpg", b"\xff\xd8\xff"),
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
#: opening more clients than this in a month without a case of one's own is reported (고시 제8조②)
DEFAULT_UNUSUAL_THRESHOLD = 20

CAPACITY_LABELS = {
    SignerCapacity.self: "본인",
    SignerCapacity.legal_representative: "법정대리인",
    SignerCapacity.guardian: "보호자·후견인",
}


@dataclass(frozen=True)
class GrantInput:
    """One recipient × purpose the client agrees to, with the five notice items as told."""

    purpose: str
    recipient_kind: str
    field_groups: tuple[str, ...]
    recipient_agency_id: int | None = None
    conference_id: int | None = None
    #: notice items ①–⑤ (① and ③ may be left empty to be filled from the recipient and groups)
    notice_recipient: str = ""
    notice_purpose: str = ""
    notice_items: str = ""
    notice_retention: str = ""
    notice_refusal: str = ""


@dataclass(frozen=True)
class Attachment:
    """An uploaded scan of the signed form."""

    filename: str
    content_type: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ConsentInput:
    """Everything the consent form collects."""

    signer_capacity: str
    signer_name: str = field(repr=False)
    method: str
    signed_on: date
    valid_from: date
    grants: tuple[GrantInput, ...]
    valid_until: date | None = None
    case_id: int | None = None
    signer_relationship: str | None = None
    representation_evidence: str | None = None
    witness_id: int | None = None
    includes_sensitive: bool = False
    includes_unique_id: bool = False
    rrn_statutory_basis: str | None = None
    notice_version: str = CURRENT_NOTICE_VERSION
    attachment: Attachment | None = None


def _fail(message: str, field_name: str, english: str) -> ValidationFailed:
    return ValidationFailed(message, field=field_name, english=english)


def _age_on(birth_date: date | None, on: date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _validate_signer(client: Client, data: ConsentInput) -> SignerCapacity:
    try:
        capacity = SignerCapacity(data.signer_capacity)
    except ValueError:
        raise _fail(
            "서명자 자격을 선택해 주십시오.", "signer_capacity", "Choose the signer's capacity."
        ) from None
    if not data.signer_name.strip():
        raise _fail("서명자 이름을 적어 주십시오.", "signer_name", "Enter the signer's name.")
    if capacity != SignerCapacity.self and not (data.signer_relationship or "").strip():
        raise _fail(
            "대리인이 서명할 때는 정보주체와의 관계를 적어야 합니다.",
            "signer_relationship",
            "A representative must state their relationship to the client.",
        )
    age = _age_on(gate.field_values(client, ("basic",))["birth_date"], data.signed_on)
    if age is not None and age < 14 and capacity != SignerCapacity.legal_representative:
        raise _fail(
            "만 14세 미만 아동의 동의는 법정대리인이 해야 합니다.",
            "signer_capacity",
            "A child under 14 needs the legal representative's consent.",
        )
    if capacity != SignerCapacity.self and not (data.representation_evidence or "").strip():
        raise _fail(
            "대리권을 확인한 방법(가족관계증명서 등)을 적어 주십시오.",
            "representation_evidence",
            "Record how the representative's authority was verified.",
        )
    return capacity


def _validate_grant(grant: GrantInput, index: int, client: Client, data: ConsentInput) -> Agency | None:
    from agencies.models import Agency, AgencySector, AgencyStatus

    prefix = f"grants-{index}-"
    try:
        purpose = ConsentPurpose(grant.purpose)
        kind = RecipientKind(grant.recipient_kind)
    except ValueError:
        raise _fail(
            "목적과 받는 자를 선택해 주십시오.", prefix + "purpose", "Choose purpose and recipient."
        ) from None
    if not grant.field_groups:
        raise _fail(
            "동의하는 정보 항목을 하나 이상 고르십시오.", prefix + "field_groups", "Choose the items."
        )
    unknown = set(grant.field_groups) - set(FIELD_GROUPS)
    if unknown:
        raise _fail("알 수 없는 정보 항목입니다.", prefix + "field_groups", "Unknown field group.")
    if (purpose == ConsentPurpose.case_management) != (kind == RecipientKind.collector):
        raise _fail(
            "수집·이용 동의는 수집 기관에 대해서만, 제3자 제공 동의는 다른 기관에 대해서만 받을 수 있습니다.",
            prefix + "recipient_kind",
            "Collection consent names the collector; provision names a recipient.",
        )
    if kind == RecipientKind.conference and (
        grant.conference_id is None or purpose != ConsentPurpose.conference_sharing
    ):
        raise _fail(
            "통합사례회의 참석 기관에 대한 동의에는 회의와 '통합사례회의 공유' 목적이 필요합니다.",
            prefix + "conference_id",
            "A conference recipient needs a conference and the conference-sharing purpose.",
        )
    recipient: Agency | None = None
    if kind == RecipientKind.agency:
        recipient = db.session.get(Agency, grant.recipient_agency_id) if grant.recipient_agency_id else None
        if recipient is None or recipient.status != AgencyStatus.active:
            raise _fail(
                "받는 자는 네트워크에 등록된 기관이어야 합니다.",
                prefix + "recipient_agency_id",
                "The recipient must be an agency of the network.",
            )
        if recipient.id == client.owning_agency_id:
            raise _fail(
                "수집 기관 자신은 제3자가 아닙니다.",
                prefix + "recipient_agency_id",
                "The collector is not a third party.",
            )
    groups = set(grant.field_groups)
    if groups & SENSITIVE_GROUPS and not data.includes_sensitive:
        raise _fail(
            "건강정보(민감정보)는 별도 동의를 받아야 포함할 수 있습니다.",
            "includes_sensitive",
            "Health data needs the separate sensitive-data consent.",
        )
    if groups & UNIQUE_ID_GROUPS:
        if not data.includes_unique_id:
            raise _fail(
                "고유식별정보는 별도 동의를 받아야 포함할 수 있습니다.",
                "includes_unique_id",
                "Unique identifiers need their own consent.",
            )
        if kind != RecipientKind.collector and (recipient is None or recipient.sector != AgencySector.public):
            raise _fail(
                "주민등록번호 등 고유식별정보는 법령 근거가 있는 공공기관에만 제공할 수 있습니다.",
                prefix + "field_groups",
                "Unique identifiers go only to public agencies with a statutory basis.",
            )
        if not (data.rrn_statutory_basis or "").strip():
            raise _fail(
                "주민등록번호 처리의 법령 근거를 적어 주십시오.",
                "rrn_statutory_basis",
                "State the statute that permits processing the resident registration number.",
            )
    for name, label in (
        ("notice_purpose", "이용 목적"),
        ("notice_retention", "보유·이용 기간"),
        ("notice_refusal", "거부할 권리와 불이익"),
    ):
        if not getattr(grant, name).strip():
            raise _fail(
                f"고지 사항이 빠졌습니다: {label}. 다섯 가지 고지 사항을 모두 알려야 합니다.",
                prefix + name,
                "All five notice items must be given.",
            )
    return recipient


def _recipient_label(grant: GrantInput, recipient: Agency | None, agency: Agency) -> str:
    if grant.notice_recipient.strip():
        return grant.notice_recipient.strip()
    if grant.recipient_kind == RecipientKind.collector:
        return agency.name
    if recipient is not None:
        return recipient.name
    if grant.recipient_kind == RecipientKind.conference:
        return f"통합사례회의(회의 번호 {grant.conference_id}) 참석 기관"
    return "구 통합사례관리 네트워크 참여 기관"


def _store_attachment(attachment: Attachment) -> tuple[str, str]:
    spec = ATTACHMENT_TYPES.get(attachment.content_type)
    if spec is None or not attachment.data.startswith(spec[1]):
        raise _fail(
            "스캔본은 PDF, PNG, JPEG 파일만 올릴 수 있습니다.", "attachment", "PDF, PNG or JPEG only."
        )
    if len(attachment.data) > MAX_ATTACHMENT_BYTES:
        raise _fail("스캔본은 10MB 이하여야 합니다.", "attachment", "The scan may be at most 10 MB.")
    digest = hashlib.sha256(attachment.data).hexdigest()
    # Content-addressed: a rolled-back upload leaves at most an unreferenced file with the same name.
    relative = f"{digest}{spec[0]}"
    folder = attachment_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / relative).write_bytes(attachment.data)
    return relative, digest


def attachment_folder() -> Path:
    """Return the instance folder's directory of consent scans."""
    return Path(current_app.instance_path) / "consent_attachments"


def record_consent(client: Client, data: ConsentInput, *, actor: Person, agency: Agency) -> Consent:
    """Validate and store one signer's consent with its grants and the exact notice text shown.

    :raises ValidationFailed: with a Korean message; nothing is saved.
    """
    capacity = _validate_signer(client, data)
    try:
        method = ConsentMethod(data.method)
    except ValueError:
        raise _fail("동의 방법을 선택해 주십시오.", "method", "Choose the method.") from None
    if data.notice_version not in NOTICE_TEMPLATES:
        raise _fail("알 수 없는 고지문 판입니다.", "notice_version", "Unknown notice version.")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise _fail(
            "유효기간 종료일은 시작일보다 앞설 수 없습니다.",
            "valid_until",
            "Validity cannot end before it starts.",
        )
    if not data.grants:
        raise _fail("동의 내용(목적과 받는 자)이 없습니다.", "grants", "A consent needs at least one grant.")
    recipients = [_validate_grant(grant, index, client, data) for index, grant in enumerate(data.grants)]
    if method == ConsentMethod.scanned_form and data.attachment is None:
        raise _fail("서면 동의서 스캔본을 올려 주십시오.", "attachment", "Attach the scanned form.")
    notice_grants = [
        NoticeGrant(
            purpose_label=PURPOSE_LABELS[ConsentPurpose(grant.purpose)],
            recipient=_recipient_label(grant, recipient, agency),
            recipient_purpose=grant.notice_purpose.strip(),
            items=grant.notice_items.strip() or notice_items(grant.field_groups, grant.purpose),
            retention=grant.notice_retention.strip(),
            refusal=grant.notice_refusal.strip(),
        )
        for grant, recipient in zip(data.grants, recipients, strict=True)
    ]
    validity = data.valid_until.isoformat() + "까지" if data.valid_until else "사례 종결 시까지"
    text = render_notice(
        version=data.notice_version,
        agency=agency.name,
        subject=str(gate.field_values(client, ("basic",))["name"]),
        signer=data.signer_name.strip(),
        capacity=CAPACITY_LABELS[capacity],
        grants=notice_grants,
        includes_sensitive=data.includes_sensitive,
        includes_unique_id=data.includes_unique_id,
        validity=validity,
    )
    attachment_path = attachment_sha = attachment_type = None
    if data.attachment is not None:
        attachment_path, attachment_sha = _store_attachment(data.attachment)
        attachment_type = data.attachment.content_type
    consent = Consent(
        client_id=client.id,
        agency_id=agency.id,
        case_id=data.case_id,
        signer_capacity=capacity,
        signer_name=data.signer_name.strip(),
        signer_relationship=(data.signer_relationship or "").strip() or None,
        representation_evidence=(data.representation_evidence or "").strip() or None,
        method=method,
        recorded_by_id=actor.id,
        witness_id=data.witness_id,
        signed_on=data.signed_on,
        valid_from=data.valid_from,
        valid_until=data.valid_until,
        includes_sensitive=data.includes_sensitive,
        includes_unique_id=data.includes_unique_id,
        rrn_statutory_basis=(data.rrn_statutory_basis or "").strip() or None,
        notice_version=data.notice_version,
        notice_text=text,
        notice_sha256=notice_hash(text),
        attachment_path=attachment_path,
        attachment_sha256=attachment_sha,
        attachment_type=attachment_type,
    )
    for grant, notice in zip(data.grants, notice_grants, strict=True):
        consent.grants.append(
            ConsentGrant(
                purpose=ConsentPurpose(grant.purpose),
                recipient_kind=RecipientKind(grant.recipient_kind),
                recipient_agency_id=grant.recipient_agency_id
                if grant.recipient_kind == RecipientKind.agency
                else None,
                conference_id=grant.conference_id
                if grant.recipient_kind == RecipientKind.conference
                else None,
                district_id=agency.district_id if grant.recipient_kind == RecipientKind.network else None,
                field_groups=sorted(set(grant.field_groups)),
                notice_recipient=notice.recipient[:300],
                notice_purpose=notice.recipient_purpose[:500],
                notice_items=notice.items[:500],
                notice_retention=notice.retention[:300],
                notice_refusal=notice.refusal[:500],
            )
        )
    db.session.add(consent)
    db.session.flush()
    record(
        "consents.recorded",
        actor_id=actor.id,
        agency_id=agency.id,
        obj=consent,
        data={"client_id": client.id, "grants": len(consent.grants), "capacity": str(capacity)},
    )
    consent_changed(client.id)
    return consent


def revoke_consent(
    consent: Consent,
    *,
    actor: Person,
    grant: ConsentGrant | None = None,
    field_groups: Sequence[str] = (),
    reason: str | None = None,
) -> ConsentRevocation:
    """Withdraw the whole consent, one grant, or some field groups of a grant, effective at once.

    :raises InvalidTransition: when that part is already withdrawn (nothing is saved).
    """
    if grant is not None and grant.consent_id != consent.id:
        raise _fail("이 동의에 속하지 않은 항목입니다.", "grant_id", "The grant belongs to another consent.")
    unknown = set(field_groups) - set(FIELD_GROUPS)
    if unknown:
        raise _fail("알 수 없는 정보 항목입니다.", "field_groups", "Unknown field group.")
    existing = consent.revocations
    whole = [r for r in existing if r.grant_id is None]
    if any(not r.field_groups for r in whole):
        raise InvalidTransition("이미 철회된 동의입니다.", english="The consent is already withdrawn.")
    if grant is not None:
        mine = [r for r in existing if r.grant_id == grant.id]
        if any(not r.field_groups for r in mine):
            raise InvalidTransition("이미 철회된 항목입니다.", english="That part is already withdrawn.")
        already = {code for r in mine + whole for code in r.field_groups}
        remaining = set(grant.field_groups) - already
        if field_groups and not set(field_groups) & remaining:
            raise InvalidTransition("이미 철회된 항목입니다.", english="Those items are already withdrawn.")
        if not field_groups and not remaining:
            raise InvalidTransition("이미 철회된 항목입니다.", english="That part is already withdrawn.")
    elif field_groups:
        already = {code for r in whole for code in r.field_groups}
        if set(field_groups) <= already:
            raise InvalidTransition("이미 철회된 항목입니다.", english="Those items are already withdrawn.")
    revocation = ConsentRevocation(
        grant_id=grant.id if grant is not None else None,
        field_groups=sorted(set(field_groups)),
        recorded_by_id=actor.id,
        reason=(reason or "").strip()[:300] or None,
        revoked_at=now_utc(),
    )
    consent.revocations.append(revocation)
    db.session.flush()
    record(
        "consents.revoked",
        actor_id=actor.id,
        agency_id=consent.agency_id,
        obj=consent,
        data={"grant_id": revocation.grant_id, "field_groups": revocation.field_groups},
    )
    consent_changed(consent.client_id)
    return revocation


_COMMITTED_CHANGES = "consents_changed_clients"


def consent_changed(client_id: int) -> None:
    """Announce after commit that a client's consents changed: socket room ``client:<id>`` and the signal.

    The payload carries only the id; subscribers re-fetch through the gate. The signal goes out once
    the committing transaction has fully ended (see :func:`_send_committed_changes`), on the same
    thread, app context and session, so receivers may read and write the database there.
    """
    publish("consent_changed", {"client_id": client_id}, room=f"client:{client_id}", namespace="/live")
    session = db.session()
    after_commit(lambda: session.info.setdefault(_COMMITTED_CHANGES, set()).add(client_id), session)


@event.listens_for(Session, "after_transaction_end")
def _send_committed_changes(session: Session, transaction: SessionTransaction) -> None:
    # SQLAlchemy forbids SQL inside ``after_commit``; by ``after_transaction_end`` of the outermost
    # transaction the session has let go of it and begins a new one on the next statement. Sending
    # here (instead of from a background thread with a session of its own) keeps receivers on the
    # caller's connection: the data they read is exactly what was just committed, and under the
    # tests' rolled-back outer transaction nothing runs on a second thread over the same connection.
    if transaction.parent is not None:
        return
    client_ids = session.info.pop(_COMMITTED_CHANGES, None)
    if not client_ids:
        return
    for client_id in sorted(client_ids):
        for receiver in list(consent_changed_signal.receivers_for(client_id)):
            try:
                receiver(client_id)
            except Exception:
                # The change is committed already; a failing receiver (a live view that could not be
                # refreshed) must not turn the caller's success into an error. It re-syncs on its
                # next event anyway.
                logger.exception("consent_changed receiver failed for client %s", client_id)
                session.rollback()


def announce_expired_consents(on: date | None = None) -> list[int]:
    """Announce the clients whose consents ran out yesterday (expiry needs no write; the gate reads dates)."""
    day = (on or today_local()) - timedelta(days=1)
    client_ids = sorted(
        set(db.session.scalars(sa.select(Consent.client_id).where(Consent.valid_until == day)).all())
    )
    for client_id in client_ids:
        consent_changed(client_id)
    return client_ids


# Data-subject requests -------------------------------------------------------------------------


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
        raise _fail("요청 종류를 선택해 주십시오.", "kind", "Choose the kind of request.") from None
    received = received_on or today_local()
    if received > today_local():
        raise _fail(
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
        raise _fail("처리 내용을 적어 주십시오.", "outcome", "Describe how the request was answered.")
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


def _check_request_client(item: DataSubjectRequest, client: Client, kind: RequestKind) -> None:
    _require_open(item)
    if item.kind != kind or item.client_id != client.id:
        raise InvalidTransition(
            "이 요청에는 이 처리를 할 수 없습니다.", english="This request cannot be fulfilled that way."
        )


def _finish(item: DataSubjectRequest, actor: Person, outcome: str) -> None:
    item.status = RequestStatus.fulfilled
    item.outcome = outcome
    item.closed_at = now_utc()
    item.closed_by_id = actor.id


#: client columns a correction may change, with their Korean labels. 주민등록번호 is not corrected
#: here: a new number is recorded with its statutory basis by the public agency that may hold it.
CORRECTABLE_COLUMNS: dict[str, str] = {
    column: group.label_of(column)
    for group in FIELD_GROUPS.values()
    for column in group.columns
    if group.code != "unique_id"
}


def _corrected_value(name: str, raw: str) -> Any:
    from cases.models import Client

    label = CORRECTABLE_COLUMNS[name]
    text = raw.strip()
    column = Client.__table__.columns[name]
    if name == "lives_together":
        if text not in {"1", "0"}:
            raise _fail(f"{label}: 예 또는 아니오를 고르십시오.", name, "Choose yes or no.")
        return text == "1"
    if name == "name" and not text:
        raise _fail("이름은 비울 수 없습니다.", name, "The name cannot be empty.")
    if not text:
        return None
    if name == "birth_date":
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise _fail(f"{label}: 날짜 형식(YYYY-MM-DD)이 아닙니다.", name, "Not a date.") from None
        if day > today_local():
            raise _fail(f"{label}: 미래 날짜일 수 없습니다.", name, "The date is in the future.")
        return day
    if name in {"monthly_income", "debt_amount"}:
        try:
            amount = int(text.replace(",", ""))
        except ValueError:
            raise _fail(f"{label}: 숫자(만원)를 입력해 주십시오.", name, "Enter a number.") from None
        if amount < 0:
            raise _fail(f"{label}: 0 이상이어야 합니다.", name, "Must not be negative.")
        return amount
    length = getattr(column.type, "length", None)
    if length is not None and len(text) > length:
        raise _fail(f"{label}: {length}자 이하로 적어 주십시오.", name, f"At most {length} characters.")
    return text


def fulfil_correction(
    item: DataSubjectRequest, client: Client, *, actor: Person, changes: dict[str, str]
) -> dict[str, tuple[Any, Any]]:
    """Apply the reviewed corrections (정정) to the client record and close the request.

    The audit row keeps each changed field's value before and after (the access log never does).
    :raises ValidationFailed: a value of the wrong kind or nothing changed; nothing is saved.
    """
    _check_request_client(item, client, RequestKind.correction)
    unknown = set(changes) - set(CORRECTABLE_COLUMNS)
    if unknown:
        raise _fail("정정할 수 없는 항목입니다.", sorted(unknown)[0], "That field cannot be corrected here.")
    parsed = {name: _corrected_value(name, raw) for name, raw in changes.items()}
    # The owner's current values, read through the gate (the audit row keeps before and after).
    current = gate.field_values(client, {group_of_column(name) or "" for name in parsed})
    changed = {name: (current[name], value) for name, value in parsed.items() if current[name] != value}
    if not changed:
        raise _fail(
            "바뀐 항목이 없습니다. 대상자가 정정을 요구한 값을 입력해 주십시오.",
            "changes",
            "Nothing changed; enter the corrected values.",
        )
    for name, (_before, after) in changed.items():
        setattr(client, name, after)
    labels = ", ".join(CORRECTABLE_COLUMNS[name] for name in changed)
    _finish(item, actor, f"정정 반영: {labels}")
    db.session.flush()
    record(
        "consents.request_correction_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={
            "client_id": client.id,
            "before": {name: _json_safe(before) for name, (before, _after) in changed.items()},
            "after": {name: _json_safe(after) for name, (_before, after) in changed.items()},
        },
    )
    consent_changed(client.id)
    return changed


#: erased on every 삭제 request: contact details, the health profile (민감정보), the economic detail and
#: family relations are not part of the 사례관리 record the law makes us keep; they only served to reach
#: and assess the client, and the case records (욕구사정, 상담기록 …) that were built from them stay.
ERASED_ALWAYS: tuple[str, ...] = (
    "phone",
    "address",
    "emergency_contact",
    "monthly_income",
    "debt_amount",
    "debt_reason",
    "housing",
    "physical_health",
    "mental_health",
    "disability",
    "addiction",
    "family_relations",
)
#: kept while a case of the household is inside its retention (사회보장급여법 제34조: 5 years after the
#: case ends; ``cases.retention``): who the record is about, the household it was assessed in, and the
#: 보장 category its eligibility decisions rest on. PIPA 제36조① 단서 lets us refuse erasure of these.
KEPT_UNDER_RETENTION: tuple[str, ...] = (
    "name",
    "sex",
    "birth_date",
    "relationship_to_head",
    "lives_together",
    "benefit_category",
)
ERASED_MARK = "(삭제 요청으로 삭제됨)"


@dataclass(frozen=True)
class ErasurePlan:
    """What a 삭제 request removes now and what stays, and why."""

    retained_by_law: bool
    erased: tuple[str, ...]
    kept: tuple[str, ...]
    #: 주민등록번호 stays only when a public agency recorded the statute it processes it under
    rrn_kept: bool


def erasure_plan(client: Client) -> ErasurePlan:
    """Decide which of the client's personal fields a 삭제 request removes (see the two tuples above)."""
    from cases.models import Case

    open_records = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Case)
        .where(Case.household_id == client.household_id, Case.purged_at.is_(None))
    )
    if not open_records:
        return ErasurePlan(False, ERASED_ALWAYS + KEPT_UNDER_RETENTION, (), rrn_kept=False)
    unique = gate.field_values(client, ("unique_id",))
    rrn_kept = bool(unique["rrn_legal_basis"] and unique["rrn_masked"])
    return ErasurePlan(True, ERASED_ALWAYS, KEPT_UNDER_RETENTION, rrn_kept=rrn_kept)


def fulfil_deletion(item: DataSubjectRequest, client: Client, *, actor: Person) -> ErasurePlan:
    """Erase the client's personal fields not under statutory retention (삭제) and close the request.

    With no case record left to keep, the client becomes a pseudonymous skeleton (name replaced,
    every personal field emptied, hidden). The case skeleton and the access log always stay: the log
    is evidence of past disclosures (고시 제8조), not the client's profile. The audit row names the
    fields, never their values.
    """
    _check_request_client(item, client, RequestKind.deletion)
    plan = erasure_plan(client)
    for name in plan.erased:
        if name == "name":
            client.name = ERASED_MARK
        elif name == "lives_together":
            client.lives_together = True
        else:
            setattr(client, name, None)
    if not plan.rrn_kept:
        client.rrn_encrypted = None
        client.rrn_legal_basis = None
    if not plan.retained_by_law:
        client.mark_deleted()
    kept = "; ".join(
        part
        for part in (
            "법정 보존기간 중인 사례기록 때문에 보존: " + ", ".join(CORRECTABLE_COLUMNS[n] for n in plan.kept)
            if plan.kept
            else "",
            "주민등록번호(법령 근거) 보존" if plan.rrn_kept else "",
        )
        if part
    )
    _finish(
        item,
        actor,
        "삭제 반영: "
        + ", ".join(CORRECTABLE_COLUMNS[name] for name in plan.erased)
        + (f" ({kept})" if kept else ""),
    )
    db.session.flush()
    record(
        "consents.request_erasure_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={
            "client_id": client.id,
            "erased": list(plan.erased) + ([] if plan.rrn_kept else ["rrn_encrypted", "rrn_legal_basis"]),
            "retained_by_law": plan.retained_by_law,
        },
    )
    consent_changed(client.id)
    return plan


def fulfil_suspension(item: DataSubjectRequest, client: Client, *, actor: Person) -> DataSubjectRequest:
    """Stop sharing the client's data (처리정지): from now on the gate shows nothing to other agencies.

    The owning agency keeps its record (it must, to answer the request and for retention) but no
    consent carries anything further; live views are told at once.
    """
    _check_request_client(item, client, RequestKind.suspension)
    _finish(item, actor, "처리정지 반영: 다른 기관에 대한 제공·공유 중지")
    db.session.flush()
    record(
        "consents.request_suspension_applied",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={"client_id": client.id},
    )
    consent_changed(client.id)
    return item


def lift_suspension(
    item: DataSubjectRequest, *, actor: Person, ground: str, reason: str
) -> DataSubjectRequest:
    """End a fulfilled 처리정지 (PIPA 제37조): record who, when, on which ground and why; sharing resumes.

    The request row keeps its fulfilment; the end is written beside it once and never changed, so the
    history shows both. From then on the gate shares again as far as the consents allow.

    :raises InvalidTransition: when the request is not a fulfilled suspension or is already lifted.
    :raises ValidationFailed: for an unknown ground or an empty reason (nothing is saved).
    """
    if item.kind != RequestKind.suspension or item.status != RequestStatus.fulfilled:
        raise InvalidTransition(
            "처리정지를 반영한 요청만 해제할 수 있습니다.",
            english="Only a fulfilled suspension request can be lifted.",
        )
    if item.suspension_lifted_at is not None:
        raise InvalidTransition("이미 해제된 처리정지입니다.", english="The suspension is already lifted.")
    if ground not in SUSPENSION_LIFT_GROUNDS:
        raise _fail(
            "처리 재개의 근거를 선택해 주십시오.", "ground", "Choose the ground on which processing resumes."
        )
    text = reason.strip()
    if not text:
        raise _fail("해제 사유를 적어 주십시오.", "reason", "Give the reason for lifting the suspension.")
    if len(text) > 1000:
        raise _fail(
            "해제 사유는 1000자 이내로 적어 주십시오.", "reason", "Keep the reason within 1000 characters."
        )
    item.suspension_lifted_at = now_utc()
    item.suspension_lifted_by_id = actor.id
    item.suspension_lift_ground = ground
    item.suspension_lift_reason = text
    db.session.flush()
    record(
        "consents.request_suspension_lifted",
        actor_id=actor.id,
        agency_id=item.agency_id,
        obj=item,
        data={"client_id": item.client_id, "ground": ground, "reason": text},
    )
    # Live views and queued letters re-check the gate, as after any change of consent.
    consent_changed(item.client_id)
    return item


def remind_overdue_requests(on: date | None = None) -> list[int]:
    """Notify the recording worker of open requests due within 3 days or overdue (once per request)."""
    from agencies.models import Person
    from notifications.services import notify

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


def _json_safe(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_client_data(client: Client, *, actor: Person, agency: Agency, reason: str) -> dict[str, Any]:
    """Return the client's own data (record, consents, disclosures to others) for a 열람 request; logged."""
    from consents.gate import view_client

    view = view_client(
        client,
        actor,
        purpose="case_management",
        acting_agency_id=agency.id,
        channel=AccessChannel.export,
        reason=reason,
    )
    consents = db.session.scalars(
        sa.select(Consent).where(Consent.client_id == client.id).order_by(Consent.id)
    ).all()
    disclosures = db.session.scalars(
        sa.select(AccessLogEntry)
        .where(AccessLogEntry.client_id == client.id, AccessLogEntry.basis != "owner")
        .order_by(AccessLogEntry.id)
    ).all()
    return {
        "client": view.as_dict(),
        "consents": [
            {
                "id": consent.id,
                "signed_on": consent.signed_on.isoformat(),
                "signer_capacity": str(consent.signer_capacity),
                "valid_from": consent.valid_from.isoformat(),
                "valid_until": _json_safe(consent.valid_until),
                "notice_text": consent.notice_text,
                "grants": [
                    {
                        "purpose": str(grant.purpose),
                        "recipient": grant.notice_recipient,
                        "field_groups": grant.field_groups,
                        "retention": grant.notice_retention,
                    }
                    for grant in consent.grants
                ],
                "revocations": [
                    {
                        "revoked_at": _json_safe(r.revoked_at),
                        "grant_id": r.grant_id,
                        "field_groups": r.field_groups,
                    }
                    for r in consent.revocations
                ],
            }
            for consent in consents
        ],
        # 제3자 제공 현황 (시행령 제41조①4호): which agency received which groups, when
        "disclosures": [
            {
                "at": _json_safe(entry.created_at),
                "agency_id": entry.agency_id,
                "field_groups": entry.field_groups,
                "purpose": entry.purpose,
                "channel": str(entry.channel),
            }
            for entry in disclosures
        ],
    }


# Access-log review -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnusualAccess:
    """One actor who opened many clients outside their own cases in a month."""

    actor_id: int
    agency_id: int | None
    clients_outside_cases: int
    total_disclosures: int


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return the UTC instants that start this month and the next (months in Asia/Seoul)."""
    from hamkke.time import SEOUL

    start = datetime(year, month, 1, tzinfo=SEOUL)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SEOUL)
    return start.astimezone(UTC), end.astimezone(UTC)


def unusual_access_report(year: int, month: int, *, threshold: int | None = None) -> list[UnusualAccess]:
    """List actors who opened more than ``threshold`` distinct clients that are not in a case they work.

    "Their cases" are cases of the client's household where the actor is the case worker; export
    and download rows count as openings too.
    """
    from cases.models import Case, Client

    limit = (
        threshold
        if threshold is not None
        else int(current_app.config.get("CONSENTS_UNUSUAL_ACCESS_THRESHOLD") or DEFAULT_UNUSUAL_THRESHOLD)
    )
    start, end = month_bounds(year, month)
    rows = db.session.execute(
        sa.select(AccessLogEntry.actor_id, AccessLogEntry.agency_id, AccessLogEntry.client_id).where(
            AccessLogEntry.created_at >= start,
            AccessLogEntry.created_at < end,
            AccessLogEntry.actor_id.is_not(None),
        )
    ).all()
    own = set(
        db.session.execute(
            sa.select(Case.case_worker_id, Client.id).join(Client, Client.household_id == Case.household_id)
        ).all()
    )
    outside: dict[int, set[int]] = defaultdict(set)
    totals: Counter[int] = Counter()
    agency_of: dict[int, int | None] = {}
    for actor_id, agency_id, client_id in rows:
        totals[actor_id] += 1
        agency_of[actor_id] = agency_id
        if (actor_id, client_id) not in own:
            outside[actor_id].add(client_id)
    report = [
        UnusualAccess(actor_id, agency_of[actor_id], len(clients), totals[actor_id])
        for actor_id, clients in outside.items()
        if len(clients) > limit
    ]
    return sorted(report, key=lambda item: -item.clients_outside_cases)


# Messages about a client ------------------------------------------------------------------------


def queue_client_email(
    view: ClientView,
    *,
    to: str,
    subject: str,
    fields: Sequence[str],
    recipient_agency_id: int,
    idempotency_key: str,
) -> OutboxMessage:
    """Queue an e-mail showing some of a client's fields as the gate's view allows; re-checked at send time.

    The payload carries the consent scope (client, agency, purpose, groups), so delivery can hold the
    message back if the consent is withdrawn or expires while it waits.
    """
    from cases.fields import group_of_column
    from notifications.services import queue_email

    groups = sorted({group for name in fields if (group := group_of_column(name)) and view.can_see(group)})
    lines = [f"{name}: {view.get(name)}" for name in fields]
    message = queue_email(to=to, subject=subject, text="\n".join(lines), idempotency_key=idempotency_key)
    message.payload = {
        **message.payload,
        "consent_scope": {
            "client_id": view.client_id,
            "agency_id": recipient_agency_id,
            "purpose": view.purpose,
            "field_groups": groups,
        },
    }
    db.session.flush()
    return message


def review_last_month(on: date | None = None) -> list[UnusualAccess]:
    """Run the monthly access review (고시 제8조②) for the previous month; notify auditors once.

    The audit row and the notifications carry ids and counts only. Re-running in the same month
    notifies nobody twice (the notification dedupe key names the month).
    """
    from agencies.models import Membership, MembershipRole, MembershipStatus, Person, StaffRole
    from notifications.services import notify

    day = on or today_local()
    first_of_month = day.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    report = unusual_access_report(previous.year, previous.month)
    month = f"{previous.year:04d}-{previous.month:02d}"
    record(
        "consents.access_review",
        data={"month": month, "flagged": [[item.actor_id, item.clients_outside_cases] for item in report]},
    )
    auditors = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(MembershipRole.role == StaffRole.auditor, Membership.status == MembershipStatus.active)
        .distinct()
    ).all()
    for auditor in auditors:
        notify(
            auditor,
            "consents.access_review",
            title=f"{month} 접속기록 점검: 이상 접근 {len(report)}명",
            link=f"/consents/access-log/unusual?month={month}",
            dedupe_key=f"consents.access_review:{month}:{auditor.id}",
        )
    db.session.flush()
    return report
