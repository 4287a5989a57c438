"""Referrals (서비스 의뢰, 활용서식6), their timeline, letters and the 활용서식8 linkage record."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from agencies.models import Agency, Person, Service
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum
from hamkke.time import now_utc


class ReferralStatus(enum.StrEnum):
    """Closed-loop states; the values are FHIR Task status codes so referrals can be exchanged later."""

    draft = "draft"
    requested = "requested"
    received = "received"
    accepted = "accepted"
    rejected = "rejected"
    in_progress = "in-progress"
    completed = "completed"
    cancelled = "cancelled"
    revoked = "revoked"

    @property
    def label(self) -> str:
        """Korean name of the state."""
        return REFERRAL_STATUS_LABELS[self]


REFERRAL_STATUS_LABELS: dict[ReferralStatus, str] = {
    ReferralStatus.draft: "작성 중",
    ReferralStatus.requested: "의뢰함",
    ReferralStatus.received: "접수 확인",
    ReferralStatus.accepted: "수락",
    ReferralStatus.rejected: "거절",
    ReferralStatus.in_progress: "서비스 제공 중",
    ReferralStatus.completed: "완료·회신",
    ReferralStatus.cancelled: "취소",
    ReferralStatus.revoked: "철회",
}

#: states after which nothing changes any more (a reply to these is refused)
CLOSED_STATUSES = frozenset(
    {ReferralStatus.rejected, ReferralStatus.completed, ReferralStatus.cancelled, ReferralStatus.revoked}
)
#: states in which the receiving agency owes an answer by the response deadline
AWAITING_RESPONSE = frozenset({ReferralStatus.requested, ReferralStatus.received})


class RejectionReason(enum.StrEnum):
    """Structured reasons for declining a referral, so the district can count them."""

    capacity_full = "capacity_full"
    not_eligible = "not_eligible"
    out_of_area = "out_of_area"
    duplicate_service = "duplicate_service"
    client_declined = "client_declined"
    other = "other"

    @property
    def label(self) -> str:
        """Korean name of the reason."""
        return REJECTION_REASON_LABELS[self]


REJECTION_REASON_LABELS: dict[RejectionReason, str] = {
    RejectionReason.capacity_full: "정원 초과·대기",
    RejectionReason.not_eligible: "이용요건 미충족",
    RejectionReason.out_of_area: "서비스 지역 아님",
    RejectionReason.duplicate_service: "중복 서비스",
    RejectionReason.client_declined: "대상자 거부",
    RejectionReason.other: "기타",
}


class ReferralSource(enum.StrEnum):
    """What the referral was created from."""

    case = "case"
    isp_item = "isp_item"
    action_item = "action_item"


class LetterKind(enum.StrEnum):
    """The two official letters of a referral."""

    request = "request"
    reply = "reply"

    @property
    def label(self) -> str:
        """Korean name of the letter."""
        return "서비스 의뢰서" if self is LetterKind.request else "회신서(결과보고서)"


class Referral(TimestampMixin, Model):
    """One referral of a case's client from a sending agency to a receiving agency's service."""

    __tablename__ = "referrals"
    __table_args__ = (
        sa.Index("ix_referrals_receiving_status", "receiving_agency_id", "status"),
        sa.Index("ix_referrals_sending_status", "sending_agency_id", "status"),
        # A referral goes to a network agency, or to an outside organisation named with its e-mail.
        sa.CheckConstraint(
            "receiving_agency_id IS NOT NULL OR (external_name IS NOT NULL AND external_email IS NOT NULL)",
            name="recipient_present",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    district_id: Mapped[int] = mapped_column(sa.ForeignKey("districts.id"), index=True)
    sending_agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    sender_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: None: an outside organisation without an account (``external_name``/``external_email``)
    receiving_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: the outside organisation a referral is sent to by e-mail (not a network agency)
    external_name: Mapped[str | None] = mapped_column(sa.String(200))
    external_email: Mapped[str | None] = mapped_column(sa.String(320))
    service_id: Mapped[int | None] = mapped_column(sa.ForeignKey("services.id"), index=True)
    #: the receiving worker who took the referral on
    receiver_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    status: Mapped[ReferralStatus] = mapped_column(
        str_enum(ReferralStatus, "referral_status"), default=ReferralStatus.draft, index=True
    )
    source_type: Mapped[ReferralSource] = mapped_column(
        str_enum(ReferralSource, "referral_source"), default=ReferralSource.case
    )
    #: the ISP item or conference action item it came from
    source_id: Mapped[int | None]
    #: 활용서식6 content, written by the sender for the receiver
    reason: Mapped[str] = mapped_column(sa.Text)  # 의뢰사유
    requested_services: Mapped[str] = mapped_column(sa.Text)  # 대상자 요구 서비스
    main_problem: Mapped[str] = mapped_column(sa.Text, default="")  # 주호소문제
    service_history: Mapped[str] = mapped_column(sa.Text, default="")  # 기존 서비스 이력
    notes: Mapped[str] = mapped_column(sa.Text, default="")  # 기타 특이사항
    #: client field groups the sender chose to share (always within the client's consent)
    shared_field_groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: why the sender referred despite an eligibility warning (None: no warning was overridden)
    eligibility_override_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: official document numbers, e.g. 한빛종합사회복지관-2026-0042
    request_document_number: Mapped[str | None] = mapped_column(sa.String(260))
    reply_document_number: Mapped[str | None] = mapped_column(sa.String(260))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: last local day of the response deadline (working days, holidays excluded)
    response_due_on: Mapped[date | None] = mapped_column(index=True)
    rejection_reason: Mapped[RejectionReason | None] = mapped_column(
        str_enum(RejectionReason, "referral_rejection_reason")
    )
    rejection_note: Mapped[str | None] = mapped_column(sa.Text)
    #: 회신 / 결과보고서: what was provided and what came of it
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    result_report: Mapped[str | None] = mapped_column(sa.Text)
    #: why the sender cancelled or revoked
    closing_note: Mapped[str | None] = mapped_column(sa.Text)
    #: the referral this one re-routes (the earlier one went to another agency)
    rerouted_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("referrals.id"))
    #: overdue reminders sent so far (the second one escalates to the district coordinator)
    overdue_reminders: Mapped[int] = mapped_column(default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    sending_agency: Mapped[Agency] = relationship(foreign_keys=[sending_agency_id])
    receiving_agency: Mapped[Agency | None] = relationship(foreign_keys=[receiving_agency_id])
    sender: Mapped[Person] = relationship(foreign_keys=[sender_id])
    receiver: Mapped[Person | None] = relationship(foreign_keys=[receiver_id])
    service: Mapped[Service | None] = relationship()
    events: Mapped[list[ReferralEvent]] = relationship(
        back_populates="referral", order_by="ReferralEvent.id", cascade="all, delete-orphan"
    )
    letters: Mapped[list[ReferralLetter]] = relationship(
        back_populates="referral", order_by="ReferralLetter.id", cascade="all, delete-orphan"
    )
    linkage: Mapped[LinkageRecord | None] = relationship(
        back_populates="referral", cascade="all, delete-orphan"
    )

    @property
    def is_closed(self) -> bool:
        """Tell whether the referral has reached a final state."""
        return self.status in CLOSED_STATUSES

    @property
    def is_external(self) -> bool:
        """Tell whether the referral goes to an outside organisation by e-mail (no agency account)."""
        return self.receiving_agency_id is None

    @property
    def recipient_name(self) -> str:
        """Return the name of the receiving agency or outside organisation."""
        if self.receiving_agency is not None:
            return self.receiving_agency.name
        return self.external_name or ""


class ReferralEvent(Model):
    """One step of a referral's timeline (never updated): who moved it from which state to which."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    #: None: the system (deadline reminders, escalation)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"))
    #: short Korean note shown on the timeline (reason, outcome summary); no client data
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    referral: Mapped[Referral] = relationship(back_populates="events")
    actor: Mapped[Person | None] = relationship()


class ReferralLetter(Model):
    """A rendered PDF letter; one per (referral, kind, version), so a re-run task writes nothing new."""

    __tablename__ = "referral_letters"
    __table_args__ = (
        sa.UniqueConstraint(
            "referral_id", "kind", "version", name="uq_referral_letters_referral_kind_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LetterKind] = mapped_column(str_enum(LetterKind, "referral_letter_kind"))
    version: Mapped[int] = mapped_column(default=1)
    document_number: Mapped[str] = mapped_column(sa.String(260))
    #: path relative to the instance folder
    path: Mapped[str] = mapped_column(sa.String(500))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int]
    #: field groups the letter disclosed (what the gate allowed when it was rendered)
    field_groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: the free texts were printed only inside ``field_groups``; False for letters stored before that,
    #: which printed every text and so carry every non-empty text's group
    texts_gated: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: why this version was re-issued (None for the first issue)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    referral: Mapped[Referral] = relationship(back_populates="letters")


class LetterReissue(Model):
    """A request to re-issue a letter as a new version, with its reason; the worker renders it once."""

    __tablename__ = "referral_letter_reissues"
    __table_args__ = (
        sa.UniqueConstraint(
            "referral_id", "kind", "version", name="uq_referral_letter_reissues_referral_kind_version"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(sa.ForeignKey("referrals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[LetterKind] = mapped_column(str_enum(LetterKind, "referral_letter_kind"))
    #: 2, 3, …: version 1 is the first issue and needs no request
    version: Mapped[int]
    reason: Mapped[str] = mapped_column(sa.Text)
    requested_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class LinkageRecord(TimestampMixin, Model):
    """활용서식8 자원연계표: what resource was linked for which need, and with what result."""

    __tablename__ = "referral_linkages"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(
        sa.ForeignKey("referrals.id", ondelete="CASCADE"), unique=True, index=True
    )
    #: local date the linkage was made (the referral was sent)
    linked_on: Mapped[date]
    agency_name: Mapped[str] = mapped_column(sa.String(200))
    service_name: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the need or ISP item addressed
    need: Mapped[str] = mapped_column(sa.Text, default="")
    #: 진행 중 / 수락 / 거절(사유) / 완료(결과)
    result: Mapped[str] = mapped_column(sa.Text, default="")

    referral: Mapped[Referral] = relationship(back_populates="linkage")


class DocumentCounter(Model):
    """The running number of an agency's outgoing official letters per year (문서번호)."""

    __tablename__ = "referral_document_counters"
    __table_args__ = (
        sa.UniqueConstraint("agency_id", "year", name="uq_referral_document_counters_agency_year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"))
    year: Mapped[int]
    last_number: Mapped[int] = mapped_column(default=0)
