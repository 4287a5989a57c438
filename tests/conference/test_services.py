"""Conference services: scheduling, draft agenda, merging, lead agency, closing, minutes and reminders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from hypothesis import given, settings
from hypothesis import strategies as st

from cases.models import CaseStage
from conference import services
from conference.minutes_pdf import render_minutes_pdf
from conference.models import (
    ActionItem,
    ActionStatus,
    CarryReason,
    ConferenceKind,
    ConferenceRule,
    ConferenceStatus,
    ItemOutcome,
    ItemSource,
    ItemStage,
    LeadMethod,
    MinutesVersion,
    Rsvp,
)
from hamkke.errors import InvalidTransition, PermissionDenied, ValidationFailed
from hamkke.time import now_utc, to_local
from notifications.models import Notification
from tests.fixtures.conferences import Meeting, seat

# --- the three-way merge ------------------------------------------------------------------------


def test_merge_keeps_both_concurrent_appends() -> None:
    assert services.merge_three_way("a", "a\nmine", "a\ntheirs") == "a\ntheirs\nmine"


def test_merge_applies_non_overlapping_edits_of_both_sides() -> None:
    base = "one\ntwo\nthree"

    merged = services.merge_three_way(base, "ONE\ntwo\nthree", "one\ntwo\nTHREE")

    assert merged == "ONE\ntwo\nTHREE"


def test_merge_keeps_both_versions_of_the_same_line() -> None:
    merged = services.merge_three_way("x", "x mine", "x theirs")

    assert merged == "x theirs\nx mine"


lines = st.lists(st.sampled_from(["가", "나", "다", "라", "마", ""]), max_size=6).map("\n".join)


@settings(max_examples=300, deadline=None)
@given(
    base=lines,
    ours_extra=st.text("ABC", min_size=1, max_size=3),
    theirs_extra=st.text("XYZ", min_size=1, max_size=3),
)
def test_merge_never_loses_a_line_added_by_either_side(base: str, ours_extra: str, theirs_extra: str) -> None:
    ours = f"{base}\n{ours_extra}" if base else ours_extra
    theirs = f"{theirs_extra}\n{base}" if base else theirs_extra

    merged = services.merge_three_way(base, ours, theirs).split("\n")

    assert ours_extra in merged
    assert theirs_extra in merged


# --- scheduling ---------------------------------------------------------------------------------


def test_next_occurrence_is_the_second_wednesday() -> None:
    rule = ConferenceRule(week_of_month=2, weekday=2)

    assert services.next_occurrence(rule, date(2026, 11, 1)) == date(2026, 11, 11)
    assert services.next_occurrence(rule, date(2026, 11, 11)) == date(2026, 12, 9)


def test_generate_next_instance_invites_the_rule_agencies_once(db: Any, meeting: Meeting) -> None:
    rule = ConferenceRule(
        district_id=meeting.conference.district_id,
        host_agency_id=meeting.owner.id,
        title="1권역 정기 통합사례회의",
        place="구청",
        agency_ids=[meeting.owner.id, meeting.partner.id],
        chair_id=meeting.chair.id,
    )
    db.session.add(rule)
    db.session.flush()

    first = services.generate_next_instance(rule, after=date(2026, 11, 1))
    again = services.generate_next_instance(rule, after=date(2026, 11, 1))

    assert first.id == again.id
    assert to_local(first.starts_at).date() == date(2026, 11, 11)
    assert to_local(first.starts_at).hour == 14
    assert sorted(i.agency_id for i in first.invitations) == sorted([meeting.owner.id, meeting.partner.id])


def test_conference_needs_a_place_or_a_link(db: Any, meeting: Meeting) -> None:
    with pytest.raises(ValidationFailed):
        services.create_conference(
            actor=meeting.chair,
            district_id=meeting.conference.district_id,
            kind=ConferenceKind.urgent,
            title="긴급",
            starts_at=now_utc(),
            host_agency_id=meeting.owner.id,
        )


def test_rsvp_delegation_needs_a_deputy_who_may_then_attend(
    db: Any, meeting: Meeting, create_person: Any
) -> None:
    invitation = next(i for i in meeting.conference.invitations if i.agency_id == meeting.partner.id)
    deputy = create_person(agency=meeting.partner)
    with pytest.raises(ValidationFailed):
        services.respond_to_invitation(invitation, actor=meeting.partner_worker, rsvp=Rsvp.delegated)

    services.respond_to_invitation(
        invitation, actor=meeting.partner_worker, rsvp=Rsvp.delegated, deputy_id=deputy.id
    )

    assert (
        services.check_in(meeting.conference, person=deputy, agency_id=meeting.partner.id).agency_id
        == meeting.partner.id
    )


def test_check_in_refuses_strangers_and_foreign_agencies(
    db: Any, meeting: Meeting, create_person: Any, create_agency: Any
) -> None:
    stranger = create_person(agency=create_agency())
    with pytest.raises(PermissionDenied):
        services.check_in(meeting.conference, person=stranger, agency_id=stranger.memberships[0].agency_id)
    with pytest.raises(PermissionDenied):
        services.check_in(meeting.conference, person=meeting.partner_worker, agency_id=meeting.owner.id)


def test_old_pledge_version_is_refused(db: Any, meeting: Meeting) -> None:
    attendance = seat(db, meeting.conference, meeting.partner_worker, meeting.partner, pledge=False)

    with pytest.raises(ValidationFailed):
        services.accept_pledge(attendance, version="2020-01")


# --- draft agenda -------------------------------------------------------------------------------


def test_draft_agenda_adds_review_cases_and_carries_overdue_actions(
    db: Any, meeting: Meeting, create_meeting_case: Any
) -> None:
    due = create_meeting_case(meeting.owner, stage=CaseStage.closure_review)
    overdue = ActionItem(
        conference_id=meeting.conference.id,
        item_id=meeting.item.id,
        case_id=meeting.case.id,
        text="주거 점검",
        owner_agency_id=meeting.partner.id,
        due_on=date(2026, 1, 1),
    )
    db.session.add(overdue)
    later = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=ConferenceKind.regional,
        title="다음 회의",
        starts_at=now_utc() + timedelta(days=30),
        host_agency_id=meeting.owner.id,
        place="구청",
    )
    # Only actions of agencies invited to (or hosting) the conference are carried to it.
    services.invite(later, actor=meeting.chair, agency_id=meeting.partner.id)

    added = services.build_draft_agenda(later)

    sources = {item.source: item for item in added}
    assert sources[ItemSource.review_due].case_id == due.id
    carried = sources[ItemSource.carried]
    assert carried.source_detail["reason"] == CarryReason.agency_did_not_act
    assert overdue.status == ActionStatus.carried
    assert overdue.carried_to_item_id == carried.id
    assert all(item.status.value == "draft" for item in added)


# --- live flow rules ----------------------------------------------------------------------------


def _open(db: Any, meeting: Meeting) -> None:
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.open_item(meeting.item, actor=meeting.chair)


def test_agreement_needs_the_agree_stage_and_no_consensus_reconvenes(db: Any, meeting: Meeting) -> None:
    _open(db, meeting)
    with pytest.raises(InvalidTransition):
        services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.agreed)
    with pytest.raises(InvalidTransition):
        services.advance_stage(meeting.item, actor=meeting.chair, stage=ItemStage.agree)

    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)

    assert meeting.item.outcome == ItemOutcome.reconvene


def test_only_one_item_open_at_a_time(db: Any, meeting: Meeting) -> None:
    second = services.propose_item(meeting.conference, actor=meeting.chair, title="기타 안건")
    _open(db, meeting)

    with pytest.raises(InvalidTransition):
        services.open_item(second, actor=meeting.chair)


def test_lead_decision_requires_a_candidate_and_a_rationale(db: Any, meeting: Meeting) -> None:
    _open(db, meeting)
    kwargs: dict[str, Any] = {
        "actor": meeting.chair,
        "method": LeadMethod.initial_assessment,
        "candidate_agency_ids": [meeting.owner.id],
    }
    with pytest.raises(ValidationFailed):
        services.decide_lead_agency(
            meeting.item, chosen_agency_id=meeting.partner.id, rationale="x", **kwargs
        )
    with pytest.raises(ValidationFailed):
        services.decide_lead_agency(meeting.item, chosen_agency_id=meeting.owner.id, rationale=" ", **kwargs)

    decision = services.decide_lead_agency(
        meeting.item, chosen_agency_id=meeting.owner.id, rationale="초기 사정", **kwargs
    )

    assert meeting.case.lead_agency_id == meeting.owner.id
    assert decision.previous_agency_id is None


def test_action_item_only_from_a_line_of_the_plan(db: Any, meeting: Meeting) -> None:
    _open(db, meeting)
    services.save_soap(meeting.item, actor=meeting.chair, section="P", text="상담 연계", base_version=0)
    with pytest.raises(ValidationFailed):
        services.create_action_from_plan_line(
            meeting.item,
            actor=meeting.chair,
            line="없는 줄",
            owner_agency_id=meeting.owner.id,
            due_on=date(2099, 1, 1),
        )
    with pytest.raises(ValidationFailed):
        services.create_action_from_plan_line(
            meeting.item,
            actor=meeting.chair,
            line="상담 연계",
            owner_agency_id=meeting.owner.id,
            due_on=date(2099, 1, 1),
            referral_id=999_999,
        )


# --- closing ------------------------------------------------------------------------------------


def _finish(db: Any, meeting: Meeting, plan: str = "상담 연계") -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    seat(db, meeting.conference, meeting.other_worker, meeting.outsider_agency)
    _open(db, meeting)
    services.save_soap(meeting.item, actor=meeting.chair, section="S", text="대상자 진술", base_version=0)
    services.save_soap(meeting.item, actor=meeting.chair, section="P", text=plan, base_version=0)
    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    db.session.commit()


def test_finalize_sends_minutes_filtered_per_agency_once(db: Any, meeting: Meeting) -> None:
    _finish(db, meeting)

    assert services.send_minutes(meeting.conference) == 2
    assert services.send_minutes(meeting.conference) == 0

    bodies = {
        n.person_id: n.body
        for n in db.session.scalars(sa.select(Notification).where(Notification.kind == "conference.minutes"))
    }
    assert "대상자 진술" in bodies[meeting.chair.id]
    assert "대상자 진술" not in bodies[meeting.other_worker.id]
    # The other agency's copy says why the content is left out, and still has the meeting's outcome.
    assert "싣지 않았습니다" in bodies[meeting.other_worker.id]
    assert f"- {meeting.item.title}: " in bodies[meeting.other_worker.id]
    assert meeting.conference.status == ConferenceStatus.closed


def test_soap_is_frozen_after_finalize_and_changed_by_addendum(db: Any, meeting: Meeting) -> None:
    _finish(db, meeting)

    with pytest.raises(InvalidTransition):
        services.save_soap(meeting.item, actor=meeting.chair, section="S", text="고침", base_version=1)
    addendum = services.add_addendum(meeting.conference, actor=meeting.chair, text="정정: 날짜")

    assert addendum.version == 2
    versions = db.session.scalars(sa.select(MinutesVersion.kind).order_by(MinutesVersion.version)).all()
    assert versions == ["final", "addendum"]


def test_sign_off_then_lock_when_all_answered_or_window_over(db: Any, meeting: Meeting) -> None:
    _finish(db, meeting)
    chair_attendance, other_attendance = sorted(meeting.conference.attendances, key=lambda a: a.id)
    with pytest.raises(ValidationFailed):
        services.sign_off(other_attendance, signed=False)
    services.sign_off(chair_attendance, signed=True)
    assert services.lock_minutes_if_due(meeting.conference) is False

    with time_machine.travel(now_utc() + timedelta(days=4)):
        with pytest.raises(InvalidTransition):
            services.sign_off(other_attendance, signed=True)
        assert services.lock_minutes_if_due(meeting.conference) is True

    assert meeting.conference.is_locked


def test_unfinished_actions_carry_to_the_next_meeting(db: Any, meeting: Meeting) -> None:
    _finish(db, meeting)
    action = ActionItem(
        conference_id=meeting.conference.id,
        item_id=meeting.item.id,
        case_id=meeting.case.id,
        text="상담 연계",
        owner_agency_id=meeting.owner.id,
        due_on=date(2099, 1, 1),
    )
    db.session.add(action)
    following = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=ConferenceKind.regional,
        title="다음 달",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.owner.id,
        place="구청",
    )

    carried = services.carry_unfinished_actions(following, reason=CarryReason.circumstances_changed)

    assert [item.source_detail["action_id"] for item in carried] == [action.id]
    assert "상황 변화" in carried[0].title


def test_completing_an_action_stamps_completed_at_once(db: Any, meeting: Meeting) -> None:
    action = ActionItem(
        conference_id=meeting.conference.id,
        item_id=meeting.item.id,
        case_id=meeting.case.id,
        text="상담 연계",
        owner_agency_id=meeting.owner.id,
        due_on=date(2099, 1, 1),
    )
    db.session.add(action)
    db.session.flush()
    assert action.completed_at is None
    done_at = now_utc() + timedelta(days=2)

    with time_machine.travel(done_at, tick=False):
        services.complete_action(action, actor=meeting.chair)
    with time_machine.travel(done_at + timedelta(days=30), tick=False):
        services.complete_action(action, actor=meeting.chair)  # a second click keeps the first instant
        action.text = "상담 연계(결과 보고)"
        db.session.commit()

    db.session.expire_all()
    stored = db.session.get(ActionItem, action.id)
    assert stored is not None
    assert stored.status == ActionStatus.done
    assert stored.completed_at == done_at
    assert stored.updated_at > stored.completed_at


def test_supervision_is_a_conference_kind_of_its_own(db: Any, meeting: Meeting) -> None:
    session = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=ConferenceKind.supervision,
        title="3분기 사례 슈퍼비전",
        starts_at=now_utc() + timedelta(days=10),
        host_agency_id=meeting.owner.id,
        place="구청 별관",
    )
    db.session.commit()
    db.session.expire_all()

    assert session.kind == ConferenceKind.supervision
    assert session.kind.label == "사례 슈퍼비전"


def test_minutes_pdf_is_korean_and_filtered(db: Any, meeting: Meeting) -> None:
    _finish(db, meeting)

    owner_pdf = render_minutes_pdf(meeting.conference, meeting.owner.id)
    other_pdf = render_minutes_pdf(meeting.conference, meeting.outsider_agency.id)

    assert owner_pdf.startswith(b"%PDF")
    assert b"NotoSansKR" in owner_pdf
    assert len(owner_pdf) != len(other_pdf)


def test_reminders_go_to_invited_staff_once(db: Any, meeting: Meeting) -> None:
    first = services.send_reminders(meeting.conference, days_before=7)
    again = services.send_reminders(meeting.conference, days_before=7)

    assert first == 4
    count = db.session.scalar(
        sa.select(sa.func.count()).select_from(Notification).where(Notification.kind == "conference.reminder")
    )
    assert count == first
    assert again == first
