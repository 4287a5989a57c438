"""What one agency's copy of the minutes may hold, and the plain words for what it may not.

The minutes go to every attending agency, each filtered through ``access.may_see_item_case`` (which
asks the disclosure gate about the client's conference-sharing consent). An item's case content is
withheld from an agency for one of two reasons, and the reader is told which one and whom to ask,
in Korean and in English, instead of a bare "-": the meeting's decisions (each item's outcome) are
facts of the meeting, not client data, and stay in every copy.
"""

from __future__ import annotations

from dataclasses import dataclass

from cases.models import Case
from conference import access
from conference.models import AgendaItem, ItemOutcome
from hamkke.db import db


@dataclass(frozen=True)
class Withheld:
    """Why an item's case content is not in this agency's copy, in Korean and in English."""

    korean: str
    english: str

    def text(self) -> str:
        """Return both sentences, Korean first, for a PDF block or a mail body."""
        return f"{self.korean}\n{self.english}"


NO_CONSENT = Withheld(
    "대상자가 통합사례회의 공유에 동의하지 않았거나 그 동의가 끝나, 이 안건의 사례 내용(SOAP 기록, "
    "주 사례관리기관 결정, 역할, 실행과제)은 이 회의록에 싣지 않았습니다. "
    "내용이 필요하면 사례를 맡은 기관에 문의하세요.",
    "The client has not consented (or no longer consents) to sharing in case conferences, so this "
    "item's case content (SOAP notes, lead agency, roles, actions) is not in these minutes. "
    "Ask the agency handling the case if you need it.",
)
NO_ROLE = Withheld(
    "안건이 닫힌 뒤에는 사례를 맡은 기관(사례 담당 기관, 주 사례관리기관, 회의에서 역할을 맡은 기관)만 "
    "사례 내용을 받습니다. 귀 기관은 이 사례에서 맡은 역할이 없어 SOAP 기록, 주 사례관리기관 결정, "
    "역할, 실행과제를 싣지 않았습니다. 회의 결과는 아래 '회의 결과'에 있습니다.",
    "Once an item is closed, only the agencies working the case (the owner, the lead agency and the "
    "agencies given a role) receive its case content. Your agency has no role in this case, so the SOAP "
    "notes, lead agency, roles and actions are left out; the item's outcome is under '회의 결과' below.",
)
CASE_GONE = Withheld(
    "이 안건의 사례를 더 이상 찾을 수 없어 내용을 싣지 않았습니다.",
    "The case of this item no longer exists, so its content is left out.",
)


def withheld_for(item: AgendaItem, agency_id: int) -> Withheld | None:
    """Return why the agency's copy leaves the item's case content out, or None when it may hold it."""
    with access.one_sharing_decision_per_case():  # the reason asks the same question again
        if access.may_see_item_case(item, agency_id):
            return None
        case = db.session.get(Case, item.case_id) if item.case_id is not None else None
        if case is None:
            return CASE_GONE
        if not access.conference_sharing_consented(case, item.conference):
            return NO_CONSENT
        return NO_ROLE


def outcome_line(item: AgendaItem, withheld: Withheld | None) -> str:
    """Return the item's line in the 회의 결과 block; a withheld item says its content is elsewhere."""
    # A closed item either reached agreement or goes to the next meeting (재회의).
    outcome = "합의" if item.outcome == ItemOutcome.agreed else "재회의"
    suffix = " (사례 내용은 이 기관 사본에 없음)" if withheld is not None else ""
    return f"- {item.title}: {outcome}{suffix}"
