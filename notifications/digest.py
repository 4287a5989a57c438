"""The weekly "needs update" digest per agency, e-mailed through the outbox to members who opted in.

What it lists is computed from the data when it runs: referrals waiting on the agency (overdue ones
marked), referrals it sent that still have no answer, and its overdue conference action items. The
outbox key names the agency, the ISO week and the person, so re-running the job sends nothing twice.
Only agency and service names, dates and numbers go into the e-mail: client details stay behind the
consent gate in the app.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import render_template

from agencies.models import Agency, AgencyStatus, Membership, MembershipStatus, Person
from hamkke.db import db
from hamkke.time import now_utc, to_local
from notifications.models import OutboxMessage
from notifications.services import queue_email, wants_email

#: the notification kind people opt in to (the preferences page lists it)
DIGEST_KIND = "digest.weekly"
#: the digest of a week goes out from Monday at this local hour (the job runs hourly)
SEND_FROM_HOUR = 8


@dataclass
class AgencyDigest:
    """What one agency has to bring up to date this week."""

    agency: Agency
    week: str
    #: received referrals waiting on the agency (an answer or a result report); the referrals filled in
    #: by the section that package registers (notifications does not import referrals)
    waiting: list[Any] = field(default_factory=list)
    #: of those, the ones past their response deadline
    overdue_ids: set[int] = field(default_factory=set)
    #: referrals the agency sent that the receiver has not answered yet
    unanswered: list[Any] = field(default_factory=list)
    #: the agency's open conference action items past their due date: (conference title, due date),
    #: filled in by the conference's section
    overdue_actions: list[tuple[str, date]] = field(default_factory=list)
    #: the agency's cases due for a closure review (3 months of refusal or lost contact, an ended
    #: plan): (case number, reason, case id), filled in by the cases' section
    stale_cases: list[tuple[str, str, int]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to report (no e-mail is sent then)."""
        return not (self.waiting or self.unanswered or self.overdue_actions or self.stale_cases)


#: a domain's part of the digest: it fills its fields of an agency's digest as of a local date
DigestSection = Callable[[AgencyDigest, date], None]
#: the registered sections by name (each domain registers its own in ``init_app``)
_SECTIONS: dict[str, DigestSection] = {}


def register_digest_section(name: str, section: DigestSection) -> None:
    """Let a domain add its open items to every agency's digest (registering a name again replaces it)."""
    _SECTIONS[name] = section


def iso_week(day: date) -> str:
    """Return the ISO week of ``day`` as ``2026-W49`` (the digest's idempotency unit)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def build_digest(agency: Agency, today: date) -> AgencyDigest:
    """Collect the agency's open items as of ``today`` (local date)."""
    digest = AgencyDigest(agency=agency, week=iso_week(today))
    for section in _SECTIONS.values():
        section(digest, today)
    return digest


def digest_recipients(agency: Agency) -> list[Person]:
    """Return the agency's active members who opted in to the weekly digest by e-mail."""
    people = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.agency_id == agency.id, Membership.status == MembershipStatus.active)
        .order_by(Person.id)
    ).unique()
    return [person for person in people if person.is_active and wants_email(person, DIGEST_KIND)]


def is_due(moment: datetime) -> bool:
    """Tell whether this week's digest may go out at ``moment`` (from Monday 08:00 local on)."""
    local = to_local(moment)
    return not (local.weekday() == 0 and local.hour < SEND_FROM_HOUR)


def send_weekly_digests(moment: datetime | None = None) -> int:
    """Queue this ISO week's digest e-mails for every active agency; return how many were new."""
    moment = moment or now_utc()
    if not is_due(moment):
        return 0
    today = to_local(moment).date()
    week = iso_week(today)
    queued = 0
    agencies = db.session.scalars(
        sa.select(Agency).where(Agency.status == AgencyStatus.active).order_by(Agency.id)
    )
    for agency in agencies:
        recipients = digest_recipients(agency)
        if not recipients:
            continue
        digest = build_digest(agency, today)
        if digest.is_empty:
            continue
        for person in recipients:
            key = f"digest:{agency.id}:{week}:p{person.id}"
            if db.session.scalar(sa.select(OutboxMessage.id).where(OutboxMessage.idempotency_key == key)):
                continue
            context = {"digest": digest, "person": person, "today": today}
            queue_email(
                to=person.email,
                subject=f"[함께] {agency.name} 주간 확인 필요 목록 ({week})",
                text=render_template("emails/notifications/weekly_digest.txt", **context),
                html=render_template("emails/notifications/weekly_digest.html", **context),
                idempotency_key=key,
                agency_id=agency.id,
            )
            queued += 1
    db.session.flush()
    return queued
