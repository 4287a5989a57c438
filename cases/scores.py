"""Scores of seed 000, computed from the criteria chosen, never typed in.

* 자활역량평가표 (활용서식1): 개인적 상황 55 + 환경적 상황 25 + 담당자 의견 20 = 100; the
  supervisor adjusts by −5…+5 (the manual does not say whether before grouping; we add it before,
  and keep the result within 0–100); groups A 80–100, B 60–79, C 0–59.
* 사례관리 평가서 (활용서식9): the average 달성도 over the filled rows; ≥ 8 suggests a closure review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from hamkke.errors import ValidationFailed

#: item → (Korean label, max, {criterion code: (label, points)})
CAPACITY_ITEMS: dict[str, tuple[str, int, dict[str, tuple[str, int]]]] = {
    "age": (
        "연령",
        10,
        {
            "le34": ("34세 이하", 10),
            "35_44": ("35~44세", 8),
            "45_55": ("45~55세", 6),
            "ge56": ("56세 이상", 2),
        },
    ),
    "work_will": ("근로의지", 10, {"high": ("상", 10), "medium": ("중", 5), "low": ("하", 0)}),
    "education": (
        "학력",
        5,
        {
            "level4": ("제4직능 수준(~대학, 대학원)", 5),
            "level3": ("제3직능 수준(~고등, 기술)", 4),
            "level2": ("제2직능 수준(~중등)", 3),
            "level1": ("제1직능 수준(~초등)", 2),
        },
    ),
    "work_capacity": (
        "근로능력",
        5,
        {
            "8h": ("8시간 이상 근로가능 및 비장애", 5),
            "4h": ("4시간 이상 근로가능", 3),
            "lt4h": ("4시간 미만 근로가능", 0),
        },
    ),
    "illness": (
        "질병정도(정서심리)",
        10,
        {
            "none": ("질병 없음", 10),
            "short": ("단기치료(3월 이내) 필요", 8),
            "long": ("장기치료(6월 이내) 필요", 6),
            "chronic": ("만성질환(6월 이상)", 0),
        },
    ),
    "career_gap": (
        "경력단절기간",
        10,
        {
            "le1": ("1년 이하", 10),
            "2_3": ("2~3년", 8),
            "4_5": ("4~5년", 6),
            "ge6": ("6년 이상", 4),
            "never": ("경력 없음", 0),
        },
    ),
    "licences": (
        "자격증 보유",
        5,
        {
            "two": ("2개 이상", 5),
            "one": ("1개 이상", 4),
            "skill": ("자격증은 없으나 기술은 있음", 3),
            "none": ("없음", 0),
        },
    ),
    "public_assistance": (
        "공적부조(현금급여)",
        10,
        {
            "0_43": ("최대수령액의 0~43%", 10),
            "44_50": ("44~50%", 8),
            "51_70": ("51~70%", 6),
            "ge71": ("71% 이상", 4),
        },
    ),
    "family": (
        "가족사항",
        10,
        {
            "none": ("장애요소 없음", 10),
            "linkable": ("서비스 연계시 즉시 해소", 8),
            "partial1": ("부분 돌봄대상 1명 이상", 6),
            "partial2": ("부분 돌봄대상 2명 이상", 4),
            "direct": ("직접 돌봄대상 1명 이상", 0),
        },
    ),
    "credit": (
        "신용정도",
        5,
        {"ok": ("관련 없음", 5), "recovery": ("개인회생 및 신용회복 필요", 3), "bankruptcy": ("파산필요", 0)},
    ),
}
PERSONAL_ITEMS = ("age", "work_will", "education", "work_capacity", "illness", "career_gap", "licences")
ENVIRONMENT_ITEMS = ("public_assistance", "family", "credit")
WORKER_POINTS = (0, 2, 4, 6, 8, 10)

#: 자립역량 평가 — 참여자 자가 평가 체크리스트 (활용서식1): section → (title, statements), all that apply.
#: The manual gives no rule from the ticks to the score; they inform the worker's choice of 근로의지,
#: 근로능력 and 질병정도 on the scorecard, so they are kept beside it and never scored.
SELF_CHECK: dict[str, tuple[str, tuple[str, ...]]] = {
    "will": (
        "근로의지",
        (
            "나는 노는 것 보다 일하는 것이 낫다.",
            "나는 직업을 구하기 위해서 다른 사람에게 도움을 요청한다.",
            "나는 마음에 들지 않는 일이라도 일단 취업하는 것이 좋다.",
            "나는 일자리를 구하기 위해 전력을 다하고 있다.",
            "나는 취업관련 행사나 채용 박람회에 참석한 적이 있다.",
            "나는 가정에 조금이라도 경제적 보탬이 된다면 취업 하겠다.",
            "나는 대부분의 사람이 기피하는 일이라도 일단 취직 하겠다.",
            "나는 제시된 임금이 마음에 들지 않더라도 우선 취업 하겠다.",
            "나는 일자리(직장) 교통편이 불편하더라도 우선 취업 하겠다.",
            "나는 만성질환(당뇨, 고혈압 등)이 있어도 일 할 수 있다.",
        ),
    ),
    "capacity": (
        "근로능력",
        (
            "나는 원하는 일을 8시간 이상 근로 가능하다.",
            "나는 원하는 일을 4시간 이상 근로 가능하다.",
            "나는 원하는 일을 4시간 미만 근로 가능하다.",
        ),
    ),
    "health": (
        "건강상태",
        (
            "나는 질병(질환)이 없다.",
            "나의 질병(질환)은 3개월 이내 단기 치료가 필요하다.",
            "나의 질병(질환)은 6개월 이내 장기 치료가 필요하다.",
            "나의 질병(질환)은 만성질환으로 6개월 이상 치료가 필요하다.",
        ),
    ),
}
#: every tick's code, e.g. "will_3", in the checklist's order
SELF_CHECK_CODES: tuple[str, ...] = tuple(
    f"{section}_{number}"
    for section, (_, statements) in SELF_CHECK.items()
    for number in range(1, len(statements) + 1)
)
CLOSURE_REVIEW_THRESHOLD = 8.0


@dataclass(frozen=True)
class CapacityScore:
    """The scorecard's result."""

    personal: int
    environment: int
    worker: int
    subtotal: int
    supervisor_adjustment: int
    total: int
    group: str


def group_of(total: int) -> str:
    """Return the A/B/C group of a total (A 80–100, B 60–79, C 0–59)."""
    return "A" if total >= 80 else "B" if total >= 60 else "C"


def capacity_score(
    answers: Mapping[str, str], *, worker_will: int, worker_employability: int, supervisor_adjustment: int = 0
) -> CapacityScore:
    """Compute the 자활역량평가표 from the chosen criteria; refuse incomplete or out-of-range input."""
    points: dict[str, int] = {}
    for item, (label, _maximum, criteria) in CAPACITY_ITEMS.items():
        choice = answers.get(item)
        if choice not in criteria:
            raise ValidationFailed(f"'{label}' 항목의 평가 기준을 골라 주세요.", field=item)
        points[item] = criteria[choice][1]
    for name, value in (("worker_will", worker_will), ("worker_employability", worker_employability)):
        if value not in WORKER_POINTS:
            raise ValidationFailed("담당자 의견은 0, 2, 4, 6, 8, 10점 중에서 고릅니다.", field=name)
    if not -5 <= supervisor_adjustment <= 5:
        raise ValidationFailed(
            "슈퍼바이저 평가점수는 -5점부터 +5점까지입니다.", field="supervisor_adjustment"
        )
    personal = sum(points[item] for item in PERSONAL_ITEMS)
    environment = sum(points[item] for item in ENVIRONMENT_ITEMS)
    worker = worker_will + worker_employability
    subtotal = personal + environment + worker
    total = max(0, min(100, subtotal + supervisor_adjustment))
    return CapacityScore(
        personal, environment, worker, subtotal, supervisor_adjustment, total, group_of(total)
    )


@dataclass(frozen=True)
class EvaluationRow:
    """One row of 활용서식9: a goal, the three efforts and the achievement, each /10."""

    section: str
    goal: str
    participant: int
    worker: int
    external: int
    achievement: int


@dataclass(frozen=True)
class EvaluationResult:
    """Averages of the evaluation and whether they suggest a closure review."""

    average_achievement: float
    average_participant: float
    average_worker: float
    average_external: float
    suggests_closure_review: bool


def evaluation_result(rows: Sequence[EvaluationRow]) -> EvaluationResult:
    """Average the filled rows of 활용서식9 (each score 0–10); ≥ 8 achievement suggests closure review."""
    if not rows:
        raise ValidationFailed("평가할 목표를 하나 이상 적어 주세요.", field="rows")
    for row in rows:
        for value in (row.participant, row.worker, row.external, row.achievement):
            if not 0 <= value <= 10:
                raise ValidationFailed("점수는 0점부터 10점까지입니다.", field="rows")

    def mean(values: list[int]) -> float:
        return round(sum(values) / len(values), 2)

    achievement = mean([row.achievement for row in rows])
    return EvaluationResult(
        average_achievement=achievement,
        average_participant=mean([row.participant for row in rows]),
        average_worker=mean([row.worker for row in rows]),
        average_external=mean([row.external for row in rows]),
        suggests_closure_review=achievement >= CLOSURE_REVIEW_THRESHOLD,
    )
