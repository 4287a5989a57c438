"""The two 가구유형 typologies the district counts (seed 004): 주된 어려움 and 가구 구성.

Seed 004's table of selected households has two columns of types: the household's main difficulty
(알콜 및 정신질환, 장애 및 질병, 아동학대 및 가정폭력, 경제적 어려움) and its make-up (독거노인,
한부모, 조손 …). Each household gets one code of each; ``other`` is the catch-all (기타).
"""

from __future__ import annotations

from cases.models.enums import Labelled, _labelled


class HouseholdProblemType(Labelled):
    """가구유형 by main difficulty (주된 어려움), as seed 004 counts the selected households."""

    alcohol_mental = "alcohol_mental"
    disability_illness = "disability_illness"
    abuse_violence = "abuse_violence"
    economic = "economic"
    other = "other"


_labelled(
    HouseholdProblemType,
    {
        "alcohol_mental": "알코올·정신질환",
        "disability_illness": "장애·질병",
        "abuse_violence": "아동학대·가정폭력",
        "economic": "경제적 어려움",
        "other": "기타",
    },
)


class HouseholdComposition(Labelled):
    """가구유형 by make-up (가구 구성): the second typology of seed 004."""

    elderly_alone = "elderly_alone"
    elderly_couple = "elderly_couple"
    single_mother = "single_mother"
    single_father = "single_father"
    grandparent = "grandparent"
    disabled = "disabled"
    multicultural = "multicultural"
    general = "general"
    other = "other"


_labelled(
    HouseholdComposition,
    {
        "elderly_alone": "독거노인",
        "elderly_couple": "노인부부",
        "single_mother": "한부모(모자)",
        "single_father": "한부모(부자)",
        "grandparent": "조손",
        "disabled": "장애인 가구",
        "multicultural": "다문화",
        "general": "일반",
        "other": "기타",
    },
)
