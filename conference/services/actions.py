"""Action items (실행과제): created from the plan line, worked, notified, reminded and referred.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Membership, MembershipStatus, Person
from conference import access
from conference.models import (
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    Conference,
)
from conference.services.minutes import soap_section
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import now_utc, to_local, today_local
from notifications.services import notify
from referrals.models import Referral
from referrals.services import ReferralContent, create_from_action_item


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
