"""Recording a consent (with the exact notice text shown) and withdrawing it, in whole or in part.

Services validate, add rows, flush and audit; they never commit (the view, task or command does).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from flask import current_app

from agencies.models import Agency, AgencySector, AgencyStatus
from cases.fields import FIELD_GROUPS
from consents import gate
from consents.models import (
    PURPOSE_LABELS,
    Consent,
    ConsentGrant,
    ConsentMethod,
    ConsentPurpose,
    ConsentRevocation,
    RecipientKind,
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
from consents.services.base import fail
from consents.services.changes import consent_changed
from consents.sharing import notice_items
from hamkke.audit import record
from hamkke.db import db
from hamkke.errors import InvalidTransition
from hamkke.time import now_utc

if TYPE_CHECKING:
    from agencies.models import Person
    from cases.models import Client

#: scans of signed paper forms
ATTACHMENT_TYPES: dict[str, tuple[str, bytes]] = {
    "application/pdf": (".pdf", b"%PDF-"),
    "image/png": (".png", b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": (".jpg", b"\xff\xd8\xff"),
}
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024

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


def _age_on(birth_date: date | None, on: date) -> int | None:
    if birth_date is None:
        return None
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def _validate_signer(client: Client, data: ConsentInput) -> SignerCapacity:
    try:
        capacity = SignerCapacity(data.signer_capacity)
    except ValueError:
        raise fail(
            "서명자 자격을 선택해 주십시오.", "signer_capacity", "Choose the signer's capacity."
        ) from None
    if not data.signer_name.strip():
        raise fail("서명자 이름을 적어 주십시오.", "signer_name", "Enter the signer's name.")
    if capacity != SignerCapacity.self and not (data.signer_relationship or "").strip():
        raise fail(
            "대리인이 서명할 때는 정보주체와의 관계를 적어야 합니다.",
            "signer_relationship",
            "A representative must state their relationship to the client.",
        )
    age = _age_on(gate.field_values(client, ("basic",))["birth_date"], data.signed_on)
    if age is not None and age < 14 and capacity != SignerCapacity.legal_representative:
        raise fail(
            "만 14세 미만 아동의 동의는 법정대리인이 해야 합니다.",
            "signer_capacity",
            "A child under 14 needs the legal representative's consent.",
        )
    if capacity != SignerCapacity.self and not (data.representation_evidence or "").strip():
        raise fail(
            "대리권을 확인한 방법(가족관계증명서 등)을 적어 주십시오.",
            "representation_evidence",
            "Record how the representative's authority was verified.",
        )
    return capacity


def _validate_grant(grant: GrantInput, index: int, client: Client, data: ConsentInput) -> Agency | None:
    prefix = f"grants-{index}-"
    kind = _validate_purpose_and_recipient_kind(grant, prefix)
    recipient = _validate_recipient_agency(grant, kind, client, prefix)
    _validate_special_groups(grant, kind, recipient, data, prefix)
    for name, label in (
        ("notice_purpose", "이용 목적"),
        ("notice_retention", "보유·이용 기간"),
        ("notice_refusal", "거부할 권리와 불이익"),
    ):
        if not getattr(grant, name).strip():
            raise fail(
                f"고지 사항이 빠졌습니다: {label}. 다섯 가지 고지 사항을 모두 알려야 합니다.",
                prefix + name,
                "All five notice items must be given.",
            )
    return recipient


def _validate_purpose_and_recipient_kind(grant: GrantInput, prefix: str) -> RecipientKind:
    """Check a grant's purpose, recipient kind and field groups, and that they fit together."""
    try:
        purpose = ConsentPurpose(grant.purpose)
        kind = RecipientKind(grant.recipient_kind)
    except ValueError:
        raise fail(
            "목적과 받는 자를 선택해 주십시오.", prefix + "purpose", "Choose purpose and recipient."
        ) from None
    if not grant.field_groups:
        raise fail("동의하는 정보 항목을 하나 이상 고르십시오.", prefix + "field_groups", "Choose the items.")
    unknown = set(grant.field_groups) - set(FIELD_GROUPS)
    if unknown:
        raise fail("알 수 없는 정보 항목입니다.", prefix + "field_groups", "Unknown field group.")
    if (purpose == ConsentPurpose.case_management) != (kind == RecipientKind.collector):
        raise fail(
            "수집·이용 동의는 수집 기관에 대해서만, 제3자 제공 동의는 다른 기관에 대해서만 받을 수 있습니다.",
            prefix + "recipient_kind",
            "Collection consent names the collector; provision names a recipient.",
        )
    if kind == RecipientKind.conference and (
        grant.conference_id is None or purpose != ConsentPurpose.conference_sharing
    ):
        raise fail(
            "통합사례회의 참석 기관에 대한 동의에는 회의와 '통합사례회의 공유' 목적이 필요합니다.",
            prefix + "conference_id",
            "A conference recipient needs a conference and the conference-sharing purpose.",
        )
    return kind


def _validate_recipient_agency(
    grant: GrantInput, kind: RecipientKind, client: Client, prefix: str
) -> Agency | None:
    """Return the active network agency a grant names (None for other kinds); never the collector."""
    if kind != RecipientKind.agency:
        return None
    recipient = db.session.get(Agency, grant.recipient_agency_id) if grant.recipient_agency_id else None
    if recipient is None or recipient.status != AgencyStatus.active:
        raise fail(
            "받는 자는 네트워크에 등록된 기관이어야 합니다.",
            prefix + "recipient_agency_id",
            "The recipient must be an agency of the network.",
        )
    if recipient.id == client.owning_agency_id:
        raise fail(
            "수집 기관 자신은 제3자가 아닙니다.",
            prefix + "recipient_agency_id",
            "The collector is not a third party.",
        )
    return recipient


def _validate_special_groups(
    grant: GrantInput, kind: RecipientKind, recipient: Agency | None, data: ConsentInput, prefix: str
) -> None:
    """Health data and unique identifiers need separate consents; identifiers go to public bodies only."""
    groups = set(grant.field_groups)
    if groups & SENSITIVE_GROUPS and not data.includes_sensitive:
        raise fail(
            "건강정보(민감정보)는 별도 동의를 받아야 포함할 수 있습니다.",
            "includes_sensitive",
            "Health data needs the separate sensitive-data consent.",
        )
    if groups & UNIQUE_ID_GROUPS:
        if not data.includes_unique_id:
            raise fail(
                "고유식별정보는 별도 동의를 받아야 포함할 수 있습니다.",
                "includes_unique_id",
                "Unique identifiers need their own consent.",
            )
        if kind != RecipientKind.collector and (recipient is None or recipient.sector != AgencySector.public):
            raise fail(
                "주민등록번호 등 고유식별정보는 법령 근거가 있는 공공기관에만 제공할 수 있습니다.",
                prefix + "field_groups",
                "Unique identifiers go only to public agencies with a statutory basis.",
            )
        if not (data.rrn_statutory_basis or "").strip():
            raise fail(
                "주민등록번호 처리의 법령 근거를 적어 주십시오.",
                "rrn_statutory_basis",
                "State the statute that permits processing the resident registration number.",
            )


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
        raise fail("스캔본은 PDF, PNG, JPEG 파일만 올릴 수 있습니다.", "attachment", "PDF, PNG or JPEG only.")
    if len(attachment.data) > MAX_ATTACHMENT_BYTES:
        raise fail("스캔본은 10MB 이하여야 합니다.", "attachment", "The scan may be at most 10 MB.")
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


def _validate_consent(
    client: Client, data: ConsentInput
) -> tuple[SignerCapacity, ConsentMethod, list[Agency | None]]:
    """Check the whole form before anything is stored; return the signer's capacity, method and recipients."""
    capacity = _validate_signer(client, data)
    try:
        method = ConsentMethod(data.method)
    except ValueError:
        raise fail("동의 방법을 선택해 주십시오.", "method", "Choose the method.") from None
    if data.notice_version not in NOTICE_TEMPLATES:
        raise fail("알 수 없는 고지문 판입니다.", "notice_version", "Unknown notice version.")
    if data.valid_until is not None and data.valid_until < data.valid_from:
        raise fail(
            "유효기간 종료일은 시작일보다 앞설 수 없습니다.",
            "valid_until",
            "Validity cannot end before it starts.",
        )
    if not data.grants:
        raise fail("동의 내용(목적과 받는 자)이 없습니다.", "grants", "A consent needs at least one grant.")
    recipients = [_validate_grant(grant, index, client, data) for index, grant in enumerate(data.grants)]
    if method == ConsentMethod.scanned_form and data.attachment is None:
        raise fail("서면 동의서 스캔본을 올려 주십시오.", "attachment", "Attach the scanned form.")
    return capacity, method, recipients


def _notice_grants(data: ConsentInput, recipients: list[Agency | None], agency: Agency) -> list[NoticeGrant]:
    """The five notice items of each grant as told to the signer (empty ① and ③ filled in)."""
    return [
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


def _grant_rows(data: ConsentInput, notice_grants: list[NoticeGrant], agency: Agency) -> list[ConsentGrant]:
    """Build the grant rows of a consent, each with the notice items it was given under."""
    return [
        ConsentGrant(
            purpose=ConsentPurpose(grant.purpose),
            recipient_kind=RecipientKind(grant.recipient_kind),
            recipient_agency_id=grant.recipient_agency_id
            if grant.recipient_kind == RecipientKind.agency
            else None,
            conference_id=grant.conference_id if grant.recipient_kind == RecipientKind.conference else None,
            district_id=agency.district_id if grant.recipient_kind == RecipientKind.network else None,
            field_groups=sorted(set(grant.field_groups)),
            notice_recipient=notice.recipient[:300],
            notice_purpose=notice.recipient_purpose[:500],
            notice_items=notice.items[:500],
            notice_retention=notice.retention[:300],
            notice_refusal=notice.refusal[:500],
        )
        for grant, notice in zip(data.grants, notice_grants, strict=True)
    ]


def record_consent(client: Client, data: ConsentInput, *, actor: Person, agency: Agency) -> Consent:
    """Validate and store one signer's consent with its grants and the exact notice text shown.

    :raises ValidationFailed: with a Korean message; nothing is saved.
    """
    capacity, method, recipients = _validate_consent(client, data)
    notice_grants = _notice_grants(data, recipients, agency)
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
    consent.grants.extend(_grant_rows(data, notice_grants, agency))
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
        raise fail("이 동의에 속하지 않은 항목입니다.", "grant_id", "The grant belongs to another consent.")
    unknown = set(field_groups) - set(FIELD_GROUPS)
    if unknown:
        raise fail("알 수 없는 정보 항목입니다.", "field_groups", "Unknown field group.")
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
