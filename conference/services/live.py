"""The live meeting: attendance (check-in, pledge, presence, chair hand-over) and the item flow.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

import sqlalchemy as sa

from agencies.models import Person
from conference import access
from conference.models import (
    ITEM_STAGE_ORDER,
    AgendaItem,
    Attendance,
    Conference,
    ConferenceStatus,
    InvitationRole,
    ItemOutcome,
    ItemStage,
    ItemStatus,
)
from conference.services.agenda import approve_agenda
from conference.services.minutes import SOAP_SECTIONS, soap_section
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.time import now_utc


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
    # One round trip: the UPDATE returns the whole locked row, which refreshes (or loads) the session's
    # conference, so the event reads neither the row nor its new revision again.
    conference = db.session.scalars(
        sa.update(Conference)
        .where(Conference.id == conference_id)
        .values(revision=Conference.revision + 1)
        .returning(Conference),
        execution_options={"populate_existing": True, "synchronize_session": False},
    ).one_or_none()
    if conference is None:
        raise NotFound("회의를 찾을 수 없습니다.", english="The conference does not exist.")
    return int(conference.revision)


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
    item.require("open")
    if any(other.status == ItemStatus.open for other in conference.items if other.id != item.id):
        raise InvalidTransition("열려 있는 안건을 먼저 닫으세요.")
    item.apply("open")
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
    item.require("advance_stage")
    if abs(ITEM_STAGE_ORDER.index(stage) - ITEM_STAGE_ORDER.index(item.stage)) != 1:
        raise InvalidTransition("안건 진행 단계는 한 단계씩 옮깁니다.")
    item.stage = stage
    item.version += 1
    db.session.flush()
    return item


def restart_timer(item: AgendaItem, *, actor: Person) -> AgendaItem:
    """Restart the open item's time box."""
    item.require("restart_timer")
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
    item.require("close")
    if outcome == ItemOutcome.agreed and item.stage not in (ItemStage.agree, ItemStage.wrap_up):
        raise InvalidTransition("합의 단계를 거친 뒤에 합의로 닫을 수 있습니다.")
    item.apply("close")
    item.outcome = outcome
    item.closed_at = now_utc()
    item.timer_started_at = None
    item.version += 1
    db.session.flush()
    audit.record("conference.item_closed", actor_id=actor.id, obj=item, data={"outcome": str(outcome)})
    return item
