"""The district statistics section of the district and dong dashboards (issue 17, point 5)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l

from dashboards.district_tables import discovery_rate, district_flow, expanded_conferences
from dashboards.household_tables import households_by_composition
from dashboards.roster import roster_table, training_table
from dashboards.scopes import Period, Scope
from dashboards.supervision_tables import supervision_by_quarter
from dashboards.tables import Table


def district_statistics(scope: Scope, period: Period, *, today: date) -> list[Table]:
    """The per-dong flow, 발굴률, 가구 구성, expanded conferences, roster, training and supervision."""
    tables = [
        district_flow(scope, period),
        discovery_rate(scope, period),
        households_by_composition(scope, period),
        expanded_conferences(scope, period),
    ]
    if scope.kind == "district":
        tables += [
            roster_table(scope.district_id, today=today),
            training_table(scope.district_id, period),
            supervision_by_quarter(scope, period),
        ]
    return tables


#: the section's headings, column and row names, marked for translation (the page translates them
#: when it renders; exports and the 결재 report stay Korean), as ``dashboards.labels`` does
LABELS = (
    _l("동별 발굴·의뢰·선정·연계·종결"),
    _l("발굴률(저소득가구 대비)"),
    _l("선정 가구 유형(주된 어려움)"),
    _l("월별 선정 가구 유형(주된 어려움)"),
    _l("선정 가구 유형(가구 구성)"),
    _l("확대사례회의: 가구와 회차"),
    _l("통합사례관리 인력 현황"),
    _l("민관 실무자 교육"),
    _l("슈퍼비전·자문단 운영 (분기별)"),
    _l("분기"),
    _l("슈퍼비전"),
    _l("자문단 회의"),
    _l("자문 받은 사례"),
    _l("참석 자문위원"),
    _l("분기 슈퍼비전"),
    _l("열림"),
    _l("없음"),
    _l("동"),
    _l("발굴"),
    _l("의뢰"),
    _l("선정"),
    _l("미선정"),
    _l("연계"),
    _l("종결"),
    _l("동 미지정"),
    _l("저소득가구"),
    _l("발굴 가구"),
    _l("발굴률"),
    _l("저소득가구 몇 가구당 1가구"),
    _l("기준 자료 없음"),
    _l("회차"),
    _l("이름"),
    _l("직위"),
    _l("소속"),
    _l("담당 사례"),
    _l("단순"),
    _l("집중"),
    _l("위기"),
    _l("올해 교육"),
    _l("교육 기준 미달"),
    _l("교육명"),
    _l("교육일자"),
    _l("주관"),
    _l("교육대상"),
    _l("시간"),
    _l("망 내 참여자"),
    _l("외부 참여자"),
    _l("참여자 수"),
    _l("알코올·정신질환"),
    _l("장애·질병"),
    _l("아동학대·가정폭력"),
    _l("경제적 어려움"),
    _l("기타"),
    _l("미분류"),
    _l("독거노인"),
    _l("노인부부"),
    _l("한부모(모자)"),
    _l("한부모(부자)"),
    _l("조손"),
    _l("장애인 가구"),
    _l("다문화"),
    _l("일반"),
)
