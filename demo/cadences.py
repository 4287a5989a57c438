"""The demo district's rhythm: its meeting series, its 자문단 and two years of supervision records.

Seed 004 names weak supervision as the district's main shortfall and plans quarterly supervision and
a quarterly 자문단 of six fields (아동, 법률, 아동·가정폭력, 노인사례관리, 정신건강, 성폭력). The
series are made through the services (so their meetings are generated ahead like any series); the
past sessions already written by ``demo.history`` get their advisers' attendance and advice per case.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from agencies.models import Agency, AgencyType, District, Person, StaffRole
from cases.models import Case
from conference.cadence import Cadence, build_rrule
from conference.models import (
    Adviser,
    AdviserAttendance,
    AgendaItem,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    ItemOutcome,
    ItemStatus,
    SupervisionAdvice,
)
from conference.services import cadences
from demo.history import HISTORY_MONTHS, _first_member
from hamkke.db import db
from hamkke.time import to_local, today_local

#: the panel: (name, field, affiliation, contact, e-mail of a demo sign-in or None, still serving)
PANEL = (
    ("정다은", "아동", "한빛아동보호전문기관", "02-2000-1101", None, True),
    ("이준호", "법률", "법률홈닥터 (한빛구청 배치)", "02-2000-1102", None, True),
    ("박서윤", "아동·가정폭력", "한빛경찰서 여성청소년계", "02-2000-1103", None, True),
    (
        "한지혜",
        "노인사례관리",
        "한빛대학교 사회복지학과",
        "02-2000-1104",
        "han.advisor@hanbit-univ.ac.kr",
        True,
    ),
    ("최민석", "정신건강", "한빛정신건강의학과의원", "02-2000-1105", None, True),
    ("윤가영", "성폭력", "한빛청소년성폭력상담소", "02-2000-1106", None, True),
    # The 2015 panel had more members; seed 004's district cut it back. One of them left a year ago.
    ("강민규", "주거", "한빛주거복지센터", "02-2000-1107", None, False),
)
ADVICE = (
    (
        "양가감정을 먼저 인정하고 동기강화 상담으로 서비스 거부의 이유를 함께 찾으세요.",
        "2주 안에 재방문 상담",
    ),
    (
        "주 양육자의 소진이 큽니다. 돌봄 공백을 메울 단기 보호 서비스를 먼저 연계하세요.",
        "아동보호전문기관과 공동 방문",
    ),
    ("채무 문제는 법률홈닥터 상담으로 개인회생 가능성을 확인한 뒤 계획을 다시 세우세요.", "법률 상담 연계"),
    ("음주 문제가 위기의 중심입니다. 정신건강복지센터 사례회의에 함께 올리세요.", "정신건강복지센터 의뢰"),
    ("고립이 심한 어르신입니다. 안부 확인 주기를 주 1회로 늘리고 이웃 자원을 찾으세요.", "주 1회 안부 확인"),
    ("목표가 너무 많습니다. 대상자가 고른 한두 가지로 줄여 성공 경험을 만드세요.", "계획 재수립 후 재검토"),
)


def load_demo_cadences(seed: int = 2027) -> dict[str, int]:
    """Add the demo district's series, its 자문단 and the advice of its past supervision (flushes only)."""
    district = db.session.scalar(sa.select(District).where(District.code == "hanbit"))
    if district is None:
        return {}
    team = db.session.scalar(
        sa.select(Agency).where(Agency.district_id == district.id, Agency.type == AgencyType.district_team)
    )
    coordinator = _coordinator(team)
    if team is None or coordinator is None:
        return {}
    rng = random.Random(seed)
    panel = _add_panel(district, coordinator)
    series = _add_series(district, team, coordinator)
    sessions = _add_past_advice(rng, district, panel, coordinator)
    return {"series": series, "advisers": len(panel), "supervision_sessions": sessions}


def _coordinator(team: Agency | None) -> Person | None:
    """The district team's first coordinator: the demo series' author."""
    return _first_member(team.id, StaffRole.coordinator) if team is not None else None


def _add_panel(district: District, coordinator: Person) -> list[Adviser]:
    """Put seed 004's six fields (and one member whose term ended) on the district's roster."""
    today = today_local()
    started = date(today.year - 2, 2, 1)  # seed 004: 선정기간 2월중
    panel: list[Adviser] = []
    for name, field, affiliation, contact, email, serving in PANEL:
        person = db.session.scalar(sa.select(Person).where(Person.email == email)) if email else None
        adviser = Adviser(
            district_id=district.id,
            name=name,
            expertise=field,
            affiliation=affiliation,
            contact=contact,
            term_starts_on=started,
            term_ends_on=None if serving else today - timedelta(days=365),
            person_id=person.id if person else None,
        )
        db.session.add(adviser)
        panel.append(adviser)
    db.session.flush()
    return panel


def _add_series(district: District, team: Agency, coordinator: Person) -> int:
    """Create quarterly supervision and 자문단, the twice-monthly review and each dong's weekly meeting."""
    start = date(today_local().year, 1, 1)
    made = 0
    for kind, title, rule, minute in (
        (
            ConferenceKind.supervision,
            "분기 사례 슈퍼비전",
            build_rrule(Cadence.quarterly, weekday=2, weeks=[3]),
            840,
        ),
        (
            ConferenceKind.advisory,
            "분기 자문단 회의",
            build_rrule(Cadence.quarterly, weekday=3, weeks=[4]),
            840,
        ),
        (
            ConferenceKind.high_risk_review,
            "고위험 사례 점검회의",
            build_rrule(Cadence.twice_monthly, weekday=3, weeks=[2, 4]),
            600,
        ),
    ):
        data = cadences.SeriesInput(
            kind=kind,
            title=title,
            rrule=rule,
            starts_on=start,
            ends_on=None,
            start_minute=minute,
            place="한빛구청 별관 3층 회의실",
        )
        cadences.create_series(actor=coordinator, district_id=district.id, host=team, data=data)
        made += 1
    centres = db.session.scalars(
        sa.select(Agency)
        .where(
            Agency.district_id == district.id,
            Agency.type == AgencyType.dong_centre,
            Agency.dong_id.is_not(None),
        )
        .order_by(Agency.id)
    ).all()
    for centre in centres:
        data = cadences.SeriesInput(
            kind=ConferenceKind.dong_judgment,
            title=f"{centre.name} 내부판정회의",
            rrule=build_rrule(Cadence.weekly, weekday=1),
            starts_on=start,
            ends_on=None,
            start_minute=10 * 60,
            place=f"{centre.name} 상담실",
            dong_id=centre.dong_id,
            weeks_ahead=4,
        )
        cadences.create_series(actor=coordinator, district_id=district.id, host=centre, data=data)
        made += 1
    return made


def _add_past_advice(
    rng: random.Random, district: District, panel: list[Adviser], coordinator: Person
) -> int:
    """Give each held supervision session of the last two years attendance and advice on two cases."""
    since = today_local() - timedelta(days=31 * HISTORY_MONTHS)
    sessions = db.session.scalars(
        sa.select(Conference)
        .where(
            Conference.district_id == district.id,
            Conference.kind == ConferenceKind.supervision,
            Conference.status == ConferenceStatus.closed,
        )
        .order_by(Conference.starts_at)
    ).all()
    cases = db.session.execute(
        sa.select(Case.id, Case.opened_on, Case.owning_agency_id)
        .join(Agency, Agency.id == Case.owning_agency_id)
        .where(Agency.district_id == district.id, Case.is_deleted.is_(False))
        .order_by(Case.id)
    ).all()
    held = 0
    for session in sessions:
        day = to_local(session.starts_at).date()
        candidates = [row for row in cases if row.opened_on <= day - timedelta(days=30)]
        if day < since or not candidates:
            continue
        serving = [adviser for adviser in panel if adviser.serves_on(day)]
        present = rng.sample(serving, min(len(serving), rng.randint(2, 4)))
        for adviser in serving:
            db.session.add(
                AdviserAttendance(
                    conference_id=session.id,
                    adviser_id=adviser.id,
                    present=adviser in present,
                    recorded_by_id=coordinator.id,
                    recorded_at=session.starts_at + timedelta(hours=2),
                )
            )
        _advise(rng, session, rng.sample(candidates, min(2, len(candidates))), present, coordinator)
        held += 1
    db.session.flush()
    return held


def _advise(
    rng: random.Random,
    session: Conference,
    picked: list[sa.Row[tuple[int, date, int]]],
    present: list[Adviser],
    coordinator: Person,
) -> None:
    """Add one closed case item per picked case and the advice given on it by one adviser present."""
    if not present:
        return
    position = len(session.items)
    for offset, row in enumerate(picked):
        item = AgendaItem(
            case_id=row.id,
            title="사례 슈퍼비전: 개입 방향 점검",
            status=ItemStatus.closed,
            outcome=ItemOutcome.agreed,
            position=position + offset,
            proposed_by_agency_id=row.owning_agency_id,
            opened_at=session.starts_at,
            closed_at=session.starts_at + timedelta(minutes=30 * (offset + 1)),
        )
        session.items.append(item)
        db.session.flush()
        advice, follow_up = rng.choice(ADVICE)
        db.session.add(
            SupervisionAdvice(
                conference_id=session.id,
                item_id=item.id,
                case_id=row.id,
                adviser_id=rng.choice(present).id,
                advice=advice,
                follow_up=follow_up,
                recorded_by_id=coordinator.id,
                created_at=_at(session, offset),
                updated_at=_at(session, offset),
            )
        )


def _at(session: Conference, offset: int) -> datetime:
    """When the advice was written down: during the session, item by item."""
    return session.starts_at + timedelta(minutes=30 * (offset + 1))
