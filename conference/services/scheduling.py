"""Conference scheduling: one-off and recurring conferences, invitations, RSVPs and reminders.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, datetime, time

import sqlalchemy as sa

from agencies.models import Agency, AgencyStatus, Membership, MembershipStatus, Person
from conference.models import (
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceRule,
    ConferenceStatus,
    InvitationRole,
    Rsvp,
)
from conference.queries import regions_of
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import SEOUL, now_utc, to_local, today_local
from notifications.services import notify

#: briefing packets open this many days before the meeting unless the conference says otherwise
DEFAULT_BRIEFING_DAYS = 3
MAX_BRIEFING_DAYS = 45
#: the longest 사후 기록 사유 kept (a few sentences: why the meeting was not entered when it was held)
MAX_AFTER_REASON = 1000


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """Return the nth (1-based) ``weekday`` of a month, or None if the month has no such day."""
    days = [
        day
        for day in calendar.Calendar().itermonthdates(year, month)
        if day.month == month and day.weekday() == weekday
    ]
    return days[nth - 1] if 0 < nth <= len(days) else None


def next_occurrence(rule: ConferenceRule, after: date) -> date:
    """Return the first date of the rule strictly after ``after``."""
    year, month = after.year, after.month
    for _ in range(24):
        day = nth_weekday(year, month, rule.weekday, rule.week_of_month)
        if day is not None and day > after:
            return day
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    raise ValidationFailed("규칙에 맞는 날짜가 없습니다.", english="The rule never matches a date.")


def create_conference(
    *,
    actor: Person,
    district_id: int,
    kind: ConferenceKind,
    title: str,
    starts_at: datetime,
    host_agency_id: int,
    place: str | None = None,
    video_url: str | None = None,
    region_id: int | None = None,
    chair_id: int | None = None,
    recorder_id: int | None = None,
    briefing_days: int = DEFAULT_BRIEFING_DAYS,
    recorded_after_reason: str | None = None,
) -> Conference:
    """Schedule a conference of any kind, or record one already held (a start in the past, with a reason)."""
    after_reason = _after_the_fact_reason(starts_at, recorded_after_reason)
    if region_id is not None and region_id not in {region.id for region in regions_of(district_id)}:
        raise ValidationFailed("이 구의 권역이 아닙니다.", field="region_id", english="Unknown region.")
    place = (place or "").strip()[:300] or None
    video_url = (video_url or "").strip()[:500] or None
    if not (place or video_url):
        raise ValidationFailed(
            "장소나 화상회의 링크를 입력하세요.", field="place", english="Enter a place or a video link."
        )
    if not title.strip():
        raise ValidationFailed("회의 주제를 입력하세요.", field="title", english="Enter a title.")
    if video_url is not None and not video_url.startswith(("https://", "http://")):
        raise ValidationFailed(
            "화상회의 링크는 http(s)://로 시작해야 합니다.",
            field="video_url",
            english="The video link must start with http(s)://.",
        )
    if not 0 <= briefing_days <= MAX_BRIEFING_DAYS:
        raise ValidationFailed(
            f"사전자료 공개일은 0일에서 {MAX_BRIEFING_DAYS}일 전 사이로 정하세요.",
            field="briefing_days",
            english=f"Briefing days must be between 0 and {MAX_BRIEFING_DAYS}.",
        )
    _check_staff(host_agency_id, chair_id, "chair_id", "진행자(의장)")
    _check_staff(host_agency_id, recorder_id, "recorder_id", "서기")
    if chair_id is not None and chair_id == recorder_id:
        raise ValidationFailed(
            "진행자와 서기는 다른 사람이어야 합니다.",
            field="recorder_id",
            english="The chair and the recorder must differ.",
        )
    conference = Conference(
        district_id=district_id,
        region_id=region_id,
        kind=kind,
        title=title.strip()[:200],
        starts_at=starts_at,
        place=place,
        video_url=video_url,
        host_agency_id=host_agency_id,
        chair_id=chair_id,
        recorder_id=recorder_id,
        briefing_days=briefing_days,
        recorded_after_reason=after_reason,
    )
    if after_reason is not None:
        # Held already: no invitations to answer, no reminders (they go to scheduled meetings only), no
        # agenda to approve beforehand. It opens for its minutes at once, started when it was held.
        conference.status = ConferenceStatus.live
        conference.started_at = starts_at
        conference.agenda_approved_at = now_utc()
    db.session.add(conference)
    db.session.flush()
    audit.record(
        "conference.created",
        actor_id=actor.id,
        agency_id=host_agency_id,
        obj=conference,
        data={"recorded_after_reason": after_reason} if after_reason is not None else None,
    )
    return conference


def _after_the_fact_reason(starts_at: datetime, reason: str | None) -> str | None:
    """Return the 사후 기록 사유 of a meeting that already started; refuse a past start without one."""
    if starts_at >= now_utc():
        # A meeting ahead is scheduled as usual; a reason typed for it has nothing to explain.
        return None
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(
            "지난 시각의 회의는 사후 기록 사유를 적어야 기록할 수 있습니다. "
            "종이 회의록으로 진행한 회의라면 그 사정을 적어 주세요.",
            field="recorded_after_reason",
            english="A meeting in the past can only be recorded with a reason for recording it afterwards.",
        )
    if len(text) > MAX_AFTER_REASON:
        raise ValidationFailed(
            f"사후 기록 사유는 {MAX_AFTER_REASON}자 이내로 적어 주세요.",
            field="recorded_after_reason",
            english=f"Keep the reason within {MAX_AFTER_REASON} characters.",
        )
    return text


def _check_staff(agency_id: int, person_id: int | None, field: str, label: str) -> None:
    """Refuse a chair or recorder who is not an active member of the host agency."""
    if person_id is None:
        return

    member = db.session.scalar(
        sa.select(Membership.id).where(
            Membership.agency_id == agency_id,
            Membership.person_id == person_id,
            Membership.status == MembershipStatus.active,
        )
    )
    if member is None:
        raise ValidationFailed(
            f"{with_particle(label, '은')} 주관 기관의 직원이어야 합니다.",
            field=field,
            english="Choose a member of the host agency.",
        )


def make_recurring(conference: Conference, *, actor: Person, agency_ids: Sequence[int]) -> ConferenceRule:
    """Turn a scheduled conference into the first of a monthly series (same weekday and week, same time)."""
    if conference.rule_id is not None:
        raise InvalidTransition("이미 정기 회의입니다.", english="Already recurring.")
    if conference.recorded_after_reason is not None:
        raise ValidationFailed(
            "이미 열린 회의를 사후 기록할 때는 정기 회의로 반복할 수 없습니다. 다음 회의는 따로 잡아 주세요.",
            field="recurring",
            english="A meeting recorded after the fact cannot start a monthly series.",
        )
    local = to_local(conference.starts_at)
    week_of_month = (local.day - 1) // 7 + 1
    if week_of_month > 4:
        # A fifth weekday exists only in some months; the series would skip them.
        raise ValidationFailed(
            "정기 회의는 매월 첫째~넷째 주 중 하루로 정하세요.",
            field="starts_at",
            english="Recurring meetings must fall in the first four weeks of a month.",
        )
    rule = ConferenceRule(
        district_id=conference.district_id,
        region_id=conference.region_id,
        host_agency_id=conference.host_agency_id,
        kind=conference.kind,
        title=conference.title,
        week_of_month=week_of_month,
        weekday=local.weekday(),
        start_minute=local.hour * 60 + local.minute,
        place=conference.place,
        chair_id=conference.chair_id,
        recorder_id=conference.recorder_id,
        agency_ids=sorted(set(agency_ids)),
    )
    db.session.add(rule)
    db.session.flush()
    conference.rule_id = rule.id
    db.session.flush()
    audit.record(
        "conference.rule_created", actor_id=actor.id, obj=rule, data={"conference_id": conference.id}
    )
    return rule


def generate_next_instance(rule: ConferenceRule, *, after: date | None = None) -> Conference:
    """Create the rule's next conference (idempotent: an existing instance on that day is returned)."""
    day = next_occurrence(rule, after or today_local())
    starts = datetime.combine(day, time(rule.start_minute // 60, rule.start_minute % 60), tzinfo=SEOUL)
    existing = db.session.scalar(
        sa.select(Conference).where(Conference.rule_id == rule.id, Conference.starts_at == starts)
    )
    if existing is not None:
        return existing
    conference = Conference(
        district_id=rule.district_id,
        region_id=rule.region_id,
        kind=rule.kind,
        title=f"{rule.title} ({day.month}월)",
        starts_at=starts,
        place=rule.place,
        host_agency_id=rule.host_agency_id,
        chair_id=rule.chair_id,
        recorder_id=rule.recorder_id,
        rule_id=rule.id,
    )
    db.session.add(conference)
    db.session.flush()
    for agency_id in rule.agency_ids:
        db.session.add(ConferenceInvitation(conference_id=conference.id, agency_id=agency_id))
    db.session.flush()
    audit.record("conference.generated", obj=conference, data={"rule_id": rule.id})
    return conference


def invite(
    conference: Conference,
    *,
    actor: Person,
    agency_id: int,
    person_id: int | None = None,
    role: InvitationRole = InvitationRole.member,
) -> ConferenceInvitation:
    """Invite an agency (its staff) or one person; guests (자문위원) are invited by name."""
    if role == InvitationRole.guest and person_id is None:
        raise ValidationFailed(
            "자문위원은 사람을 지정해 초대합니다.", field="person_id", english="Invite a guest by name."
        )
    if conference.status in (ConferenceStatus.closed, ConferenceStatus.cancelled):
        raise InvalidTransition("끝난 회의에는 초대할 수 없습니다.", english="The conference is over.")
    agency = db.session.get(Agency, agency_id)
    if agency is None or agency.district_id != conference.district_id or agency.status != AgencyStatus.active:
        raise ValidationFailed(
            "같은 구의 활동 중인 기관만 초대할 수 있습니다.",
            field="agency_id",
            english="Invite an active agency of the same district.",
        )
    if person_id is not None and role == InvitationRole.member:
        member = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.agency_id == agency_id,
                Membership.person_id == person_id,
                Membership.status == MembershipStatus.active,
            )
        )
        if member is None:
            raise ValidationFailed(
                "그 기관의 직원만 기관 참석자로 초대할 수 있습니다.",
                field="person_id",
                english="The person is not a member of that agency.",
            )
    if person_id is not None and db.session.get(Person, person_id) is None:
        raise ValidationFailed(
            "초대할 사람을 찾을 수 없습니다.", field="person_id", english="Unknown person."
        )
    for invitation in conference.invitations:
        if invitation.agency_id == agency_id and invitation.person_id == person_id:
            return invitation
    invitation = ConferenceInvitation(
        conference=conference, agency_id=agency_id, person_id=person_id, role=role
    )
    db.session.add(invitation)
    db.session.flush()
    audit.record(
        "conference.invited",
        actor_id=actor.id,
        obj=conference,
        data={"agency_id": agency_id, "person_id": person_id},
    )
    return invitation


def respond_to_invitation(
    invitation: ConferenceInvitation, *, actor: Person, rsvp: Rsvp, deputy_id: int | None = None
) -> ConferenceInvitation:
    """Record an RSVP; a delegated invitation names the deputy who attends instead."""
    if rsvp == Rsvp.pending:
        raise ValidationFailed(
            "참석, 불참, 대리 참석 중에서 고르세요.", field="rsvp", english="Choose an answer."
        )
    if invitation.conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition(
            "이미 시작했거나 끝난 회의입니다.", english="The conference has started or ended."
        )
    if rsvp == Rsvp.delegated and deputy_id is None:
        raise ValidationFailed("대리 참석자를 지정하세요.", field="deputy_id", english="Choose a deputy.")
    if rsvp == Rsvp.delegated:
        member = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.agency_id == invitation.agency_id,
                Membership.person_id == deputy_id,
                Membership.status == MembershipStatus.active,
            )
        )
        if member is None or deputy_id == invitation.person_id:
            raise ValidationFailed(
                "대리 참석자는 같은 기관의 다른 직원이어야 합니다.",
                field="deputy_id",
                english="The deputy must be another member of the same agency.",
            )
    invitation.rsvp = rsvp
    invitation.deputy_id = deputy_id if rsvp == Rsvp.delegated else None
    invitation.responded_at = now_utc()
    db.session.flush()
    audit.record("conference.rsvp", actor_id=actor.id, obj=invitation, data={"rsvp": str(rsvp)})
    return invitation


def send_reminders(conference: Conference, *, days_before: int) -> int:
    """Remind invited people D-7 or D-1 (deduplicated per conference, person and day)."""
    people: dict[int, int] = {}
    for person_id in (conference.chair_id, conference.recorder_id):
        if person_id is not None:
            people[person_id] = conference.host_agency_id
    for invitation in conference.invitations:
        if invitation.rsvp == Rsvp.declined:
            continue
        if invitation.person_id is not None:
            people[invitation.deputy_id or invitation.person_id] = invitation.agency_id
            continue
        members = db.session.scalars(
            sa.select(Membership).where(
                Membership.agency_id == invitation.agency_id, Membership.status == MembershipStatus.active
            )
        ).all()
        for membership in members:
            people.setdefault(membership.person_id, invitation.agency_id)
    sent = 0
    where = conference.place or conference.video_url or ""
    for person_id, agency_id in people.items():
        person = db.session.get(Person, person_id)
        if person is None or not person.is_active:
            continue
        notify(
            person,
            "conference.reminder",
            title=f"[D-{days_before}] {conference.title}",
            body=f"{to_local(conference.starts_at):%Y-%m-%d %H:%M} {where}",
            link=f"/conferences/{conference.id}",
            dedupe_key=f"conference-reminder:{conference.id}:{person_id}:{days_before}",
            agency_id=agency_id,
        )
        sent += 1
    return sent
