"""The two 만족도 평가지 of seed 000's evaluation stage (§3.5): their statements and the 1–4 scale.

Both are answered by the participant (or, when they cannot, by a family member for them) on
전혀 그렇지 않다 (1) … 매우 그렇다 (4). The manual sets no cut-off; the average per sheet is what the
evaluation and the statistics read.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass

from hamkke.errors import ValidationFailed

SCALE: tuple[tuple[int, str], ...] = (
    (1, "전혀 그렇지 않다"),
    (2, "그렇지 않다"),
    (3, "그런 편이다"),
    (4, "매우 그렇다"),
)


class SatisfactionKind(enum.StrEnum):
    """Which sheet: about the case manager, or about the case management service."""

    worker = "worker"
    service = "service"

    @property
    def label(self) -> str:
        """Korean title of the sheet."""
        return SATISFACTION_TITLES[self]


SATISFACTION_TITLES: dict[SatisfactionKind, str] = {
    SatisfactionKind.worker: "사례관리사에 대한 만족도 평가지",
    SatisfactionKind.service: "사례관리 서비스에 대한 만족도 평가지",
}

STATEMENTS: dict[SatisfactionKind, tuple[str, ...]] = {
    SatisfactionKind.worker: (
        "귀하를 담당하는 사례관리사가 사례관리 과정을 자세하게 설명하여 주었습니까?",
        "귀하가 받은 사례관리의 내용과 서비스 면에서 만족합니까?",
        "사례관리사는 귀하를 존중하면서 사례관리 과정을 수행하였습니까?",
        "귀하는 사례관리사의 전문성에 만족하십니까?",
        "사례관리사는 귀하의 욕구를 충분히 반영한 후 서비스를 제공하였습니까?",
        "사례관리 서비스를 받고 난 이후 전반적으로 귀하의 욕구해결에 도움이 되었습니까?",
        "귀하가 요청한 부분에 대해 사례관리사가 최대한 신속히 처리하려는 노력을 했다고 생각하십니까?",
        "사례관리사의 각종 복지서비스 안내가 시기적으로 적절히 제공되었습니까?",
    ),
    SatisfactionKind.service: (
        "사례관리사는 진심으로 나를 도와주는 것 같다.",
        "만일 다시 도움이 필요하다면 사례관리를 이용할 것이다.",
        "내가 이 곳에서 받은 사례관리를 다른 사람에게도 추천하고 싶다.",
        "사례관리사는 자신들의 일에 성의를 다한다.",
        "나는 사례관리를 통해 진정으로 내가 필요로 하는 도움을 받았다.",
        "사례관리사는 나의 모습을 있는 그대로 받아준다.",
        "사례관리사는 내 심정을 이해하는 것 같다.",
        "나는 사례관리사에게 속마음을 털어놓을 수 있을 것 같다.",
        "내가 사례관리에서 받은 도움은 기대 이상이었다.",
    ),
}


@dataclass(frozen=True)
class SatisfactionResult:
    """The scores given in statement order, their sum and their average (one decimal)."""

    given: tuple[int, ...]
    total: int
    average: float


def satisfaction_result(kind: SatisfactionKind, answers: Mapping[int, int | None]) -> SatisfactionResult:
    """Check that every statement of the sheet has a 1–4 answer; sum and average them.

    :param answers: statement number (1-based) → score.
    :raises ValidationFailed: a missing or off-scale answer (the field ``q<number>`` is named).
    """
    scores: list[int] = []
    for number in range(1, len(STATEMENTS[kind]) + 1):
        score = answers.get(number)
        if score is None:
            raise ValidationFailed(
                "이 문항에 답하세요.", field=f"q{number}", english="Answer this statement."
            )
        if score not in {value for value, _ in SCALE}:
            raise ValidationFailed(
                "1점부터 4점 사이로 답하세요.", field=f"q{number}", english="Answer from 1 to 4."
            )
        scores.append(score)
    return SatisfactionResult(tuple(scores), sum(scores), round(sum(scores) / len(scores), 1))
