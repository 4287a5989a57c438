"""자활사정지 (필수서식3 of seed 000): the choices the sheet offers, with their Korean labels.

The sheet records the assessment interview of a 자활 participant: how long it took and how, the
complaint in the participant's words, the work they want and can reach, the household's money
(housing, income, spending, debt, credit), the need domains in order of urgency and the 자활경로
agreed with them. Amounts are in 만원, as the paper form asks them.
"""

from __future__ import annotations

#: 소요시간
DURATIONS: dict[str, str] = {
    "le30": "30분 이하",
    "le60": "60분 이하",
    "le90": "90분 이하",
    "le120": "120분 이하",
    "gt120": "120분 초과",
}
#: 상담방법
METHODS: dict[str, str] = {"office": "내방", "visit": "방문", "phone": "전화"}
#: 이동가능 수단
TRANSPORT: dict[str, str] = {
    "car": "자가용",
    "subway": "대중교통(지하철)",
    "bus": "대중교통(버스)",
    "public_other": "대중교통(기타)",
    "walk": "도보",
    "other": "기타",
}
#: 고용형태
EMPLOYMENT_TYPES: dict[str, str] = {
    "regular": "정규직",
    "part_time": "단시간",
    "fixed_term": "기간제",
    "temporary": "기간제가 아닌 한시적",
    "daily": "일일",
    "contracted": "용역",
    "special": "특수형태근로자",
}
#: 주거형태
HOUSING_TYPES: dict[str, str] = {
    "one_room": "단독주택(원룸)",
    "multi_family": "단독주택(다가구주택)",
    "multiplex": "공동주택(다세대)",
    "row_house": "공동주택(연립주택)",
    "dormitory": "공동주택(기숙사)",
    "apartment": "공동주택(아파트)",
    "other": "기타",
}
#: 주거 안정도
HOUSING_STABILITY: dict[str, str] = {
    "stable": "주거안정",
    "move_within_year": "1년 이내 이주필요",
    "move_now": "당장 이주필요",
    "other": "기타",
}
#: 주거소유
TENURES: dict[str, str] = {
    "own": "자가",
    "jeonse": "전세",
    "monthly": "월세",
    "rental": "임대",
    "other": "기타",
}
#: 신용상태
CREDIT: dict[str, str] = {
    "good": "신용양호",
    "delinquent": "신용불량",
    "bankruptcy_filed": "파산신청",
    "bankruptcy_discharged": "파산면책",
    "rehabilitation": "개인회생",
    "workout": "워크아웃",
    "conversion_loan": "전환대출 신청",
    "other": "기타",
}
#: 사례관리서비스 욕구영역 (10), ranked by urgency on the sheet
NEED_DOMAINS: dict[str, str] = {
    "family": "가족관계(갈등, 자녀, 부양, 폭력 등)",
    "mental": "정신건강(우울, 알코올 등)",
    "economy": "경제(부채, 신용회복, 파산 등)",
    "housing": "주거환경(임대주택 등)",
    "social": "사회관계(이웃, 친구, 종교 등)",
    "medical": "의료(질병, 신체장애)",
    "vocational": "직업능력(나이, 학력, 기술부족, 교육 등)",
    "mobility": "이동/교통",
    "motivation": "근로의욕",
    "other": "기타",
}
#: 합의된 자활경로
PATHS: dict[str, str] = {
    "employment": "일반기업 취업",
    "social_employment": "자활기업 취업",
    "startup": "일반기업 창업",
    "social_startup": "자활기업 창업",
    "other": "기타",
}
#: 최대 이동가능 거리, minutes (the sheet's range)
COMMUTE_MINUTES = (10, 180)
#: 근로소득 and 근로소득 외 income lines, 만원 per month: field → label
INCOME_LINES: dict[str, str] = {
    "earned_income": "근로수입",
    "private_transfer_income": "사적이전소득",
    "other_earned_income": "기타",
    "public_assistance_income": "공공부조",
    "allowance_income": "수당",
    "child_support_income": "자녀지원",
    "pension_income": "연금",
    "other_income": "기타(근로소득 외)",
}
