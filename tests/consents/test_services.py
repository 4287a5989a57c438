"""Recording and revoking consents: complete records, separate consents, refusals that save nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from cases.models import Client
from consents import services
from consents.models import Consent, ConsentRevocation
from consents.policy import notice_hash
from hamkke.audit import AuditEntry
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import today_local
from tests.fixtures.consents import ConsentWorld, consent_input, grant

pytestmark = pytest.mark.embedded


def _count(db: Any, model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def test_record_consent_stores_grants_notice_snapshot_and_audit(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    consent = sign_consent(
        client,
        grant("case_management", "collector", ("basic", "economic")),
        grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "family")),
    )
    assert [g.recipient_kind for g in consent.grants] == ["collector", "agency"]
    assert consent.grants[1].notice_recipient == consent_world.recipient.name
    # The exact text shown is stored, with all five items of the third-party grant and its hash.
    text = consent.notice_text
    for item in (
        "① 제공받는 자: 다음정신건강복지센터",
        "② 이용 목적",
        "③ 항목: 기본정보, 가족관계",
        "④",
        "⑤ 거부할 권리",
    ):
        assert item in text
    assert consent.notice_sha256 == notice_hash(text)
    assert consent.notice_version == "2026-11"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "consents.recorded"))
    assert entry is not None
    assert entry.object_id == consent.id


BAD_INPUTS: list[tuple[str, Callable[[ConsentWorld], services.ConsentInput], str]] = [
    (
        "missing-notice-items",
        lambda w: consent_input(
            grant(recipient_agency_id=w.recipient.id, notice_refusal="", notice_retention="")
        ),
        "고지 사항이 빠졌습니다",
    ),
    ("recipient-not-agency", lambda w: consent_input(grant(recipient_agency_id=987654)), "등록된 기관"),
    ("recipient-missing", lambda w: consent_input(grant(recipient_agency_id=None)), "등록된 기관"),
    (
        "validity-ends-before-start",
        lambda w: consent_input(
            grant(recipient_agency_id=w.recipient.id),
            valid_from=today_local(),
            valid_until=today_local() - timedelta(days=1),
        ),
        "유효기간 종료일",
    ),
    (
        "guardian-without-relationship",
        lambda w: consent_input(
            grant(recipient_agency_id=w.recipient.id),
            signer_capacity="guardian",
            representation_evidence="증명서",
        ),
        "관계를 적어야",
    ),
    ("no-grants", lambda w: consent_input(), "동의 내용"),
    (
        "health-without-sensitive-consent",
        lambda w: consent_input(grant(recipient_agency_id=w.recipient.id, field_groups=("health",))),
        "민감정보",
    ),
    (
        "unique-id-to-private-agency",
        lambda w: consent_input(
            grant(recipient_agency_id=w.recipient.id, field_groups=("unique_id",)),
            includes_unique_id=True,
            rrn_statutory_basis="사회보장급여법",
        ),
        "공공기관에만",
    ),
    (
        "unique-id-without-statute",
        lambda w: consent_input(
            grant(recipient_agency_id=w.public.id, field_groups=("unique_id",)), includes_unique_id=True
        ),
        "법령 근거",
    ),
    (
        "scan-method-without-file",
        lambda w: consent_input(grant(recipient_agency_id=w.recipient.id), method="scanned_form"),
        "스캔본",
    ),
    (
        "scan-wrong-type",
        lambda w: consent_input(
            grant(recipient_agency_id=w.recipient.id),
            method="scanned_form",
            attachment=services.Attachment("a.exe", "application/pdf", b"MZ\x90\x00"),
        ),
        "PDF, PNG, JPEG",
    ),
    (
        "conference-without-id",
        lambda w: consent_input(grant("conference_sharing", "conference")),
        "통합사례회의",
    ),
    (
        "collection-for-other-agency",
        lambda w: consent_input(grant("case_management", "agency", recipient_agency_id=w.recipient.id)),
        "수집·이용 동의",
    ),
]


@pytest.mark.parametrize(
    ("build", "message"), [(b, m) for _, b, m in BAD_INPUTS], ids=[i for i, _, _ in BAD_INPUTS]
)
def test_record_consent_refuses_bad_input_in_korean_and_saves_nothing(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    build: Callable[[ConsentWorld], services.ConsentInput],
    message: str,
) -> None:
    client = create_client()
    before = _count(db, Consent)
    with pytest.raises(ValidationFailed, match=message) as info:
        services.record_consent(
            client, build(consent_world), actor=consent_world.worker, agency=consent_world.owner
        )
    assert info.value.english
    assert _count(db, Consent) == before


def test_child_under_14_needs_legal_representative(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    child = create_client(birth_date=today_local() - timedelta(days=365 * 10))
    with pytest.raises(ValidationFailed, match="법정대리인"):
        sign_consent(child, grant(recipient_agency_id=consent_world.recipient.id))
    consent = sign_consent(
        child,
        grant(recipient_agency_id=consent_world.recipient.id),
        signer_capacity="legal_representative",
        signer_relationship="모",
        representation_evidence="가족관계증명서",
    )
    assert consent.signer_relationship == "모"


def test_scanned_form_is_stored_under_instance_folder(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    data = b"%PDF-1.4 signed form"
    consent = sign_consent(
        create_client(),
        grant(recipient_agency_id=consent_world.recipient.id),
        method="scanned_form",
        attachment=services.Attachment("form.pdf", "application/pdf", data),
    )
    assert consent.attachment_path is not None
    assert (services.attachment_folder() / consent.attachment_path).read_bytes() == data


def test_revoke_partial_then_full_then_twice_is_refused(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    consent = sign_consent(
        create_client(),
        grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "family")),
    )
    target = consent.grants[0]
    services.revoke_consent(consent, actor=consent_world.worker, grant=target, field_groups=["family"])
    with pytest.raises(InvalidTransition, match="이미 철회"):
        services.revoke_consent(consent, actor=consent_world.worker, grant=target, field_groups=["family"])
    services.revoke_consent(consent, actor=consent_world.worker, reason="본인 요청")
    with pytest.raises(InvalidTransition, match="이미 철회된 동의"):
        services.revoke_consent(consent, actor=consent_world.worker)
    rows = db.session.scalars(
        sa.select(ConsentRevocation).where(ConsentRevocation.consent_id == consent.id)
    ).all()
    # Append-only: the grant itself is unchanged; each revocation is a row.
    assert len(rows) == 2
    assert target.field_groups == ["basic", "family"]


def test_revoke_all_groups_of_grant_one_by_one_then_whole_grant_is_refused(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    consent = sign_consent(create_client(), grant(recipient_agency_id=consent_world.recipient.id))
    services.revoke_consent(
        consent, actor=consent_world.worker, grant=consent.grants[0], field_groups=["basic"]
    )
    with pytest.raises(InvalidTransition):
        services.revoke_consent(consent, actor=consent_world.worker, grant=consent.grants[0])


def test_data_subject_request_has_ten_day_deadline_and_closes_once(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    client = create_client()
    received = today_local() - timedelta(days=2)
    item = services.record_request(
        client, actor=consent_world.worker, agency=consent_world.owner, kind="access", received_on=received
    )
    assert item.due_on == received + timedelta(days=10)
    with pytest.raises(ValidationFailed):
        services.record_request(
            client, actor=consent_world.worker, agency=consent_world.owner, kind="nonsense"
        )
    services.close_request(item, actor=consent_world.worker, outcome="열람 자료 제공")
    with pytest.raises(InvalidTransition):
        services.close_request(item, actor=consent_world.worker, outcome="again")


def test_remind_overdue_requests_notifies_once(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    from notifications.models import Notification

    item = services.record_request(
        create_client(),
        actor=consent_world.worker,
        agency=consent_world.owner,
        kind="deletion",
        received_on=today_local() - timedelta(days=8),
    )
    assert services.remind_overdue_requests() == [item.id]
    assert services.remind_overdue_requests() == []
    notes = db.session.scalars(
        sa.select(Notification).where(Notification.person_id == consent_world.worker.id)
    ).all()
    assert len(notes) == 1


def test_announce_expired_consents_lists_yesterdays_expiries(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(
        client,
        grant(recipient_agency_id=consent_world.recipient.id),
        signed_on=date(2020, 1, 1),
        valid_from=date(2020, 1, 1),
        valid_until=today_local() - timedelta(days=1),
    )
    assert services.announce_expired_consents() == [client.id]


def test_consent_rows_are_append_only_through_the_orm(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    from consents.models import AppendOnlyViolation

    consent = sign_consent(create_client(), grant(recipient_agency_id=consent_world.recipient.id))
    assert consent.notice_intact
    consent.notice_text = "바뀐 고지문"
    assert not consent.notice_intact
    with pytest.raises(AppendOnlyViolation):
        db.session.flush()
    db.session.rollback()
