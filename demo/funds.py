"""Two years of the demo district's 사례관리사업비: budgets per dong, requests through every 결재 step.

Every dong gets seed 004's budget for last year and this year (운영비 2,000천원, 사업비 4,000천원,
국50/시25/구25) and 3–8 requests a quarter for the households of its centre, ₩30,000–₩500,000 each.
Requests are written through the services, so the per-household cap and the dong's remaining
사업비 hold: one that would break either is left out, as the page would refuse it. Past quarters are
decided and spent (a few returned); the current quarter keeps requests at every step. Decision
instants are then moved back to the request's days (the services stamp "now").
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from agencies.models import (
    Agency,
    AgencyType,
    District,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    StaffRole,
)
from cases.models import Case
from funds import services
from funds.models import FundPurpose, FundRequest, PayeeKind
from hamkke.db import db
from hamkke.errors import DomainError
from hamkke.time import now_utc, today_local

#: (purpose, what is bought or paid, lowest, highest amount in won)
ITEMS: tuple[tuple[FundPurpose, str, int, int], ...] = (
    (FundPurpose.medical, "병원 진료비 본인부담금", 50_000, 300_000),
    (FundPurpose.medical, "틀니 제작비 일부", 150_000, 400_000),
    (FundPurpose.medical, "안경 구입", 30_000, 120_000),
    (FundPurpose.living, "겨울 난방유 구입", 100_000, 300_000),
    (FundPurpose.living, "생필품·식료품 구입", 30_000, 150_000),
    (FundPurpose.living, "밀린 공과금 일부", 50_000, 200_000),
    (FundPurpose.education, "자격증 교재·응시료", 40_000, 180_000),
    (FundPurpose.education, "아동 학습지", 30_000, 90_000),
    (FundPurpose.housing, "도배·장판 교체", 200_000, 450_000),
    (FundPurpose.housing, "방충망·문 수리", 50_000, 200_000),
    (FundPurpose.other, "이사 차량 비용", 100_000, 250_000),
)
RETURN_REASONS = ("견적서 보완 필요", "다른 공적 지원으로 해결됨", "지원 대상 품목이 아님")


def _round(amount: int) -> int:
    """Amounts as a dong writes them: to the thousand won."""
    return amount // 1000 * 1000


def _team_lead(centre: Agency) -> Person:
    """Return the centre's team lead (supervisor), adding one if the demo has none there."""
    found = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(
            Membership.agency_id == centre.id,
            Membership.status == MembershipStatus.active,
            MembershipRole.role == StaffRole.supervisor,
        )
        .order_by(Person.id)
    ).first()
    if found is not None:
        return found
    lead = Person(name=f"{centre.name.split()[0]} 맞춤형복지팀장", email=f"lead.{centre.code}@demo.hamkke.kr")
    membership = Membership(
        person=lead, agency=centre, status=MembershipStatus.active, title="맞춤형복지팀장"
    )
    membership.roles.append(
        MembershipRole(role=StaffRole.supervisor, granted_at=now_utc() - timedelta(days=800))
    )
    db.session.add_all([lead, membership])
    db.session.flush()
    return lead


def _worker(centre: Agency) -> Person | None:
    return db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .where(
            Membership.agency_id == centre.id,
            Membership.status == MembershipStatus.active,
            MembershipRole.role == StaffRole.case_worker,
        )
        .order_by(Person.id)
    ).first()


def _at(day: date) -> datetime:
    """Ten in the morning of a local day, in UTC."""
    return datetime.combine(day, time(1, 0), UTC)


def _quarters(today: date) -> list[tuple[int, int]]:
    """Every quarter of last year and of this year up to the current one."""
    current = (today.month - 1) // 3 + 1
    return [(today.year - 1, q) for q in range(1, 5)] + [(today.year, q) for q in range(1, current + 1)]


def _day_in(rng: random.Random, year: int, quarter: int, today: date) -> date:
    first = date(year, 3 * quarter - 2, 1)
    last = min(
        date(year, 12, 31) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1), today
    )
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def load_demo_funds(seed: int = 20261208) -> int:
    """Add the demo district's budgets and two years of fund requests; return how many requests."""
    rng = random.Random(seed)
    district = db.session.scalars(sa.select(District).where(District.code == "hanbit")).first()
    coordinator = db.session.scalars(
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .join(MembershipRole, MembershipRole.membership_id == Membership.id)
        .join(Agency, Agency.id == Membership.agency_id)
        .where(Agency.type == AgencyType.district_team, MembershipRole.role == StaffRole.coordinator)
        .order_by(Person.id)
    ).first()
    if district is None or coordinator is None:
        return 0
    team = db.session.scalars(
        sa.select(Agency).where(Agency.district_id == district.id, Agency.type == AgencyType.district_team)
    ).first()
    today = today_local()
    for year in (today.year - 1, today.year):
        services.save_budget(
            district,
            actor=coordinator,
            agency_id=team.id if team else None,
            dong_id=None,
            fiscal_year=year,
            operating_amount=0,
            project_amount=0,
            national_share=50,
            city_share=25,
            district_share=25,
        )
        for dong in district.dongs:
            services.save_budget(
                district,
                actor=coordinator,
                agency_id=team.id if team else None,
                dong_id=dong.id,
                fiscal_year=year,
                operating_amount=2_000_000,
                project_amount=4_000_000,
                national_share=50,
                city_share=25,
                district_share=25,
            )
    centres = db.session.scalars(
        sa.select(Agency)
        .where(Agency.district_id == district.id, Agency.type == AgencyType.dong_centre)
        .order_by(Agency.id)
    ).all()
    made = 0
    for centre in centres:
        made += _centre_requests(rng, centre, coordinator, today)
    return made


def _centre_requests(rng: random.Random, centre: Agency, coordinator: Person, today: date) -> int:
    """Add one centre's requests, quarter by quarter; return how many were made."""
    worker = _worker(centre)
    cases = db.session.scalars(
        sa.select(Case)
        .where(Case.owning_agency_id == centre.id, Case.is_deleted.is_(False))
        .order_by(Case.id)
    ).all()
    if worker is None or not cases:
        return 0
    lead = _team_lead(centre)
    made = 0
    quarters = _quarters(today)
    for year, quarter in quarters:
        current = (year, quarter) == quarters[-1]
        for _ in range(rng.randint(3, 8)):
            day = _day_in(rng, year, quarter, today)
            eligible = [case for case in cases if case.opened_on <= day]
            if not eligible:
                continue
            purpose, text, low, high = rng.choice(ITEMS)
            amount = _round(rng.randint(low, high))
            try:
                request = services.request_fund(
                    rng.choice(eligible),
                    actor=worker,
                    agency=centre,
                    purpose=purpose,
                    payee_kind=PayeeKind.medical_provider
                    if purpose is FundPurpose.medical
                    else PayeeKind.card,
                    items=[(text, amount)],
                    plan_goal_id=None,
                    evidence=None,
                    today=day,
                )
            except DomainError:
                continue  # over the cap or the dong's 사업비: the page would refuse it too
            _walk(
                rng, request, worker=worker, lead=lead, coordinator=coordinator, today=today, current=current
            )
            made += 1
    return made


def _walk(
    rng: random.Random,
    request: FundRequest,
    *,
    worker: Person,
    lead: Person,
    coordinator: Person,
    today: date,
    current: bool,
) -> None:
    """Take a request as far as its quarter allows: past ones end spent (or returned), current ones vary."""
    roll = rng.random()
    stop = 4 if not current else rng.choice((0, 1, 2, 3, 4, 4))
    if roll < 0.08 and stop > 0:
        step: services.Step = "dong" if roll < 0.04 else "district"
        if step == "district":
            services.decide(
                request, actor=lead, agency_id=request.agency_id, step="dong", approve=True, reason=None
            )
        services.decide(
            request,
            actor=lead if step == "dong" else coordinator,
            agency_id=None,
            step=step,
            approve=False,
            reason=rng.choice(RETURN_REASONS),
        )
    else:
        if stop >= 1:
            services.decide(
                request, actor=lead, agency_id=request.agency_id, step="dong", approve=True, reason=None
            )
        if stop >= 2:
            services.decide(
                request, actor=coordinator, agency_id=None, step="district", approve=True, reason=None
            )
        if stop >= 4:
            spent_on = min(request.requested_on + timedelta(days=rng.randint(3, 20)), today)
            if spent_on.year != request.fiscal_year:
                spent_on = date(request.fiscal_year, 12, 31)
            paid = request.total if rng.random() < 0.8 else _round(request.total * rng.randint(85, 99) // 100)
            services.record_spend(
                request, actor=worker, agency_id=request.agency_id, spent_on=spent_on, amount=paid
            )
    # The services stamped "now"; the demo's history happened on the request's days.
    if request.dong_decided_at is not None:
        request.dong_decided_at = _at(request.requested_on + timedelta(days=1))
    if request.district_decided_at is not None:
        request.district_decided_at = _at(request.requested_on + timedelta(days=2))
    request.created_at = _at(request.requested_on)
