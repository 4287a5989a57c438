"""Reads of consents: histories, recipients, open requests and access-log searches."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from agencies.models import Agency, AgencyStatus, Person
from cases.models import Client
from consents.models import AccessLogEntry, Consent, DataSubjectRequest, RequestKind, RequestStatus
from hamkke.db import db


def list_consents(client_id: int) -> list[Consent]:
    """Return a client's consents, newest first, with grants and revocations loaded."""
    return list(
        db.session.scalars(
            sa.select(Consent)
            .where(Consent.client_id == client_id)
            .options(selectinload(Consent.grants), selectinload(Consent.revocations))
            .order_by(Consent.id.desc())
        )
    )


def list_recipient_agencies(agency: Agency) -> list[Agency]:
    """Return the active agencies of the agency's district that may be named as recipients."""
    return list(
        db.session.scalars(
            sa.select(Agency)
            .where(
                Agency.district_id == agency.district_id,
                Agency.status == AgencyStatus.active,
                Agency.id != agency.id,
            )
            .order_by(Agency.name)
        )
    )


def list_requests_of_client(client_id: int) -> list[DataSubjectRequest]:
    """Return a client's data-subject requests, newest first."""
    return list(
        db.session.scalars(
            sa.select(DataSubjectRequest)
            .where(DataSubjectRequest.client_id == client_id)
            .order_by(DataSubjectRequest.id.desc())
        )
    )


def list_open_requests(agency_id: int) -> list[DataSubjectRequest]:
    """Return an agency's open requests, the earliest deadline first."""
    return list(
        db.session.scalars(
            sa.select(DataSubjectRequest)
            .where(DataSubjectRequest.agency_id == agency_id, DataSubjectRequest.status == RequestStatus.open)
            .order_by(DataSubjectRequest.due_on, DataSubjectRequest.id)
        )
    )


@dataclass(frozen=True)
class LogFilters:
    """Search of the access log; instants are aware."""

    since: datetime | None = None
    until: datetime | None = None
    agency_id: int | None = None
    actor_id: int | None = None
    client_id: int | None = None
    channel: str | None = None
    purpose: str | None = None
    #: words of the viewer's name
    actor_name: str = ""
    #: the clients a case number or a name matched (None: no client asked for; empty: none matched)
    client_ids: tuple[int, ...] | None = None
    oldest_first: bool = False

    def as_dict(self) -> dict[str, Any]:
        """Return the filters as JSON-safe values (for the audit row of an export)."""
        return {
            key: value.isoformat() if isinstance(value, datetime) else value
            for key, value in asdict(self).items()
        }


def access_log_select(scope: Sequence[int], filters: LogFilters) -> sa.Select[tuple[AccessLogEntry]]:
    """Select the log rows within the auditor's scope (their agencies' staff, or their agencies' clients)."""
    owned = sa.select(Client.id).where(Client.owning_agency_id.in_(scope))
    query = sa.select(AccessLogEntry).where(
        sa.or_(AccessLogEntry.agency_id.in_(scope), AccessLogEntry.client_id.in_(owned))
    )
    if filters.since is not None:
        query = query.where(AccessLogEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AccessLogEntry.created_at < filters.until)
    if filters.agency_id is not None:
        query = query.where(AccessLogEntry.agency_id == filters.agency_id)
    if filters.actor_id is not None:
        query = query.where(AccessLogEntry.actor_id == filters.actor_id)
    if filters.actor_name:
        named = sa.select(Person.id).where(Person.name.icontains(filters.actor_name, autoescape=True))
        query = query.where(AccessLogEntry.actor_id.in_(named))
    if filters.client_id is not None:
        query = query.where(AccessLogEntry.client_id == filters.client_id)
    if filters.client_ids is not None:
        query = query.where(AccessLogEntry.client_id.in_(list(filters.client_ids)))
    if filters.channel is not None:
        query = query.where(AccessLogEntry.channel == filters.channel)
    if filters.purpose is not None:
        query = query.where(AccessLogEntry.purpose == filters.purpose)
    # By time of writing: rows are appended in chain order, so the row id is that order (the stored
    # clock of a batch is shared, and a writer's clock could differ; the id never does).
    if filters.oldest_first:
        return query.order_by(AccessLogEntry.id.asc())
    return query.order_by(AccessLogEntry.id.desc())


def search_access_log(scope: Sequence[int], filters: LogFilters, *, limit: int) -> list[AccessLogEntry]:
    """Return up to ``limit`` log rows within the auditor's scope, in the filters' order (the CSV export)."""
    return list(db.session.scalars(access_log_select(scope, filters).limit(limit)))


def people_by_id(ids: Sequence[int]) -> list[Person]:
    """Return the people with these ids."""
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Person).where(Person.id.in_(ids))))


def suspended_client_ids(client_ids: Sequence[int]) -> frozenset[int]:
    """Return which of these clients have a fulfilled 처리정지 in force, not lifted (nothing is shared)."""
    if not client_ids:
        return frozenset()
    return frozenset(
        db.session.scalars(
            sa.select(DataSubjectRequest.client_id).where(
                DataSubjectRequest.client_id.in_(client_ids),
                DataSubjectRequest.kind == RequestKind.suspension,
                DataSubjectRequest.status == RequestStatus.fulfilled,
                DataSubjectRequest.suspension_lifted_at.is_(None),
            )
        )
    )


def list_closed_requests(agency_id: int, *, limit: int = 50) -> list[DataSubjectRequest]:
    """Return the agency's most recently fulfilled or refused data-subject requests."""
    return list(
        db.session.scalars(
            sa.select(DataSubjectRequest)
            .where(DataSubjectRequest.agency_id == agency_id, DataSubjectRequest.status != RequestStatus.open)
            .order_by(DataSubjectRequest.closed_at.desc(), DataSubjectRequest.id.desc())
            .limit(limit)
        )
    )
