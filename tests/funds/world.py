"""The fund tests' district, built on the live server's database with the product's services.

Two dongs (솔내동, 다온동) with their centres, the district team, the staff of each 결재 step, and as
many cases (one household each) as a test asks for; everything committed before any request.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import Flask

from tests.edge.live import committed, csrf_token, signed_in


@dataclass(frozen=True)
class FundWorld:
    """IDs of the district, its dongs, centres and staff, and the cases of dong 솔내동."""

    district_id: int
    dong_id: int
    other_dong_id: int
    centre_id: int
    other_centre_id: int
    team_id: int
    worker_id: int
    lead_id: int
    other_lead_id: int
    coordinator_id: int
    case_ids: tuple[int, ...]
    goal_id: int


def _network(session: Any, tag: str) -> dict[str, Any]:
    """Add the district, its two dongs and centres, the team and the staff of each 결재 step."""
    from agencies.models import (
        Agency,
        AgencySector,
        AgencyStatus,
        AgencyType,
        District,
        Dong,
        Membership,
        MembershipRole,
        MembershipStatus,
        Person,
        Region,
        StaffRole,
    )
    from hamkke.time import now_utc

    district = District(code=f"fund-{tag}", name="한빛구", settings={})
    region = Region(district=district, code=f"fund-{tag}-r", name="1권역")
    dong = Dong(district=district, region=region, code=f"fund-{tag}-d1", name="솔내동", position=1)
    other_dong = Dong(district=district, region=region, code=f"fund-{tag}-d2", name="다온동", position=2)
    session.add_all([district, region, dong, other_dong])

    def agency(code: str, name: str, kind: AgencyType, **extra: Any) -> Agency:
        created = Agency(
            district=district,
            code=f"fund-{tag}-{code}",
            name=name,
            type=kind,
            sector=AgencySector.public,
            status=AgencyStatus.active,
            **extra,
        )
        session.add(created)
        return created

    def person(at: Agency, name: str, role: StaffRole) -> Person:
        created = Person(name=name, email=f"{tag}.{uuid.uuid4().hex[:6]}@fund.example")
        membership = Membership(person=created, agency=at, status=MembershipStatus.active)
        membership.roles.append(MembershipRole(role=role, granted_at=now_utc()))
        session.add_all([created, membership])
        return created

    centre = agency("c1", "솔내동 주민센터", AgencyType.dong_centre, dong=dong)
    other_centre = agency("c2", "다온동 주민센터", AgencyType.dong_centre, dong=other_dong)
    team = agency("team", "한빛구청 희망복지지원단", AgencyType.district_team)
    made = {
        "district": district,
        "dong": dong,
        "other_dong": other_dong,
        "centre": centre,
        "other_centre": other_centre,
        "team": team,
        "worker": person(centre, "이복지", StaffRole.case_worker),
        "lead": person(centre, "김팀장", StaffRole.supervisor),
        "other_lead": person(other_centre, "박팀장", StaffRole.supervisor),
        "coordinator": person(team, "최조정", StaffRole.coordinator),
    }
    session.flush()
    return made


def build_fund_world(app: Flask, *, cases: int = 4) -> FundWorld:
    """Create the district, its people and ``cases`` cases of 솔내동 (the first with a plan goal); commit."""
    from cases import services
    from cases.models import GoalTerm, NeedDomain, PlanGoal, ServicePlan
    from hamkke.time import today_local

    with committed(app) as session:
        made = _network(session, uuid.uuid4().hex[:8])
        worker = made["worker"]
        opened = today_local() - timedelta(days=10)
        case_list = [
            services.open_case(
                made["centre"],
                services.ClientInput(name=f"가구{index}", sex="여", birth_date=date(1960, 1, 1 + index)),
                actor=worker,
                opened_on=opened,
                case_worker_id=worker.id,
            )
            for index in range(cases)
        ]
        goal = PlanGoal(
            domain=NeedDomain.economy,
            term=GoalTerm.short,
            statement="병원 진료 재개",
            target_on=today_local() + timedelta(days=60),
        )
        plan = ServicePlan(
            case_id=case_list[0].id,
            horizon_months=6,
            client_role="매주 상담 참여",
            created_by_id=worker.id,
            goals=[goal],
        )
        session.add(plan)
        session.flush()
        return FundWorld(
            district_id=made["district"].id,
            dong_id=made["dong"].id,
            other_dong_id=made["other_dong"].id,
            centre_id=made["centre"].id,
            other_centre_id=made["other_centre"].id,
            team_id=made["team"].id,
            worker_id=worker.id,
            lead_id=made["lead"].id,
            other_lead_id=made["other_lead"].id,
            coordinator_id=made["coordinator"].id,
            case_ids=tuple(case.id for case in case_list),
            goal_id=goal.id,
        )


class Browser:
    """A signed-in person's HTTP session on the live server: GET pages, POST forms with their token."""

    def __init__(self, app: Flask, base_url: str, person_id: int, agency_id: int) -> None:
        self.base_url = base_url
        self.http: requests.Session = signed_in(app, person_id, agency_id)

    def get(self, path: str) -> requests.Response:
        """Load a page."""
        return self.http.get(f"{self.base_url}{path}", timeout=60)

    def post(self, page: str, target: str, data: dict[str, Any], files: Any = None) -> requests.Response:
        """Load ``page`` (for its CSRF token) and post ``data`` to ``target``, not following redirects."""
        token = csrf_token(self.get(page))
        return self.http.post(
            f"{self.base_url}{target}",
            data={"csrf_token": token, **data},
            files=files,
            allow_redirects=False,
            timeout=60,
        )


def request_data(
    purpose: str, items: list[tuple[str, int]], *, payee: str = "card", goal: int | None = None
) -> dict[str, Any]:
    """The request form's fields: purpose, payee, goal and the item lines (amounts typed with commas)."""
    data: dict[str, Any] = {"purpose": purpose, "payee_kind": payee, "plan_goal": str(goal or "")}
    for index, (text, amount) in enumerate(items):
        data[f"items-{index}-description"] = text
        data[f"items-{index}-amount"] = f"{amount:,}"
    return data


def location_id(response: requests.Response) -> int:
    """The request ID a successful post redirected to."""
    assert response.status_code == 303, response.text[:800]
    found = re.search(r"/funds/requests/(\d+)", response.headers["Location"])
    assert found is not None, response.headers["Location"]
    return int(found.group(1))


def scalar(engine: sa.Engine, query: str, **params: Any) -> Any:
    """One value read through the second connection (committed rows only)."""
    with engine.connect() as connection:
        return connection.execute(sa.text(query), params).scalar_one()
