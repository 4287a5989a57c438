"""Conference operations: scheduling, agenda, attendance, the live flow, decisions and minutes.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

import calendar
import difflib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Person
from cases.models import Case, CaseStage
from conference import access
from conference.models import (
    ITEM_STAGE_ORDER,
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    CarryReason,
    CaseRole,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceRule,
    ConferenceStatus,
    InvitationRole,
    ItemOutcome,
    ItemSource,
    ItemStage,
    ItemStatus,
    LeadDecision,
    LeadMethod,
    MinutesVersion,
    RoleAssignment,
    Rsvp,
    SoapRevision,
    SoapSection,
)
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.korean import with_particle
from hamkke.time import SEOUL, now_utc, to_local, today_local

logger = logging.getLogger(__name__)

SOAP_SECTIONS = ("S", "O", "A", "P")
SOAP_LABELS = {"S": "S 주관적 정보", "O": "O 객관적 정보", "A": "A 사정·평가", "P": "P 계획"}
#: a referral not moving for this long goes on the draft agenda as stalled
STALLED_REFERRAL_DAYS = 14
MAX_SOAP_LENGTH = 20_000
#: briefing packets open this many days before the meeting unless the conference says otherwise
DEFAULT_BRIEFING_DAYS = 3
MAX_BRIEFING_DAYS = 45


# --- scheduling -------------------------------------------------------------------------------


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
) -> Conference:
    """Schedule a conference of any kind."""
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
    )
    db.session.add(conference)
    db.session.flush()
    audit.record("conference.created", actor_id=actor.id, agency_id=host_agency_id, obj=conference)
    return conference


def _check_staff(agency_id: int, person_id: int | None, field: str, label: str) -> None:
    """Refuse a chair or recorder who is not an active member of the host agency."""
    if person_id is None:
        return
    from agencies.models import Membership, MembershipStatus

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
    from agencies.models import Agency, AgencyStatus, Membership, MembershipStatus

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
    from agencies.models import Membership, MembershipStatus

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


# --- agenda -----------------------------------------------------------------------------------


def propose_item(
    conference: Conference,
    *,
    actor: Person | None,
    title: str,
    agency_id: int | None = None,
    case_id: int | None = None,
    presenter_id: int | None = None,
    time_box_minutes: int = 15,
    source: ItemSource = ItemSource.proposed,
    source_detail: dict[str, Any] | None = None,
) -> AgendaItem:
    """Add an item to the agenda (a draft until the chair approves the agenda)."""
    if conference.status in (ConferenceStatus.closed, ConferenceStatus.cancelled):
        raise InvalidTransition("끝난 회의에는 안건을 추가할 수 없습니다.")
    if not 1 <= time_box_minutes <= 180:
        raise ValidationFailed("시간은 1분에서 180분 사이로 정하세요.", field="time_box_minutes")
    if case_id is not None and source != ItemSource.carried:
        # A carried action is its own item (reason code, action link) even when its case is on the agenda.
        for existing in conference.items:
            if existing.case_id == case_id and existing.status != ItemStatus.withdrawn:
                return existing
        case = db.session.get(Case, case_id)
        if case is None or case.is_deleted:
            raise ValidationFailed("사례를 찾을 수 없습니다.", field="case_id", english="Unknown case.")
        if source == ItemSource.proposed and agency_id not in (
            None,
            case.owning_agency_id,
            case.lead_agency_id,
        ):
            raise ValidationFailed(
                "사례를 맡은 기관만 그 사례를 안건으로 올릴 수 있습니다.",
                field="case_id",
                english="Only the case's own or lead agency may propose it.",
            )
    item = AgendaItem(
        conference=conference,
        case_id=case_id,
        title=title.strip()[:200] or "안건",
        proposed_by_agency_id=agency_id,
        presenter_id=presenter_id,
        time_box_minutes=time_box_minutes,
        source=source,
        source_detail=source_detail or {},
        position=len(conference.items),
        status=ItemStatus.approved if conference.agenda_approved_at else ItemStatus.draft,
    )
    db.session.add(item)
    db.session.flush()
    audit.record(
        "conference.item_proposed",
        actor_id=actor.id if actor else None,
        agency_id=agency_id,
        obj=item,
        data={"source": str(source), "case_id": case_id},
    )
    return item


def build_draft_agenda(conference: Conference) -> list[AgendaItem]:
    """Build the automatic draft agenda: cases due for review, overdue actions and stalled referrals.

    Sources present now: cases of the conference's 권역 in 종결심사 (due for review), open action items of
    earlier conferences past their due date, and referrals requested or received but untouched for
    ``STALLED_REFERRAL_DAYS``. Dong escalations join once the cases domain exposes them.
    """
    added: list[AgendaItem] = []
    meeting_day = to_local(conference.starts_at).date()
    for case in _cases_in_scope(conference, stage=CaseStage.closure_review):
        added.append(
            propose_item(
                conference,
                actor=None,
                title=f"사례 {case.number} 종결·재사정 검토",
                agency_id=case.owning_agency_id,
                case_id=case.id,
                presenter_id=case.case_worker_id,
                source=ItemSource.review_due,
            )
        )
    overdue = [action for action in carry_candidates(conference) if action.due_on < meeting_day]
    for action in overdue:
        added.append(carry_action(action, conference, reason=CarryReason.agency_did_not_act))
    added.extend(_stalled_referral_items(conference))
    added.extend(_escalation_items(conference))
    return added


#: which accepted escalations feed which kind of conference
ESCALATION_PLACEMENTS = {
    ConferenceKind.regional: "regular_conference",
    ConferenceKind.urgent: "urgent_conference",
}


def _escalation_items(conference: Conference) -> list[AgendaItem]:
    """Put accepted dong escalations on the agenda of the conference kind they were placed on, once."""
    from cases.queries import accepted_escalations

    placement = ESCALATION_PLACEMENTS.get(conference.kind)
    if placement is None:
        return []
    region_id = conference.region_id if conference.kind == ConferenceKind.regional else None
    placed = _placed_escalation_ids(conference.district_id)
    items: list[AgendaItem] = []
    for escalation in accepted_escalations(conference.district_id, placement=placement, region_id=region_id):
        if escalation.escalation_id in placed:
            continue
        items.append(
            propose_item(
                conference,
                actor=None,
                title=f"사례 {_case_number(escalation.case_id)} 동 구청 의뢰(고난도) 검토",
                agency_id=escalation.from_agency_id,
                case_id=escalation.case_id,
                presenter_id=escalation.case_worker_id,
                source=ItemSource.escalation,
                source_detail={"escalation_id": escalation.escalation_id, "urgency": escalation.urgency},
            )
        )
    return items


def _placed_escalation_ids(district_id: int) -> set[int]:
    """Return escalations already on some conference's agenda in the district (withdrawn items free them)."""
    rows = db.session.scalars(
        sa.select(AgendaItem)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            Conference.district_id == district_id,
            Conference.status != ConferenceStatus.cancelled,
            AgendaItem.source == ItemSource.escalation,
            AgendaItem.status != ItemStatus.withdrawn,
        )
    ).all()
    return {
        int(item.source_detail["escalation_id"]) for item in rows if "escalation_id" in item.source_detail
    }


def _cases_in_scope(conference: Conference, *, stage: CaseStage) -> Sequence[Case]:
    from agencies.models import Dong

    query = (
        sa.select(Case)
        .join(Agency, Agency.id == Case.owning_agency_id)
        .where(Case.stage == stage, Case.is_deleted.is_(False), Agency.district_id == conference.district_id)
    )
    if conference.region_id is not None:
        query = query.join(Dong, Dong.id == Case.dong_id).where(Dong.region_id == conference.region_id)
    return db.session.scalars(query.order_by(Case.id)).all()


def _stalled_referral_items(conference: Conference) -> list[AgendaItem]:
    from referrals.models import Referral, ReferralStatus

    cutoff = now_utc() - timedelta(days=STALLED_REFERRAL_DAYS)
    stalled = db.session.scalars(
        sa.select(Referral).where(
            Referral.district_id == conference.district_id,
            Referral.status.in_([ReferralStatus.requested, ReferralStatus.received]),
            Referral.updated_at < cutoff,
        )
    ).all()
    return [
        propose_item(
            conference,
            actor=None,
            title=_stalled_title(referral),
            agency_id=referral.sending_agency_id,
            case_id=referral.case_id,
            source=ItemSource.stalled_referral,
            source_detail={"referral_id": referral.id},
        )
        for referral in stalled
    ]


def approve_agenda(conference: Conference, *, actor: Person, order: Sequence[int] | None = None) -> None:
    """The chair approves the agenda, optionally reordering it; withdrawn items stay out."""
    by_id = {item.id: item for item in conference.items}
    if order is not None:
        if set(order) - set(by_id):
            raise ValidationFailed("이 회의의 안건이 아닙니다.", field="order")
        for position, item_id in enumerate(order):
            by_id[item_id].position = position
    for item in conference.items:
        if item.status == ItemStatus.draft:
            item.status = ItemStatus.approved
    conference.agenda_approved_at = now_utc()
    db.session.flush()
    audit.record("conference.agenda_approved", actor_id=actor.id, obj=conference)


def _active_items(conference: Conference) -> list[AgendaItem]:
    return sorted(
        (item for item in conference.items if item.status != ItemStatus.withdrawn),
        key=lambda item: (item.position, item.id),
    )


def _require_editable(item: AgendaItem) -> None:
    if item.status not in (ItemStatus.draft, ItemStatus.approved):
        raise InvalidTransition(
            "논의를 시작한 안건은 고칠 수 없습니다.", english="The item was discussed already."
        )
    if item.conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition(
            "회의가 시작된 뒤에는 안건을 고칠 수 없습니다.", english="The meeting has started."
        )


def edit_item(
    item: AgendaItem, *, actor: Person, title: str, time_box_minutes: int, presenter_id: int | None
) -> AgendaItem:
    """The chair or coordinator sets an item's title, time box and presenting worker."""
    from agencies.models import Membership, MembershipStatus

    _require_editable(item)
    if not title.strip():
        raise ValidationFailed("안건 제목을 입력하세요.", field="title", english="Enter a title.")
    if not 1 <= time_box_minutes <= 180:
        raise ValidationFailed(
            "시간은 1분에서 180분 사이로 정하세요.",
            field="time_box_minutes",
            english="The time box must be 1 to 180 minutes.",
        )
    if presenter_id is not None:
        agencies = access.invited_agency_ids(item.conference)
        member = db.session.scalar(
            sa.select(Membership.id).where(
                Membership.person_id == presenter_id,
                Membership.agency_id.in_(agencies),
                Membership.status == MembershipStatus.active,
            )
        )
        if member is None:
            raise ValidationFailed(
                "발표자는 초대된 기관의 직원이어야 합니다.",
                field="presenter_id",
                english="The presenter must work for an invited agency.",
            )
    item.title = title.strip()[:200]
    item.time_box_minutes = time_box_minutes
    item.presenter_id = presenter_id
    item.version += 1
    db.session.flush()
    audit.record("conference.item_edited", actor_id=actor.id, obj=item)
    return item


def move_item(item: AgendaItem, *, actor: Person, offset: int) -> list[AgendaItem]:
    """Move an item up (-1) or down (+1) the agenda; positions are renumbered without gaps."""
    _require_editable(item)
    if offset not in (-1, 1):
        raise ValidationFailed(
            "한 칸씩 옮길 수 있습니다.", field="offset", english="Move one step at a time."
        )
    ordered = _active_items(item.conference)
    index = ordered.index(item)
    target = index + offset
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for position, entry in enumerate(ordered):
        entry.position = position
    db.session.flush()
    audit.record("conference.item_moved", actor_id=actor.id, obj=item, data={"offset": offset})
    return ordered


def withdraw_item(item: AgendaItem, *, actor: Person) -> None:
    """Take an item off the agenda before it is discussed."""
    if item.status not in (ItemStatus.draft, ItemStatus.approved):
        raise InvalidTransition("논의한 안건은 뺄 수 없습니다.")
    item.status = ItemStatus.withdrawn
    item.version += 1
    db.session.flush()
    audit.record("conference.item_withdrawn", actor_id=actor.id, obj=item)


# --- attendance -------------------------------------------------------------------------------


def check_in(conference: Conference, *, person: Person, agency_id: int) -> Attendance:
    """Check a person in for one of their agencies (idempotent); guests are flagged from their invitation."""
    if not access.is_invited(person, conference):
        raise PermissionDenied("초대받지 않은 회의입니다.")
    if conference.status in (ConferenceStatus.closed, ConferenceStatus.cancelled):
        raise InvalidTransition("끝난 회의입니다.")
    invitation = access.invitation_for(person, conference, agency_id)
    is_guest = invitation is not None and invitation.role == InvitationRole.guest
    if not is_guest and agency_id not in access.agency_ids_of(person):
        raise PermissionDenied("소속 기관으로만 참석할 수 있습니다.")
    attendance = access.attendance_of(person, conference)
    if attendance is not None:
        return attendance
    attendance = Attendance(
        conference=conference,
        person_id=person.id,
        agency_id=agency_id,
        is_guest=is_guest,
        checked_in_at=now_utc(),
    )
    db.session.add(attendance)
    db.session.flush()
    audit.record("conference.checked_in", actor_id=person.id, agency_id=agency_id, obj=conference)
    return attendance


def accept_pledge(attendance: Attendance, *, version: str) -> Attendance:
    """Record the attendee's acceptance of the 비밀유지 서약 in its current version."""
    if version != access.CURRENT_PLEDGE_VERSION:
        raise ValidationFailed("서약문이 바뀌었습니다. 새 서약문을 확인하세요.", field="version")
    attendance.pledge_version = version
    attendance.pledge_accepted_at = now_utc()
    db.session.flush()
    audit.record(
        "conference.pledge_accepted",
        actor_id=attendance.person_id,
        agency_id=attendance.agency_id,
        obj=attendance,
        data={"version": version},
    )
    return attendance


def set_presence(attendance: Attendance, *, connected: bool) -> bool:
    """Count a socket in or out; return whether the attendee's presence changed."""
    before = attendance.connections > 0
    attendance.connections = max(0, attendance.connections + (1 if connected else -1))
    if not connected and attendance.connections == 0:
        attendance.hand_raised_at = None
    db.session.flush()
    return before != (attendance.connections > 0)


def set_hand(attendance: Attendance, *, raised: bool) -> None:
    """Raise or lower a hand; the queue is ordered by when hands went up."""
    attendance.hand_raised_at = now_utc() if raised else None
    db.session.flush()


def allow_minute_editor(attendance: Attendance, *, actor: Person, allowed: bool) -> None:
    """The chair lets an attendee co-edit the minutes (never a guest)."""
    if attendance.is_guest and allowed:
        raise PermissionDenied("자문위원은 회의록을 편집할 수 없습니다.")
    attendance.may_edit_minutes = allowed
    db.session.flush()
    audit.record("conference.minute_editor", actor_id=actor.id, obj=attendance, data={"allowed": allowed})


def hand_over_chair(conference: Conference, *, leaving: Person) -> int | None:
    """When the chair leaves, pass the chair to the recorder, else to a present member; never to nobody.

    Returns the new chair's id (unchanged when nobody else is present: the chair keeps it).
    """
    if conference.chair_id != leaving.id:
        return conference.chair_id
    present = [
        a
        for a in conference.attendances
        if a.connections > 0 and not a.is_guest and a.person_id != leaving.id
    ]
    recorder_present = any(a.person_id == conference.recorder_id for a in present)
    if conference.recorder_id is not None and conference.recorder_id != leaving.id and recorder_present:
        successor: int | None = conference.recorder_id
    else:
        successor = min(present, key=lambda a: a.checked_in_at).person_id if present else None
    if successor is None:
        return conference.chair_id
    conference.chair_id = successor
    if conference.recorder_id == successor:
        # The former chair keeps the pen so that the minutes always have a recorder.
        conference.recorder_id = leaving.id
    db.session.flush()
    audit.record("conference.chair_handed_over", actor_id=leaving.id, obj=conference, data={"to": successor})
    return successor


# --- the live flow ----------------------------------------------------------------------------


def _require_live(conference: Conference) -> None:
    if conference.status != ConferenceStatus.live:
        raise InvalidTransition("회의가 진행 중이 아닙니다.")


def _check_version(item: AgendaItem, version: int | None) -> None:
    if version is not None and version != item.version:
        raise InvalidTransition("다른 사람이 먼저 바꿨습니다. 화면을 새로 불러옵니다.")


def lock_conference(conference_id: int) -> int:
    """Take the conference's row lock for this transaction and bump its revision; return the new revision.

    Every live event calls this as the first statement of its transaction, so a meeting's changes
    apply one at a time (on SQLite too: a write first never has to upgrade a read lock) and each
    payload carries a revision the browser uses to ignore payloads that arrive out of order.
    """
    revision = db.session.execute(
        sa.update(Conference)
        .where(Conference.id == conference_id)
        .values(revision=Conference.revision + 1)
        .returning(Conference.revision)
    ).scalar_one_or_none()
    if revision is None:
        raise NotFound("회의를 찾을 수 없습니다.", english="The conference does not exist.")
    conference = db.session.get(Conference, conference_id)
    if conference is not None:
        db.session.expire(conference, ["revision"])
    return int(revision)


def start_conference(conference: Conference, *, actor: Person) -> None:
    """The chair starts the meeting; the agenda is approved implicitly if it was not."""
    if conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition("이미 시작했거나 끝난 회의입니다.")
    if conference.agenda_approved_at is None:
        approve_agenda(conference, actor=actor)
    conference.status = ConferenceStatus.live
    conference.started_at = now_utc()
    db.session.flush()
    audit.record("conference.started", actor_id=actor.id, obj=conference)


def open_item(item: AgendaItem, *, actor: Person, version: int | None = None) -> AgendaItem:
    """Open an item for discussion; only one is open at a time, and the timer starts."""
    conference = item.conference
    _require_live(conference)
    _check_version(item, version)
    if item.status not in (ItemStatus.approved, ItemStatus.closed):
        raise InvalidTransition("열 수 없는 안건입니다.")
    if any(other.status == ItemStatus.open for other in conference.items if other.id != item.id):
        raise InvalidTransition("열려 있는 안건을 먼저 닫으세요.")
    item.status = ItemStatus.open
    item.stage = ItemStage.present
    # Create the four SOAP rows now, so concurrent first saves lock a row instead of racing to insert it.
    for section in SOAP_SECTIONS:
        soap_section(item, section)
    item.opened_at = item.timer_started_at = now_utc()
    item.version += 1
    db.session.flush()
    audit.record("conference.item_opened", actor_id=actor.id, obj=item, data={"case_id": item.case_id})
    return item


def advance_stage(
    item: AgendaItem, *, actor: Person, stage: ItemStage, version: int | None = None
) -> AgendaItem:
    """Move the open item along present → discuss → agree → wrap up (one step forward, or back)."""
    _require_live(item.conference)
    _check_version(item, version)
    if item.status != ItemStatus.open:
        raise InvalidTransition("닫힌 안건입니다.")
    if abs(ITEM_STAGE_ORDER.index(stage) - ITEM_STAGE_ORDER.index(item.stage)) != 1:
        raise InvalidTransition("안건 진행 단계는 한 단계씩 옮깁니다.")
    item.stage = stage
    item.version += 1
    db.session.flush()
    return item


def restart_timer(item: AgendaItem, *, actor: Person) -> AgendaItem:
    """Restart the open item's time box."""
    if item.status != ItemStatus.open:
        raise InvalidTransition("닫힌 안건입니다.")
    item.timer_started_at = now_utc()
    item.version += 1
    db.session.flush()
    return item


def close_item(
    item: AgendaItem, *, actor: Person, outcome: ItemOutcome, version: int | None = None
) -> AgendaItem:
    """Close the open item as agreed (after wrap-up) or for 재회의 when there is no consensus."""
    _require_live(item.conference)
    _check_version(item, version)
    if item.status != ItemStatus.open:
        raise InvalidTransition("열린 안건만 닫을 수 있습니다.")
    if outcome == ItemOutcome.agreed and item.stage not in (ItemStage.agree, ItemStage.wrap_up):
        raise InvalidTransition("합의 단계를 거친 뒤에 합의로 닫을 수 있습니다.")
    item.status = ItemStatus.closed
    item.outcome = outcome
    item.closed_at = now_utc()
    item.timer_started_at = None
    item.version += 1
    db.session.flush()
    audit.record("conference.item_closed", actor_id=actor.id, obj=item, data={"outcome": str(outcome)})
    return item


# --- lead agency and roles --------------------------------------------------------------------


def decide_lead_agency(
    item: AgendaItem,
    *,
    actor: Person,
    method: LeadMethod,
    candidate_agency_ids: Sequence[int],
    chosen_agency_id: int,
    rationale: str,
    votes: dict[str, int] | None = None,
    objections: str | None = None,
    effective_on: date | None = None,
) -> LeadDecision:
    """Record the lead-agency decision of the open item and make it the case's 주 사례관리기관.

    The cases domain has no lead-agency service yet, so the case's ``lead_agency_id`` is set here,
    with an audit row naming the decision.
    """
    if item.status != ItemStatus.open or item.case_id is None:
        raise InvalidTransition("열린 사례 안건에서만 주 사례관리기관을 정합니다.")
    candidates = list(dict.fromkeys(candidate_agency_ids))
    if chosen_agency_id not in candidates:
        raise ValidationFailed("후보 기관 중에서 고르세요.", field="chosen_agency_id")
    if method == LeadMethod.client_choice and len(candidates) < 2:
        raise ValidationFailed("대상자 선택은 제공기관이 둘 이상일 때만 쓸 수 있습니다.", field="method")
    if not rationale.strip():
        raise ValidationFailed("결정 사유를 적으세요.", field="rationale")
    if votes and any(choice not in candidates for choice in votes.values()):
        raise ValidationFailed("후보가 아닌 기관에 투표했습니다.", field="votes")
    case = db.session.get(Case, item.case_id)
    if case is None:
        raise NotFound("사례를 찾을 수 없습니다.")
    decision = LeadDecision(
        item_id=item.id,
        case_id=case.id,
        method=method,
        candidate_agency_ids=candidates,
        votes=dict(votes or {}),
        chosen_agency_id=chosen_agency_id,
        previous_agency_id=case.lead_agency_id,
        objections=(objections or "").strip() or None,
        rationale=rationale.strip(),
        effective_on=effective_on or today_local(),
        decided_by_id=actor.id,
        created_at=now_utc(),
    )
    db.session.add(decision)
    case.lead_agency_id = chosen_agency_id
    db.session.flush()
    _upsert_role(item, case.id, chosen_agency_id, CaseRole.lead)
    for assignment in _roles_of(item):
        if assignment.agency_id != chosen_agency_id and assignment.role == CaseRole.lead:
            assignment.role = CaseRole.partner
    item.version += 1
    db.session.flush()
    audit.record(
        "case.lead_agency_set",
        actor_id=actor.id,
        obj=case,
        data={"decision_id": decision.id, "agency_id": chosen_agency_id, "method": str(method)},
    )
    return decision


def _roles_of(item: AgendaItem) -> list[RoleAssignment]:
    return list(db.session.scalars(sa.select(RoleAssignment).where(RoleAssignment.item_id == item.id)))


def _upsert_role(item: AgendaItem, case_id: int, agency_id: int, role: CaseRole) -> RoleAssignment:
    assignment = next((a for a in _roles_of(item) if a.agency_id == agency_id), None)
    if assignment is None:
        assignment = RoleAssignment(item_id=item.id, case_id=case_id, agency_id=agency_id, role=role)
        db.session.add(assignment)
    else:
        assignment.role = role
    db.session.flush()
    return assignment


@dataclass(frozen=True)
class IspItem:
    """One ISP line: a service with quantity, duration, intensity and due date (seed 001 §3.4)."""

    service: str
    quantity: str
    duration: str
    intensity: str
    due_on: date | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the JSON form stored on the role."""
        return {
            "service": self.service,
            "quantity": self.quantity,
            "duration": self.duration,
            "intensity": self.intensity,
            "due_on": self.due_on.isoformat() if self.due_on else None,
        }


def assign_role(
    item: AgendaItem,
    *,
    actor: Person,
    agency_id: int,
    role: CaseRole,
    responsibilities: str,
    isp_items: Iterable[IspItem] = (),
    due_on: date | None = None,
) -> RoleAssignment:
    """Give an agency its role in the open item's case; a second lead is refused."""
    if item.status != ItemStatus.open or item.case_id is None:
        raise InvalidTransition("열린 사례 안건에서만 역할을 정합니다.")
    if role == CaseRole.lead and any(
        a.role == CaseRole.lead and a.agency_id != agency_id for a in _roles_of(item)
    ):
        raise ValidationFailed("주 사례관리기관은 하나입니다. 먼저 주관기관 결정을 바꾸세요.", field="role")
    items = [entry.as_json() for entry in isp_items]
    for entry in items:
        if not entry["service"].strip():
            raise ValidationFailed("서비스 이름을 적으세요.", field="isp_items")
    assignment = _upsert_role(item, item.case_id, agency_id, role)
    assignment.responsibilities = responsibilities.strip()
    assignment.isp_items = items
    assignment.due_on = due_on
    item.version += 1
    db.session.flush()
    audit.record("conference.role_assigned", actor_id=actor.id, obj=assignment, data={"agency_id": agency_id})
    return assignment


# --- SOAP minutes -----------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.split("\n")


def merge_three_way(base: str, ours: str, theirs: str) -> str:
    """Merge two edits of ``base`` line by line; overlapping changes keep both sides, so no text is lost."""
    if ours == theirs or theirs == base:
        return ours
    if ours == base:
        return theirs
    base_lines = _lines(base)
    hunks: list[tuple[int, int, list[str], str]] = []
    for side, text in (("theirs", theirs), ("ours", ours)):
        lines = _lines(text)
        matcher = difflib.SequenceMatcher(a=base_lines, b=lines, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag != "equal":
                hunks.append((i1, i2, lines[j1:j2], side))
    hunks.sort(key=lambda hunk: (hunk[0], hunk[1]))
    merged: list[str] = []
    cursor = 0
    index = 0
    while index < len(hunks):
        # Gather every hunk overlapping (or touching at the same insertion point) into one cluster.
        low, high = hunks[index][0], hunks[index][1]
        cluster = [hunks[index]]
        index += 1
        while index < len(hunks) and (
            hunks[index][0] < high or hunks[index][0] == low or hunks[index][0] == high
        ):
            if hunks[index][0] == high and hunks[index][1] > high and high > low:
                break
            cluster.append(hunks[index])
            high = max(high, hunks[index][1])
            index += 1
        merged.extend(base_lines[cursor:low])
        versions: list[list[str]] = []
        for side in ("theirs", "ours"):
            side_hunks = [hunk for hunk in cluster if hunk[3] == side]
            if not side_hunks:
                continue
            region: list[str] = []
            position = low
            for i1, i2, replacement, _side in side_hunks:
                region.extend(base_lines[position:i1])
                region.extend(replacement)
                position = i2
            region.extend(base_lines[position:high])
            versions.append(region)
        if len(versions) == 2 and versions[0] == versions[1]:
            versions.pop()
        for region in versions:
            merged.extend(region)
        cursor = high
    merged.extend(base_lines[cursor:])
    return "\n".join(merged)


def soap_section(item: AgendaItem, section: str) -> SoapSection:
    """Return (creating if needed) one SOAP section of an item."""
    if section not in SOAP_SECTIONS:
        raise ValidationFailed("S, O, A, P 중 하나여야 합니다.", field="section")
    for existing in item.sections:
        if existing.section == section:
            return existing
    created = SoapSection(item=item, section=section, text="", version=0)
    db.session.add(created)
    db.session.flush()
    return created


@dataclass(frozen=True)
class SoapSaveResult:
    """The section after a save, and whether the text had to be merged with concurrent edits."""

    section: SoapSection
    merged: bool


def save_soap(
    item: AgendaItem, *, actor: Person, section: str, text: str, base_version: int
) -> SoapSaveResult:
    """Save a SOAP section edited from ``base_version``; a stale base is merged three-way, never lost."""
    conference = item.conference
    if conference.is_locked or conference.finalized_at is not None:
        raise InvalidTransition("확정된 회의록은 추가기록으로만 고칩니다.")
    if item.status not in (ItemStatus.open, ItemStatus.closed):
        raise InvalidTransition("논의하지 않은 안건입니다.")
    if len(text) > MAX_SOAP_LENGTH:
        raise ValidationFailed("내용이 너무 깁니다.", field="text")
    current = soap_section(item, section)
    # Lock the row so that two processes saving the same section serialise (no-op on SQLite).
    db.session.refresh(current, with_for_update=True)
    if base_version < 0 or base_version > current.version:
        raise InvalidTransition("알 수 없는 버전입니다.")
    merged = False
    if base_version == current.version:
        new_text = text
    else:
        base_text = ""
        if base_version > 0:
            revision = db.session.scalar(
                sa.select(SoapRevision).where(
                    SoapRevision.item_id == item.id,
                    SoapRevision.section == section,
                    SoapRevision.version == base_version,
                )
            )
            base_text = revision.text if revision is not None else ""
        new_text = merge_three_way(base_text, text, current.text)
        merged = True
    if new_text == current.text:
        return SoapSaveResult(current, merged)
    current.text = new_text
    current.version += 1
    current.updated_by_id = actor.id
    current.updated_at = now_utc()
    db.session.add(
        SoapRevision(
            item_id=item.id,
            section=section,
            version=current.version,
            text=new_text,
            author_id=actor.id,
            merged=merged,
            created_at=current.updated_at,
        )
    )
    db.session.flush()
    return SoapSaveResult(current, merged)


def create_action_from_plan_line(
    item: AgendaItem,
    *,
    actor: Person,
    line: str,
    owner_agency_id: int,
    due_on: date,
    assignee_id: int | None = None,
    referral_id: int | None = None,
) -> ActionItem:
    """Turn one line of the P section into an action item in one step."""
    plan = soap_section(item, "P")
    text = line.strip()
    if not text or text not in (entry.strip() for entry in plan.text.split("\n")):
        raise ValidationFailed("계획(P)에 있는 줄만 실행과제로 만들 수 있습니다.", field="line")
    if due_on < to_local(item.conference.starts_at).date():
        raise ValidationFailed("기한은 회의일 이후여야 합니다.", field="due_on")
    if referral_id is not None:
        from referrals.models import Referral

        referral = db.session.get(Referral, referral_id)
        if referral is None or referral.case_id != item.case_id:
            raise ValidationFailed("이 사례의 의뢰가 아닙니다.", field="referral_id")
    action = ActionItem(
        conference_id=item.conference_id,
        item_id=item.id,
        case_id=item.case_id,
        text=text[:2000],
        owner_agency_id=owner_agency_id,
        assignee_id=assignee_id,
        due_on=due_on,
        referral_id=referral_id,
    )
    db.session.add(action)
    db.session.flush()
    audit.record("conference.action_created", actor_id=actor.id, agency_id=owner_agency_id, obj=action)
    return action


#: longest result note kept with a completed action
MAX_RESULT_NOTE_LENGTH = 2000


def _require_unfinished(action: ActionItem) -> None:
    if action.status == ActionStatus.carried:
        raise InvalidTransition(
            "다음 회의로 이월된 실행과제입니다. 그 회의의 안건에서 다룹니다.",
            english="The action was carried to the next meeting.",
        )


def start_action(action: ActionItem, *, actor: Person) -> None:
    """Mark an open action item in progress (진행 중); anything else is a refused transition (409)."""
    _require_unfinished(action)
    if action.status == ActionStatus.done:
        raise InvalidTransition("이미 완료한 실행과제입니다.", english="The action is already done.")
    if action.status == ActionStatus.in_progress:
        raise InvalidTransition(
            "이미 진행 중인 실행과제입니다.", english="The action is already in progress."
        )
    action.status = ActionStatus.in_progress
    action.started_at = now_utc()
    db.session.flush()
    audit.record("conference.action_started", actor_id=actor.id, agency_id=action.owner_agency_id, obj=action)


def complete_action(action: ActionItem, *, actor: Person, result_note: str | None = None) -> bool:
    """Mark an action item done and stamp when; return False if it already was (nothing changes).

    The dashboards' on-time measure reads ``completed_at``, so a second completion keeps the first.
    """
    if action.status == ActionStatus.done:
        # Marking it done again must not move the completion past its due date.
        return False
    _require_unfinished(action)
    note = (result_note or "").strip()
    if len(note) > MAX_RESULT_NOTE_LENGTH:
        raise ValidationFailed(
            f"결과는 {MAX_RESULT_NOTE_LENGTH}자 이내로 적어 주세요.",
            field="result_note",
            english=f"The result note is longer than {MAX_RESULT_NOTE_LENGTH} characters.",
        )
    action.status = ActionStatus.done
    action.completed_at = now_utc()
    action.result_note = note or None
    db.session.flush()
    audit.record(
        "conference.action_done",
        actor_id=actor.id,
        agency_id=action.owner_agency_id,
        obj=action,
        data={"result_note": bool(note)},
    )
    return True


def notify_action_change(action: ActionItem, *, actor: Person) -> int:
    """Tell the conference's chair (else recorder, else host organizers) of a change; return how many.

    The notification row and its e-mail go into this transaction's outbox, delivered after commit.
    The action text comes from the minutes the chair and recorder wrote; the host agency's organizers,
    who may not have pledged, get only the agency, the state and the due date.
    """
    from agencies.models import Membership, MembershipStatus
    from notifications.services import notify

    conference = db.session.get(Conference, action.conference_id)
    if conference is None:
        return 0
    minute_takers = [pid for pid in (conference.chair_id, conference.recorder_id) if pid is not None]
    recipients: list[tuple[int, bool]] = [(minute_takers[0], True)] if minute_takers else []
    if not recipients:
        memberships = db.session.scalars(
            sa.select(Membership).where(
                Membership.agency_id == conference.host_agency_id,
                Membership.status == MembershipStatus.active,
            )
        ).all()
        recipients = [(m.person_id, False) for m in memberships if m.role_set & access.ORGANIZER_ROLES]
    owner = db.session.get(Agency, action.owner_agency_id)
    owner_name = owner.name if owner is not None else ""
    title = f"[실행과제 {action.status.label}] {owner_name} · 기한 {action.due_on.isoformat()}"
    sent = 0
    for person_id, with_text in recipients:
        person = db.session.get(Person, person_id)
        if person is None or not person.is_active or person.id == actor.id:
            continue
        body = f"{conference.title}\n{action.text}" if with_text else conference.title
        if with_text and action.result_note:
            body += f"\n결과: {action.result_note}"
        notify(
            person,
            "conference.action",
            title=title,
            body=body,
            link=f"/conferences/{conference.id}/plan",
            dedupe_key=f"conference-action:{action.id}:{action.status.value}:{person.id}",
            agency_id=conference.host_agency_id,
        )
        sent += 1
    return sent


#: reminder steps of an unfinished action: the day before its due date, and the day after it passed
ACTION_REMINDER_STEPS = {"d-1": -1, "overdue": 1}


def remind_due_actions(today: date | None = None) -> int:
    """Remind the assignee (else the owner agency's staff) of unfinished actions due tomorrow or overdue.

    Computed from the data: done and carried items are never reminded, and each step of each action
    goes to each person once (the notification's dedupe key), so re-running sends nothing twice.
    """
    from agencies.models import Membership, MembershipStatus
    from notifications.services import notify

    day = today or today_local()
    sent = 0
    for step, offset in ACTION_REMINDER_STEPS.items():
        due = day - timedelta(days=offset)
        actions = db.session.scalars(
            sa.select(ActionItem)
            .where(ActionItem.status.in_(UNFINISHED_ACTION_STATUSES), ActionItem.due_on == due)
            .order_by(ActionItem.id)
        ).all()
        for action in actions:
            if action.assignee_id is not None:
                person_ids = [action.assignee_id]
            else:
                person_ids = list(
                    db.session.scalars(
                        sa.select(Membership.person_id).where(
                            Membership.agency_id == action.owner_agency_id,
                            Membership.status == MembershipStatus.active,
                        )
                    )
                )
            title = (
                f"[기한 내일] 실행과제 {action.due_on.isoformat()}"
                if step == "d-1"
                else f"[기한 지남] 실행과제 {action.due_on.isoformat()}"
            )
            for person_id in person_ids:
                person = db.session.get(Person, person_id)
                if person is None or not person.is_active:
                    continue
                notify(
                    person,
                    "reminder",
                    title=title,
                    body=action.text,
                    link="/conferences/actions",
                    dedupe_key=f"action-reminder:{action.id}:{step}:{person.id}",
                    agency_id=action.owner_agency_id,
                )
                sent += 1
    return sent


CARRY_REASON_LABELS = {
    CarryReason.circumstances_changed: "상황 변화",
    CarryReason.agency_did_not_act: "기관 미이행",
}


def _case_number(case_id: int | None) -> str:
    """Return the case number people know a case by (never its row id)."""
    case = db.session.get(Case, case_id) if case_id is not None else None
    return case.number if case is not None else "-"


def _stalled_title(referral: Any) -> str:
    # Agencies and the document number are not client data: every attendee may read them.
    number = referral.request_document_number
    route = f"{referral.sending_agency.name} → {referral.recipient_name}"
    return f"정체된 의뢰 점검: {number or route}"


def _carried_title(action: ActionItem, reason: CarryReason) -> str:
    # The action's text is case data: the title reaches every attendee, so it names the case and the
    # due date only.
    case_id = action.case_id
    if case_id is None:
        origin = db.session.get(AgendaItem, action.item_id)
        case_id = origin.case_id if origin is not None else None
    subject = f"사례 {_case_number(case_id)}" if case_id is not None else f"{action.due_on:%Y. %m. %d.} 기한"
    return f"이월 과제: {subject} ({CARRY_REASON_LABELS[reason]})"


def carry_action(action: ActionItem, conference: Conference, *, reason: CarryReason) -> AgendaItem:
    """Carry an unfinished action to another conference's agenda with a reason code."""
    if action.status not in UNFINISHED_ACTION_STATUSES:
        raise InvalidTransition("끝났거나 이미 이월된 과제입니다.", english="The action is not open.")
    if action.conference_id == conference.id:
        raise ValidationFailed(
            "같은 회의로는 이월할 수 없습니다.", field="conference_id", english="Carry to another conference."
        )
    case_id = action.case_id
    if case_id is None:
        origin = db.session.get(AgendaItem, action.item_id)
        case_id = origin.case_id if origin is not None else None
    # Keeping the case puts the carried item under the same consent checks as the case's own items.
    item = propose_item(
        conference,
        actor=None,
        title=_carried_title(action, reason),
        agency_id=action.owner_agency_id,
        case_id=case_id,
        source=ItemSource.carried,
        source_detail={"action_id": action.id, "reason": str(reason), "case_id": action.case_id},
    )
    action.status = ActionStatus.carried
    action.carry_reason = reason
    action.carried_to_item_id = item.id
    db.session.flush()
    return item


def set_carry_reason(item: AgendaItem, *, actor: Person, reason: CarryReason) -> ActionItem:
    """The chair or coordinator sets why a carried action came back: circumstances changed or no action."""
    if item.source != ItemSource.carried or "action_id" not in item.source_detail:
        raise ValidationFailed("이월 과제 안건이 아닙니다.", field="item_id", english="Not a carried action.")
    _require_editable(item)
    action = db.session.get(ActionItem, int(item.source_detail["action_id"]))
    if action is None:
        raise NotFound("실행과제를 찾을 수 없습니다.", english="The action item does not exist.")
    action.carry_reason = reason
    # JSON columns change only when a new value is assigned.
    item.source_detail = {**item.source_detail, "reason": str(reason)}
    item.title = _carried_title(action, reason)
    item.version += 1
    db.session.flush()
    audit.record("conference.carry_reason", actor_id=actor.id, obj=action, data={"reason": str(reason)})
    return action


def carry_candidates(conference: Conference) -> list[ActionItem]:
    """Return open actions of this conference's series (same rule, else same 권역 and host) to carry here.

    Only actions whose owner agency is invited to (or hosts) this conference: another agency's
    host must neither see nor carry them.
    """
    if conference.rule_id is not None:
        series = Conference.rule_id == conference.rule_id
    else:
        series = sa.and_(
            Conference.region_id.is_not_distinct_from(conference.region_id),
            Conference.host_agency_id == conference.host_agency_id,
        )
    return list(
        db.session.scalars(
            sa.select(ActionItem)
            .join(Conference, Conference.id == ActionItem.conference_id)
            .where(
                ActionItem.status.in_(UNFINISHED_ACTION_STATUSES),
                Conference.district_id == conference.district_id,
                Conference.id != conference.id,
                Conference.starts_at < conference.starts_at,
                series,
                ActionItem.owner_agency_id.in_(access.invited_agency_ids(conference)),
            )
            .order_by(ActionItem.due_on, ActionItem.id)
        )
    )


def refer_from_action(
    action: ActionItem,
    *,
    actor: Person,
    receiving_agency_id: int,
    reason: str,
    requested_services: str,
    field_groups: Sequence[str] = (),
) -> Any:
    """Create a draft referral for an action item (the referral service checks the case and consent)."""
    from agencies.models import Agency
    from referrals.services import ReferralContent, create_from_action_item

    if action.status not in UNFINISHED_ACTION_STATUSES:
        raise InvalidTransition(
            "끝나지 않은 실행과제만 의뢰할 수 있습니다.", english="Only open actions can be referred."
        )
    agency = db.session.get(Agency, receiving_agency_id)
    if agency is None:
        raise ValidationFailed(
            "의뢰할 기관을 고르세요.", field="receiving_agency", english="Choose an agency."
        )
    referral = create_from_action_item(
        action,
        actor=actor,
        receiving_agency=agency,
        content=ReferralContent(
            reason=reason, requested_services=requested_services, field_groups=tuple(field_groups)
        ),
    )
    audit.record(
        "conference.action_referred", actor_id=actor.id, obj=action, data={"referral_id": referral.id}
    )
    return referral


# --- closing ----------------------------------------------------------------------------------


def _minutes_content(conference: Conference) -> dict[str, Any]:
    return {
        str(item.id): {section.section: section.text for section in item.sections}
        for item in conference.items
        if item.status == ItemStatus.closed
    }


def finalize_minutes(conference: Conference, *, actor: Person) -> MinutesVersion:
    """The chair ends the meeting and finalizes the minutes; attendees then sign off or object."""
    if conference.status != ConferenceStatus.live:
        raise InvalidTransition("진행 중인 회의만 마칠 수 있습니다.")
    if any(item.status == ItemStatus.open for item in conference.items):
        raise InvalidTransition("열린 안건을 먼저 닫으세요.")
    now = now_utc()
    conference.status = ConferenceStatus.closed
    conference.finalized_at = now
    version = MinutesVersion(
        conference_id=conference.id,
        version=1,
        kind="final",
        content=_minutes_content(conference),
        author_id=actor.id,
        created_at=now,
    )
    db.session.add(version)
    db.session.flush()
    audit.record("conference.finalized", actor_id=actor.id, obj=conference)
    from conference import tasks

    tasks.schedule_after_finalize(conference.id)
    return version


def sign_off(attendance: Attendance, *, signed: bool, comment: str | None = None) -> Attendance:
    """An attendee signs the finalized minutes or objects, within the sign-off window."""
    conference = attendance.conference
    if conference.finalized_at is None or conference.is_locked:
        raise InvalidTransition("서명할 수 있는 회의록이 아닙니다.")
    if now_utc() > conference.finalized_at + timedelta(days=conference.signoff_days):
        raise InvalidTransition("서명 기한이 지났습니다.")
    if not signed and not (comment or "").strip():
        raise ValidationFailed("이의 사유를 적으세요.", field="comment")
    attendance.signoff = "signed" if signed else "objected"
    attendance.signoff_comment = (comment or "").strip() or None
    attendance.signoff_at = now_utc()
    db.session.flush()
    audit.record("conference.signoff", actor_id=attendance.person_id, obj=attendance, data={"signed": signed})
    return attendance


def lock_minutes_if_due(conference: Conference) -> bool:
    """Lock finalized minutes once everyone answered or the window closed; return whether it locked now."""
    if conference.finalized_at is None or conference.is_locked:
        return False
    members = [a for a in conference.attendances if not a.is_guest]
    window_over = now_utc() >= conference.finalized_at + timedelta(days=conference.signoff_days)
    if not window_over and any(a.signoff is None for a in members):
        return False
    conference.locked_at = now_utc()
    db.session.flush()
    audit.record("conference.minutes_locked", obj=conference)
    return True


def add_addendum(conference: Conference, *, actor: Person, text: str) -> MinutesVersion:
    """Amend locked (or finalized) minutes with an addendum; the earlier versions stay as they were."""
    if conference.finalized_at is None:
        raise InvalidTransition("확정 전 회의록은 바로 고칩니다.")
    if not text.strip():
        raise ValidationFailed("추가기록 내용을 적으세요.", field="text")
    latest = db.session.scalar(
        sa.select(sa.func.max(MinutesVersion.version)).where(MinutesVersion.conference_id == conference.id)
    )
    version = MinutesVersion(
        conference_id=conference.id,
        version=(latest or 0) + 1,
        kind="addendum",
        content={"text": text.strip()},
        author_id=actor.id,
        created_at=now_utc(),
    )
    db.session.add(version)
    db.session.flush()
    audit.record("conference.addendum", actor_id=actor.id, obj=conference, data={"version": version.version})
    return version


def minutes_text_for(conference: Conference, agency_id: int) -> str:
    """Return the minutes as plain text for one agency: items it may not see are withheld."""
    lines = [f"{conference.title}", f"일시: {to_local(conference.starts_at):%Y-%m-%d %H:%M}", ""]
    for item in conference.items:
        if item.status != ItemStatus.closed:
            continue
        lines.append(f"■ {item.title}")
        if not access.may_see_item_case(item, agency_id):
            lines.append("  (동의 범위 밖: 이 기관에는 공유되지 않습니다)")
            continue
        texts = {section.section: section.text for section in item.sections}
        for key in SOAP_SECTIONS:
            lines.append(f"  [{SOAP_LABELS[key]}] {texts.get(key, '') or '-'}")
    return "\n".join(lines)


def send_minutes(conference: Conference) -> int:
    """Send each attendee the minutes filtered for their agency (idempotent); return how many were sent."""
    from notifications.services import notify

    sent = 0
    for attendance in conference.attendances:
        if attendance.minutes_sent_at is not None:
            continue
        person = db.session.get(Person, attendance.person_id)
        if person is None:
            continue
        notify(
            person,
            "conference.minutes",
            title=f"[회의록] {conference.title}",
            body=minutes_text_for(conference, attendance.agency_id),
            link=f"/conferences/{conference.id}",
            dedupe_key=f"conference-minutes:{conference.id}:{person.id}",
            agency_id=attendance.agency_id,
        )
        attendance.minutes_sent_at = now_utc()
        sent += 1
    db.session.flush()
    return sent


def carry_unfinished_actions(conference: Conference, *, reason: CarryReason) -> list[AgendaItem]:
    """Put the open action items of ``conference``'s predecessors (``carry_candidates``) on its agenda."""
    previous = carry_candidates(conference)
    return [carry_action(action, conference, reason=reason) for action in previous]


def send_reminders(conference: Conference, *, days_before: int) -> int:
    """Remind invited people D-7 or D-1 (deduplicated per conference, person and day)."""
    from agencies.models import Membership, MembershipStatus
    from notifications.services import notify

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
