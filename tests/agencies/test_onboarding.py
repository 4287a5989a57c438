"""Inviting an agency, using the link, and the 업무협약: the service layer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from agencies import onboarding
from agencies.agreement import current_agreement
from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    AgreementAcceptance,
    IdentityProvider,
    Invitation,
    Membership,
    MembershipStatus,
    Person,
    StaffRole,
)
from agencies.services import IdentityProviderData
from hamkke.audit import AuditEntry
from hamkke.crypto import encrypt_text
from hamkke.errors import PermissionDenied, ValidationFailed
from hamkke.time import now_utc
from tests.agencies.conftest import Network


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, str]]:
    """Capture invitation e-mails handed to Celery (after commit) instead of sending them."""
    from agencies.tasks import send_invitation_email

    calls: list[tuple[int, str]] = []
    monkeypatch.setattr(
        send_invitation_email, "delay", lambda invitation_id, token: calls.append((invitation_id, token))
    )
    return calls


@pytest.fixture
def provider(db: Any, network: Network) -> IdentityProvider:
    provider = IdentityProvider(
        name="누리 계정",
        issuer="https://login.nuri.example",
        client_id="hamkke",
        client_secret_encrypted=encrypt_text("secret"),
        allowed_email_domains=["nuri.or.kr"],
        claim_rule={},
        district_id=network.district.id,
    )
    db.session.add(provider)
    db.session.flush()
    return provider


def invitation_data(
    network: Network, provider: IdentityProvider | None, **overrides: Any
) -> onboarding.AgencyInvitationData:
    values: dict[str, Any] = {
        "name": "누리청소년상담복지센터",
        "code": "nuri-youth",
        "type": AgencyType.youth_counselling_centre,
        "sector": AgencySector.private,
        "region_ids": tuple(region.id for region in network.district.regions),
        "email": "Head@Nuri.or.kr",
        "identity_provider_id": provider.id if provider else None,
    }
    values.update(overrides)
    return onboarding.AgencyInvitationData(**values)


def audit_actions(db: Any) -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def invite(db: Any, network: Network, provider: IdentityProvider, **overrides: Any) -> tuple[Invitation, str]:
    invitation, token = onboarding.invite_agency(
        invitation_data(network, provider, **overrides), actor=network.coordinator, district=network.district
    )
    db.session.commit()
    return invitation, token


def test_invite_creates_an_invited_agency_and_a_hashed_single_use_link(
    db: Any, network: Network, provider: IdentityProvider, queued: list[tuple[int, str]]
) -> None:
    invitation, token = onboarding.invite_agency(
        invitation_data(network, provider), actor=network.coordinator, district=network.district
    )
    assert queued == []  # nothing leaves before the commit

    db.session.commit()

    agency = invitation.agency
    assert agency.status == AgencyStatus.invited
    assert agency.identity_provider_id == provider.id
    assert [region.id for region in agency.regions] == [region.id for region in network.district.regions]
    assert invitation.email == "Head@nuri.or.kr"
    assert invitation.token_hash == onboarding.hash_token(token)
    assert token not in invitation.token_hash
    assert timedelta(days=6, hours=23) < invitation.expires_at - now_utc() <= timedelta(days=7)
    assert queued == [(invitation.id, token)]
    assert "agency.invited" in audit_actions(db)
    assert onboarding.invitation_link(token).startswith("http://localhost/agencies/join/")


def test_invite_with_a_new_identity_provider(
    db: Any, network: Network, queued: list[tuple[int, str]]
) -> None:
    new = IdentityProviderData(
        name="새 계정",
        issuer="https://id.new.example",
        client_id="c",
        client_secret="s",
        claim_name="hamkke_agency",
    )
    invitation, _token = invite(db, network, None, new_provider=new, email="a@new.example")  # type: ignore[arg-type]

    bound = invitation.agency.identity_provider
    assert bound is not None
    assert bound.issuer == "https://id.new.example"
    assert bound.district_id == network.district.id
    assert "agency.identity_provider_created" in audit_actions(db)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"code": "Bad Code"}, "code"),
        ({"code": "network"}, "code"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "someone@elsewhere.example"}, "email"),  # the provider would not let them sign in
        ({"region_ids": (999_999,)}, "region_ids"),
        ({"identity_provider_id": None}, "identity_provider"),
    ],
)
def test_invalid_invitation_saves_nothing(
    db: Any, network: Network, provider: IdentityProvider, overrides: dict[str, Any], field: str
) -> None:
    db.session.commit()
    agencies_before = db.session.scalar(sa.select(sa.func.count()).select_from(Agency))
    with pytest.raises(ValidationFailed) as refused:
        onboarding.invite_agency(
            invitation_data(network, provider, **overrides),
            actor=network.coordinator,
            district=network.district,
        )
    db.session.rollback()
    assert refused.value.field == field
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Agency)) == agencies_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Invitation)) == 0


def test_taken_code_is_refused(db: Any, network: Network, provider: IdentityProvider) -> None:
    with pytest.raises(ValidationFailed) as refused:
        onboarding.invite_agency(
            invitation_data(network, provider, code=network.agency.code),
            actor=network.coordinator,
            district=network.district,
        )
    assert refused.value.field == "code"


def test_only_a_coordinator_of_the_district_invites(
    db: Any, network: Network, provider: IdentityProvider
) -> None:
    for actor in (network.admin, network.worker):
        with pytest.raises(PermissionDenied):
            onboarding.invite_agency(
                invitation_data(network, provider), actor=actor, district=network.district
            )
    with pytest.raises(PermissionDenied):
        onboarding.invite_agency(
            invitation_data(network, provider), actor=network.coordinator, district=network.other_district
        )


def test_pending_invitation_for_matches_email_and_provider(
    db: Any, network: Network, provider: IdentityProvider, queued: list[tuple[int, str]]
) -> None:
    invitation, _ = invite(db, network, provider)

    assert onboarding.pending_invitation_for("head@NURI.or.kr", provider.id) == invitation
    assert onboarding.pending_invitation_for("other@nuri.or.kr", provider.id) is None
    assert onboarding.pending_invitation_for("head@nuri.or.kr", provider.id + 1000) is None
    assert onboarding.pending_invitation_for("", provider.id) is None
    with time_machine.travel(now_utc() + timedelta(days=8), tick=False):
        assert onboarding.pending_invitation_for("head@nuri.or.kr", provider.id) is None


def test_accept_invitation_makes_the_invitee_admin_of_the_joining_agency(
    db: Any, network: Network, provider: IdentityProvider, create_person: Callable[..., Person], queued: Any
) -> None:
    invitation, token = invite(db, network, provider)
    invitee = create_person(email="head@nuri.or.kr", name="박센터")

    membership = onboarding.accept_invitation(token, person=invitee)
    db.session.commit()

    assert membership.status == MembershipStatus.active
    assert membership.role_set == {StaffRole.agency_admin}
    assert invitation.agency.status == AgencyStatus.pending_agreement
    assert invitation.accepted_by_id == invitee.id
    assert invitation.accepted_at is not None
    assert onboarding.agencies_awaiting_agreement(invitee) == [invitation.agency]
    actions = audit_actions(db)
    assert "agency.invitation_accepted" in actions
    assert "agency.role_granted" in actions
    # Used once: the same link is refused afterwards, and no longer lets anyone sign in.
    with pytest.raises(onboarding.InvitationRefused) as refused:
        onboarding.check_invitation(token, person=invitee)
    assert refused.value.code == "invitation_used"
    assert onboarding.pending_invitation_for("head@nuri.or.kr", provider.id) is None


@pytest.mark.parametrize(
    ("situation", "code", "status"),
    [
        ("unknown", "invitation_unknown", 404),
        ("malformed", "invitation_unknown", 404),
        ("expired", "invitation_expired", 410),
        ("revoked", "invitation_revoked", 410),
        ("email", "invitation_email_mismatch", 403),
        ("provider", "invitation_provider_mismatch", 403),
        ("agency", "invitation_agency_unavailable", 409),
    ],
)
def test_refused_invitations_change_nothing(
    db: Any,
    network: Network,
    provider: IdentityProvider,
    create_person: Callable[..., Person],
    queued: Any,
    situation: str,
    code: str,
    status: int,
) -> None:
    invitation, token = invite(db, network, provider)
    invitee = create_person(email="head@nuri.or.kr")
    session_provider: int | None = None
    if situation == "unknown":
        token = "x" * 43
    elif situation == "malformed":
        token = "../../etc/passwd"
    elif situation == "revoked":
        onboarding.revoke_invitation(invitation, actor=network.coordinator)
    elif situation == "email":
        invitee = create_person(email="intruder@nuri.or.kr")
    elif situation == "provider":
        session_provider = provider.id + 1000
    elif situation == "agency":
        invitation.agency.status = AgencyStatus.suspended
    db.session.commit()

    travel = now_utc() + (timedelta(days=7, seconds=1) if situation == "expired" else timedelta(0))
    with time_machine.travel(travel, tick=False), pytest.raises(onboarding.InvitationRefused) as refused:
        onboarding.check_invitation(token, person=invitee, identity_provider_id=session_provider)

    assert (refused.value.code, refused.value.status_code) == (code, status)
    assert refused.value.message  # Korean, shown to the person
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(Membership).where(Membership.person_id == invitee.id)
        )
        == 0
    )
    db.session.refresh(invitation)
    assert invitation.accepted_at is None


def test_refusal_is_audited_on_its_own(
    db: Any, network: Network, provider: IdentityProvider, queued: Any
) -> None:
    invitation, _ = invite(db, network, provider)
    error = onboarding.InvitationRefused("invitation_expired", invitation=invitation)

    onboarding.record_invitation_refusal(error, actor_id=None)

    row = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "agency.invitation_refused"))
    assert row is not None
    assert (row.object_id, row.agency_id, row.data) == (
        invitation.id,
        invitation.agency_id,
        {"reason": "invitation_expired"},
    )


def test_reissue_replaces_the_link(
    db: Any, network: Network, provider: IdentityProvider, queued: list[tuple[int, str]]
) -> None:
    invitation, old_token = invite(db, network, provider)

    replacement, new_token = onboarding.reissue_invitation(invitation, actor=network.coordinator)
    db.session.commit()

    assert replacement.id != invitation.id
    assert new_token != old_token
    with pytest.raises(onboarding.InvitationRefused, match="취소된"):
        onboarding.check_invitation(old_token)
    assert onboarding.check_invitation(new_token) == replacement
    assert queued[-1] == (replacement.id, new_token)


def test_accept_agreement_stores_version_time_and_person_and_activates(
    db: Any, create_agency: Callable[..., Agency], create_person: Callable[..., Person]
) -> None:
    joining = create_agency(status=AgencyStatus.pending_agreement)
    admin = create_person(agency=joining, roles=[StaffRole.agency_admin])
    text = current_agreement()

    acceptance = onboarding.accept_agreement(joining, actor=admin, version=text.version)

    assert joining.status == AgencyStatus.active
    assert (joining.agreement_version, joining.agreement_accepted_by_id) == (text.version, admin.id)
    assert joining.agreement_accepted_at is not None
    stored = db.session.scalar(
        sa.select(AgreementAcceptance).where(AgreementAcceptance.agency_id == joining.id)
    )
    assert stored == acceptance
    assert stored.text_sha256 == text.sha256
    assert stored.accepted_by_id == admin.id
    assert {"agency.agreement_accepted", "agency.activated"} <= set(audit_actions(db))


def test_agreement_for_an_outdated_version_is_refused(
    db: Any, create_agency: Callable[..., Agency], create_person: Callable[..., Person]
) -> None:
    joining = create_agency(status=AgencyStatus.pending_agreement)
    admin = create_person(agency=joining, roles=[StaffRole.agency_admin])

    with pytest.raises(ValidationFailed, match="문안이 바뀌었습니다"):
        onboarding.accept_agreement(joining, actor=admin, version="2019-1")
    assert joining.status == AgencyStatus.pending_agreement


def test_agreement_text_is_korean_and_covers_the_duties() -> None:
    text = current_agreement().plain_text
    for duty in ("개인정보 보호법", "목적 외", "접속기록", "비밀유지", "파기", "3년"):
        assert duty in text
