"""Onboarding of an agency: invitation link → sign-in → first admin → 업무협약 → active agency.

1. A district coordinator invites an agency (`invite_agency`): the agency is created in state
   ``invited`` and bound to an identity provider; a one-time link (random token, only its
   SHA-256 stored, valid 7 days, single use) goes out by e-mail after commit and is shown once.
2. The invitee opens the link. The sign-in flow lets a person without any membership sign in
   when `pending_invitation_for` finds an invitation for their e-mail at that provider.
3. Signed in, the invitee accepts (`accept_invitation`): the e-mail must match; they become an
   active member with the agency_admin role, and the agency waits for the agreement.
4. The admin accepts the current 업무협약 text (`accept_agreement`): version, text hash, time and
   person are stored, and the agency becomes active.

A refused step (unknown, expired, used or revoked link, another e-mail, an agency that cannot join)
raises `InvitationRefused`; the caller rolls back, records the refusal with
`record_invitation_refusal` and commits that alone, so nothing of the refused step is saved.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import ClassVar
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app

from agencies.access import can_accept_agreement, can_manage_network, can_use_identity_provider
from agencies.agreement import current_agreement
from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    AgreementAcceptance,
    District,
    IdentityProvider,
    Invitation,
    InvitationStatus,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    Region,
    StaffRole,
    UserSession,
)
from agencies.services import (
    IdentityProviderData,
    create_identity_provider,
    email_allowed_by,
    normalise_email,
)
from hamkke import audit
from hamkke.db import after_commit, db
from hamkke.errors import DomainError, InvalidTransition, PermissionDenied, ValidationFailed
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

#: how long an invitation link works
INVITATION_LIFETIME = timedelta(days=7)
#: agency codes appear in URLs and the API: lower-case letters, digits and hyphens
AGENCY_CODE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
#: codes that would collide with the pages under /agencies/
RESERVED_CODES = frozenset({"network", "join"})
#: tokens are ``secrets.token_urlsafe(32)``; anything else is not ours and is not even hashed
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
#: agencies that may still use an invitation
JOINABLE_STATUSES = frozenset({AgencyStatus.invited})


class InvitationRefused(DomainError):
    """An invitation link cannot be used; ``code`` says why (stable, for the audit log and APIs)."""

    #: reason → (HTTP status, Korean message, English message)
    REASONS: ClassVar[dict[str, tuple[int, str, str]]] = {
        "invitation_unknown": (
            404,
            "초대 링크를 찾을 수 없습니다. 주소를 다시 확인하거나 구청 담당자에게 새 링크를 요청해 주세요.",
            "The invitation link is not valid.",
        ),
        "invitation_expired": (
            410,
            "초대 링크의 유효기간(7일)이 지났습니다. 구청 담당자에게 새 링크를 요청해 주세요.",
            "The invitation link has expired.",
        ),
        "invitation_used": (
            410,
            "이미 사용한 초대 링크입니다. 다시 가입하려면 구청 담당자에게 새 링크를 요청해 주세요.",
            "The invitation link has already been used.",
        ),
        "invitation_revoked": (
            410,
            "취소된 초대 링크입니다. 구청 담당자에게 문의해 주세요.",
            "The invitation was revoked.",
        ),
        "invitation_email_mismatch": (
            403,
            "초대받은 전자우편 주소와 로그인한 계정의 주소가 다릅니다. "
            "초대받은 주소의 계정으로 로그인해 주세요.",
            "You are signed in with another e-mail address than the one invited.",
        ),
        "invitation_provider_mismatch": (
            403,
            "이 기관에 지정된 인증 서버로 로그인해야 합니다. "
            "로그아웃한 뒤 기관 계정으로 다시 로그인해 주세요.",
            "Sign in through the identity provider assigned to this agency.",
        ),
        "invitation_agency_unavailable": (
            409,
            "초대받은 기관을 찾을 수 없거나 가입을 진행할 수 없는 상태입니다. 구청 담당자에게 문의해 주세요.",
            "The invited agency cannot join (unknown or in another state).",
        ),
    }

    def __init__(self, reason: str, *, invitation: Invitation | None = None) -> None:
        status, korean, english = self.REASONS[reason]
        super().__init__(korean, english=english)
        self.code = reason
        self.status_code = status
        #: which invitation was refused (None for an unknown token)
        self.invitation_id = invitation.id if invitation is not None else None
        self.agency_id = invitation.agency_id if invitation is not None else None


@dataclass(frozen=True)
class AgencyInvitationData:
    """What a coordinator enters to invite an agency."""

    name: str
    code: str
    type: AgencyType
    sector: AgencySector
    region_ids: tuple[int, ...]
    #: the invitee, who becomes the agency's first admin
    email: str
    #: bind an existing provider …
    identity_provider_id: int | None = None
    #: … or register a new one
    new_provider: IdentityProviderData | None = None


def hash_token(token: str) -> str:
    """Return the SHA-256 (hex) under which an invitation token is stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def external_url(endpoint: str, **values: object) -> str:
    """Build an absolute URL from ``BASE_URL`` (works in tasks and commands, without a request)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def invitation_link(token: str) -> str:
    """Return the link the invitee opens."""
    return external_url("agencies.join", token=token)


def _enqueue_email_after_commit(invitation_id: int, token: str) -> None:
    def enqueue() -> None:
        # function-level: agencies.tasks imports this module (hash_token, invitation_link)
        from agencies.tasks import send_invitation_email

        try:
            send_invitation_email.delay(invitation_id, token)
        except Exception:
            # The invitation is saved and the coordinator has the link on screen; a broker outage
            # must not turn that into an error page. They can re-send from the invitation list.
            logger.exception("Invitation e-mail for invitation %s could not be queued", invitation_id)

    after_commit(enqueue)


def _issue(agency: Agency, email: str, *, actor: Person, send_email: bool = True) -> tuple[Invitation, str]:
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        district_id=agency.district_id,
        agency_id=agency.id,
        email=email,
        token_hash=hash_token(token),
        expires_at=now_utc() + INVITATION_LIFETIME,
        created_by_id=actor.id,
    )
    db.session.add(invitation)
    db.session.flush()
    if send_email:
        _enqueue_email_after_commit(invitation.id, token)
    return invitation, token


def _validate_agency_fields(data: AgencyInvitationData, district: District) -> list[Region]:
    name = data.name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed("기관 이름을 200자 이내로 적어 주세요.", field="name", english="Enter a name.")
    code = data.code.strip()
    if not AGENCY_CODE_PATTERN.match(code) or code in RESERVED_CODES:
        raise ValidationFailed(
            "기관 코드는 영문 소문자, 숫자, 하이픈(-)으로 2~60자로 적어 주세요. 예: hanbit-welfare",
            field="code",
            english="Use 2-60 lower-case letters, digits and hyphens.",
        )
    if db.session.scalar(sa.select(Agency.id).where(Agency.code == code)) is not None:
        raise ValidationFailed(
            "이미 쓰이고 있는 기관 코드입니다.", field="code", english="The code is taken."
        )
    regions = list(
        db.session.scalars(
            sa.select(Region).where(Region.id.in_(data.region_ids), Region.district_id == district.id)
        )
    )
    if len(regions) != len(set(data.region_ids)):
        raise ValidationFailed("권역을 목록에서 골라 주세요.", field="region_ids", english="Unknown region.")
    return regions


def _provider_for(data: AgencyInvitationData, *, actor: Person, district: District) -> IdentityProvider:
    if data.new_provider is not None:
        return create_identity_provider(data.new_provider, actor=actor, district=district)
    provider = (
        db.session.get(IdentityProvider, data.identity_provider_id) if data.identity_provider_id else None
    )
    if provider is None or not can_use_identity_provider(actor, provider, district):
        raise ValidationFailed(
            "인증 서버를 목록에서 고르거나 새로 등록해 주세요.",
            field="identity_provider",
            english="Choose an identity provider or register a new one.",
        )
    return provider


def invite_agency(
    data: AgencyInvitationData, *, actor: Person, district: District, send_email: bool = True
) -> tuple[Invitation, str]:
    """Create an invited agency bound to a provider and a one-time link; return it and the token.

    The e-mail is sent by a task after commit (``send_email=False`` skips it, e.g. for demo data);
    the token is returned so the coordinator can be shown the link once. Only its hash is stored.
    """
    if not can_manage_network(actor, district):
        raise PermissionDenied(
            "기관 초대는 구청 통합사례관리 조정자만 할 수 있습니다.",
            english="Only the coordinator may invite.",
        )
    regions = _validate_agency_fields(data, district)
    email = normalise_email(data.email)
    provider = _provider_for(data, actor=actor, district=district)
    if not email_allowed_by(provider, email):
        # The invitee could not sign in through this provider: refuse now, not after seven days.
        raise ValidationFailed(
            "초대할 전자우편 주소의 도메인이 인증 서버에 허용된 도메인이 아닙니다.",
            field="email",
            english="The e-mail domain is not allowed by the identity provider.",
        )
    agency = Agency(
        district_id=district.id,
        code=data.code.strip(),
        name=data.name.strip(),
        type=data.type,
        sector=data.sector,
        status=AgencyStatus.invited,
        identity_provider=provider,
        regions=regions,
    )
    db.session.add(agency)
    db.session.flush()
    invitation, token = _issue(agency, email, actor=actor, send_email=send_email)
    audit.record(
        "agency.invited",
        actor_id=actor.id,
        agency_id=agency.id,
        obj=invitation,
        data={
            "agency_code": agency.code,
            "identity_provider_id": provider.id,
            "expires_at": _iso(invitation),
        },
    )
    db.session.flush()
    return invitation, token


def _iso(invitation: Invitation) -> str:
    return invitation.expires_at.isoformat()


def reissue_invitation(invitation: Invitation, *, actor: Person) -> tuple[Invitation, str]:
    """Replace a pending or expired invitation with a new link (the old one stops working)."""
    if not can_manage_network(actor, invitation.district):
        raise PermissionDenied(
            "기관 초대는 구청 통합사례관리 조정자만 할 수 있습니다.", english="Not allowed."
        )
    now = now_utc()
    status = invitation.status_at(now)
    if status not in {InvitationStatus.pending, InvitationStatus.expired}:
        raise InvalidTransition(
            "사용했거나 취소한 초대는 다시 보낼 수 없습니다.",
            english="Used or revoked invitations cannot be re-sent.",
        )
    if invitation.agency.status not in JOINABLE_STATUSES:
        raise InvalidTransition(
            "이 기관은 더 이상 초대할 수 없는 상태입니다.", english="The agency cannot join."
        )
    if status == InvitationStatus.pending:
        invitation.revoked_at = now
        invitation.revoked_by_id = actor.id
    replacement, token = _issue(invitation.agency, invitation.email, actor=actor)
    # A re-issued first-coordinator link (hamkke setup's) still makes its user the coordinator.
    replacement.grants_coordinator = invitation.grants_coordinator
    audit.record(
        "agency.invitation_reissued",
        actor_id=actor.id,
        agency_id=invitation.agency_id,
        obj=replacement,
        data={"replaces": invitation.id, "expires_at": _iso(replacement)},
    )
    db.session.flush()
    return replacement, token


def revoke_invitation(invitation: Invitation, *, actor: Person) -> None:
    """Stop a pending invitation link from working."""
    if not can_manage_network(actor, invitation.district):
        raise PermissionDenied(
            "기관 초대는 구청 통합사례관리 조정자만 할 수 있습니다.", english="Not allowed."
        )
    if invitation.status_at(now_utc()) != InvitationStatus.pending:
        raise InvalidTransition("대기 중인 초대만 취소할 수 있습니다.", english="Only pending invitations.")
    invitation.revoked_at = now_utc()
    invitation.revoked_by_id = actor.id
    audit.record(
        "agency.invitation_revoked", actor_id=actor.id, agency_id=invitation.agency_id, obj=invitation
    )
    db.session.flush()


def find_invitation(token: str) -> Invitation | None:
    """Return the invitation a link token belongs to, whatever its state (None for a malformed token)."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    return db.session.scalar(sa.select(Invitation).where(Invitation.token_hash == hash_token(token)))


def check_invitation(
    token: str, *, person: Person | None = None, identity_provider_id: int | None = None
) -> Invitation:
    """Return the usable invitation for ``token`` or raise `InvitationRefused` (changes nothing).

    With ``person``, also check that it is the invited person; ``identity_provider_id`` is the
    provider of their session (None for sessions without one, e.g. tests and break-glass).
    """
    invitation = find_invitation(token)
    if invitation is None:
        raise InvitationRefused("invitation_unknown")
    status = invitation.status_at(now_utc())
    if status == InvitationStatus.accepted:
        raise InvitationRefused("invitation_used", invitation=invitation)
    if status == InvitationStatus.revoked:
        raise InvitationRefused("invitation_revoked", invitation=invitation)
    if status == InvitationStatus.expired:
        raise InvitationRefused("invitation_expired", invitation=invitation)
    if invitation.agency.status not in JOINABLE_STATUSES:
        raise InvitationRefused("invitation_agency_unavailable", invitation=invitation)
    if person is not None:
        if not person.is_active or person.email.strip().casefold() != invitation.email.casefold():
            raise InvitationRefused("invitation_email_mismatch", invitation=invitation)
        if (
            identity_provider_id is not None
            and identity_provider_id != invitation.agency.identity_provider_id
        ):
            raise InvitationRefused("invitation_provider_mismatch", invitation=invitation)
    return invitation


def accept_invitation(token: str, *, person: Person, session_record: UserSession | None = None) -> Membership:
    """Use the link: the person becomes the agency's active admin and the agency awaits the agreement.

    ``session_record`` is the session that opened the link; if it was confined as "awaiting
    approval" (a person without membership), the invitation is that approval and lifts it.
    """
    provider_id = session_record.identity_provider_id if session_record is not None else None
    invitation = check_invitation(token, person=person, identity_provider_id=provider_id)
    agency = invitation.agency
    now = now_utc()
    membership = db.session.scalar(
        sa.select(Membership).where(Membership.person_id == person.id, Membership.agency_id == agency.id)
    )
    if membership is None:
        membership = Membership(person=person, agency=agency, status=MembershipStatus.active)
        db.session.add(membership)
    membership.status = MembershipStatus.active
    if StaffRole.agency_admin not in membership.role_set:
        # The coordinator's invitation is the grant, so it is recorded as theirs.
        membership.roles.append(
            MembershipRole(
                role=StaffRole.agency_admin, granted_at=now, granted_by_id=invitation.created_by_id
            )
        )
    coordinator = (
        invitation.grants_coordinator
        and agency.type == AgencyType.district_team
        and StaffRole.coordinator not in membership.role_set
    )
    if coordinator:
        # Only `hamkke setup` issues such an invitation: the operator's command is the grant.
        membership.roles.append(
            MembershipRole(role=StaffRole.coordinator, granted_at=now, granted_by_id=invitation.created_by_id)
        )
    invitation.accepted_at = now
    invitation.accepted_by_id = person.id
    agency.status = AgencyStatus.pending_agreement
    if session_record is not None and session_record.awaiting_approval:
        session_record.awaiting_approval = False
    if session_record is not None and session_record.acting_agency_id is None:
        # The session opened before the person belonged anywhere; it now acts for the agency they
        # joined, so pages that need an acting agency (scheduling a meeting) work without signing in again.
        session_record.acting_agency_id = agency.id
    db.session.flush()
    audit.record(
        "agency.invitation_accepted",
        actor_id=person.id,
        agency_id=agency.id,
        obj=invitation,
        data={"membership_id": membership.id},
    )
    audit.record(
        "agency.role_granted",
        actor_id=invitation.created_by_id,
        agency_id=agency.id,
        obj=membership,
        data={"person_id": person.id, "role": StaffRole.agency_admin.value, "via": "invitation"},
    )
    if coordinator:
        audit.record(
            "agency.role_granted",
            actor_id=invitation.created_by_id,
            agency_id=agency.id,
            obj=membership,
            data={"person_id": person.id, "role": StaffRole.coordinator.value, "via": "setup_invitation"},
        )
    db.session.flush()
    return membership


def record_invitation_refusal(error: InvitationRefused, *, actor_id: int | None) -> None:
    """Audit a refused use of an invitation link; the row outlives the refusal's rolled-back 4xx."""
    audit.record_refusal(
        "agency.invitation_refused",
        actor_id=actor_id,
        agency_id=error.agency_id,
        object_type="invitations",
        object_id=error.invitation_id,
        data={"reason": error.code},
    )
    db.session.flush()


def pending_invitation_for(email: str, provider_id: int) -> Invitation | None:
    """Return a usable invitation for ``email`` at identity provider ``provider_id``, if any.

    The sign-in flow calls this for a person without membership: an invitation lets them sign
    in so they can open their link. E-mail comparison ignores case.
    """
    address = (email or "").strip().casefold()
    if not address:
        return None
    return db.session.scalar(
        sa.select(Invitation)
        .join(Invitation.agency)
        .where(
            sa.func.lower(Invitation.email) == address,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now_utc(),
            Agency.identity_provider_id == provider_id,
            Agency.status.in_(list(JOINABLE_STATUSES)),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(1)
    )


def agencies_awaiting_agreement(person: Person) -> list[Agency]:
    """Return the agencies whose 업무협약 this person (as their admin) still has to accept."""
    return [m.agency for m in person.memberships if can_accept_agreement(person, m.agency)]


def accept_agreement(agency: Agency, *, actor: Person, version: str) -> AgreementAcceptance:
    """Accept the current 업무협약 for the agency (version, text hash, time, person) and activate it."""
    if not can_accept_agreement(actor, agency):
        raise PermissionDenied(
            "업무협약 동의는 가입 중인 기관의 기관관리자만 할 수 있습니다.",
            english="Only the joining agency's admin.",
        )
    agreement = current_agreement()
    if version != agreement.version:
        # The text changed while the page was open: they must read what they agree to.
        raise ValidationFailed(
            "협약 문안이 바뀌었습니다. 새 문안을 읽고 다시 동의해 주세요.",
            field="agree",
            english="The agreement text changed; read the new text and accept again.",
        )
    now = now_utc()
    acceptance = AgreementAcceptance(
        agency_id=agency.id,
        version=agreement.version,
        text_sha256=agreement.sha256,
        accepted_at=now,
        accepted_by_id=actor.id,
    )
    db.session.add(acceptance)
    agency.agreement_version = agreement.version
    agency.agreement_accepted_at = now
    agency.agreement_accepted_by_id = actor.id
    agency.status = AgencyStatus.active
    db.session.flush()
    audit.record(
        "agency.agreement_accepted",
        actor_id=actor.id,
        agency_id=agency.id,
        obj=acceptance,
        data={"version": agreement.version, "text_sha256": agreement.sha256},
    )
    audit.record("agency.activated", actor_id=actor.id, agency_id=agency.id, obj=agency, data={})
    db.session.flush()
    return acceptance
