"""Helper run in child processes by the scale-out test: seed a meeting, or emit from a non-web process.

``python -m tests.conference.scaleout_seed seed`` prints JSON with the conference id and the signed
session cookies of two attendees; ``… emit <conference_id>`` publishes one event through the queue.
"""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta

from flask import session


def seed() -> dict[str, object]:
    """Create a live conference with two checked-in, pledged attendees of two agencies; return cookies."""
    from agencies.models import (
        Agency,
        AgencySector,
        AgencyStatus,
        AgencyType,
        District,
        Membership,
        MembershipRole,
        MembershipStatus,
        Person,
        StaffRole,
    )
    from agencies.sessions import SESSION_TOKEN_KEY, start_session
    from cases.models import Case, Client, Household
    from conference import services
    from conference.access import CURRENT_PLEDGE_VERSION
    from conference.models import ConferenceKind
    from hamkke.app import create_app
    from hamkke.db import db
    from hamkke.time import now_utc

    app = create_app()
    with app.app_context():
        district = District(code="scale", name="시험구")
        db.session.add(district)
        db.session.flush()
        agencies = []
        people = []
        for number in (1, 2):
            agency = Agency(
                district_id=district.id,
                code=f"scale-{number}",
                name=f"기관{number}",
                type=AgencyType.community_welfare_centre,
                sector=AgencySector.private,
                status=AgencyStatus.active,
            )
            person = Person(name=f"직원{number}", email=f"scale{number}@example.org")
            membership = Membership(person=person, agency=agency, status=MembershipStatus.active)
            membership.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=now_utc()))
            db.session.add_all([agency, person, membership])
            db.session.flush()
            agencies.append(agency)
            people.append(person)
        household = Household(owning_agency_id=agencies[0].id)
        client = Client(household=household, owning_agency_id=agencies[0].id, name="김하나")
        db.session.add_all([household, client])
        db.session.flush()
        case = Case(
            household_id=household.id,
            main_client_id=client.id,
            owning_agency_id=agencies[0].id,
            opened_on=date(2026, 10, 1),
        )
        db.session.add(case)
        db.session.flush()
        conference = services.create_conference(
            actor=people[0],
            district_id=district.id,
            kind=ConferenceKind.regional,
            title="확장 시험 회의",
            starts_at=now_utc() + timedelta(hours=1),
            host_agency_id=agencies[0].id,
            place="회의실",
            chair_id=people[0].id,
        )
        services.invite(conference, actor=people[0], agency_id=agencies[1].id)
        services.propose_item(
            conference, actor=people[0], title="사례", agency_id=agencies[0].id, case_id=case.id
        )
        for person, agency in zip(people, agencies, strict=True):
            attendance = services.check_in(conference, person=person, agency_id=agency.id)
            services.accept_pledge(attendance, version=CURRENT_PLEDGE_VERSION)
        services.start_conference(conference, actor=people[0])
        cookies = []
        serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
        for person, agency in zip(people, agencies, strict=True):
            with app.test_request_context("/"):
                start_session(person, method="test", acting_agency_id=agency.id)
                cookies.append(serializer.dumps({SESSION_TOKEN_KEY: session[SESSION_TOKEN_KEY]}))
        db.session.commit()
        return {
            "conference_id": conference.id,
            "cookie_name": app.config["SESSION_COOKIE_NAME"],
            "cookies": cookies,
        }


def emit(conference_id: int) -> None:
    """Publish one event to the conference room from this (non-web) process, through the queue."""
    from hamkke.app import create_app
    from hamkke.realtime import emit_now

    app = create_app()
    with app.app_context():
        emit_now("notice", {"from": "worker"}, room=f"conference:{conference_id}", namespace="/conference")


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        print(json.dumps(seed()))
    else:
        emit(int(sys.argv[2]))
