"""The agenda: proposed items, the automatic draft, approval, editing, and actions carried over.

Every function flushes and never commits; the view, socket handler, task or command commits once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from agencies.models import Agency, Dong, Membership, MembershipStatus, Person
from cases.models import Case, CaseStage
from cases.queries import accepted_escalations
from conference import access
from conference.models import (
    UNFINISHED_ACTION_STATUSES,
    ActionItem,
    ActionStatus,
    AgendaItem,
    CarryReason,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    ItemOutcome,
    ItemSource,
    ItemStatus,
)
from conference.queries import proposable_cases
from hamkke import audit
from hamkke.db import db
from hamkke.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from hamkke.time import now_utc, to_local
from referrals.models import Referral, ReferralStatus

#: a referral not moving for this long goes on the draft agenda as stalled
STALLED_REFERRAL_DAYS = 14
#: the title mark of an item carried from an earlier meeting's 재회의
RECONVENE_PREFIX = "[재회의] "


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


def propose_for_agency(
    conference: Conference,
    *,
    actor: Person,
    agency_id: int,
    title: str,
    case_id: int | None,
    time_box_minutes: int,
) -> AgendaItem:
    """An invited agency proposes an item (optionally one of its open cases); the proposer presents it."""
    if agency_id not in access.invited_agency_ids(conference):
        raise PermissionDenied(
            "초대된 기관만 안건을 제안할 수 있습니다.", english="Only invited agencies propose."
        )
    if case_id is not None and case_id not in {case.id for case in proposable_cases(agency_id)}:
        raise ValidationFailed(
            "사례를 맡은 기관만 그 사례를 안건으로 올릴 수 있습니다.",
            field="case_id",
            english="Only the case's own or lead agency may propose it.",
        )
    if not title.strip():
        raise ValidationFailed("안건 제목을 입력하세요.", field="title", english="Enter a title.")
    return propose_item(
        conference,
        actor=actor,
        title=title.strip(),
        agency_id=agency_id,
        case_id=case_id,
        presenter_id=actor.id,
        time_box_minutes=time_box_minutes,
    )


def build_draft_agenda(conference: Conference) -> list[AgendaItem]:
    """Build the automatic draft agenda: cases due for review, overdue actions and stalled referrals.

    Sources present now: cases of the conference's 권역 in 종결심사 (due for review), open action items of
    earlier conferences past their due date, and referrals requested or received but untouched for
    ``STALLED_REFERRAL_DAYS``. Dong escalations join once the cases domain exposes them.
    """
    if conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition("시작 전 회의에서만 초안을 만듭니다.", english="The meeting has started.")
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
    added.extend(pull_reconvened_items(conference))
    return added


#: which accepted escalations feed which kind of conference
ESCALATION_PLACEMENTS = {
    ConferenceKind.regional: "regular_conference",
    ConferenceKind.urgent: "urgent_conference",
}


def _escalation_items(conference: Conference) -> list[AgendaItem]:
    """Put accepted dong escalations on the agenda of the conference kind they were placed on, once."""
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
    query = (
        sa.select(Case)
        .join(Agency, Agency.id == Case.owning_agency_id)
        .where(Case.stage == stage, Case.is_deleted.is_(False), Agency.district_id == conference.district_id)
    )
    if conference.region_id is not None:
        query = query.join(Dong, Dong.id == Case.dong_id).where(Dong.region_id == conference.region_id)
    return db.session.scalars(query.order_by(Case.id)).all()


def _stalled_referral_items(conference: Conference) -> list[AgendaItem]:
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
    if conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition("시작 전 회의의 안건만 확정합니다.", english="The meeting has started.")
    by_id = {item.id: item for item in conference.items}
    if order is not None:
        if set(order) - set(by_id):
            raise ValidationFailed("이 회의의 안건이 아닙니다.", field="order")
        for position, item_id in enumerate(order):
            by_id[item_id].position = position
    for item in conference.items:
        if item.may("approve"):
            item.apply("approve")
    conference.agenda_approved_at = now_utc()
    db.session.flush()
    audit.record("conference.agenda_approved", actor_id=actor.id, obj=conference)


def _active_items(conference: Conference) -> list[AgendaItem]:
    return sorted(
        (item for item in conference.items if item.status != ItemStatus.withdrawn),
        key=lambda item: (item.position, item.id),
    )


def _require_editable(item: AgendaItem) -> None:
    item.require("edit")
    if item.conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition(
            "회의가 시작된 뒤에는 안건을 고칠 수 없습니다.", english="The meeting has started."
        )


def edit_item(
    item: AgendaItem, *, actor: Person, title: str, time_box_minutes: int, presenter_id: int | None
) -> AgendaItem:
    """The chair or coordinator sets an item's title, time box and presenting worker."""
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
    item.apply("withdraw")
    item.version += 1
    db.session.flush()
    audit.record("conference.item_withdrawn", actor_id=actor.id, obj=item)


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


def carry_to(conference: Conference, *, action_id: int, reason: CarryReason) -> AgendaItem:
    """Carry one of this conference's ``carry_candidates`` to its agenda, before the meeting starts."""
    action = next((a for a in carry_candidates(conference) if a.id == action_id), None)
    if action is None:
        raise ValidationFailed("이월할 수 있는 과제가 아닙니다.", field="action_id", english="Not carriable.")
    if conference.status != ConferenceStatus.scheduled:
        raise InvalidTransition("시작 전 회의로만 이월합니다.", english="The meeting has started.")
    return carry_action(action, conference, reason=reason)


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
    series = _same_series(conference)
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


def _same_series(conference: Conference) -> sa.ColumnElement[bool]:
    """The conferences of ``conference``'s series: the same rule, else the same 권역 and host."""
    if conference.rule_id is not None:
        return Conference.rule_id == conference.rule_id
    return sa.and_(
        Conference.region_id.is_not_distinct_from(conference.region_id),
        Conference.host_agency_id == conference.host_agency_id,
    )


def pending_reconvened(conference: Conference) -> list[AgendaItem]:
    """Return items decided 재회의 at finished earlier meetings of the series that no meeting has taken up."""
    candidates = db.session.scalars(
        sa.select(AgendaItem)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(
            AgendaItem.outcome == ItemOutcome.reconvene,
            AgendaItem.status == ItemStatus.closed,
            Conference.district_id == conference.district_id,
            Conference.finalized_at.is_not(None),
            Conference.id != conference.id,
            Conference.starts_at < conference.starts_at,
            _same_series(conference),
        )
        .order_by(Conference.starts_at, AgendaItem.position, AgendaItem.id)
    ).all()
    if not candidates:
        return []
    carried = db.session.scalars(
        sa.select(AgendaItem.source_detail)
        .join(Conference, Conference.id == AgendaItem.conference_id)
        .where(Conference.district_id == conference.district_id, AgendaItem.source == ItemSource.carried)
    ).all()
    # A carried item takes its origin up for good, even when the chair later withdraws it.
    taken = {int(detail["reconvened_item_id"]) for detail in carried if "reconvened_item_id" in detail}
    return [item for item in candidates if item.id not in taken]


def pull_reconvened_items(conference: Conference) -> list[AgendaItem]:
    """Put the series' pending 재회의 items on this scheduled meeting's draft agenda, with their history."""
    if conference.status != ConferenceStatus.scheduled:
        return []
    added: list[AgendaItem] = []
    for origin in pending_reconvened(conference):
        earlier = origin.conference
        entry = {
            "item_id": origin.id,
            "conference_id": earlier.id,
            "conference_title": earlier.title,
            "held_on": to_local(earlier.starts_at).date().isoformat(),
        }
        # A chain of 재회의 keeps every earlier meeting, oldest first.
        history = [*origin.source_detail.get("history", []), entry]
        added.append(
            propose_item(
                conference,
                actor=None,
                title=origin.title
                if origin.title.startswith(RECONVENE_PREFIX)
                else RECONVENE_PREFIX + origin.title,
                agency_id=origin.proposed_by_agency_id,
                case_id=origin.case_id,
                presenter_id=origin.presenter_id,
                time_box_minutes=origin.time_box_minutes,
                source=ItemSource.carried,
                source_detail={"reconvened_item_id": origin.id, "history": history},
            )
        )
    return added


def carry_reconvened_forward(conference: Conference) -> list[AgendaItem]:
    """After a meeting ends, put its 재회의 items on the series' next scheduled meeting, if there is one."""
    following = db.session.scalar(
        sa.select(Conference)
        .where(
            _same_series(conference),
            Conference.district_id == conference.district_id,
            Conference.status == ConferenceStatus.scheduled,
            Conference.starts_at > conference.starts_at,
        )
        .order_by(Conference.starts_at, Conference.id)
        .limit(1)
    )
    return pull_reconvened_items(following) if following is not None else []


def carry_unfinished_actions(conference: Conference, *, reason: CarryReason) -> list[AgendaItem]:
    """Put the open action items of ``conference``'s predecessors (``carry_candidates``) on its agenda."""
    previous = carry_candidates(conference)
    return [carry_action(action, conference, reason=reason) for action in previous]
