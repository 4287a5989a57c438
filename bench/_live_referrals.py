"""Child-process parts of the worker benchmark: send referrals through the services, and the PDF baseline.

``python -m bench._live_referrals send <count> <out.json>`` creates a district of its own (a dong centre
that refers, ten welfare centres with one case worker each), ``count`` clients who consented to a referral
of their basic information, and sends one referral per client through ``referrals.services`` with a
commit per referral: each commit queues the 의뢰서 letter task and the receiver's e-mail in the outbox,
exactly as a user's send does. ``… baseline <in.json> <out.json>`` renders the same letters with
``referrals.letters.build_letter`` alone in one process and reports the time and the PDFs' hashes.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from bench._seed_cases import consented_case

RECEIVING_AGENCIES = 10


def send(count: int) -> dict[str, Any]:
    """Create the network and send ``count`` referrals, committing each; return their ids and recipients."""
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
        Service,
        StaffRole,
    )
    from consents import services as consent_services
    from hamkke.app import create_app
    from hamkke.db import db
    from hamkke.time import now_utc
    from referrals import services

    app = create_app()
    tag = uuid.uuid4().hex[:8]
    with app.app_context():
        district = District(code=f"bench-worker-{tag}", name="벤치구", settings={})
        db.session.add(district)

        def agency(code: str, name: str, kind: AgencyType, **extra: Any) -> Agency:
            public = kind in {AgencyType.dong_centre, AgencyType.district_team}
            created = Agency(
                district=district,
                code=f"bench-worker-{tag}-{code}",
                name=name,
                type=kind,
                sector=AgencySector.public if public else AgencySector.private,
                status=AgencyStatus.active,
                **extra,
            )
            db.session.add(created)
            return created

        def staff(at: Agency, name: str, email: str) -> Person:
            person = Person(name=name, email=f"{tag}.{email}")
            membership = Membership(person=person, agency=at, status=MembershipStatus.active)
            membership.roles.append(MembershipRole(role=StaffRole.case_worker, granted_at=now_utc()))
            db.session.add_all([person, membership])
            return person

        dong_centre = agency("dong", "벤치동 행정복지센터", AgencyType.dong_centre)
        sender = staff(dong_centre, "이의뢰", "sender@bench.example")
        receivers: list[tuple[Agency, Service, Person]] = []
        for number in range(RECEIVING_AGENCIES):
            centre = agency(
                f"welfare-{number}",
                f"벤치종합사회복지관 {number}",
                AgencyType.community_welfare_centre,
                address=f"벤치구 벤치로 {number + 1}",
                phone="02-000-0000",
                email=f"office{number}@bench.example",
            )
            service = Service(agency=centre, name="밑반찬 지원", category="돌봄", eligibility="독거 어르신")
            db.session.add(service)
            receivers.append((centre, service, staff(centre, f"박사례{number}", f"cm{number}@bench.example")))
        db.session.flush()
        db.session.commit()
        referral_ids: list[int] = []
        for number in range(count):
            centre, service, _person = receivers[number % RECEIVING_AGENCIES]
            case = consented_case(
                owner=dong_centre,
                worker=sender,
                name=f"김의뢰{number}",
                birth_date=date(1948, 5, 1),
                opened_days_ago=14,
                grant=consent_services.GrantInput(
                    purpose="referral",
                    recipient_kind="agency",
                    recipient_agency_id=centre.id,
                    field_groups=("basic",),
                    notice_purpose="밑반찬 지원 서비스 연계",
                    notice_retention="서비스 종료 시까지",
                    notice_refusal="거부할 수 있으며, 거부하면 연계가 늦어질 수 있습니다.",
                ),
                phone="010-0000-0000",
                address=f"벤치구 솔내로 {number + 1}",
            )
            referral = services.create_referral(
                case,
                actor=sender,
                receiving_agency=centre,
                service=service,
                content=services.ReferralContent(
                    reason="독거 생활로 식사를 거르는 일이 잦음",
                    requested_services="밑반찬 지원",
                    main_problem="영양 부족",
                    service_history="긴급지원 생계비",
                    notes="오전 방문 선호",
                    field_groups=("basic",),
                ),
            )
            services.send_referral(referral, actor=sender)
            db.session.commit()  # the letter task and the e-mail are queued after this commit
            referral_ids.append(referral.id)
        return {
            "referral_ids": referral_ids,
            "recipients": sorted(person.email for _agency, _service, person in receivers),
        }


def baseline(referral_ids: list[int]) -> dict[str, Any]:
    """Render each referral's 의뢰서 with the letter function alone; return the seconds and PDF hashes."""
    from cases.models import Client
    from hamkke.app import create_app
    from hamkke.db import db
    from referrals.letters import build_letter, disclosed_groups
    from referrals.models import LetterKind, Referral

    app = create_app()
    with app.app_context():
        jobs = []
        for referral_id in referral_ids:
            referral = db.session.get(Referral, referral_id)
            assert referral is not None
            client = db.session.get(Client, referral.client_id)
            assert client is not None
            jobs.append((referral, disclosed_groups(referral, client), client))
        started = time.perf_counter()
        hashes = [
            hashlib.sha256(build_letter(referral, LetterKind.request, groups, client)).hexdigest()
            for referral, groups, client in jobs
        ]
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "sha256": dict(zip(map(str, referral_ids), hashes, strict=True))}


if __name__ == "__main__":
    if sys.argv[1] == "send":
        Path(sys.argv[3]).write_text(json.dumps(send(int(sys.argv[2]))))
    else:
        ids = json.loads(Path(sys.argv[2]).read_text())["referral_ids"]
        Path(sys.argv[3]).write_text(json.dumps(baseline(ids)))
