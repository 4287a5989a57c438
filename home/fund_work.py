"""The home page's case-fund section: requests waiting for my 결재 (동 팀장: 동 내부결재, 조정자: 구 결재)."""

from __future__ import annotations

from flask import url_for
from flask_babel import lazy_gettext as _l

from agencies.access import roles_in
from agencies.models import Agency, AgencyType, Person, StaffRole
from funds.access import is_dong_centre
from funds.models import PURPOSE_LABELS, won
from funds.queries import awaiting_decision
from home.worklist import SECTION_LIMIT, WorkLine, WorkSection, _case_numbers


def fund_section(person: Person, agency: Agency) -> WorkSection | None:
    """Return the requests waiting for the person's 결재 while acting for ``agency`` (None: no such role)."""
    roles = roles_in(person, agency)
    if is_dong_centre(agency) and StaffRole.supervisor in roles:
        rows = awaiting_decision(dong_agency_ids={agency.id}, district_ids=set())
    elif agency.type == AgencyType.district_team and StaffRole.coordinator in roles:
        rows = awaiting_decision(dong_agency_ids=set(), district_ids={agency.district_id})
    else:
        return None
    section = WorkSection("funds", _l("결재를 기다리는 사례관리사업비"), url_for("funds.index"))
    shown = rows[:SECTION_LIMIT]
    numbers = _case_numbers({row.case_id for row in shown})
    for row in shown:
        section.lines.append(
            WorkLine(
                f"사례 {numbers.get(row.case_id, '-')} · {row.dong.name} · {PURPOSE_LABELS[row.purpose]} "
                f"{won(row.total)} · {row.requested_on:%Y-%m-%d} 신청",
                url_for("funds.show_request", request_id=row.id),
            )
        )
    return section
