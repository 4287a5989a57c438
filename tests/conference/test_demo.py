"""The demo conference is ready to start: rule, invitations, approved agenda, chair and recorder."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from agencies.models import Person
from cases.models import Case
from conference import access, briefing, services
from conference.models import Conference, ConferenceStatus, ItemStatus, Rsvp
from demo.district import load_demo


def test_demo_conference_can_be_started_by_the_demo_coordinator(db: Any) -> None:
    load_demo()
    db.session.commit()

    # The demo also holds two years of closed conferences (dashboard history); without an order the
    # database may return one of those first.
    conference = db.session.scalar(
        sa.select(Conference).where(Conference.status != ConferenceStatus.closed).order_by(Conference.id)
    )
    assert conference is not None
    assert conference.rule_id is not None
    assert conference.recorder_id is not None
    assert conference.recorder_id != conference.chair_id
    assert conference.items
    assert all(item.case_id and item.status == ItemStatus.approved for item in conference.items)
    assert len(conference.invitations) >= 2
    answers = {invitation.rsvp for invitation in conference.invitations}
    assert Rsvp.accepted in answers
    assert Rsvp.pending in answers
    assert all(i.deputy_id is not None for i in conference.invitations if i.rsvp == Rsvp.delegated)
    assert conference.agenda_approved_at is not None
    assert briefing.is_open(conference)
    chair = db.session.scalar(sa.select(Person).where(Person.email == "kim.coordinator@hanbit.go.kr"))
    assert chair is not None
    assert conference.chair_id == chair.id

    attendance = services.check_in(conference, person=chair, agency_id=conference.host_agency_id)
    services.accept_pledge(attendance, version=access.CURRENT_PLEDGE_VERSION)
    services.start_conference(conference, actor=chair)
    services.open_item(conference.items[0], actor=chair)

    assert conference.status == ConferenceStatus.live


def test_demo_planning_and_briefing_pages_show_the_prepared_meeting(
    client: Any, login_as: Any, db: Any
) -> None:
    load_demo()
    db.session.commit()
    conference = db.session.scalar(sa.select(Conference).where(Conference.rule_id.is_not(None)))
    assert conference is not None
    chair = db.session.get(Person, conference.chair_id)
    assert chair is not None
    login_as(chair, agency_id=conference.host_agency_id)

    plan = client.get(f"/conferences/{conference.id}/plan").get_data(as_text=True)
    packets = client.get(f"/conferences/{conference.id}/briefing").get_data(as_text=True)

    assert "대리 참석" in plan
    assert "응답 전" in plan
    assert 'id="approve-agenda"' in plan
    assert all(item.title in packets for item in conference.items)
    assert 'id="briefing-pdf"' in packets


def test_demo_agenda_carries_realistic_consents_broad_narrow_and_withdrawn(db: Any) -> None:
    from consents.models import Consent

    load_demo()
    db.session.commit()
    conference = db.session.scalar(sa.select(Conference).where(Conference.rule_id.is_not(None)))
    assert conference is not None
    items = sorted(conference.items, key=lambda item: item.position)
    flags = [
        access.conference_sharing_consented(db.session.get(Case, item.case_id), conference) for item in items
    ]
    # Most items may be shown to the room; the withdrawn one is flagged, so not every item is alike.
    assert flags.count(True) >= 2
    assert False in flags
    consents = db.session.scalars(sa.select(Consent)).all()
    assert len(consents) >= len(items)
    widths = {len(grant.field_groups) for consent in consents for grant in consent.grants}
    assert len(widths) > 1  # some narrow, some broad
    assert any(consent.revocations for consent in consents)


def test_demo_district_has_its_series_panel_and_two_years_of_supervision_advice(db: Any) -> None:
    from conference.models import (
        Adviser,
        AdviserAttendance,
        ConferenceKind,
        ConferenceRule,
        SupervisionAdvice,
    )
    from hamkke.time import today_local

    load_demo()
    db.session.commit()

    kinds = [
        rule.kind
        for rule in db.session.scalars(sa.select(ConferenceRule).where(ConferenceRule.rrule.is_not(None)))
    ]
    assert kinds.count(ConferenceKind.supervision) == 1
    assert kinds.count(ConferenceKind.advisory) == 1
    assert kinds.count(ConferenceKind.high_risk_review) == 1
    assert kinds.count(ConferenceKind.dong_judgment) >= 12  # one per dong of the demo's 12
    advisers = db.session.scalars(sa.select(Adviser)).all()
    assert {adviser.expertise for adviser in advisers} >= {
        "아동",
        "법률",
        "정신건강",
        "성폭력",
        "노인사례관리",
    }
    advice = db.session.scalars(sa.select(SupervisionAdvice)).all()
    sessions = {row.conference_id for row in advice}
    # Quarterly sessions per 권역 over two years: at least eight quarters' worth.
    assert len(sessions) >= 8
    oldest = min(db.session.get(Conference, conference_id).starts_at for conference_id in sessions)
    assert (today_local() - oldest.date()).days > 365
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AdviserAttendance)) > 0
    # The generated meetings ahead are scheduled, in the future, and carry their series.
    ahead = db.session.scalars(
        sa.select(Conference).where(Conference.kind == ConferenceKind.high_risk_review)
    ).all()
    assert ahead
    assert all(c.status == ConferenceStatus.scheduled and c.rule_id for c in ahead)
