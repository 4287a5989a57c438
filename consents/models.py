"""Consent records, their revocations, the notice texts shown, the access log and data-subject requests.

Everything here is append-only: a consent is never edited, a revocation is a new row, and access-log
rows are hash-chained so that an edit made directly in the database is detectable.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from hamkke.db import Model, UTCDateTime, str_enum
from hamkke.time import now_utc


class ConsentPurpose(enum.StrEnum):
    """Why data is used or provided (필수서식2 and seed 001 §4)."""

    case_management = "case_management"
    conference_sharing = "conference_sharing"
    referral = "referral"
    follow_up = "follow_up"

    @property
    def label(self) -> str:
        """Korean name of the purpose."""
        return PURPOSE_LABELS[self]


PURPOSE_LABELS: dict[ConsentPurpose, str] = {
    ConsentPurpose.case_management: "사례관리(수집·이용)",
    ConsentPurpose.conference_sharing: "통합사례회의 공유",
    ConsentPurpose.referral: "특정 기관 의뢰",
    ConsentPurpose.follow_up: "사후관리",
}


class RecipientKind(enum.StrEnum):
    """Who receives the data under a grant."""

    #: the agency that collects the data (collection and use, PIPA 제15조)
    collector = "collector"
    #: one named agency
    agency = "agency"
    #: the agencies attending one 통합사례회의
    conference = "conference"
    #: every active agency of the district's 통합사례관리 network
    network = "network"


class SignerCapacity(enum.StrEnum):
    """In what capacity the signer signs for the data subject."""

    self = "self"
    #: 법정대리인 (required under 14, PIPA 제22조의2)
    legal_representative = "legal_representative"
    #: 보호자·후견인 when self-determination is limited (seed 001 §4.12)
    guardian = "guardian"


class ConsentMethod(enum.StrEnum):
    """How the consent was given (PIPA 시행령 제17조 wants the evidence recorded)."""

    signed_in_person = "signed_in_person"
    scanned_form = "scanned_form"


class AccessChannel(enum.StrEnum):
    """Where a disclosure left the system."""

    page = "page"
    api = "api"
    socket = "socket"
    letter = "letter"
    email = "email"
    export = "export"
    download = "download"


class RequestKind(enum.StrEnum):
    """Data-subject rights (PIPA 제35–37조)."""

    access = "access"
    correction = "correction"
    deletion = "deletion"
    suspension = "suspension"

    @property
    def label(self) -> str:
        """Korean name of the request."""
        return REQUEST_LABELS[self]


REQUEST_LABELS: dict[RequestKind, str] = {
    RequestKind.access: "열람",
    RequestKind.correction: "정정",
    RequestKind.deletion: "삭제",
    RequestKind.suspension: "처리정지",
}


class RequestStatus(enum.StrEnum):
    """State of a data-subject request."""

    open = "open"
    fulfilled = "fulfilled"
    refused = "refused"


class Consent(Model):
    """One signer's consent for one data subject (client): never edited, only revoked by new rows."""

    __tablename__ = "consents"
    __table_args__ = (
        sa.CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="validity_order"),
        sa.CheckConstraint(
            "signer_capacity = 'self' OR signer_relationship IS NOT NULL", name="signer_relationship"
        ),
        sa.CheckConstraint("length(notice_sha256) = 64", name="notice_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the data subject; each household member has their own consents
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    #: the agency that collected the consent (the 개인정보처리자 of the record)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: the case whose closure ends a consent valid "until the case closes"
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cases.id"), index=True)
    signer_capacity: Mapped[SignerCapacity] = mapped_column(
        str_enum(SignerCapacity, "consent_signer_capacity")
    )
    #: the signer's name as signed (a guardian's name; the client's own name when self)
    signer_name: Mapped[str] = mapped_column(sa.String(100), info={"pii": True})
    #: relationship of a representative to the client (모, 후견인, …); required unless self
    signer_relationship: Mapped[str | None] = mapped_column(sa.String(60))
    #: how the representative's authority was checked (가족관계증명서, 후견등기 사항증명서, …)
    representation_evidence: Mapped[str | None] = mapped_column(sa.String(200))
    method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod, "consent_method"))
    #: staff member who explained the notice and took the signature
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    #: a second staff member present, if any
    witness_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    signed_on: Mapped[date]
    valid_from: Mapped[date]
    #: last day of validity; None means until the case closes
    valid_until: Mapped[date | None]
    #: separate explicit consent to 건강정보 (민감정보, PIPA 제23조)
    includes_sensitive: Mapped[bool] = mapped_column(default=False)
    #: separate explicit consent to 고유식별정보 (PIPA 제24조)
    includes_unique_id: Mapped[bool] = mapped_column(default=False)
    #: statute that permits 주민등록번호 processing (PIPA 제24조의2); only public agencies may rely on it
    rrn_statutory_basis: Mapped[str | None] = mapped_column(sa.String(200))
    #: version of the notice wording shown (``consents.policy.NOTICE_TEMPLATES``)
    notice_version: Mapped[str] = mapped_column(sa.String(40))
    #: the exact notice text shown, after filling in recipients, purposes, items and retention
    notice_text: Mapped[str] = mapped_column(sa.Text)
    #: SHA-256 of ``notice_text``, so a later change to the stored text is detectable
    notice_sha256: Mapped[str] = mapped_column(sa.String(64))
    #: scanned signed form, relative to the instance folder's consent attachment directory
    attachment_path: Mapped[str | None] = mapped_column(sa.String(300))
    attachment_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    attachment_type: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)

    grants: Mapped[list[ConsentGrant]] = relationship(back_populates="consent", order_by="ConsentGrant.id")

    @property
    def notice_intact(self) -> bool:
        """Tell whether the stored notice text still matches the hash taken when it was shown."""
        import hashlib

        return hashlib.sha256(self.notice_text.encode("utf-8")).hexdigest() == self.notice_sha256

    revocations: Mapped[list[ConsentRevocation]] = relationship(
        back_populates="consent", order_by="ConsentRevocation.id"
    )


class ConsentGrant(Model):
    """One recipient × purpose of a consent, with the field groups and the five notice items shown."""

    __tablename__ = "consent_grants"
    __table_args__ = (
        sa.CheckConstraint(
            "(recipient_kind = 'agency' AND recipient_agency_id IS NOT NULL)"
            " OR (recipient_kind = 'conference' AND conference_id IS NOT NULL)"
            " OR (recipient_kind = 'network' AND district_id IS NOT NULL)"
            " OR recipient_kind = 'collector'",
            name="recipient_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consents.id"), index=True)
    purpose: Mapped[ConsentPurpose] = mapped_column(str_enum(ConsentPurpose, "consent_purpose"))
    recipient_kind: Mapped[RecipientKind] = mapped_column(str_enum(RecipientKind, "consent_recipient_kind"))
    recipient_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    #: conference whose attending agencies receive the data; no FK yet because conferences arrive in a
    #: later issue (the squash adds ``conferences.id``)
    conference_id: Mapped[int | None] = mapped_column(index=True)
    #: district whose network receives the data
    district_id: Mapped[int | None] = mapped_column(sa.ForeignKey("districts.id"))
    #: field-group codes consented for this recipient and purpose
    field_groups: Mapped[list[str]] = mapped_column(sa.JSON)
    #: notice item ①: the recipient as named to the client
    notice_recipient: Mapped[str] = mapped_column(sa.String(300))
    #: notice item ②: the recipient's purpose
    notice_purpose: Mapped[str] = mapped_column(sa.String(500))
    #: notice item ③: the items, in words
    notice_items: Mapped[str] = mapped_column(sa.String(500))
    #: notice item ④: the recipient's retention and use period
    notice_retention: Mapped[str] = mapped_column(sa.String(300))
    #: notice item ⑤: the right to refuse and the consequence of refusing
    notice_refusal: Mapped[str] = mapped_column(sa.String(500))

    consent: Mapped[Consent] = relationship(back_populates="grants")


class ConsentRevocation(Model):
    """A withdrawal, effective at once: the whole consent, one grant, or some field groups of a grant."""

    __tablename__ = "consent_revocations"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consents.id"), index=True)
    #: None: the whole consent
    grant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("consent_grants.id"))
    #: empty: the whole grant (or consent); otherwise only these field groups
    field_groups: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    revoked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    reason: Mapped[str | None] = mapped_column(sa.String(300))

    consent: Mapped[Consent] = relationship(back_populates="revocations")


class AccessLogEntry(Model):
    """One disclosure of a client's data (접속기록, 고시 제8조); hash-chained, never updated.

    ``prev_hash`` is UNIQUE: two writers that read the same chain head cannot both append after it,
    so the chain cannot fork; the loser retries inside a savepoint.
    """

    __tablename__ = "consent_access_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    agency_id: Mapped[int | None] = mapped_column(index=True)
    client_id: Mapped[int] = mapped_column(index=True)
    #: field groups disclosed (the owner's full view lists every group)
    field_groups: Mapped[list[str]] = mapped_column(sa.JSON)
    purpose: Mapped[str] = mapped_column(sa.String(40))
    channel: Mapped[AccessChannel] = mapped_column(str_enum(AccessChannel, "access_channel"), index=True)
    #: on which basis: ``owner`` or the consent ids that allowed it
    basis: Mapped[str] = mapped_column(sa.String(200))
    request_id: Mapped[str | None] = mapped_column(sa.String(40))
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    #: reason given for an export or download (고시 제8조②)
    reason: Mapped[str | None] = mapped_column(sa.String(300))
    prev_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(sa.String(64))

    def hashed_content(self) -> dict[str, Any]:
        """Return the content the row hash covers (everything but the id and the hash itself)."""
        return {
            "created_at": self.created_at.isoformat(),
            "actor_id": self.actor_id,
            "agency_id": self.agency_id,
            "client_id": self.client_id,
            "field_groups": sorted(self.field_groups),
            "purpose": self.purpose,
            "channel": str(self.channel),
            "basis": self.basis,
            "request_id": self.request_id,
            "ip_address": self.ip_address,
            "reason": self.reason,
            "prev_hash": self.prev_hash,
        }


class AccessLogCheckpoint(Model):
    """Where the chain resumes after the retention purge removed its oldest rows."""

    __tablename__ = "consent_access_log_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: rows with an id up to this one were purged
    purged_through_id: Mapped[int]
    #: the row hash of the last purged row: the prev_hash the first kept row must carry
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    purged_rows: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)


class AccessLogAnchor(Model):
    """A periodic checkpoint of the chain's head (anchor), so that cutting off the newest rows shows.

    The hash chain proves that nothing was changed or removed *before* the head; it cannot tell a
    shortened chain from a complete one. An anchor records how long the chain was and which row was its
    head at a time; ``hamkke consents verify-log`` checks that the anchored head row is still there.
    Anchors are also written to the application log and, when configured, to a file outside the
    database, so an intruder who can rewrite this table is still caught by the copy they cannot reach.
    """

    __tablename__ = "consent_access_log_anchors"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    #: id of the newest log row at anchor time (0 when the log was empty)
    head_id: Mapped[int]
    #: that row's hash (the genesis or checkpoint hash when the log was empty)
    head_hash: Mapped[str] = mapped_column(sa.String(64))
    #: rows ever appended up to the head: rows present plus rows the retention purge removed
    chain_length: Mapped[int]


class DataSubjectRequest(Model):
    """A client's 열람·정정·삭제·처리정지 request, due within 10 days (PIPA 시행령 제41·43·44조)."""

    __tablename__ = "data_subject_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agencies.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(str_enum(RequestKind, "data_subject_request_kind"))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "data_subject_request_status"), default=RequestStatus.open, index=True
    )
    #: what the client asked for, in their words (may name fields to correct)
    details: Mapped[str | None] = mapped_column(sa.Text)
    received_on: Mapped[date]
    due_on: Mapped[date] = mapped_column(index=True)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    #: how it was answered (refusal reason, what was corrected)
    outcome: Mapped[str | None] = mapped_column(sa.Text)
    #: whether the overdue reminder has gone out (the beat job is idempotent)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: a fulfilled 처리정지 ends (PIPA 제37조): who, when, on which ground and why; written once, kept
    suspension_lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    suspension_lifted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id"))
    suspension_lift_ground: Mapped[str | None] = mapped_column(sa.String(20))
    suspension_lift_reason: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def is_suspension_in_force(self) -> bool:
        """Tell whether this is a fulfilled 처리정지 that has not been lifted."""
        return (
            self.kind == RequestKind.suspension
            and self.status == RequestStatus.fulfilled
            and self.suspension_lifted_at is None
        )


#: grounds on which processing resumes after a 처리정지, with their Korean labels
SUSPENSION_LIFT_GROUNDS: dict[str, str] = {
    "withdrawn": "정보주체가 처리정지 요청을 철회함",
    "statutory": "법률에 특별한 규정이 있거나 법령상 의무를 지키기 위해 불가피함(제37조②)",
}

_LIFT_COLUMNS = (
    "suspension_lifted_at",
    "suspension_lifted_by_id",
    "suspension_lift_ground",
    "suspension_lift_reason",
)


def _keep_lift_history(mapper: Any, connection: Any, target: DataSubjectRequest) -> None:
    # The end of a suspension is evidence like a revocation: once written it is never changed or
    # cleared (a new suspension is a new request), so the ORM refuses an edit of those columns.
    state = sa.inspect(target)
    for name in _LIFT_COLUMNS:
        history = state.attrs[name].history
        if history.has_changes() and any(value is not None for value in history.deleted):
            raise AppendOnlyViolation("a lifted suspension is never edited")


def _refuse_request_delete(mapper: Any, connection: Any, target: DataSubjectRequest) -> None:
    if target.suspension_lifted_at is not None:
        raise AppendOnlyViolation("a lifted suspension is never deleted")


class AppendOnlyViolation(RuntimeError):
    """Code tried to change or delete a consent record or an access-log row through the ORM."""


def _refuse_update(mapper: Any, connection: Any, target: Any) -> None:
    # Consents, grants, revocations and access-log rows are evidence: a change is a new row, never an
    # edit. Appending a revocation marks its consent dirty without changing a column; that is allowed.
    state = sa.inspect(target)
    if any(state.attrs[attr.key].history.has_changes() for attr in mapper.column_attrs):
        raise AppendOnlyViolation(f"{type(target).__name__} rows are append-only")


def _refuse_delete(mapper: Any, connection: Any, target: Any) -> None:
    # The retention purge deletes old log rows with one Core DELETE, not through the ORM.
    raise AppendOnlyViolation(f"{type(target).__name__} rows are never deleted")


for _model in (
    Consent,
    ConsentGrant,
    ConsentRevocation,
    AccessLogEntry,
    AccessLogCheckpoint,
    AccessLogAnchor,
):
    event.listen(_model, "before_update", _refuse_update)
    event.listen(_model, "before_delete", _refuse_delete)
event.listen(DataSubjectRequest, "before_update", _keep_lift_history)
event.listen(DataSubjectRequest, "before_delete", _refuse_request_delete)


# Append-only in the database itself ------------------------------------------------------------
#
# The ORM listeners above stop the application's own code; these triggers stop everything else (a
# psql session, a script, a bug that uses raw SQL). The Alembic revision creates them; the
# ``after_create`` hooks give the same triggers to schemas built with ``metadata.create_all``.
#
# The retention purge must still delete log rows past retention. Rather than a session flag that
# turns the guard off, a DELETE is allowed only for a row that (1) is older than the legal two-year
# floor by the database's own clock and (2) is covered by a purge checkpoint (``purged_through_id``)
# written before it. The purge writes that checkpoint anyway, so every deletion the database accepts
# leaves its evidence (how many rows, the last hash) in an append-only table, works alike on
# PostgreSQL and SQLite, and cannot leak to another transaction through a pooled connection; no
# flag can make the database delete a row younger than two years.

#: names of the database objects, used by tests that play an intruder with owner rights
LOG_GUARD_TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": (
        "consent_access_log_append_only",
        "consent_access_log_no_truncate",
    ),
    "sqlite": ("consent_access_log_no_update", "consent_access_log_no_delete"),
}
#: the legal floor (고시 제8조①), repeated here because the database enforces it without the app
LOG_FLOOR_DAYS = 730

POSTGRES_LOG_GUARD = (
    # Constants only, no input: the f-strings put the legal floor into fixed DDL.
    f"""
CREATE OR REPLACE FUNCTION consent_access_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.created_at < now() - interval '{LOG_FLOOR_DAYS} days'
       AND EXISTS (
           SELECT 1 FROM consent_access_log_checkpoints c WHERE c.purged_through_id >= OLD.id
       ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'consent_access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",  # noqa: S608
    "CREATE TRIGGER consent_access_log_append_only BEFORE UPDATE OR DELETE ON consent_access_log "
    "FOR EACH ROW EXECUTE FUNCTION consent_access_log_guard()",
    """
CREATE OR REPLACE FUNCTION consent_append_only_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",
    "CREATE TRIGGER consent_access_log_no_truncate BEFORE TRUNCATE ON consent_access_log "
    "FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only_guard()",
)
SQLITE_LOG_GUARD = (
    "CREATE TRIGGER consent_access_log_no_update BEFORE UPDATE ON consent_access_log "
    "BEGIN SELECT RAISE(ABORT, 'consent_access_log is append-only: UPDATE refused'); END",
    # Stored times are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', so they compare as strings.
    "CREATE TRIGGER consent_access_log_no_delete BEFORE DELETE ON consent_access_log "  # noqa: S608
    f"WHEN OLD.created_at >= strftime('%Y-%m-%d %H:%M:%f', 'now', '-{LOG_FLOOR_DAYS} days') "
    "OR NOT EXISTS (SELECT 1 FROM consent_access_log_checkpoints c WHERE c.purged_through_id >= OLD.id) "
    "BEGIN SELECT RAISE(ABORT, 'consent_access_log is append-only: DELETE refused'); END",
)


def evidence_guard(table: str, dialect: str) -> tuple[str, ...]:
    """Return the statements that make a checkpoint or anchor table refuse UPDATE and DELETE."""
    if dialect == "postgresql":
        return (
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION consent_append_only_guard()",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only_guard()",
        )
    return (
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END",
    )


EVIDENCE_TABLES = ("consent_access_log_checkpoints", "consent_access_log_anchors")


def guard_statements(dialect: str) -> tuple[str, ...]:
    """Return every statement that installs the append-only triggers on this dialect, in order."""
    log = POSTGRES_LOG_GUARD if dialect == "postgresql" else SQLITE_LOG_GUARD
    return log + tuple(statement for table in EVIDENCE_TABLES for statement in evidence_guard(table, dialect))


def _install_guards_after_create(target: sa.Table, connection: sa.Connection, **_kw: Any) -> None:
    # The log trigger reads the checkpoint table and the functions are shared, so everything is
    # installed once the last of the three tables exists, whatever order create_all picked.
    dialect = connection.dialect.name
    if dialect not in LOG_GUARD_TRIGGERS:
        return
    inspector = sa.inspect(connection)
    needed = ("consent_access_log", *EVIDENCE_TABLES)
    if not all(inspector.has_table(name) for name in needed):
        return
    for statement in guard_statements(dialect):
        # text(), not exec_driver_sql: the driver would read the '%' of RAISE formats as placeholders.
        connection.execute(sa.text(statement))


for _table in (AccessLogEntry.__table__, AccessLogCheckpoint.__table__, AccessLogAnchor.__table__):
    event.listen(_table, "after_create", _install_guards_after_create)
