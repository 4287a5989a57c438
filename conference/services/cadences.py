"""Meeting series (정기 회의 주기): create, edit and end a series, and generate its meetings ahead.

A series is a ``ConferenceRule`` with an RRULE (``conference.cadence``). The generator creates every
meeting of the next ``weeks_ahead`` weeks once (a meeting is known by its series and start), with the
series' invitations, so the D-7 and D-1 reminders of ``conference.send_reminders`` reach them.
Every function flushes and never commits; the view, task or command commits once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from agencies.models import Agency, AgencyStatus, AgencyType, Dong, Person, agency_dongs
from conference import cadence
from conference.models import (
    AgendaItem,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceRule,
    ConferenceStatus,
    ItemStatus,
)
from conference.queries import regions_of
from conference.services.agenda import pull_reconvened_items
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import SEOUL, now_utc, today_local

MAX_WEEKS_AHEAD = 26


@dataclass(frozen=True)
class SeriesInput:
    """What the series page posts, already typed: the rule, its period and its meetings' details."""

    kind: ConferenceKind
    title: str
    rrule: str
    starts_on: date
    ends_on: date | None
    start_minute: int
    place: str | None = None
    region_id: int | None = None
    dong_id: int | None = None
    agency_ids: Sequence[int] = ()
    weeks_ahead: int = 8


def host_for(district_id: int, data: SeriesInput, acting: Agency) -> Agency:
    """Return the series' host: the dong's centre for a 내부판정회의, else the acting agency."""
    if data.kind != ConferenceKind.dong_judgment:
        return acting
    if data.dong_id is None:
        raise ValidationFailed(
            "동 내부판정회의는 동을 골라야 합니다.", field="dong_id", english="Choose the dong."
        )
    centre = db.session.scalar(
        sa.select(Agency)
        .join(agency_dongs, agency_dongs.c.agency_id == Agency.id)
        .join(Dong, Dong.id == agency_dongs.c.dong_id)
        .where(
            Dong.id == data.dong_id,
            Dong.district_id == district_id,
            Agency.type == AgencyType.dong_centre,
            Agency.status == AgencyStatus.active,
        )
        .order_by(Agency.id)
        .limit(1)
    )
    if centre is None:
        raise ValidationFailed(
            "그 동의 주민센터를 찾을 수 없습니다.",
            field="dong_id",
            english="The dong has no active community centre.",
        )
    return centre


def _validated(district_id: int, data: SeriesInput) -> str:
    """Check the whole input before anything is written; return the title to keep."""
    title = data.title.strip()
    if not title:
        raise ValidationFailed("회의 이름을 입력하세요.", field="title", english="Enter a title.")
    if not 1 <= data.weeks_ahead <= MAX_WEEKS_AHEAD:
        raise ValidationFailed(
            f"미리 만들 기간은 1주에서 {MAX_WEEKS_AHEAD}주 사이로 정하세요.",
            field="weeks_ahead",
            english=f"Generate between 1 and {MAX_WEEKS_AHEAD} weeks ahead.",
        )
    cadence.check(data.rrule, data.starts_on, data.ends_on, data.start_minute)
    if data.region_id is not None and data.region_id not in {r.id for r in regions_of(district_id)}:
        raise ValidationFailed("이 구의 권역이 아닙니다.", field="region_id", english="Unknown region.")
    if not (data.place or "").strip():
        raise ValidationFailed("장소를 입력하세요.", field="place", english="Enter a place.")
    invited = set(data.agency_ids)
    if invited:
        found = set(
            db.session.scalars(
                sa.select(Agency.id).where(
                    Agency.id.in_(invited),
                    Agency.district_id == district_id,
                    Agency.status == AgencyStatus.active,
                )
            )
        )
        if found != invited:
            raise ValidationFailed(
                "같은 구의 활동 중인 기관만 초대할 수 있습니다.",
                field="agency_ids",
                english="Invite active agencies of the same district.",
            )
    return title[:200]


def create_series(*, actor: Person, district_id: int, host: Agency, data: SeriesInput) -> ConferenceRule:
    """Create a meeting series from a checked rule, then generate its first meetings."""
    title = _validated(district_id, data)
    rule = ConferenceRule(
        district_id=district_id,
        host_agency_id=host.id,
        is_active=True,
        week_of_month=0,
        weekday=data.starts_on.weekday(),
    )
    _apply(rule, data, title)
    db.session.add(rule)
    db.session.flush()
    audit.record(
        "conference.series_created",
        actor_id=actor.id,
        agency_id=host.id,
        obj=rule,
        data={"rrule": rule.rrule, "kind": str(rule.kind)},
    )
    generate_ahead(rule)
    return rule


def _apply(rule: ConferenceRule, data: SeriesInput, title: str) -> None:
    rule.kind = data.kind
    rule.title = title
    rule.rrule = data.rrule
    rule.starts_on = data.starts_on
    rule.ends_on = data.ends_on
    rule.start_minute = data.start_minute
    rule.place = (data.place or "").strip()[:300] or None
    rule.region_id = data.region_id
    rule.dong_id = data.dong_id if data.kind == ConferenceKind.dong_judgment else None
    rule.agency_ids = sorted(set(data.agency_ids))
    rule.weeks_ahead = data.weeks_ahead


def update_series(rule: ConferenceRule, *, actor: Person, data: SeriesInput) -> list[Conference]:
    """Change a series; its future meetings off the new rhythm are cancelled, the new dates generated."""
    if not rule.is_active:
        raise InvalidTransition("끝난 주기는 고칠 수 없습니다.", english="The series has ended.")
    if data.kind != rule.kind:
        raise ValidationFailed(
            "회의 종류는 바꿀 수 없습니다. 새 주기를 만드세요.",
            field="kind",
            english="The kind of a series cannot change; create a new series.",
        )
    title = _validated(rule.district_id, data)
    _apply(rule, data, title)
    db.session.flush()
    audit.record("conference.series_updated", actor_id=actor.id, obj=rule, data={"rrule": rule.rrule})
    keep = {start.replace(tzinfo=SEOUL) for start in _upcoming(rule, today_local())}
    cancelled = _cancel_future(rule, lambda conference: conference.starts_at not in keep)
    generate_ahead(rule)
    return cancelled


def end_series(rule: ConferenceRule, *, actor: Person, last_day: date | None = None) -> list[Conference]:
    """End a series after ``last_day`` (today by default); its scheduled meetings after that are cancelled."""
    if not rule.is_active:
        raise InvalidTransition("이미 끝난 주기입니다.", english="The series has ended already.")
    last = last_day or today_local()
    if rule.starts_on is not None and last < rule.starts_on - timedelta(days=1):
        raise ValidationFailed(
            "끝나는 날이 시작일보다 앞섭니다.", field="ends_on", english="The series ends before it starts."
        )
    rule.ends_on = last
    rule.is_active = False
    db.session.flush()
    audit.record("conference.series_ended", actor_id=actor.id, obj=rule, data={"ends_on": last.isoformat()})
    return _cancel_future(rule, lambda conference: conference.starts_at.astimezone(SEOUL).date() > last)


def _cancel_future(rule: ConferenceRule, drop: Callable[[Conference], bool]) -> list[Conference]:
    """Cancel the series' scheduled meetings ``drop`` selects, unless an item is already on their agenda."""
    future = db.session.scalars(
        sa.select(Conference).where(
            Conference.rule_id == rule.id,
            Conference.status == ConferenceStatus.scheduled,
            Conference.starts_at >= now_utc(),
        )
    ).all()
    cancelled: list[Conference] = []
    for conference in future:
        if not drop(conference):
            continue
        has_items = db.session.scalar(
            sa.select(AgendaItem.id).where(
                AgendaItem.conference_id == conference.id, AgendaItem.status != ItemStatus.withdrawn
            )
        )
        if has_items is not None:
            # A meeting with an agenda stays: its items would otherwise vanish unseen.
            continue
        conference.status = ConferenceStatus.cancelled
        cancelled.append(conference)
        audit.record("conference.cancelled", obj=conference, data={"rule_id": rule.id})
    db.session.flush()
    return cancelled


def _upcoming(rule: ConferenceRule, today: date) -> list[datetime]:
    """Return the series' meeting starts from today to ``weeks_ahead`` weeks on (Asia/Seoul wall time)."""
    if rule.rrule is None or rule.starts_on is None:
        return []
    return cadence.occurrences(
        rule.rrule,
        rule.starts_on,
        rule.ends_on,
        rule.start_minute,
        since=today,
        until=today + timedelta(weeks=rule.weeks_ahead),
    )


def _meeting_title(rule: ConferenceRule, start: datetime) -> str:
    """Name one meeting of the series after its date, e.g. ``사례 슈퍼비전 (2026년 3월 18일)``."""
    return f"{rule.title} ({start.year}년 {start.month}월 {start.day}일)"[:200]


def generate_ahead(rule: ConferenceRule, *, today: date | None = None) -> list[Conference]:
    """Create the series' missing meetings of the coming weeks with their invitations; return the new ones."""
    if not rule.is_active:
        return []
    created: list[Conference] = []
    for wall in _upcoming(rule, today or today_local()):
        starts = wall.replace(tzinfo=SEOUL)
        existing = db.session.scalar(
            sa.select(Conference.id).where(Conference.rule_id == rule.id, Conference.starts_at == starts)
        )
        if existing is not None:
            continue
        conference = Conference(
            district_id=rule.district_id,
            region_id=rule.region_id,
            kind=rule.kind,
            title=_meeting_title(rule, wall),
            starts_at=starts,
            place=rule.place,
            host_agency_id=rule.host_agency_id,
            chair_id=rule.chair_id,
            recorder_id=rule.recorder_id,
            rule_id=rule.id,
        )
        db.session.add(conference)
        db.session.flush()
        # The host is invited too: its staff get the reminders of their own series (the dong's 내부판정회의).
        for agency_id in sorted({rule.host_agency_id, *rule.agency_ids}):
            db.session.add(ConferenceInvitation(conference_id=conference.id, agency_id=agency_id))
        db.session.flush()
        audit.record("conference.generated", obj=conference, data={"rule_id": rule.id})
        created.append(conference)
    if created:
        _pull_into_next(rule)
    return created


def _pull_into_next(rule: ConferenceRule) -> None:
    """Put the series' pending 재회의 items on its next scheduled meeting's draft agenda."""
    upcoming = db.session.scalar(
        sa.select(Conference)
        .where(Conference.rule_id == rule.id, Conference.status == ConferenceStatus.scheduled)
        .order_by(Conference.starts_at)
        .limit(1)
    )
    if upcoming is not None:
        pull_reconvened_items(upcoming)


def generate_all_series(today: date | None = None) -> int:
    """Generate the coming meetings of every active RRULE series; return how many meetings were created."""
    rules = db.session.scalars(
        sa.select(ConferenceRule)
        .where(ConferenceRule.is_active.is_(True), ConferenceRule.rrule.is_not(None))
        .order_by(ConferenceRule.id)
    ).all()
    return sum(len(generate_ahead(rule, today=today)) for rule in rules)


def district_series(district_id: int) -> list[ConferenceRule]:
    """Return the district's series made on the cadences page, active first, then by kind and title."""
    return list(
        db.session.scalars(
            sa.select(ConferenceRule)
            .where(ConferenceRule.district_id == district_id, ConferenceRule.rrule.is_not(None))
            .order_by(ConferenceRule.is_active.desc(), ConferenceRule.kind, ConferenceRule.title)
        )
    )
