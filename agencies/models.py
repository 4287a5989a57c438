"""The district network: district → 권역 → dongs; agencies, their services, people and roles."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

# The district's reference records live beside the network; importing them here registers their tables.
from agencies import district_records as district_records
from agencies.district_records import StaffPosition
from hamkke.db import Model, TimestampMixin, UTCDateTime, db, str_enum


class AgencyType(enum.StrEnum):
    """Kinds of agencies in a 통합사례관리 network (values are stable codes)."""

    district_team = "district_team"
    dong_centre = "dong_centre"
    community_welfare_centre = "community_welfare_centre"
    elderly_welfare_centre = "elderly_welfare_centre"
    disability_welfare_centre = "disability_welfare_centre"
    self_sufficiency_centre = "self_sufficiency_centre"
    mental_health_centre = "mental_health_centre"
    child_protection_agency = "child_protection_agency"
    dream_start = "dream_start"
    family_centre = "family_centre"
    dementia_centre = "dementia_centre"
    youth_counselling_centre = "youth_counselling_centre"
    school = "school"
    police = "police"
    legal_aid = "legal_aid"
    medical = "medical"
    other = "other"

    @property
    def label(self) -> str:
        """Korean name of the kind, as workers say it."""
        return AGENCY_TYPE_LABELS[self]


AGENCY_TYPE_LABELS: dict[AgencyType, str] = {
    AgencyType.district_team: "구청 희망복지지원단/통합사례관리팀",
    AgencyType.dong_centre: "동 주민센터",
    AgencyType.community_welfare_centre: "종합사회복지관",
    AgencyType.elderly_welfare_centre: "노인복지관",
    AgencyType.disability_welfare_centre: "장애인복지관",
    AgencyType.self_sufficiency_centre: "지역자활센터",
    AgencyType.mental_health_centre: "정신건강복지센터",
    AgencyType.child_protection_agency: "아동보호전문기관",
    AgencyType.dream_start: "드림스타트",
    AgencyType.family_centre: "건강가정·다문화가족지원센터",
    AgencyType.dementia_centre: "치매안심센터",
    AgencyType.youth_counselling_centre: "청소년상담복지센터",
    AgencyType.school: "학교/교육청",
    AgencyType.police: "경찰서",
    AgencyType.legal_aid: "법률구조",
    AgencyType.medical: "의료기관",
    AgencyType.other: "기타",
}


class AgencySector(enum.StrEnum):
    """Public (공공) or private (민간); consent and identifier rules differ between them."""

    public = "public"
    private = "private"


class AgencyStatus(enum.StrEnum):
    """Where an agency is in joining the network."""

    invited = "invited"
    pending_agreement = "pending_agreement"
    active = "active"
    suspended = "suspended"


class StaffRole(enum.StrEnum):
    """Roles a person holds in one agency; permissions are still checked per object."""

    case_worker = "case_worker"
    supervisor = "supervisor"
    agency_admin = "agency_admin"
    coordinator = "coordinator"
    advisor = "advisor"
    auditor = "auditor"

    @property
    def label(self) -> str:
        """Korean name of the role."""
        return STAFF_ROLE_LABELS[self]


STAFF_ROLE_LABELS: dict[StaffRole, str] = {
    StaffRole.case_worker: "사례관리자",
    StaffRole.supervisor: "슈퍼바이저",
    StaffRole.agency_admin: "기관관리자",
    StaffRole.coordinator: "통합사례관리 조정자",
    StaffRole.advisor: "자문위원",
    StaffRole.auditor: "감사",
}


class MembershipStatus(enum.StrEnum):
    """A person's standing in an agency."""

    pending = "pending"
    active = "active"
    removed = "removed"


agency_regions = sa.Table(
    "agency_regions",
    db.metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("region_id", sa.ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True),
)

agency_dongs = sa.Table(
    "agency_dongs",
    db.metadata,
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("dong_id", sa.ForeignKey("dongs.id", ondelete="CASCADE"), primary_key=True),
)


class District(Model):
    """A 시군구: the network's outer boundary and the owner of its settings."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: short stable code used in URLs and demo data
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    #: e.g. 한빛구
    name: Mapped[str] = mapped_column(sa.String(100))
    #: deadline profile and other per-district defaults (see the cases domain)
    settings: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    regions: Mapped[list[Region]] = relationship(back_populates="district", order_by="Region.position")
    dongs: Mapped[list[Dong]] = relationship(back_populates="district", order_by="Dong.position")
    agencies: Mapped[list[Agency]] = relationship(back_populates="district")


class Region(Model):
    """A 권역: a group of dongs whose agencies meet monthly in a regular conference."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: display order within the district
    position: Mapped[int] = mapped_column(default=0)

    district: Mapped[District] = relationship(back_populates="regions")
    dongs: Mapped[list[Dong]] = relationship(back_populates="region", order_by="Dong.position")


class Dong(Model):
    """An 읍면동 and its 주민센터's area."""

    __tablename__ = "dongs"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    region_id: Mapped[int] = mapped_column(sa.ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    position: Mapped[int] = mapped_column(default=0)

    district: Mapped[District] = relationship(back_populates="dongs")
    region: Mapped[Region] = relationship(back_populates="dongs")


class IdentityProvider(TimestampMixin, Model):
    """An OpenID Connect provider that one or more agencies sign their staff in with."""

    __tablename__ = "identity_providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: shown on the sign-in page, e.g. "한빛구 통합 계정 (Keycloak)"
    name: Mapped[str] = mapped_column(sa.String(200))
    #: issuer URL; discovery is read from ``<issuer>/.well-known/openid-configuration``
    issuer: Mapped[str] = mapped_column(sa.String(500), unique=True)
    client_id: Mapped[str] = mapped_column(sa.String(200))
    #: client secret, encrypted with HAMKKE_FIELD_ENCRYPTION_KEY
    client_secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    #: e-mail domains whose users this provider may sign in (empty: decided by the claim rule)
    allowed_email_domains: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: optional claim rule, e.g. {"claim": "hamkke_agency", "equals_agency_code": true}
    claim_rule: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: False: an ID token WITHOUT the ``email_verified`` claim counts as verified (enterprise
    #: directories that only hold addresses they issued themselves omit it); an explicit
    #: ``email_verified: false`` is refused either way
    email_verified_required: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    is_active: Mapped[bool] = mapped_column(default=True)
    #: the district whose coordinator registered it and may edit it; None: platform-wide (set up by operators)
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"), index=True)

    agencies: Mapped[list[Agency]] = relationship(back_populates="identity_provider")


class Agency(TimestampMixin, Model):
    """A public or private organisation in the district's network."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: stable code (demo data, API, invitations)
    code: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    type: Mapped[AgencyType] = mapped_column(str_enum(AgencyType, "agency_type"))
    sector: Mapped[AgencySector] = mapped_column(str_enum(AgencySector, "agency_sector"))
    status: Mapped[AgencyStatus] = mapped_column(
        str_enum(AgencyStatus, "agency_status"), default=AgencyStatus.invited
    )
    #: the dong a 주민센터 belongs to (only for dong centres)
    dong_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dongs.id"))
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    email: Mapped[str | None] = mapped_column(sa.String(200))
    address: Mapped[str | None] = mapped_column(sa.String(300))
    website: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    identity_provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_providers.id"))
    #: the 업무협약 text version the agency accepted, and when
    agreement_version: Mapped[str | None] = mapped_column(sa.String(40))
    agreement_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    agreement_accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    district: Mapped[District] = relationship(back_populates="agencies")
    dong: Mapped[Dong | None] = relationship()
    identity_provider: Mapped[IdentityProvider | None] = relationship(back_populates="agencies")
    regions: Mapped[list[Region]] = relationship(secondary=agency_regions)
    dongs: Mapped[list[Dong]] = relationship(secondary=agency_dongs)
    services: Mapped[list[Service]] = relationship(back_populates="agency", order_by="Service.name")
    memberships: Mapped[list[Membership]] = relationship(back_populates="agency")

    @property
    def is_active(self) -> bool:
        """Tell whether the agency takes part in the network now."""
        return self.status == AgencyStatus.active


class Service(TimestampMixin, Model):
    """A service an agency offers; the catalogue becomes the resource directory (자원목록)."""

    __tablename__ = "services"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    #: need domain it answers, e.g. 경제, 주거, 건강, 돌봄, 정신건강, 고용, 교육, 법률
    category: Mapped[str] = mapped_column(sa.String(40), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: who may use it (대상 기준), in words
    eligibility: Mapped[str | None] = mapped_column(sa.Text)
    #: places or cases it can take per month, if limited
    capacity: Mapped[int | None]
    contact: Mapped[str | None] = mapped_column(sa.String(200))
    #: area served, in words (전 구, 1권역, …)
    area: Mapped[str | None] = mapped_column(sa.String(200))
    is_active: Mapped[bool] = mapped_column(default=True)

    agency: Mapped[Agency] = relationship(back_populates="services")


class Person(TimestampMixin, Model):
    """A staff member, adviser or auditor; may belong to several agencies."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    #: not unique: the same address signing in through a provider that none of the person's
    #: agencies trusts becomes a separate (pending) person, never the existing one
    email: Mapped[str] = mapped_column(sa.String(200), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    #: disabled people cannot sign in and lose their sessions and sockets
    is_active: Mapped[bool] = mapped_column(default=True)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: the one local account for first setup (argon2 hash); everyone else signs in through OIDC
    is_break_glass: Mapped[bool] = mapped_column(default=False)
    password_hash: Mapped[str | None] = mapped_column(sa.String(200))
    failed_sign_ins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: bumped on disable or forced sign-out; sessions carrying an older value are void
    session_version: Mapped[int] = mapped_column(default=1)

    memberships: Mapped[list[Membership]] = relationship(back_populates="person")
    identities: Mapped[list[Identity]] = relationship(back_populates="person")


class Identity(TimestampMixin, Model):
    """The link between a person and their account at an identity provider (``iss`` + ``sub``)."""

    __tablename__ = "identities"
    __table_args__ = (sa.UniqueConstraint("provider_id", "subject", name="uq_identities_provider_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("identity_providers.id"))
    subject: Mapped[str] = mapped_column(sa.String(255))

    person: Mapped[Person] = relationship(back_populates="identities")
    provider: Mapped[IdentityProvider] = relationship()


class Membership(TimestampMixin, Model):
    """A person's place in one agency, with the roles the agency admin granted."""

    __tablename__ = "memberships"
    __table_args__ = (sa.UniqueConstraint("person_id", "agency_id", name="uq_memberships_person_agency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status"), default=MembershipStatus.pending
    )
    #: job title shown in directories, e.g. 복지플래너
    title: Mapped[str | None] = mapped_column(sa.String(100))
    #: the typed post (통합사례관리사, 복지플래너 …) the district's roster counts by
    position: Mapped[StaffPosition | None] = mapped_column(str_enum(StaffPosition, "staff_position"))

    person: Mapped[Person] = relationship(back_populates="memberships")
    agency: Mapped[Agency] = relationship(back_populates="memberships")
    roles: Mapped[list[MembershipRole]] = relationship(
        back_populates="membership", cascade="all, delete-orphan"
    )

    @property
    def role_set(self) -> frozenset[StaffRole]:
        """Return the roles held through this membership."""
        return frozenset(grant.role for grant in self.roles)


class MembershipRole(Model):
    """One role granted in one membership (rows, so every grant and removal is auditable)."""

    __tablename__ = "membership_roles"
    __table_args__ = (
        sa.UniqueConstraint("membership_id", "role", name="uq_membership_roles_membership_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("memberships.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "staff_role"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    granted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    membership: Mapped[Membership] = relationship(back_populates="roles")


class UserSession(Model):
    """A signed-in browser session, kept server-side so sign-out, disabling and timeouts really end it."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: SHA-256 of the random token in the cookie; the token itself is never stored
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"), index=True)
    #: the agency the person acts for in this session (a person may belong to several)
    acting_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: how they signed in: ``oidc`` or ``break_glass``
    method: Mapped[str] = mapped_column(sa.String(20))
    identity_provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_providers.id"))
    #: ID token kept for RP-initiated logout at the provider
    id_token_hint: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    #: set when the session ends for any reason; an ended session never comes back
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    #: signed_out, idle_timeout, absolute_timeout, person_disabled, agency_disabled, role_changed
    end_reason: Mapped[str | None] = mapped_column(sa.String(30))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(300))
    #: signed in through a provider but not yet approved by an agency admin: such a session
    #: reaches only the waiting page and sign-out, never any data
    awaiting_approval: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    person: Mapped[Person] = relationship()


# --- Onboarding and the agency API (issue 3) ---------------------------------------------------


class InvitationStatus(enum.StrEnum):
    """Where an invitation link stands; derived from its timestamps, never stored."""

    pending = "pending"
    accepted = "accepted"
    expired = "expired"
    revoked = "revoked"


class Invitation(TimestampMixin, Model):
    """A one-time link with which a district coordinator invites an agency's first administrator.

    Only the SHA-256 of the random token is stored: a copy of the database cannot be turned into
    working links. The link works once, until ``expires_at``, for the invited e-mail address only.
    """

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    #: the agency created for the invitation (status ``invited`` until the link is used)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: who is invited; must equal the signed-in person's e-mail (compared case-insensitively)
    email: Mapped[str] = mapped_column(sa.String(200), info={"pii": True})
    #: SHA-256 (hex) of the token in the link
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: when the invitation e-mail went out (the task skips sending twice)
    email_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: the first coordinator's invitation (``hamkke setup``): accepting it also grants the coordinator
    #: role in the district team; no other invitation does
    grants_coordinator: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    agency: Mapped[Agency] = relationship()
    district: Mapped[District] = relationship()

    def status_at(self, now: datetime) -> InvitationStatus:
        """Return the invitation's status at ``now``."""
        if self.accepted_at is not None:
            return InvitationStatus.accepted
        if self.revoked_at is not None:
            return InvitationStatus.revoked
        if self.expires_at <= now:
            return InvitationStatus.expired
        return InvitationStatus.pending


class AgreementAcceptance(Model):
    """One acceptance of the 업무협약 (data-sharing agreement) text by an agency; kept as evidence."""

    __tablename__ = "agreement_acceptances"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: the exact version identifier of the text shown (see ``agencies.agreement``)
    version: Mapped[str] = mapped_column(sa.String(40))
    #: SHA-256 of the exact text shown, so a later edit of a version's wording is detectable
    text_sha256: Mapped[str] = mapped_column(sa.String(64))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class ApiClient(TimestampMixin, Model):
    """A system of an agency that calls the Hamkke API with the OAuth2 client-credentials grant."""

    __tablename__ = "api_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: what the agency calls the system, e.g. "기관 사례관리 프로그램"
    name: Mapped[str] = mapped_column(sa.String(100))
    #: the public OAuth2 ``client_id``
    client_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: SHA-256 (hex) of the 256-bit random secret; the secret is shown once and never stored
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    #: scopes the agency admin granted, e.g. ["directory:read"]
    scopes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a revoked client gets no tokens, and every token it holds stops working
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))

    agency: Mapped[Agency] = relationship()

    @property
    def is_active(self) -> bool:
        """Tell whether the client may still obtain and use tokens."""
        return self.revoked_at is None


class ApiToken(Model):
    """An opaque, short-lived access token issued to an API client (only its SHA-256 is stored)."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    api_client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("api_clients.id", ondelete="CASCADE"), index=True
    )
    #: SHA-256 (hex) of the bearer token
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: granted scopes, space-separated as in OAuth2
    scope: Mapped[str] = mapped_column(sa.String(300))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[ApiClient] = relationship()
