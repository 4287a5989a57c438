"""사례관리 욕구조사지 (활용서식2 of seed 000): its questions, answer scales and what they add up to.

The manual asks 4 domains of questions, each answered on a 0–3 problem scale or 아니오/예 scored
0/3. It defines no total, cut-off or level, so the survey only sums each domain (a profile of where the
problems are, never a verdict) and raises a risk flag on the two questions about wanting to die; the
worker then rates the crisis (위기도) and acts.

One deviation from the printed form, on purpose: the question "가족 내 갈등 및 문제로 도움을 요청하거나
상담을 할 수 있는 … 있습니까?" is printed 아니오 0 / 예 3, which scores having help as a problem. The
same kind of question in the social domain is printed 아니오 3 / 예 0; we score both that way so that a
higher number always means a bigger problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from hamkke.errors import ValidationFailed
from hamkke.korean import with_particle

#: answer scales: code → ((score, Korean label), …) in the order the form prints them
SCALES: dict[str, tuple[tuple[int, str], ...]] = {
    "problem": (
        (0, "전혀 문제가 없다"),
        (1, "약간 문제를 느낀다"),
        (2, "상당히 문제를 느낀다"),
        (3, "심각한 수준이다"),
    ),
    "yes_is_problem": ((0, "아니오"), (3, "예")),
    "no_is_problem": ((3, "아니오"), (0, "예")),
    "exercise": ((0, "매일"), (1, "주 2~3회"), (2, "주 1회"), (3, "월 1~2회")),
    "meals": ((0, "일 3회"), (1, "일 2회"), (2, "일 1회")),
    "smoking": ((0, "비흡연"), (1, "일 1갑 미만"), (2, "일 1갑 이상~2갑 미만"), (3, "일 2갑 이상")),
    "drinking": ((0, "비음주"), (1, "월 1~2회"), (2, "주 1~2회"), (3, "주 3회 이상")),
}


@dataclass(frozen=True)
class SurveyItem:
    """One question: its domain, the row heading it sits under, the question and its scale."""

    code: str
    domain: str
    section: str
    question: str
    scale: str
    #: answered only when the household has children at 초·중·고
    children_only: bool = False
    #: the question asks for the illness's name beside the score
    asks_illness: bool = False
    #: a score at or above this raises the risk flag (thoughts of giving up or of dying)
    risk_from: int | None = None


#: domain code → Korean title, in the form's order
DOMAINS: dict[str, str] = {
    "health": "건강의 욕구",
    "family": "가족관계 및 돌봄의 욕구",
    "social": "사회적 관계의 욕구",
    "economy": "가정 경제의 욕구",
}

SURVEY_ITEMS: tuple[SurveyItem, ...] = (
    SurveyItem(
        "chronic_illness",
        "health",
        "신체적 건강",
        "지속적인 관리를 요하는 만성질환으로 일상생활의 불편함이 있습니까?",
        "problem",
        asks_illness=True,
    ),
    SurveyItem(
        "past_injury",
        "health",
        "신체적 건강",
        "과거 수술이나 상해(교통사고 등)로 인하여 일상생활의 불편함이 있습니까?",
        "problem",
        asks_illness=True,
    ),
    SurveyItem(
        "stress", "health", "정신적 건강", "정서적으로 불안하며 스트레스를 자주 느끼십니까?", "problem"
    ),
    SurveyItem(
        "insomnia",
        "health",
        "정신적 건강",
        "불안과 스트레스로 밤에 잠을 청하지 못하고 불면증에 시달리십니까?",
        "problem",
    ),
    SurveyItem(
        "habitual_drinking",
        "health",
        "정신적 건강",
        "집에 항상 술을 준비해 두어 습관적(주 3회 이상)으로 술을 마십니까?"
        " 혹은 술로 잠을 청하는 경우가 있습니까?",
        "problem",
    ),
    SurveyItem(
        "mental_disruption",
        "health",
        "정신적 건강",
        "정신질환, 과도한 음주, 인터넷사용, 게임이나 도박, 기타 정신적"
        " 문제로 다른 생활에 문제가 생기고 있습니까?",
        "problem",
    ),
    SurveyItem("exercise", "health", "생활습관", "운동", "exercise"),
    SurveyItem("meals", "health", "생활습관", "식사", "meals"),
    SurveyItem("smoking", "health", "생활습관", "흡연", "smoking"),
    SurveyItem("drinking", "health", "생활습관", "음주", "drinking"),
    SurveyItem(
        "family_harmony",
        "family",
        "가족관계",
        "가족구성원들은 대체로 원만한 관계를 유지하고 있습니까?",
        "problem",
    ),
    SurveyItem(
        "family_neglect",
        "family",
        "가족관계",
        "가족구성원들의 무관심으로 인해 외롭다고 느끼거나 심리적 고통을 경험하고 있습니까?",
        "problem",
    ),
    SurveyItem(
        "family_help",
        "family",
        "가족관계",
        "가족 내 갈등 및 문제로 도움을 요청하거나 상담을 할 수 있는 친척, 지인, 기관 등이 있습니까?",
        "no_is_problem",
    ),
    SurveyItem(
        "care_burden",
        "family",
        "가족돌봄",
        "가족 중 아동·노인·장애인에 대한 돌봄 부담으로 고달프고 여유가 없다고 느끼십니까?",
        "problem",
    ),
    SurveyItem(
        "care_despair",
        "family",
        "가족돌봄",
        "지난 1년간 아동·노인·장애인 등에 대한 돌봄 부담으로 인하여 가족원을"
        " 포기하거나 죽고 싶다는 생각을 하였습니까?",
        "problem",
        risk_from=1,
    ),
    SurveyItem(
        "child_study",
        "family",
        "자녀교육",
        "자녀의 학업 성적이 우수한 편이나 적극적으로 지원해주지 못해 걱정 및 심리적 부담이 되고 있습니까?",
        "problem",
        children_only=True,
    ),
    SurveyItem(
        "child_peers",
        "family",
        "자녀교육",
        "자녀가 또래친구 및 대인 관계의 어려움을 겪고 있습니까?",
        "problem",
        children_only=True,
    ),
    SurveyItem(
        "child_emotions",
        "family",
        "자녀교육",
        "자녀가 심리정서적인 불안(ADHD 등)으로 어려움을 겪고 있습니까?",
        "problem",
        children_only=True,
    ),
    SurveyItem(
        "child_education_service",
        "family",
        "자녀교육",
        "자녀 지원을 위한 교육서비스가 필요하십니까?",
        "yes_is_problem",
        children_only=True,
    ),
    SurveyItem(
        "child_medical_service",
        "family",
        "자녀교육",
        "자녀 지원을 위한 의료서비스가 필요하십니까?",
        "yes_is_problem",
        children_only=True,
    ),
    SurveyItem(
        "gatherings",
        "social",
        "친인척, 이웃 관계",
        "이웃, 친인척 등과의 친교모임에 참석하는데 어려움을 느끼거나 부담감을 갖고 있습니까?",
        "problem",
    ),
    SurveyItem(
        "neighbour_conflict",
        "social",
        "친인척, 이웃 관계",
        "이웃, 친인척 등 다른 사람들과의 갈등으로 인한 스트레스 때문에 어려움이 있습니까?",
        "problem",
    ),
    SurveyItem(
        "social_fear",
        "social",
        "소속된 집단 및 사회생활",
        "여러 사람 앞에 나서거나 모르는 사람과 친해지는 데에 두려움을 느끼고 있습니까?",
        "problem",
    ),
    SurveyItem(
        "work_conflict",
        "social",
        "소속된 집단 및 사회생활",
        "직장동료와의 갈등으로 인한 스트레스가 있습니까?",
        "problem",
    ),
    SurveyItem(
        "group_activity",
        "social",
        "소속된 집단 및 사회생활",
        "활동하고 있는 종교단체나 친교모임 등이 있습니까?",
        "no_is_problem",
    ),
    SurveyItem(
        "poor_housing",
        "economy",
        "생활환경",
        "현재 거주지의 생활환경이 열악하여 이사하고 싶은 욕구가 있습니까?",
        "problem",
    ),
    SurveyItem(
        "hygiene",
        "economy",
        "생활환경",
        "거주지의 위생상태가 본인이나 가족의 건강, 생활에 지장이 있을 정도로 영향을 미치고 있습니까?",
        "problem",
    ),
    SurveyItem(
        "hoarding",
        "economy",
        "생활환경",
        "혹시 지난 1년간 집 주변에 쓰레기 혹은 고물 등을 쌓아두어 이웃들로부터 항의를 받은 경험이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "rent_arrears",
        "economy",
        "의식주 관련 일상 생활",
        "지난 1년 동안 돈이 없어서 2달 이상 집세가 밀렸거나 집세를 낼 수 없어서 이사를 한 적이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "utilities_cut",
        "economy",
        "의식주 관련 일상 생활",
        "지난 1년 동안 돈이 없어서 전기세, 전화세, 수도세 중 하나 이상이 끊긴 적이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "no_heating",
        "economy",
        "의식주 관련 일상 생활",
        "지난 1년 동안 돈이 없어 추운 겨울에 난방을 하지 못한 적이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "asset_management",
        "economy",
        "자산관리",
        "자산을 관리하고 싶은 생각이 있으나 능력이 없어 자산관리의 어려움이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "debts",
        "economy",
        "자산관리",
        "우리 가정에 금융기관, 카드빚, 사채, 이웃에게 빌린 돈 등 갚아야 할 빚이 있습니까?",
        "yes_is_problem",
    ),
    SurveyItem(
        "economic_despair",
        "economy",
        "자산관리",
        "지난 1년간 경제적 어려움으로 인해 심각한 우울을 경험하거나 자살을 생각해 본 경험이 있습니까?",
        "yes_is_problem",
        risk_from=3,
    ),
)

ITEMS_BY_CODE: dict[str, SurveyItem] = {item.code: item for item in SURVEY_ITEMS}

#: the support grid: who might help (with how many the form lets one tick) and with what
SUPPORT_PEOPLE: dict[str, tuple[str, tuple[str, ...]]] = {
    "parents": ("부모님", ("없다", "1명", "2명")),
    "relatives": ("친척", ("없다", "1명", "2명", "3명", "4명 이상")),
    "friends": ("친구", ("없다", "1명", "2명", "3명", "4명 이상")),
    "neighbours": ("이웃", ("없다", "1명", "2명", "3명", "4명 이상")),
}
SUPPORT_KINDS: dict[str, str] = {"counsel": "상담", "goods": "물품", "money": "금전", "other": "기타"}


@dataclass(frozen=True)
class SupportRow:
    """One row of the support grid: how many people, and what they can help with."""

    count: str
    kinds: tuple[str, ...]


@dataclass(frozen=True)
class SurveyResult:
    """Each domain's sum and the largest sum it could have had, and the risk flag."""

    domain_totals: dict[str, int]
    domain_maximums: dict[str, int]
    risk: bool


def items_for(has_school_children: bool) -> tuple[SurveyItem, ...]:
    """Return the questions asked: the children's questions only when there are school-age children."""
    return tuple(item for item in SURVEY_ITEMS if has_school_children or not item.children_only)


def scale_maximum(scale: str) -> int:
    """Return the highest score of a scale."""
    return max(score for score, _ in SCALES[scale])


def survey_result(answers: Mapping[str, int], *, has_school_children: bool) -> SurveyResult:
    """Check every asked question has an answer of its scale, and sum each domain.

    :raises ValidationFailed: a missing answer, an answer off its scale, or an answer to a children's
        question when there are no school-age children (the field is named).
    """
    asked = items_for(has_school_children)
    unknown = set(answers) - {item.code for item in asked}
    if unknown:
        code = sorted(unknown)[0]
        raise ValidationFailed(
            "초·중·고 자녀가 없으면 자녀교육 문항에 답하지 않습니다."
            if code in ITEMS_BY_CODE
            else "조사지에 없는 문항입니다.",
            field=code,
            english="This question is not asked in this survey.",
        )
    totals = dict.fromkeys(DOMAINS, 0)
    maximums = dict.fromkeys(DOMAINS, 0)
    risk = False
    for item in asked:
        score = answers.get(item.code)
        if score is None:
            raise ValidationFailed("이 문항에 답하세요.", field=item.code, english="Answer this question.")
        if score not in {value for value, _ in SCALES[item.scale]}:
            raise ValidationFailed(
                "이 문항에 없는 점수입니다.", field=item.code, english="Not a score of this question."
            )
        totals[item.domain] += score
        maximums[item.domain] += scale_maximum(item.scale)
        if item.risk_from is not None and score >= item.risk_from:
            risk = True
    return SurveyResult(totals, maximums, risk)


def support_grid(rows: Mapping[str, SupportRow]) -> dict[str, dict[str, object]]:
    """Check the support grid (a known count per person kind, known help kinds) and return it as data.

    :raises ValidationFailed: an unknown count or help kind, or help ticked for "없다".
    """
    grid: dict[str, dict[str, object]] = {}
    for code, (label, counts) in SUPPORT_PEOPLE.items():
        row = rows.get(code, SupportRow("없다", ()))
        if row.count not in counts:
            raise ValidationFailed(
                "고를 수 있는 인원이 아닙니다.", field=f"support_{code}", english="Not a choice."
            )
        if any(kind not in SUPPORT_KINDS for kind in row.kinds):
            raise ValidationFailed(
                "도움 종류를 다시 고르세요.", field=f"support_{code}_kinds", english="Not a choice."
            )
        if row.count == "없다" and row.kinds:
            raise ValidationFailed(
                f"{with_particle(label, '이')} 없다고 했으므로 도움 종류를 고를 수 없습니다.",
                field=f"support_{code}_kinds",
                english="No one to help: tick no kind of help.",
            )
        grid[code] = {"count": row.count, "kinds": [kind for kind in SUPPORT_KINDS if kind in row.kinds]}
    return grid
