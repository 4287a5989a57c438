"""Preparing a conference: scheduling, invitations, RSVP, agenda, escalations, carry-over, referrals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import AgencyType, StaffRole
from cases.models import (
    ConsentStatus,
    Escalation,
    EscalationPlacement,
    EscalationStatus,
    EscalationUrgency,
)
from conference import services
from conference.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    CarryReason,
    Conference,
    ConferenceInvitation,
    ConferenceRule,
    ItemOutcome,
    ItemSource,
    ItemStatus,
    Rsvp,
)
from hamkke.errors import InvalidTransition, ValidationFailed
from hamkke.time import now_utc, to_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, seat


def _count(db: Any, model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0)


def _post(client: FlaskClient, url: str, page: str, **data: Any) -> Any:
    return client.post(url, data={"csrf_token": page_csrf_token(client, page), **data})


def _escalate(db: Any, case: Any, *, team: Any, by: Any, status: EscalationStatus) -> Escalation:
    escalation = Escalation(
        case_id=case.id,
        from_agency_id=case.owning_agency_id,
        to_agency_id=team.id,
        reason="고난도 사례",
        urgency=EscalationUrgency.normal,
        tried="방문 상담",
        consent_status=ConsentStatus.third_party,
        status=status,
        submitted_by_id=by.id,
        submitted_on=date(2026, 11, 1),
        placement=EscalationPlacement.regular_conference,
    )
    db.session.add(escalation)
    db.session.flush()
    return escalation


# --- scheduling ---------------------------------------------------------------------------------


def test_schedule_page_creates_a_recurring_conference_in_seoul_time(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair)
    day = (to_local(now_utc()) + timedelta(days=20)).date()
    day = day - timedelta(days=(day.day - 1) // 7 * 7) if day.day > 28 else day

    response = _post(
        client,
        "/conferences/new",
        "/conferences/new",
        kind="regional",
        title="2권역 정기 통합사례회의",
        date=day.isoformat(),
        time="14:00",
        place="구청 회의실",
        chair_id=str(meeting.chair.id),
        recorder_id=str(meeting.recorder.id),
        briefing_days="5",
        agency_ids=[str(meeting.partner.id)],
        recurring="yes",
    )

    assert response.status_code == 303, response.get_data(as_text=True)
    conference = db.session.scalar(sa.select(Conference).where(Conference.title == "2권역 정기 통합사례회의"))
    assert conference is not None
    local = to_local(conference.starts_at)
    assert (local.date(), local.hour, local.minute) == (day, 14, 0)
    assert conference.briefing_days == 5
    assert [i.agency_id for i in conference.invitations] == [meeting.partner.id]
    rule = db.session.get(ConferenceRule, conference.rule_id)
    assert rule is not None
    assert (rule.weekday, rule.week_of_month, rule.start_minute) == (
        day.weekday(),
        (day.day - 1) // 7 + 1,
        840,
    )
    assert rule.agency_ids == [meeting.partner.id]


def test_schedule_refuses_bad_input_in_korean_and_saves_nothing(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair)
    before = _count(db, Conference)
    day = (to_local(now_utc()) + timedelta(days=10)).date().isoformat()
    base = {"kind": "regional", "title": "회의", "date": day, "time": "14:00", "briefing_days": "3"}

    no_place = _post(client, "/conferences/new", "/conferences/new", **base)
    past = _post(
        client, "/conferences/new", "/conferences/new", **{**base, "place": "A", "date": "2020-01-01"}
    )
    same = _post(
        client,
        "/conferences/new",
        "/conferences/new",
        **{**base, "place": "A", "chair_id": meeting.chair.id, "recorder_id": meeting.chair.id},
    )
    outsider_chair = _post(
        client,
        "/conferences/new",
        "/conferences/new",
        **{**base, "place": "A", "chair_id": meeting.partner_worker.id},
    )
    bad_kind = _post(
        client, "/conferences/new", "/conferences/new", **{**base, "place": "A", "kind": "party"}
    )

    assert no_place.status_code == 422
    assert "장소나 화상회의 링크를 입력하세요." in no_place.get_data(as_text=True)
    assert past.status_code == 422
    assert same.status_code == 422
    assert outsider_chair.status_code == 422
    assert bad_kind.status_code == 422
    assert _count(db, Conference) == before


def test_case_worker_may_not_schedule(client: FlaskClient, login_as: Any, meeting: Meeting) -> None:
    login_as(meeting.partner_worker)

    assert client.get("/conferences/new").status_code == 403


# --- invitations and RSVP -----------------------------------------------------------------------


def test_manager_invites_and_outsiders_may_not(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, create_agency: Any
) -> None:
    extra = create_agency(name="한빛지역자활센터")
    db.session.commit()
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)
    refused = _post(
        client, f"/conferences/{meeting.conference.id}/invitations", plan, agency_id=extra.id, role="member"
    )
    assert refused.status_code == 403

    login_as(meeting.chair)
    invited = _post(
        client, f"/conferences/{meeting.conference.id}/invitations", plan, agency_id=extra.id, role="member"
    )
    guest_without_person = _post(
        client, f"/conferences/{meeting.conference.id}/invitations", plan, agency_id=extra.id, role="guest"
    )

    assert invited.status_code == 303
    assert guest_without_person.status_code == 422
    assert "자문위원은 사람을 지정해 초대합니다." in guest_without_person.get_data(as_text=True)
    db.session.expire_all()
    assert extra.id in {i.agency_id for i in meeting.conference.invitations}


def test_rsvp_with_a_deputy_of_the_same_agency(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, create_person: Any
) -> None:
    deputy = create_person(agency=meeting.partner, name="대리인")
    db.session.commit()
    invitation = next(i for i in meeting.conference.invitations if i.agency_id == meeting.partner.id)
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)
    page = client.get(plan).get_data(as_text=True)
    assert f'id="rsvp-{invitation.id}"' in page

    missing = _post(client, f"/conferences/invitations/{invitation.id}/rsvp", plan, rsvp="delegated")
    foreign = _post(
        client,
        f"/conferences/invitations/{invitation.id}/rsvp",
        plan,
        rsvp="delegated",
        deputy_id=meeting.other_worker.id,
    )
    assert missing.status_code == 422
    assert foreign.status_code == 422
    db.session.refresh(invitation)
    assert invitation.rsvp == Rsvp.pending

    ok = _post(
        client, f"/conferences/invitations/{invitation.id}/rsvp", plan, rsvp="delegated", deputy_id=deputy.id
    )

    assert ok.status_code == 303
    db.session.refresh(invitation)
    assert (invitation.rsvp, invitation.deputy_id) == (Rsvp.delegated, deputy.id)
    assert "대리인" in client.get(plan).get_data(as_text=True)


def test_other_agencies_cannot_answer_an_invitation(
    client: FlaskClient, login_as: Any, meeting: Meeting
) -> None:
    invitation = next(i for i in meeting.conference.invitations if i.agency_id == meeting.partner.id)
    login_as(meeting.other_worker)
    plan = f"/conferences/{meeting.conference.id}/plan"

    response = _post(client, f"/conferences/invitations/{invitation.id}/rsvp", plan, rsvp="declined")

    assert response.status_code == 404


# --- agenda -------------------------------------------------------------------------------------


def test_invited_agency_proposes_its_own_case_only(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, create_meeting_case: Any
) -> None:
    own = create_meeting_case(meeting.partner, name="박둘")
    foreign = create_meeting_case(meeting.outsider_agency, name="최셋")
    db.session.commit()
    url = f"/conferences/{meeting.conference.id}/items"
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)

    refused = _post(client, url, plan, title="남의 사례", case_id=foreign.id, time_box_minutes="15")
    too_long = _post(client, url, plan, title="긴 안건", case_id=own.id, time_box_minutes="500")
    accepted = _post(client, url, plan, title="우리 사례", case_id=own.id, time_box_minutes="20")

    assert refused.status_code == 422
    assert too_long.status_code == 422
    assert accepted.status_code == 303
    item = db.session.scalar(sa.select(AgendaItem).where(AgendaItem.case_id == own.id))
    assert item is not None
    assert (item.proposed_by_agency_id, item.presenter_id, item.time_box_minutes) == (
        meeting.partner.id,
        meeting.partner_worker.id,
        20,
    )
    # The agenda was approved before: a late proposal joins it as approved.
    assert item.status == ItemStatus.approved


def test_chair_reorders_edits_and_approves_the_agenda(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, create_person: Any, create_agency: Any
) -> None:
    stranger = create_person(agency=create_agency(name="초대받지 않은 기관"))
    conference = meeting.conference
    conference.agenda_approved_at = None
    second = services.propose_item(
        conference, actor=meeting.chair, title="둘째 안건", agency_id=meeting.owner.id
    )
    db.session.commit()
    plan = f"/conferences/{conference.id}/plan"
    login_as(meeting.chair)

    moved = _post(client, f"/conferences/items/{second.id}/move", plan, direction="up")
    edited = _post(
        client,
        f"/conferences/items/{second.id}/edit",
        plan,
        title="둘째 안건(수정)",
        time_box_minutes="25",
        presenter_id=meeting.partner_worker.id,
    )
    bad_presenter = _post(
        client,
        f"/conferences/items/{second.id}/edit",
        plan,
        title="x",
        time_box_minutes="25",
        presenter_id=stranger.id,
    )
    approved = _post(client, f"/conferences/{conference.id}/approve", plan)

    assert (moved.status_code, edited.status_code, approved.status_code) == (303, 303, 303)
    assert bad_presenter.status_code == 422
    db.session.expire_all()
    ordered = sorted(conference.items, key=lambda item: item.position)
    assert [item.id for item in ordered] == [second.id, meeting.item.id]
    assert (second.title, second.time_box_minutes, second.presenter_id) == (
        "둘째 안건(수정)",
        25,
        meeting.partner_worker.id,
    )
    assert conference.agenda_approved_at is not None
    assert all(item.status == ItemStatus.approved for item in conference.items)


def test_partner_cannot_edit_the_agenda(client: FlaskClient, login_as: Any, meeting: Meeting) -> None:
    plan = f"/conferences/{meeting.conference.id}/plan"
    login_as(meeting.partner_worker)

    edit = _post(client, f"/conferences/items/{meeting.item.id}/edit", plan, title="x", time_box_minutes="5")
    approve = _post(client, f"/conferences/{meeting.conference.id}/approve", plan)
    page = client.get(plan).get_data(as_text=True)

    assert (edit.status_code, approve.status_code) == (403, 403)
    assert 'id="approve-agenda"' not in page


def test_outsider_gets_404_on_planning_pages(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, create_person: Any, create_agency: Any
) -> None:
    stranger = create_person(agency=create_agency(), roles=[StaffRole.coordinator])
    db.session.commit()
    login_as(stranger)

    assert client.get(f"/conferences/{meeting.conference.id}/plan").status_code == 404
    assert client.get(f"/conferences/{meeting.conference.id}/briefing").status_code == 404


def test_agenda_cannot_change_once_the_meeting_started(db: Any, meeting: Meeting) -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    services.start_conference(meeting.conference, actor=meeting.chair)

    with pytest.raises(InvalidTransition):
        services.edit_item(
            meeting.item, actor=meeting.chair, title="x", time_box_minutes=5, presenter_id=None
        )
    with pytest.raises(InvalidTransition):
        services.move_item(meeting.item, actor=meeting.chair, offset=1)


# --- escalations on the draft agenda ------------------------------------------------------------


def test_accepted_dong_escalations_join_the_draft_agenda_once(
    db: Any, meeting: Meeting, create_agency: Any, create_meeting_case: Any
) -> None:
    team = create_agency(name="한빛구 희망복지지원단", type=AgencyType.district_team)
    dong = create_agency(name="한빛1동 행정복지센터", type=AgencyType.dong_centre)
    accepted_case = create_meeting_case(dong, name="정넷")
    pending_case = create_meeting_case(dong, name="한다섯")
    accepted = _escalate(db, accepted_case, team=team, by=meeting.chair, status=EscalationStatus.accepted)
    _escalate(db, pending_case, team=team, by=meeting.chair, status=EscalationStatus.submitted)

    added = services.build_draft_agenda(meeting.conference)
    again = services.build_draft_agenda(meeting.conference)

    escalation_items = [item for item in added if item.source == ItemSource.escalation]
    assert [item.case_id for item in escalation_items] == [accepted_case.id]
    assert escalation_items[0].source_detail["escalation_id"] == accepted.id
    assert escalation_items[0].proposed_by_agency_id == dong.id
    assert not [item for item in again if item.source == ItemSource.escalation]


def test_escalation_already_placed_elsewhere_is_not_repeated(
    db: Any, meeting: Meeting, create_agency: Any, create_meeting_case: Any
) -> None:
    team = create_agency(name="희망복지지원단", type=AgencyType.district_team)
    dong = create_agency(name="한빛2동 행정복지센터", type=AgencyType.dong_centre)
    case = create_meeting_case(dong, name="윤여섯")
    _escalate(db, case, team=team, by=meeting.chair, status=EscalationStatus.accepted)
    services.build_draft_agenda(meeting.conference)
    later = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=meeting.conference.kind,
        title="다음 달 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.owner.id,
        place="구청",
    )

    assert not [i for i in services.build_draft_agenda(later) if i.source == ItemSource.escalation]


# --- carry-over ---------------------------------------------------------------------------------


def _finished_meeting_with_action(db: Any, meeting: Meeting) -> ActionItem:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.open_item(meeting.item, actor=meeting.chair)
    section = services.soap_section(meeting.item, "P")
    services.save_soap(
        meeting.item, actor=meeting.chair, section="P", text="주거 지원 연계", base_version=section.version
    )
    action = services.create_action_from_plan_line(
        meeting.item,
        actor=meeting.chair,
        line="주거 지원 연계",
        owner_agency_id=meeting.owner.id,
        due_on=to_local(meeting.conference.starts_at).date() + timedelta(days=7),
    )
    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    db.session.commit()
    return action


def _next_conference(db: Any, meeting: Meeting) -> Conference:
    conference = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.conference.district_id,
        kind=meeting.conference.kind,
        title="다음 정기 회의",
        starts_at=meeting.conference.starts_at + timedelta(days=28),
        host_agency_id=meeting.owner.id,
        place="구청",
        chair_id=meeting.chair.id,
    )
    db.session.commit()
    return conference


def test_chair_carries_an_action_with_a_chosen_reason_and_can_change_it(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    action = _finished_meeting_with_action(db, meeting)
    following = _next_conference(db, meeting)
    plan = f"/conferences/{following.id}/plan"
    login_as(meeting.chair)
    assert "지난 회의의 미완료 실행과제" in client.get(plan).get_data(as_text=True)

    carried = _post(
        client,
        f"/conferences/{following.id}/carry",
        plan,
        action_id=action.id,
        reason="circumstances_changed",
    )

    assert carried.status_code == 303
    db.session.expire_all()
    assert action.status == ActionStatus.carried
    assert action.carry_reason == CarryReason.circumstances_changed
    item = db.session.get(AgendaItem, action.carried_to_item_id)
    assert item is not None
    assert item.conference_id == following.id
    assert "상황 변화" in item.title
    page = client.get(plan).get_data(as_text=True)
    assert "이월 사유" in page
    assert "상황 변화" in page

    changed = _post(client, f"/conferences/items/{item.id}/carry-reason", plan, reason="agency_did_not_act")
    bogus = _post(client, f"/conferences/items/{item.id}/carry-reason", plan, reason="weather")
    again = _post(
        client, f"/conferences/{following.id}/carry", plan, action_id=action.id, reason="agency_did_not_act"
    )

    assert changed.status_code == 303
    assert bogus.status_code == 422
    assert again.status_code == 422
    db.session.expire_all()
    assert action.carry_reason == CarryReason.agency_did_not_act
    assert item.source_detail["reason"] == "agency_did_not_act"
    assert "기관 미이행" in item.title


def test_carry_reason_only_on_carried_items(db: Any, meeting: Meeting) -> None:
    with pytest.raises(ValidationFailed):
        services.set_carry_reason(meeting.item, actor=meeting.chair, reason=CarryReason.circumstances_changed)


# --- referrals from action items ----------------------------------------------------------------


def test_make_a_referral_from_an_action_item(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    from referrals.models import Referral, ReferralSource, ReferralStatus

    action = _finished_meeting_with_action(db, meeting)
    plan = f"/conferences/{meeting.conference.id}/plan"
    url = f"/conferences/actions/{action.id}/referral"
    login_as(meeting.recorder)
    assert "의뢰 만들기" in client.get(plan).get_data(as_text=True)
    before = _count(db, Referral)

    without_consent = _post(
        client,
        url,
        url,
        receiving_agency_id=meeting.partner.id,
        reason="주거 지원",
        requested_services="주거 상담",
        field_groups=["basic"],
    )
    assert without_consent.status_code == 403
    assert "동의하지 않은 항목" in without_consent.get_data(as_text=True)
    assert _count(db, Referral) == before
    empty = _post(client, url, url, receiving_agency_id=meeting.partner.id, reason="", requested_services="")
    assert empty.status_code == 422

    created = _post(
        client,
        url,
        url,
        receiving_agency_id=meeting.partner.id,
        reason="주거 지원",
        requested_services="주거 상담",
    )

    assert created.status_code == 303
    db.session.expire_all()
    assert action.referral_id is not None
    referral = db.session.get(Referral, action.referral_id)
    assert referral is not None
    assert (referral.status, referral.source_type, referral.source_id) == (
        ReferralStatus.draft,
        ReferralSource.action_item,
        action.id,
    )
    assert referral.receiving_agency_id == meeting.partner.id
    assert created.headers["Location"].endswith(f"/referrals/{referral.id}")
    twice = _post(
        client,
        url,
        plan,
        receiving_agency_id=meeting.partner.id,
        reason="주거 지원",
        requested_services="주거 상담",
    )
    assert twice.status_code == 409


def test_other_agencies_cannot_refer_from_an_action(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    action = _finished_meeting_with_action(db, meeting)
    login_as(meeting.other_worker)

    assert client.get(f"/conferences/actions/{action.id}/referral").status_code == 404


def test_invitations_are_unique_per_agency(db: Any, meeting: Meeting) -> None:
    first = services.invite(meeting.conference, actor=meeting.chair, agency_id=meeting.partner.id)
    count = _count(db, ConferenceInvitation)

    assert services.invite(meeting.conference, actor=meeting.chair, agency_id=meeting.partner.id) is first
    assert _count(db, ConferenceInvitation) == count
