"""Two years of history for the demo district, so its dashboards show trends, rates and comparisons.

The live demo (cases at every stage, the next 권역 conference) covers only the last weeks. This adds
past cases with their outcomes, the monthly 권역 conferences with attendance and action items,
the quarterly 사례 슈퍼비전 sessions, expanded and urgent conferences, and answered referrals.
Rows are written directly: they are finished history, not work to walk through the services.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from agencies.models import (
    Agency,
    AgencyType,
    District,
    Dong,
    Membership,
    MembershipRole,
    MembershipStatus,
    Person,
    Region,
    StaffRole,
    agency_regions,
)
from cases.models import Case, CaseIntensity, CaseStage, CaseType, Client, Household, IntakeRoute
from conference.models import (
    ActionItem,
    ActionStatus,
    AgendaItem,
    Attendance,
    Conference,
    ConferenceInvitation,
    ConferenceKind,
    ConferenceStatus,
    InvitationRole,
    ItemStatus,
)
from demo.cases import FAMILY, HOUSEHOLD_TYPES
from hamkke.db import db
from hamkke.time import SEOUL, today_local
from referrals.models import Referral, ReferralStatus, RejectionReason

#: months of history before this month
HISTORY_MONTHS = 24
GIVEN = "서준하지민도윤서연예린시우주원하은"


def _month_start(today: date, back: int) -> date:
    index = today.year * 12 + today.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def _second_wednesday(first: date) -> date:
    return first + timedelta(days=(2 - first.weekday()) % 7 + 7)


def _first_member(agency_id: int, role: StaffRole | None = None) -> Person | None:
    statement = (
        sa.select(Person)
        .join(Membership, Membership.person_id == Person.id)
        .where(Membership.agency_id == agency_id, Membership.status == MembershipStatus.active)
        .order_by(Membership.id)
    )
    if role is not None:
        statement = statement.join(MembershipRole, MembershipRole.membership_id == Membership.id).where(
            MembershipRole.role == role
        )
    return db.session.scalars(statement.limit(1)).first()


def load_demo_history(seed: int = 2026) -> dict[str, int]:
    """Add past cases, conferences, action items and referrals to the demo district 한빛구 (flushes only)."""
    district = db.session.scalar(sa.select(District).where(District.code == "hanbit"))
    if district is None:
        return {}
    rng = random.Random(seed)
    team = db.session.scalar(
        sa.select(Agency).where(Agency.district_id == district.id, Agency.type == AgencyType.district_team)
    )
    if team is None:
        return {}
    types = [kind[0] for kind in HOUSEHOLD_TYPES]
    coordinator = _first_member(team.id, StaffRole.coordinator)
    advisor = db.session.scalar(sa.select(Person).where(Person.email == "han.advisor@hanbit-univ.ac.kr"))
    dongs = db.session.scalars(sa.select(Dong).where(Dong.district_id == district.id).order_by(Dong.id)).all()
    centres = {
        agency.dong_id: agency
        for agency in db.session.scalars(
            sa.select(Agency).where(Agency.district_id == district.id, Agency.type == AgencyType.dong_centre)
        )
    }
    partners = db.session.scalars(
        sa.select(Agency)
        .where(
            Agency.district_id == district.id,
            Agency.type.not_in([AgencyType.dong_centre, AgencyType.district_team]),
        )
        .order_by(Agency.id)
    ).all()
    members = {agency.id: _first_member(agency.id) for agency in [*centres.values(), *partners, team]}
    made = {"cases": 0, "conferences": 0, "referrals": 0}
    made["cases"], made["referrals"] = _add_past_cases(
        rng, district, dongs, centres, partners, members, types
    )
    made["conferences"] = _add_past_conferences(rng, district, team, partners, members, coordinator, advisor)
    return made


def _add_past_cases(
    rng: random.Random,
    district: District,
    dongs: Sequence[Dong],
    centres: dict[int | None, Agency],
    partners: Sequence[Agency],
    members: dict[int, Person | None],
    types: list[str],
) -> tuple[int, int]:
    """Add cases with their outcomes, and a referral for each managed one; return both counts."""
    today = today_local()
    made = {"cases": 0, "referrals": 0}
    # Rows are linked through relationships and flushed once: the history is a few hundred rows.
    referred: list[tuple[Case, Agency, Person, Agency, date]] = []
    for back in range(1, HISTORY_MONTHS + 1):
        start = _month_start(today, back)
        # Busier in winter (긴급지원 season) and in the first dongs of each 권역, quieter in summer.
        busy = 1.4 if start.month in {12, 1, 2} else 0.7 if start.month in {7, 8} else 1.0
        for index, dong in enumerate(dongs):
            centre = centres.get(dong.id)
            worker = members.get(centre.id) if centre else None
            if centre is None or worker is None:
                continue
            weights = [0.45 / busy, 0.4, 0.15 * busy + 0.05 * (index % 4 == 0)]
            for _ in range(rng.choices([0, 1, 2], weights=weights)[0]):
                opened = start + timedelta(days=rng.randint(0, 25))
                case = _past_case(rng, centre, dong, worker, opened, today, rng.choice(types))
                made["cases"] += 1
                if case.selected_on is not None and partners:
                    # The demo's own welfare centre (the first partner) gets the most, as a 1권역 hub would.
                    receiver = rng.choices(partners, weights=[6] + [1] * (len(partners) - 1))[0]
                    if members.get(receiver.id) is not None:
                        referred.append((case, centre, worker, receiver, opened))
                        if rng.random() < 0.35:
                            # The 권역 conference made the receiving agency the lead (주 사례관리기관).
                            case.lead_agency_id = receiver.id
    db.session.flush()
    for case, centre, worker, receiver, opened in referred:
        _past_referral(rng, case, district, centre, worker, receiver, opened)
        made["referrals"] += 1
    return made["cases"], made["referrals"]


def _add_past_conferences(
    rng: random.Random,
    district: District,
    team: Agency,
    partners: Sequence[Agency],
    members: dict[int, Person | None],
    coordinator: Person | None,
    advisor: Person | None,
) -> int:
    """Add the monthly 권역 conferences, with attendance and action items; return how many."""
    today = today_local()
    regions = db.session.scalars(sa.select(Region).where(Region.district_id == district.id)).all()
    served = {
        region.id: list(
            db.session.scalars(
                sa.select(Agency.id)
                .join(agency_regions, agency_regions.c.agency_id == Agency.id)
                .where(agency_regions.c.region_id == region.id, Agency.id != team.id)
                .order_by(Agency.id)
            )
        )
        for region in regions
    }
    meetings = _Meetings(rng, district, team, members, coordinator)
    for back in range(1, HISTORY_MONTHS + 1):
        first = _month_start(today, back)
        day = _second_wednesday(first)
        for region in regions:
            meetings.add(region, ConferenceKind.regional, day, served[region.id], None)
            if first.month in {3, 6, 9, 12}:
                # Quarterly 사례 슈퍼비전 (seed 004) per 권역, two weeks after its meeting, with the 자문위원.
                meetings.add(
                    region,
                    ConferenceKind.supervision,
                    day + timedelta(days=14),
                    served[region.id][:5],
                    advisor,
                )
        if back % 4 == 0:
            meetings.add(
                None, ConferenceKind.expanded, day + timedelta(days=7), [a.id for a in partners[:4]], advisor
            )
        if back % 6 == 3:
            meetings.add(
                None, ConferenceKind.urgent, day + timedelta(days=2), [a.id for a in partners[:3]], None
            )
    return meetings.finish()


def _past_case(
    rng: random.Random, centre: Agency, dong: Dong, worker: Person, opened: date, today: date, kind: str
) -> Case:
    """A past case with the outcome the district counts: managed (open or closed), linked, not selected."""
    household = Household(owning_agency_id=centre.id, dong_id=dong.id, household_type=kind)
    client = Client(
        household=household,
        owning_agency_id=centre.id,
        name=rng.choice(FAMILY) + "".join(rng.sample(GIVEN, 2)),
        is_main_client=True,
    )
    db.session.add_all([household, client])
    roll = rng.random()
    age = (today - opened).days
    stage, selected_on, closed_on, plan_on = CaseStage.closed, None, None, None
    if roll < 0.55:
        selected_on = opened + timedelta(days=rng.randint(7, 20))
        plan_on = selected_on + timedelta(days=rng.randint(5, 30))
        if age > 200 and rng.random() < 0.75:
            closed_on = plan_on + timedelta(days=rng.randint(120, 180))
        else:
            stage = CaseStage.delivery
    elif roll < 0.80:
        closed_on = opened + timedelta(days=rng.randint(7, 20))  # 서비스연계 only
    else:
        stage = CaseStage.not_selected
        selected_on = closed_on = opened + timedelta(days=rng.randint(7, 20))
    case = Case(
        household=household,
        main_client=client,
        owning_agency_id=centre.id,
        case_worker_id=worker.id,
        dong_id=dong.id,
        stage=stage,
        case_type=rng.choice(list(CaseType)),
        intensity=rng.choice([CaseIntensity.simple, CaseIntensity.simple, CaseIntensity.intensive]),
        opened_on=opened,
        intake_route=rng.choice(list(IntakeRoute)),
        counselling_started_on=opened + timedelta(days=1),
        assessed_on=opened + timedelta(days=rng.randint(4, 14)),
        selected_on=selected_on,
        plan_agreed_on=plan_on,
        closed_on=closed_on,
    )
    db.session.add(case)
    return case


def _past_referral(
    rng: random.Random,
    case: Case,
    district: District,
    sender_agency: Agency,
    sender: Person,
    receiver: Agency,
    opened: date,
) -> None:
    sent = datetime.combine(opened + timedelta(days=5), time(10), SEOUL)
    hours = rng.choice([4, 8, 20, 26, 30, 50, 72, 100])
    rejected = rng.random() < 0.2
    db.session.add(
        Referral(
            case_id=case.id,
            client_id=case.main_client_id,
            district_id=district.id,
            sending_agency_id=sender_agency.id,
            sender_id=sender.id,
            receiving_agency_id=receiver.id,
            status=ReferralStatus.rejected if rejected else ReferralStatus.completed,
            reason="사례관리 대상 가구의 서비스 연계",
            requested_services="상담 및 서비스 제공",
            sent_at=sent,
            received_at=sent + timedelta(hours=1),
            responded_at=sent + timedelta(hours=hours),
            completed_at=None if rejected else sent + timedelta(days=40),
            rejection_reason=RejectionReason.capacity_full if rejected else None,
            response_due_on=(sent + timedelta(days=5)).date(),
        )
    )


class _Meetings:
    """Builds past conferences in memory and writes them with their action items in two flushes."""

    def __init__(
        self,
        rng: random.Random,
        district: District,
        team: Agency,
        members: dict[int, Person | None],
        chair: Person | None,
    ) -> None:
        self.rng, self.district, self.team, self.members, self.chair = rng, district, team, members, chair
        #: (conference, agenda item, owner agency id, due day) of the actions to add after the flush
        self.actions: list[tuple[Conference, AgendaItem, int, date]] = []
        self.count = 0

    def add(
        self, region: Region | None, kind: ConferenceKind, day: date, invited: list[int], guest: Person | None
    ) -> None:
        """Queue one held conference with its invitations, attendance and agenda item."""
        starts = datetime.combine(day, time(14), SEOUL)
        chair = self.chair
        conference = Conference(
            district_id=self.district.id,
            region_id=region.id if region else None,
            kind=kind,
            title=f"{region.name + ' ' if region else ''}{day.month}월 {kind.label}",
            status=ConferenceStatus.closed,
            starts_at=starts,
            place="한빛구청 별관 3층 회의실",
            host_agency_id=self.team.id,
            chair_id=chair.id if chair else None,
            started_at=starts,
            finalized_at=starts + timedelta(hours=2),
            locked_at=starts + timedelta(days=3),
            agenda_approved_at=starts - timedelta(days=3),
        )
        present: list[int] = []
        for agency_id in invited:
            conference.invitations.append(
                ConferenceInvitation(agency_id=agency_id, role=InvitationRole.member)
            )
            person = self.members.get(agency_id)
            if person is not None and self.rng.random() < 0.8:
                present.append(agency_id)
                conference.attendances.append(
                    Attendance(person_id=person.id, agency_id=agency_id, checked_in_at=starts)
                )
        if chair is not None:
            conference.attendances.append(
                Attendance(person_id=chair.id, agency_id=self.team.id, checked_in_at=starts)
            )
        if guest is not None:
            conference.attendances.append(
                Attendance(person_id=guest.id, agency_id=self.team.id, is_guest=True, checked_in_at=starts)
            )
        item = AgendaItem(title="사례 진행 점검과 역할 분담", status=ItemStatus.closed, position=0)
        conference.items.append(item)
        db.session.add(conference)
        self.count += 1
        for owner in self.rng.sample(present, min(2, len(present))):
            self.actions.append((conference, item, owner, day + timedelta(days=14)))

    def finish(self) -> int:
        """Write the conferences, then their action items (mostly done on time, some late or open)."""
        db.session.flush()
        today = today_local()
        for conference, item, owner, due in self.actions:
            roll = self.rng.random()
            action = ActionItem(
                conference_id=conference.id,
                item_id=item.id,
                text="서비스 연계 결과 다음 회의에 보고",
                owner_agency_id=owner,
                due_on=due,
                status=ActionStatus.done,
            )
            if roll < 0.1:
                action.status = ActionStatus.carried
            elif roll < 0.2 and due < today:
                action.status = ActionStatus.open
            else:
                finished = due + timedelta(days=self.rng.choice([-6, -3, -1, 0, 0, 2, 5]))
                if finished >= today:
                    # Not finished yet: a completion instant may not lie in the future.
                    action.status = ActionStatus.open
                else:
                    action.completed_at = action.updated_at = datetime.combine(finished, time(17), SEOUL)
            db.session.add(action)
        db.session.flush()
        return self.count
