"""The 위기도 level from its items, and the 과정기록지's order: pure rules, no database."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from cases.models import CounsellingType, CrisisItem, RiskLevel
from cases.queries.process_record import ProcessEntry, merge
from cases.services.counselling import crisis_level


@pytest.mark.parametrize(
    ("scores", "life_safety", "expected"),
    [
        ([0] * 10, False, (0, RiskLevel.low)),
        ([1] * 9 + [0], False, (9, RiskLevel.low)),
        ([1] * 10, False, (10, RiskLevel.medium)),
        ([2] * 9 + [1], False, (19, RiskLevel.medium)),
        ([2] * 10, False, (20, RiskLevel.high)),
        ([3] * 10, False, (30, RiskLevel.high)),
        ([4] + [0] * 9, False, (4, RiskLevel.critical)),
        ([0] * 10, True, (0, RiskLevel.critical)),
    ],
)
def test_crisis_level_follows_the_total_and_any_urgent_item(
    scores: list[int], life_safety: bool, expected: tuple[int, RiskLevel]
) -> None:
    assert crisis_level(dict(zip(CrisisItem, scores, strict=True)), life_safety=life_safety) == expected


def test_the_form_has_the_26_types_of_the_seed_in_five_groups() -> None:
    assert len(CounsellingType) == 26
    groups = [t.label.split(">")[0].lstrip("<") for t in CounsellingType]
    assert {g: groups.count(g) for g in dict.fromkeys(groups)} == {
        "근로동기강화": 5,
        "근로역량강화": 3,
        "취업지원": 5,
        "창업지원": 6,
        "복지서비스": 7,
    }
    assert CounsellingType.startup_expert_advice.label == "<창업지원>전문기관·전문가자문"


def test_merge_orders_by_day_then_kind_then_time() -> None:
    def at(hour: int) -> datetime:
        return datetime(2026, 3, 2, hour, tzinfo=UTC)

    entries = merge(
        [ProcessEntry(date(2026, 3, 2), "counselling", "오후 상담", recorded_at=at(9))],
        [ProcessEntry(date(2026, 3, 2), "counselling", "오전 상담", recorded_at=at(1))],
        [ProcessEntry(date(2026, 3, 2), "stage", "단계 변경", recorded_at=at(12))],
        [ProcessEntry(date(2026, 3, 1), "closure", "전날 종결심사")],
        [ProcessEntry(date(2026, 3, 2), "referral", "의뢰", recorded_at=None)],
    )
    assert [e.content for e in entries] == ["전날 종결심사", "단계 변경", "의뢰", "오전 상담", "오후 상담"]
