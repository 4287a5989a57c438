"""The audit log: who did what to which object, kept apart from the disclosure access log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from hamkke.db import Model, UTCDateTime, db
from hamkke.time import now_utc


class AuditEntry(Model):
    """One audited action (sign-in, role change, state transition, …); never updated."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: when it happened (UTC)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now_utc, index=True)
    #: the person who acted; None for the system (worker, scheduled job)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    #: the agency the actor acted for, if any
    agency_id: Mapped[int | None] = mapped_column(index=True)
    #: dotted verb, e.g. ``auth.sign_in``, ``agency.role_granted``
    action: Mapped[str] = mapped_column(sa.String(80), index=True)
    #: table-like name of the object acted on
    object_type: Mapped[str | None] = mapped_column(sa.String(50))
    object_id: Mapped[int | None]
    #: details that explain the action; IDs and codes, never personal data
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    #: correlates the rows of one request or task
    request_id: Mapped[str | None] = mapped_column(sa.String(40))
    #: client address of the request, if any
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))

    __table_args__ = (sa.Index("ix_audit_entries_object", "object_type", "object_id"),)


def current_request_id() -> str:
    """Return the ID that ties this request's log and audit rows together."""
    if has_request_context():
        if "request_id" not in g:
            g.request_id = request.headers.get("X-Request-ID", "")[:40] or uuid.uuid4().hex
        return str(g.request_id)
    return uuid.uuid4().hex


def record(
    action: str,
    *,
    actor_id: int | None = None,
    agency_id: int | None = None,
    obj: Any = None,
    object_type: str | None = None,
    object_id: int | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit row to the current transaction (flushed with it, never committed here)."""
    if obj is not None:
        object_type = object_type or getattr(obj, "__tablename__", type(obj).__name__)
        object_id = object_id if object_id is not None else getattr(obj, "id", None)
    entry = AuditEntry(
        actor_id=actor_id,
        agency_id=agency_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        data=data or {},
        request_id=current_request_id(),
        ip_address=request.remote_addr if has_request_context() else None,
    )
    db.session.add(entry)
    return entry


def record_refusal(action: str, **details: Any) -> AuditEntry:
    """Audit a refused access: the row stays even though the refusal rolls the request's work back.

    A refusal answers 4xx (or 503), and the edge rolls such answers back; the row is added now and
    added again in a fresh transaction if that rollback comes (``hamkke.unit_of_work.keep_after_rollback``).
    """
    # Imported here: the edge (hamkke.unit_of_work) imports hamkke.web, which imports this module.
    from hamkke.unit_of_work import keep_after_rollback

    entry = record(action, **details)
    keep_after_rollback(lambda: record(action, **details), even_after_error=True)
    return entry
