"""The monthly access-log review (고시 제8조②): who opened many clients outside their own cases."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from agencies.models import Membership, MembershipRole, MembershipStatus, Person, StaffRole
from cases.models import Case, Client
from consents.models import AccessLogEntry
from hamkke.audit import record
from hamkke.db import db
from hamkke.time import SEOUL, today_local
from notifications.services import notify

#: opening more clients than this in a month without a case of one's own is reported (고시 제8조②)
DEFAULT_UNUSUAL_THRESHOLD = 20


@dataclass(frozen=True)
class UnusualAccess:
    """One actor who opened many clients outside their own cases in a month."""

    actor_id: int
    agency_id: int | None
    clients_outside_cases: int
    total_disclosures: int


def month_bounds(year: int, month: int) -> tuple[datetime, datetime]:
    """Return the UTC instants that start this month and the next (months in Asia/Seoul)."""
    start = datetime(year, month, 1, tzinfo=SEOUL)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SEOUL)
    return start.astimezone(UTC), end.astimezone(UTC)


def unusual_access_report(year: int, month: int, *, threshold: int | None = None) -> list[UnusualAccess]:
    """List actors who opened more than ``threshold`` distinct clients that are not in a case they work.

    "Their cases" are cases of the client's household where the actor is the case worker; export
    and download rows count as openings too.
    """
    limit = (
        threshold
        if threshold is not None
        else int(current_app.config.get("CONSENTS_UNUSUAL_ACCESS_THRESHOLD") or DEFAULT_UNUSUAL_THRESHOLD)
    )
    start, end = month_bounds(year, month)
    rows = db.session.execute(
        sa.select(AccessLogEntry.actor_id, AccessLogEntry.agency_id, AccessLogEntry.client_id).where(
            AccessLogEntry.created_at >= start,
            AccessLogEntry.created_at < end,
            AccessLogEntry.actor_id.is_not(None),
        )
    ).all()
    own = set(
        db.session.execute(
            sa.select(Case.case_worker_id, Client.id).join(Client, Client.household_id == Case.household_id)
        ).all()
    )
    outside: dict[int, set[int]] = defaultdict(set)
    totals: Counter[int] = Counter()
    agency_of: dict[int, int | None] = {}
    for actor_id, agency_id, client_id in rows:
        totals[actor_id] += 1
        agency_of[actor_id] = agency_id
        if (actor_id, client_id) not in own:
            outside[actor_id].add(client_id)
    report = [
        UnusualAccess(actor_id, agency_of[actor_id], len(clients), totals[actor_id])
        for actor_id, clients in outside.items()
        if len(clients) > limit
    ]
    return sorted(report, key=lambda item: -item.clients_outside_cases)


def review_last_month(on: date | None = None) -> list[UnusualAccess]:
    """Run the monthly access review (고시 제8조②) for the previous month; notify auditors once.

    The audit row and the notifications carry ids and counts only. Re-running in the same month
    notifies nobody twice (the notification dedupe key names the month).
    """
    day = on or today_local()
    first_of_month = day.replace(day=1)
    previous = first_of_month - timedelta(days=1)
    report = unusual_access_report(previous.year, previous.month)
    month = f"{previous.year:04d}-{previous.month:02d}"
    record(
        "consents.access_review",
        data={"month": month, "flagged": [[item.actor_id, item.clients_outside_cases] for item in report]},
    )
    auditors = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(MembershipRole.role == StaffRole.auditor, Membership.status == MembershipStatus.active)
        .distinct()
    ).all()
    for auditor in auditors:
        notify(
            auditor,
            "consents.access_review",
            title=f"{month} 접속기록 점검: 이상 접근 {len(report)}명",
            link=f"/consents/access-log/unusual?month={month}",
            dedupe_key=f"consents.access_review:{month}:{auditor.id}",
        )
    db.session.flush()
    return report
