"""Documents and scores: attachments, 자활역량평가 and 사례관리 평가, and the destruction log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from cases.models.enums import AttachmentKind
from cases.models.pii import _pii
from hamkke.db import Model, TimestampMixin, UTCDateTime, str_enum
from hamkke.time import now_utc


class Attachment(TimestampMixin, Model):
    """A genogram, eco-map or scanned form, stored under the instance folder (never in static/)."""

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[AttachmentKind] = mapped_column(str_enum(AttachmentKind, "attachment_kind"))
    #: the uploader's file name, shown on the page only
    filename: Mapped[str] = mapped_column(sa.String(200), info=_pii("needs"))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    #: random name of the stored file under ``<instance>/case_files/``
    storage_key: Mapped[str] = mapped_column(sa.String(80), unique=True)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class CapacityAssessment(TimestampMixin, Model):
    """자활역량평가표 (활용서식1): the criteria chosen, with the total and group computed from them."""

    __tablename__ = "case_capacity_assessments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    assessed_on: Mapped[date]
    #: item code → chosen criterion code (see `cases.scores.CAPACITY_ITEMS`)
    answers: Mapped[dict[str, str]] = mapped_column(sa.JSON, info=_pii("needs"))
    worker_will: Mapped[int]
    worker_employability: Mapped[int]
    supervisor_adjustment: Mapped[int] = mapped_column(default=0)
    #: the participant's 자가 평가 체크리스트: codes of the statements ticked (`SELF_CHECK_CODES`)
    self_check: Mapped[list[str]] = mapped_column(sa.JSON, default=list, info=_pii("needs"))
    total: Mapped[int]
    group: Mapped[str] = mapped_column(sa.String(1))
    assessed_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class CaseEvaluation(TimestampMixin, Model):
    """사례관리 평가서 (활용서식9): rows of effort and achievement /10, average computed."""

    __tablename__ = "case_evaluations"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    evaluated_on: Mapped[date]
    #: 참여자 소속 (the 사업단 or programme the participant belongs to)
    affiliation: Mapped[str | None] = mapped_column(sa.String(100))
    #: [{"section", "goal", "participant", "worker", "external", "achievement"}]; section is
    #: iap_short, iap_long, work1–3 or welfare1–3 (older rows: "목표 n")
    rows: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, info=_pii("service_history"))
    average_achievement: Mapped[float]
    worker_opinion: Mapped[str | None] = mapped_column(sa.Text, info=_pii("counselling"))
    evaluated_by_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id"))


class DestructionLog(Model):
    """A record that a case's personal data was destroyed; holds no personal data itself."""

    __tablename__ = "case_destruction_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    destroyed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc)
    case_id: Mapped[int] = mapped_column(index=True)
    owning_agency_id: Mapped[int]
    #: ``closed`` or ``not_selected``
    basis: Mapped[str] = mapped_column(sa.String(20))
    #: the day the retention period started (closure or 미선정)
    ended_on: Mapped[date]
    #: rows removed per table, e.g. {"case_needs": 3}
    counts: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
