"""Operations of the district network: staff and roles, agency status, identity providers, API clients.

Services check the actor's permission again (ASVS 8.3.1: enforce at a trusted service layer),
validate, change rows, ``flush()`` and write an audit row; they never commit. The view, task or
command that called them commits once.

Every grant, change and removal of a permission writes an audit row (``agency.role_granted``,
``agency.role_revoked``, ``agency.member_removed``, ``agency.person_disabled``, ``agency.suspended``, …).
Those rows are evidence under 「개인정보의 안전성 확보조치 기준」 제5조③ and must be kept for at
least 3 years; the retention job that arrives with a later issue may purge them only after that.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from agencies.access import (
    can_change_agency_status,
    can_manage_agency,
    can_manage_identity_provider,
    can_manage_network,
    can_manage_person,
)
from agencies.models import (
    Agency,
    AgencyStatus,
    AgencyType,
    ApiClient,
    ApiToken,
    District,
    IdentityProvider,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    StaffRole,
    UserSession,
)
from agencies.sessions import end_session, end_sessions_for_agency, end_sessions_of
from agencies.signin.provider_rules import check_binding
from hamkke import audit
from hamkke.api.credentials import generate_client_id, generate_client_secret, hash_credential
from hamkke.api.scopes import SCOPE_NAMES
from hamkke.crypto import encrypt_text
from hamkke.db import after_commit, db
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import now_utc

logger = logging.getLogger(__name__)

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
DOMAIN_PATTERN = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$")
CLAIM_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:-]{0,99}$")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
MAX_REASON_LENGTH = 300


# --- shared validation ---------------------------------------------------------------------------


def normalise_email(value: str, *, field_name: str = "email") -> str:
    """Return the e-mail address trimmed with a lower-case domain; raise ValidationFailed if malformed."""
    value = value.strip()
    if len(value) > 200 or not EMAIL_PATTERN.match(value):
        raise ValidationFailed(
            "전자우편 주소 형식이 올바르지 않습니다. 예: name@agency.or.kr",
            field=field_name,
            english="Enter a valid e-mail address.",
        )
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def normalise_domains(values: Iterable[str]) -> tuple[str, ...]:
    """Return e-mail domains lower-cased and deduplicated; raise ValidationFailed on a malformed one."""
    domains: list[str] = []
    for raw in values:
        domain = raw.strip().lower().lstrip("@")
        if not domain:
            continue
        if not DOMAIN_PATTERN.match(domain):
            raise ValidationFailed(
                with_particle(f"'{domain[:60]}'", "은") + " 올바른 도메인이 아닙니다. 예: hanbit.go.kr",
                field="allowed_email_domains",
                english="Enter valid e-mail domains, one per line.",
            )
        if domain not in domains:
            domains.append(domain)
    return tuple(domains)


def email_allowed_by(provider: IdentityProvider, email: str) -> bool:
    """Tell whether ``email`` passes the provider's domain list (empty: the claim rule decides)."""
    if not provider.allowed_email_domains:
        return True
    domain = email.rpartition("@")[2].lower()
    return domain in {d.lower() for d in provider.allowed_email_domains}


def _require_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed("사유를 적어 주세요.", field="reason", english="Give a reason.")
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            f"사유는 {MAX_REASON_LENGTH}자 이내로 적어 주세요.",
            field="reason",
            english="The reason is too long.",
        )
    return text


def _deny(message: str, english: str) -> PermissionDenied:
    return PermissionDenied(message, english=english)


def _cut_live_sessions_after_commit(session_ids: list[int]) -> None:
    """After commit, disconnect the live sockets of sessions that were just ended."""
    if not session_ids:
        return
    ids = list(session_ids)

    def cut() -> None:
        # The sessions are already ended server-side, so every HTTP request is refused at once;
        # cutting open sockets is the socket side's job (agencies.signin.services, written by the
        # sign-in work). If that module is not there yet, there is nothing to cut through.
        if importlib.util.find_spec("agencies.signin.services") is None:
            return
        module = importlib.import_module("agencies.signin.services")
        module.cut_live_sessions(ids)

    after_commit(cut)


# --- staff and roles -----------------------------------------------------------------------------


def _check_role_allowed(agency: Agency, role: StaffRole) -> None:
    # The coordinator role carries district-wide rights, so it exists only in the district team;
    # an admin of any other agency could otherwise make themselves district coordinator.
    if role == StaffRole.coordinator and agency.type != AgencyType.district_team:
        raise ValidationFailed(
            "통합사례관리 조정자 역할은 구청 통합사례관리팀 직원에게만 줄 수 있습니다.",
            field="roles",
            english="The coordinator role exists only in the district team.",
        )


def _add_role(membership: Membership, role: StaffRole, *, actor: Person, via: str) -> MembershipRole:
    grant = MembershipRole(role=role, granted_at=now_utc(), granted_by_id=actor.id)
    membership.roles.append(grant)
    audit.record(
        "agency.role_granted",
        actor_id=actor.id,
        agency_id=membership.agency_id,
        obj=membership,
        data={"person_id": membership.person_id, "role": role.value, "via": via},
    )
    return grant


def _active_admins(agency: Agency) -> list[Membership]:
    return [
        m
        for m in agency.memberships
        if m.status == MembershipStatus.active and StaffRole.agency_admin in m.role_set and m.person.is_active
    ]


def _refuse_if_last_admin(membership: Membership) -> None:
    # An agency without an admin can approve nobody and manage nothing; a coordinator would have to
    # re-invite it. Hand the role to someone else first.
    if _active_admins(membership.agency) == [membership]:
        raise InvalidTransition(
            "기관관리자가 한 명은 있어야 합니다. 다른 직원에게 먼저 기관관리자 역할을 주세요.",
            english="The agency needs at least one admin; grant the role to someone else first.",
        )


def approve_membership(
    membership: Membership, *, actor: Person, roles: Iterable[StaffRole], title: str | None = None
) -> Membership:
    """Approve a pending member of the agency with the given roles (audited per role)."""
    if not can_manage_agency(actor, membership.agency):
        raise _deny("이 기관의 직원을 승인할 권한이 없습니다.", "You may not approve staff of this agency.")
    if membership.status != MembershipStatus.pending:
        raise InvalidTransition("승인 대기 중인 직원만 승인할 수 있습니다.", english="Only pending members.")
    chosen = sorted(set(roles), key=list(StaffRole).index)
    if not chosen:
        raise ValidationFailed(
            "역할을 하나 이상 고르세요.", field="roles", english="Choose at least one role."
        )
    for role in chosen:
        _check_role_allowed(membership.agency, role)
    if not membership.person.is_active:
        raise InvalidTransition("사용 중지된 계정은 승인할 수 없습니다.", english="The account is disabled.")
    membership.status = MembershipStatus.active
    if title is not None:
        membership.title = title.strip()[:100] or None
    for role in chosen:
        _add_role(membership, role, actor=actor, via="approval")
    audit.record(
        "agency.membership_approved",
        actor_id=actor.id,
        agency_id=membership.agency_id,
        obj=membership,
        data={"person_id": membership.person_id, "roles": [role.value for role in chosen]},
    )
    db.session.flush()
    return membership


def grant_role(membership: Membership, role: StaffRole, *, actor: Person) -> MembershipRole:
    """Give an active member one more role in this agency."""
    if not can_manage_agency(actor, membership.agency):
        raise _deny("이 기관의 역할을 바꿀 권한이 없습니다.", "You may not change roles in this agency.")
    if membership.status != MembershipStatus.active:
        raise InvalidTransition("활동 중인 직원에게만 역할을 줄 수 있습니다.", english="Only active members.")
    _check_role_allowed(membership.agency, role)
    if role in membership.role_set:
        raise ValidationFailed(
            "이미 가진 역할입니다.", field="role", english="The member already has this role."
        )
    grant = _add_role(membership, role, actor=actor, via="grant")
    db.session.flush()
    return grant


def revoke_role(membership: Membership, role: StaffRole, *, actor: Person) -> None:
    """Take one role away from a member of this agency (never the last admin's admin role)."""
    if not can_manage_agency(actor, membership.agency):
        raise _deny("이 기관의 역할을 바꿀 권한이 없습니다.", "You may not change roles in this agency.")
    grant = next((g for g in membership.roles if g.role == role), None)
    if grant is None:
        raise ValidationFailed(
            "가지고 있지 않은 역할입니다.", field="role", english="The member lacks this role."
        )
    if role == StaffRole.agency_admin:
        _refuse_if_last_admin(membership)
    membership.roles.remove(grant)
    audit.record(
        "agency.role_revoked",
        actor_id=actor.id,
        agency_id=membership.agency_id,
        obj=membership,
        data={"person_id": membership.person_id, "role": role.value},
    )
    db.session.flush()


def remove_member(membership: Membership, *, actor: Person, reason: str | None = None) -> None:
    """Remove a person from this agency (or decline a pending request); every role is revoked and audited.

    Access is decided from the memberships on every request, so the removal takes effect on the
    person's next request; their sessions in other agencies go on.
    """
    if not can_manage_agency(actor, membership.agency):
        raise _deny("이 기관의 직원을 내보낼 권한이 없습니다.", "You may not remove staff of this agency.")
    if membership.status == MembershipStatus.removed:
        raise InvalidTransition("이미 내보낸 직원입니다.", english="Already removed.")
    if StaffRole.agency_admin in membership.role_set:
        _refuse_if_last_admin(membership)
    previous = membership.status
    for grant in list(membership.roles):
        membership.roles.remove(grant)
        audit.record(
            "agency.role_revoked",
            actor_id=actor.id,
            agency_id=membership.agency_id,
            obj=membership,
            data={"person_id": membership.person_id, "role": grant.role.value, "via": "removal"},
        )
    membership.status = MembershipStatus.removed
    audit.record(
        "agency.member_removed",
        actor_id=actor.id,
        agency_id=membership.agency_id,
        obj=membership,
        data={"person_id": membership.person_id, "previous_status": previous.value, "reason": reason or ""},
    )
    db.session.flush()


def disable_person(person: Person, *, actor: Person, reason: str) -> list[int]:
    """Disable a person platform-wide and end all their sessions (sockets are cut after commit).

    Allowed to a coordinator of every district the person works in, or to the admin of every
    agency the person belongs to (see ``agencies.access``). Returns the ended session IDs.
    """
    if not can_manage_person(actor, person):
        raise _deny(
            "계정 사용 중지는 구청 조정자 또는 이 사람이 속한 모든 기관의 기관관리자만 할 수 있습니다.",
            "Only a coordinator or the admin of every agency of this person may disable them.",
        )
    if not person.is_active:
        raise InvalidTransition("이미 사용 중지된 계정입니다.", english="The account is already disabled.")
    text = _require_reason(reason)
    person.is_active = False
    ended = end_sessions_of(person.id, "person_disabled")
    audit.record(
        "agency.person_disabled",
        actor_id=actor.id,
        obj=person,
        data={"reason": text, "sessions_ended": len(ended)},
    )
    db.session.flush()
    _cut_live_sessions_after_commit(ended)
    return ended


def enable_person(person: Person, *, actor: Person) -> None:
    """Let a disabled person sign in again (same rule as disabling)."""
    if not can_manage_person(actor, person):
        raise _deny(
            "계정 사용 재개는 구청 조정자 또는 이 사람이 속한 모든 기관의 기관관리자만 할 수 있습니다.",
            "Only a coordinator or the admin of every agency of this person may enable them.",
        )
    if person.is_active:
        raise InvalidTransition("이미 사용 중인 계정입니다.", english="The account is already enabled.")
    person.is_active = True
    audit.record("agency.person_enabled", actor_id=actor.id, obj=person, data={})
    db.session.flush()


# --- agency status -------------------------------------------------------------------------------


def suspend_agency(agency: Agency, *, actor: Person, reason: str) -> list[int]:
    """Suspend an agency's participation: its sessions end, its API tokens die (audited).

    Ends every session acting for the agency, and every session of members who have no other
    active agency; live sockets are cut after commit. Returns the ended session IDs.
    """
    if not can_change_agency_status(actor, agency):
        raise _deny(
            "기관의 참여 정지는 구청 통합사례관리 조정자만 할 수 있습니다.",
            "Only the district coordinator may suspend an agency.",
        )
    if agency.status != AgencyStatus.active:
        raise InvalidTransition("참여 중인 기관만 정지할 수 있습니다.", english="Only active agencies.")
    if agency.type == AgencyType.district_team:
        # The district team holds the coordinators; suspending it would lock the network out of itself.
        raise InvalidTransition(
            "구청 통합사례관리팀은 정지할 수 없습니다.", english="The district team cannot be suspended."
        )
    if any(m.agency_id == agency.id for m in actor.memberships if m.status == MembershipStatus.active):
        raise InvalidTransition("자신이 속한 기관은 정지할 수 없습니다.", english="Not your own agency.")
    text = _require_reason(reason)
    agency.status = AgencyStatus.suspended
    db.session.flush()
    ended = end_sessions_for_agency(agency.id, "agency_disabled")
    for membership in agency.memberships:
        if membership.status != MembershipStatus.active:
            continue
        elsewhere = [
            m
            for m in membership.person.memberships
            if m.agency_id != agency.id
            and m.status == MembershipStatus.active
            and m.agency.status == AgencyStatus.active
        ]
        if not elsewhere:
            ended += end_sessions_of(membership.person_id, "agency_disabled")
    tokens = _revoke_tokens(
        ApiToken.api_client_id.in_(sa.select(ApiClient.id).where(ApiClient.agency_id == agency.id))
    )
    audit.record(
        "agency.suspended",
        actor_id=actor.id,
        agency_id=agency.id,
        obj=agency,
        data={"reason": text, "sessions_ended": len(ended), "tokens_revoked": tokens},
    )
    db.session.flush()
    _cut_live_sessions_after_commit(ended)
    return ended


def reactivate_agency(agency: Agency, *, actor: Person) -> None:
    """Let a suspended agency take part in the network again."""
    if not can_change_agency_status(actor, agency):
        raise _deny(
            "기관의 참여 재개는 구청 통합사례관리 조정자만 할 수 있습니다.",
            "Only the district coordinator may reactivate an agency.",
        )
    if agency.status != AgencyStatus.suspended:
        raise InvalidTransition(
            "정지된 기관만 다시 참여시킬 수 있습니다.", english="Only suspended agencies."
        )
    agency.status = AgencyStatus.active
    audit.record("agency.reactivated", actor_id=actor.id, agency_id=agency.id, obj=agency, data={})
    db.session.flush()


# --- identity providers --------------------------------------------------------------------------


@dataclass(frozen=True)
class IdentityProviderData:
    """What a coordinator enters for an OpenID Connect provider."""

    name: str
    issuer: str
    client_id: str
    #: None when editing means "keep the stored secret"
    client_secret: str | None = field(repr=False)
    allowed_email_domains: tuple[str, ...] = ()
    #: claim that must carry the agency code, e.g. ``hamkke_agency``; None for no claim rule
    claim_name: str | None = None
    is_active: bool = True
    #: False: an ID token without ``email_verified`` counts as verified (see the deployment guide)
    email_verified_required: bool = True


def _validate_provider(data: IdentityProviderData, *, existing: IdentityProvider | None) -> dict[str, Any]:
    name = data.name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed(
            "이름을 200자 이내로 적어 주세요.", field="provider_name", english="Enter a name."
        )
    issuer = data.issuer.strip().rstrip("/")
    parts = urlsplit(issuer)
    secure = parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)
    if not parts.hostname or not secure or parts.query or parts.fragment or len(issuer) > 500:
        raise ValidationFailed(
            "발급자(issuer) 주소는 https:// 로 시작하는 주소여야 합니다.",
            field="issuer",
            english="The issuer must be an https URL.",
        )
    duplicate = db.session.scalar(
        sa.select(IdentityProvider.id).where(
            sa.func.lower(IdentityProvider.issuer) == issuer.lower(),
            IdentityProvider.id != (existing.id if existing else -1),
        )
    )
    if duplicate is not None:
        raise ValidationFailed(
            "이 발급자 주소는 이미 등록되어 있습니다. 목록에서 고르세요.",
            field="issuer",
            english="This issuer is already registered.",
        )
    client_id = data.client_id.strip()
    if not client_id or len(client_id) > 200:
        raise ValidationFailed(
            "클라이언트 ID를 적어 주세요.", field="client_id", english="Enter the client ID."
        )
    secret = (data.client_secret or "").strip()
    if existing is None and not secret:
        raise ValidationFailed(
            "클라이언트 비밀번호(secret)를 적어 주세요.",
            field="client_secret",
            english="Enter the client secret.",
        )
    if len(secret) > 500:
        raise ValidationFailed(
            "클라이언트 비밀번호가 너무 깁니다.", field="client_secret", english="Too long."
        )
    domains = normalise_domains(data.allowed_email_domains)
    claim = (data.claim_name or "").strip()
    if claim and not CLAIM_PATTERN.match(claim):
        raise ValidationFailed(
            "클레임 이름은 영문자, 숫자, 밑줄(_)로 적어 주세요.",
            field="claim_name",
            english="Invalid claim name.",
        )
    check_binding(domains, claim or None, existing=existing)
    values: dict[str, Any] = {
        "name": name,
        "issuer": issuer,
        "client_id": client_id,
        "allowed_email_domains": list(domains),
        "claim_rule": {"claim": claim, "equals_agency_code": True} if claim else {},
        "email_verified_required": data.email_verified_required,
        "is_active": data.is_active,
    }
    if secret:
        values["client_secret_encrypted"] = encrypt_text(secret)
    return values


def create_identity_provider(
    data: IdentityProviderData, *, actor: Person, district: District
) -> IdentityProvider:
    """Register an OpenID Connect provider for the district (client secret stored encrypted)."""
    if not can_manage_network(actor, district):
        raise _deny("인증 서버 등록은 구청 통합사례관리 조정자만 할 수 있습니다.", "Only the coordinator.")
    values = _validate_provider(data, existing=None)
    provider = IdentityProvider(district_id=district.id, **values)
    db.session.add(provider)
    db.session.flush()
    audit.record(
        "agency.identity_provider_created",
        actor_id=actor.id,
        obj=provider,
        data={"district_id": district.id, "issuer": provider.issuer},
    )
    db.session.flush()
    return provider


def update_identity_provider(
    provider: IdentityProvider, data: IdentityProviderData, *, actor: Person
) -> None:
    """Change a provider's settings; an empty secret keeps the stored one."""
    if not can_manage_identity_provider(actor, provider):
        raise _deny("이 인증 서버 설정을 바꿀 권한이 없습니다.", "You may not edit this identity provider.")
    values = _validate_provider(data, existing=provider)
    changed = sorted(
        key
        for key, value in values.items()
        if key == "client_secret_encrypted" or getattr(provider, key) != value
    )
    for key, value in values.items():
        setattr(provider, key, value)
    audit.record(
        "agency.identity_provider_updated",
        actor_id=actor.id,
        obj=provider,
        data={"changed": [key.replace("_encrypted", "") for key in changed]},
    )
    db.session.flush()


# --- API clients ---------------------------------------------------------------------------------


def register_api_client(
    agency: Agency, *, actor: Person, name: str, scopes: Iterable[str]
) -> tuple[ApiClient, str]:
    """Register an API client for the agency; return it and its secret, which is never shown again."""
    if not can_manage_agency(actor, agency):
        raise _deny(
            "이 기관의 API 클라이언트를 등록할 권한이 없습니다.", "You may not register API clients here."
        )
    label = name.strip()
    if not label or len(label) > 100:
        raise ValidationFailed("이름을 100자 이내로 적어 주세요.", field="name", english="Enter a name.")
    chosen = sorted(set(scopes))
    if not chosen:
        raise ValidationFailed("권한 범위를 하나 이상 고르세요.", field="scopes", english="Choose a scope.")
    unknown = [scope for scope in chosen if scope not in SCOPE_NAMES]
    if unknown:
        raise ValidationFailed("알 수 없는 권한 범위입니다.", field="scopes", english="Unknown scope.")
    secret = generate_client_secret()
    client = ApiClient(
        agency_id=agency.id,
        name=label,
        client_id=generate_client_id(),
        secret_hash=hash_credential(secret),
        scopes=chosen,
        created_by_id=actor.id,
    )
    db.session.add(client)
    db.session.flush()
    audit.record(
        "agency.api_client_registered",
        actor_id=actor.id,
        agency_id=agency.id,
        obj=client,
        data={"client_id": client.client_id, "scopes": chosen},
    )
    db.session.flush()
    return client, secret


def _revoke_tokens(condition: sa.ColumnElement[bool]) -> int:
    result = db.session.execute(
        sa.update(ApiToken)
        .where(condition, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now_utc())
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def revoke_api_client(client: ApiClient, *, actor: Person) -> int:
    """Revoke an API client: no more tokens, and every token it holds dies now; return how many."""
    if not can_manage_agency(actor, client.agency):
        raise _deny("이 기관의 API 클라이언트를 폐기할 권한이 없습니다.", "You may not revoke this client.")
    if client.revoked_at is not None:
        raise InvalidTransition("이미 폐기된 클라이언트입니다.", english="The client is already revoked.")
    client.revoked_at = now_utc()
    client.revoked_by_id = actor.id
    tokens = _revoke_tokens(ApiToken.api_client_id == client.id)
    audit.record(
        "agency.api_client_revoked",
        actor_id=actor.id,
        agency_id=client.agency_id,
        obj=client,
        data={"client_id": client.client_id, "tokens_revoked": tokens},
    )
    db.session.flush()
    return tokens


# --- own sessions --------------------------------------------------------------------------------


def end_own_session(person: Person, session_id: int) -> UserSession:
    """End one of the person's own sessions (e.g. a forgotten browser); sockets are cut after commit."""
    record = db.session.get(UserSession, session_id)
    if record is None or record.person_id != person.id:
        raise NotFound("세션을 찾을 수 없습니다.", english="No such session.")
    if record.ended_at is not None:
        raise InvalidTransition("이미 끝난 세션입니다.", english="The session has already ended.")
    end_session(record, "ended_by_person")
    audit.record("auth.session_ended", actor_id=person.id, obj=record, data={"reason": "ended_by_person"})
    db.session.flush()
    _cut_live_sessions_after_commit([record.id])
    return record
