"""The objects the logged-disclosure tests open, built on the live server's database with the services.

One referral network (a dong centre that owns the client, a welfare centre that receives referrals, the
district team's coordinator) gets a recorded consent with collection, referral and conference grants and
a scanned form; each test builds what it opens on top of it (referrals, letters, requests, conferences)
and commits before it sends a request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask

from tests.edge.live import committed
from tests.fixtures.consents import consent_input, grant

#: the smallest file every scan check accepts as a PDF
PDF = b"%PDF-1.4\n% edge test scan\n%%EOF\n"


@dataclass(frozen=True)
class World:
    """IDs of the network's agencies, staff and the one case and client, for requests from outside."""

    district_id: int
    dong_centre_id: int
    welfare_centre_id: int
    district_team_id: int
    service_id: int
    sender_id: int
    receiver_id: int
    coordinator_id: int
    case_id: int
    client_id: int
    consent_id: int


def build_world(app: Flask) -> World:
    """Create the network and the client's consent (with a scan) on the live database; commit."""
    from consents import services as consent_services
    from tests.fixtures.referrals import build_network

    with committed(app) as session:
        network = build_network(session)
        network.client.sex = "여"
        consent = consent_services.record_consent(
            network.client,
            consent_input(
                grant("case_management", "collector", ("basic", "household", "needs")),
                grant(recipient_agency_id=network.welfare_centre.id, field_groups=("basic",)),
                grant("conference_sharing", "network", ("basic", "needs")),
                case_id=network.case.id,
                attachment=consent_services.Attachment("서명본.pdf", "application/pdf", PDF),
            ),
            actor=network.sender,
            agency=network.dong_centre,
        )
        session.flush()
        return World(
            district_id=network.district.id,
            dong_centre_id=network.dong_centre.id,
            welfare_centre_id=network.welfare_centre.id,
            district_team_id=network.district_team.id,
            service_id=network.service.id,
            sender_id=network.sender.id,
            receiver_id=network.receiver.id,
            coordinator_id=network.coordinator.id,
            case_id=network.case.id,
            client_id=network.client.id,
            consent_id=consent.id,
        )


def send_referral(app: Flask, world: World, *, letter: bool = False) -> int:
    """Send a referral of the case to the welfare centre (basic group); optionally render its letter."""
    from agencies.models import Agency, Person, Service
    from cases.models import Case
    from referrals import services
    from referrals.models import LetterKind

    with committed(app) as session:
        referral = services.create_referral(
            session.get(Case, world.case_id),
            actor=session.get(Person, world.sender_id),
            receiving_agency=session.get(Agency, world.welfare_centre_id),
            service=session.get(Service, world.service_id),
            content=services.ReferralContent(
                reason="독거 생활로 식사를 거르는 일이 잦음",
                requested_services="밑반찬 지원",
                main_problem="영양 부족",
                service_history="긴급지원 생계비",
                notes="오전 방문 선호",
                field_groups=("basic",),
            ),
            eligibility_override_reason="시험: 담당자가 이용요건을 확인함",
        )
        services.send_referral(referral, actor=session.get(Person, world.sender_id))
        referral_id = int(referral.id)
    if letter:
        # The letter task, run in-process as the worker would after the commit.
        from referrals.tasks import render_letter

        with app.app_context():
            render_letter(referral_id, LetterKind.request.value)
    return referral_id


def letter_of(app: Flask, referral_id: int) -> int:
    """The ID of the referral's rendered request letter."""
    from referrals import letters

    with committed(app):
        rendered = letters.rendered_letters(referral_id)
        assert rendered, "the letter task rendered no letter"
        return int(rendered[0].id)


def add_person(app: Flask, agency_id: int, role: str) -> int:
    """Add a member of an agency with one role; return the person's ID."""
    from agencies.models import Membership, MembershipRole, MembershipStatus, Person, StaffRole
    from hamkke.time import now_utc

    with committed(app) as session:
        person = Person(name="추가직원", email=f"{uuid.uuid4().hex[:10]}@edge.example")
        membership = Membership(person=person, agency_id=agency_id, status=MembershipStatus.active)
        membership.roles.append(MembershipRole(role=StaffRole(role), granted_at=now_utc()))
        session.add_all([person, membership])
        session.flush()
        return int(person.id)


@dataclass(frozen=True)
class Meeting:
    """A conference of the network's district about the case, hosted by the district team."""

    conference_id: int
    item_id: int


def schedule_meeting(app: Flask, world: World) -> Meeting:
    """Schedule a conference in an hour (briefing open), invite both agencies, approve a case item."""
    from agencies.models import Person
    from conference import services
    from conference.models import ConferenceKind
    from hamkke.time import now_utc

    with committed(app) as session:
        chair = session.get(Person, world.coordinator_id)
        conference = services.create_conference(
            actor=chair,
            district_id=world.district_id,
            kind=ConferenceKind.regional,
            title="솔내 권역 통합사례회의",
            starts_at=now_utc() + timedelta(hours=1),
            host_agency_id=world.district_team_id,
            place="구청 회의실",
            chair_id=world.coordinator_id,
            briefing_days=3,
        )
        services.invite(conference, actor=chair, agency_id=world.dong_centre_id)
        services.invite(conference, actor=chair, agency_id=world.welfare_centre_id)
        item = services.propose_item(
            conference, actor=chair, title="사례 검토", agency_id=world.dong_centre_id, case_id=world.case_id
        )
        services.approve_agenda(conference, actor=chair)
        return Meeting(int(conference.id), int(item.id))


def check_in(app: Flask, meeting: Meeting, person_id: int, agency_id: int, *, pledge: bool = True) -> None:
    """Check a person in to the meeting (and accept the current pledge)."""
    from agencies.models import Person
    from conference import services
    from conference.access import CURRENT_PLEDGE_VERSION
    from conference.models import Conference

    with committed(app) as session:
        conference = session.get(Conference, meeting.conference_id)
        attendance = services.check_in(conference, person=session.get(Person, person_id), agency_id=agency_id)
        if pledge:
            services.accept_pledge(attendance, version=CURRENT_PLEDGE_VERSION)


def add_action(app: Flask, world: World, meeting: Meeting) -> int:
    """Turn a plan line of the item into an action item owned by the dong centre; return its ID."""
    from agencies.models import Person
    from conference import services
    from conference.models import AgendaItem
    from hamkke.time import today_local

    with committed(app) as session:
        item = session.get(AgendaItem, meeting.item_id)
        services.soap_section(item, "P").text = "주 1회 안부 확인"
        session.flush()
        action = services.create_action_from_plan_line(
            item,
            actor=session.get(Person, world.coordinator_id),
            line="주 1회 안부 확인",
            owner_agency_id=world.dong_centre_id,
            due_on=today_local() + timedelta(days=7),
        )
        return int(action.id)


def open_item(app: Flask, world: World, meeting: Meeting) -> None:
    """Start the meeting and open its case item, as the chair would in the room."""
    from agencies.models import Person
    from conference import services
    from conference.models import AgendaItem, Conference

    with committed(app) as session:
        chair = session.get(Person, world.coordinator_id)
        services.start_conference(session.get(Conference, meeting.conference_id), actor=chair)
        services.open_item(session.get(AgendaItem, meeting.item_id), actor=chair)


def item_version(app: Flask, meeting: Meeting) -> int:
    """The agenda item's current version (events name the version they act on)."""
    from conference.models import AgendaItem

    with committed(app) as session:
        return int(session.get(AgendaItem, meeting.item_id).version)


def start_meeting(app: Flask, world: World, meeting: Meeting) -> None:
    """Start the meeting without opening an item, as the chair would."""
    from agencies.models import Person
    from conference import services
    from conference.models import Conference

    with committed(app) as session:
        services.start_conference(
            session.get(Conference, meeting.conference_id), actor=session.get(Person, world.coordinator_id)
        )
