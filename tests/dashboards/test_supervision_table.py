"""슈퍼비전·자문단 운영 by quarter on the district dashboard, against hand-counted meetings.

The fixed district holds a 사례 슈퍼비전 on 2025-03-26 (closed) and schedules one for 2025-12-17 (not
held). Here one adviser attends the March session, which records advice on two cases (one of them
twice), and a 자문단 meeting on 2025-05-20 has two advisers present and one absent. So for 2025:
1분기 1회 / 0회 / 2건 / 1명 / 열림; 2분기 0회 / 1회 / 0건 / 2명 / 없음; 3·4분기 nothing (the December
session was never held).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from conference.models import (
    Adviser,
    AdviserAttendance,
    AgendaItem,
    Conference,
    ConferenceKind,
    ConferenceStatus,
    SupervisionAdvice,
)
from dashboards import queries
from tests.dashboards.conftest import World


def _adviser(db: Any, world: World, name: str) -> Adviser:
    adviser = Adviser(
        district_id=world.district.id,
        name=name,
        expertise="정신건강",
        affiliation="한빛대학교",
        term_starts_on=date(2024, 1, 1),
    )
    db.session.add(adviser)
    db.session.flush()
    return adviser


def _attend(db: Any, world: World, conference: Conference, adviser: Adviser, *, present: bool) -> None:
    db.session.add(
        AdviserAttendance(
            conference_id=conference.id,
            adviser_id=adviser.id,
            present=present,
            recorded_by_id=world.coordinator.id,
            recorded_at=conference.starts_at,
        )
    )


@pytest.mark.embedded
def test_supervision_and_panel_meetings_are_counted_per_quarter(db: Any, world: World) -> None:
    march = db.session.scalars(
        sa.select(Conference).where(
            Conference.kind == ConferenceKind.supervision, Conference.status == ConferenceStatus.closed
        )
    ).one()
    kim, lee, park = (_adviser(db, world, name) for name in ("김자문", "이자문", "박자문"))
    _attend(db, world, march, kim, present=True)
    first, second = world.cases[1], world.cases[2]
    for case, text in ((first, "가족 상담 연계"), (first, "주거 우선"), (second, "병원 동행")):
        item = AgendaItem(conference_id=march.id, case_id=case.id, title="자문 안건")
        db.session.add(item)
        db.session.flush()
        db.session.add(
            SupervisionAdvice(
                conference_id=march.id,
                item_id=item.id,
                case_id=case.id,
                adviser_id=kim.id,
                advice=text,
                recorded_by_id=world.coordinator.id,
            )
        )
    panel = Conference(
        district_id=world.district.id,
        kind=ConferenceKind.advisory,
        title="자문단 회의",
        status=ConferenceStatus.closed,
        starts_at=datetime(2025, 5, 20, 5, tzinfo=UTC),
        host_agency_id=world.team.id,
    )
    db.session.add(panel)
    db.session.flush()
    for adviser, present in ((kim, True), (lee, True), (park, False)):
        _attend(db, world, panel, adviser, present=present)
    db.session.commit()

    table = queries.find_table(queries.district_dashboard(world.district.id, "2025"), "supervision")

    assert table is not None
    assert table.body == [
        ["2025년 1분기", "1회", "0회", "2건", "1명", "열림"],
        ["2025년 2분기", "0회", "1회", "0건", "2명", "없음"],
        ["2025년 3분기", "0회", "0회", "0건", "0명", "없음"],
        ["2025년 4분기", "0회", "0회", "0건", "0명", "없음"],
    ]
    second_quarter = queries.find_table(
        queries.district_dashboard(world.district.id, "2025-05"), "supervision"
    )
    assert second_quarter is not None
    assert [row[0] for row in second_quarter.body] == ["2025년 2분기"]
