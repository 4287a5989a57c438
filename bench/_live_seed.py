"""Set up the live benchmark's meetings through the conference services (run in a child process).

``python -m bench._live_seed <conferences> <participants> <out.json>`` creates, in a district of its
own, one live conference per meeting with ``participants`` signed-in staff of invited agencies who have
checked in and accepted the current pledge, and an open agenda item about a case whose client consented
to conference sharing. It writes the conference ids, the item ids and versions, and one signed session
cookie per participant to ``out.json``.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench._seed_cases import consented_case

#: staff of one agency at a meeting (40 participants come from 8 agencies)
PEOPLE_PER_AGENCY = 5


def seed(conferences: int, participants: int) -> dict[str, Any]:
    """Create the meetings and return what the socket clients need (ids, versions, cookies)."""
    from flask import session

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
    from conference import services
    from conference.access import CURRENT_PLEDGE_VERSION
    from conference.models import ConferenceKind
    from consents import services as consent_services
    from hamkke.app import create_app
    from hamkke.db import db
    from hamkke.time import now_utc

    app = create_app()
    tag = uuid.uuid4().hex[:8]
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    meetings: list[dict[str, Any]] = []
    with app.app_context():
        district = District(code=f"bench-live-{tag}", name="벤치구", settings={})
        db.session.add(district)
        db.session.flush()
        agencies_per_meeting = max(2, math.ceil(participants / PEOPLE_PER_AGENCY))
        for number in range(conferences):
            agencies: list[Agency] = []
            seats: list[tuple[Person, Agency]] = []
            for agency_number in range(agencies_per_meeting):
                agency = Agency(
                    district_id=district.id,
                    code=f"bench-live-{tag}-{number}-{agency_number}",
                    name=f"벤치기관 {number}-{agency_number}",
                    type=AgencyType.community_welfare_centre,
                    sector=AgencySector.private,
                    status=AgencyStatus.active,
                )
                db.session.add(agency)
                agencies.append(agency)
            db.session.flush()
            for seat in range(participants):
                agency = agencies[seat % agencies_per_meeting]
                person = Person(name=f"참석자{number}-{seat}", email=f"{tag}.m{number}.p{seat}@bench.example")
                membership = Membership(person=person, agency=agency, status=MembershipStatus.active)
                role = StaffRole.coordinator if seat == 0 else StaffRole.case_worker
                membership.roles.append(MembershipRole(role=role, granted_at=now_utc()))
                db.session.add_all([person, membership])
                seats.append((person, agency))
            db.session.flush()
            host = agencies[0]
            chair = seats[0][0]
            case = consented_case(
                owner=host,
                worker=chair,
                name="김벤치",
                birth_date=date(1950, 3, 1),
                opened_days_ago=30,
                grant=consent_services.GrantInput(
                    purpose="conference_sharing",
                    recipient_kind="network",
                    field_groups=("basic", "needs"),
                    notice_purpose="통합사례회의에서 지원 방안을 함께 정하기 위해",
                    notice_retention="사례 종결 시까지",
                    notice_refusal="거부할 수 있으며, 거부하면 회의에서 사례를 함께 볼 수 없습니다.",
                ),
            )
            conference = services.create_conference(
                actor=chair,
                district_id=district.id,
                kind=ConferenceKind.regional,
                title=f"벤치 통합사례회의 {number}",
                starts_at=now_utc() + timedelta(minutes=30),
                host_agency_id=host.id,
                place="구청 회의실",
                chair_id=chair.id,
            )
            for agency in agencies[1:]:
                services.invite(conference, actor=chair, agency_id=agency.id)
            item = services.propose_item(
                conference, actor=chair, title="벤치 사례", agency_id=host.id, case_id=case.id
            )
            services.start_conference(conference, actor=chair)
            for person, agency in seats:
                attendance = services.check_in(conference, person=person, agency_id=agency.id)
                services.accept_pledge(attendance, version=CURRENT_PLEDGE_VERSION)
            services.open_item(item, actor=chair)
            cookies = []
            for person, agency in seats:
                with app.test_request_context("/"):
                    start_session(person, method="bench", acting_agency_id=agency.id)
                    cookies.append(serializer.dumps({SESSION_TOKEN_KEY: session[SESSION_TOKEN_KEY]}))
            db.session.commit()
            meetings.append(
                {
                    "id": conference.id,
                    "item_id": item.id,
                    "item_version": item.version,
                    "agency_ids": [agency.id for agency in agencies],
                    "participants": [
                        {"person_id": person.id, "agency_id": agency.id, "cookie": cookie}
                        for (person, agency), cookie in zip(seats, cookies, strict=True)
                    ],
                }
            )
        return {"cookie_name": app.config["SESSION_COOKIE_NAME"], "conferences": meetings}


if __name__ == "__main__":
    result = seed(int(sys.argv[1]), int(sys.argv[2]))
    Path(sys.argv[3]).write_text(json.dumps(result))
