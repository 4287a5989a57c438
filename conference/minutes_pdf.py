"""The minutes as a PDF in the 필수서식9 사례회의록 layout, with a SOAP block per agenda item."""

from __future__ import annotations

import sqlalchemy as sa

from agencies.models import Person
from conference.minutes_copies import outcome_line, withheld_for
from conference.models import (
    LEAD_METHOD_LABELS,
    ActionItem,
    Conference,
    ConferenceKind,
    ItemStatus,
    LeadDecision,
)
from conference.queries import agency_names, roles_board
from conference.services.minutes import SOAP_LABELS, SOAP_SECTIONS
from conference.services.supervision import supervision_text
from hamkke.db import db
from hamkke.pdf import KoreanDocument
from hamkke.time import now_utc, to_local


def _attendee_lines(conference: Conference) -> tuple[str, str]:
    names = agency_names([a.agency_id for a in conference.attendances])
    people = {
        person.id: person.name
        for person in db.session.scalars(
            sa.select(Person).where(Person.id.in_([a.person_id for a in conference.attendances] or [0]))
        )
    }
    internal: list[str] = []
    external: list[str] = []
    for attendance in conference.attendances:
        label = f"{people.get(attendance.person_id, '')}({names.get(attendance.agency_id, '')})"
        if attendance.is_guest:
            label += " 자문위원"
        (internal if attendance.agency_id == conference.host_agency_id else external).append(label)
    return ", ".join(internal) or "-", ", ".join(external) or "-"


def render_minutes_pdf(conference: Conference, agency_id: int) -> bytes:
    """Render the minutes for one agency: items it may not see are withheld, the rest in SOAP blocks."""
    document = KoreanDocument(
        title=f"사례회의록 - {conference.title}",
        document_number=f"CONF-{conference.id}",
        generated_at=now_utc(),
    )
    document.add_page()
    document.heading("사례회의록 (필수서식9)")
    document.labelled("회의일시", f"{to_local(conference.starts_at):%Y-%m-%d %H:%M}")
    document.labelled("회의장소", conference.place or conference.video_url or "-")
    is_internal = conference.kind == ConferenceKind.internal
    document.labelled(
        "회의분류",
        f"{'■' if is_internal else '□'}내부 {'□' if is_internal else '■'}외부 ({conference.kind.label})",
    )
    document.labelled("회의주제", conference.title)
    if conference.recorded_after_reason:
        # A meeting entered after it was held says so on every copy, with the reason given.
        document.labelled(
            "사후 기록",
            f"{to_local(conference.created_at):%Y-%m-%d}에 기록함 · 사유: {conference.recorded_after_reason}",
        )
    internal, external = _attendee_lines(conference)
    document.labelled("내부 참석자", internal)
    document.labelled("외부 참석자", external)
    carried = [item for item in conference.items if item.source_detail.get("action_id")]
    document.block(
        "회의내용 · 지난회의 결과 점검",
        "\n".join(f"- {item.title}" for item in carried) or "이월된 과제 없음",
    )
    roles = roles_board(conference)
    outcomes: list[str] = []
    for item in conference.items:
        if item.status != ItemStatus.closed:
            continue
        document.heading(f"회의내용 · {item.title}", size=12)
        withheld = withheld_for(item, agency_id)
        # The outcome is the meeting's decision, not client data: every copy lists it (the chair's
        # agency, with no role in the case, used to get a bare "-" here).
        outcomes.append(outcome_line(item, withheld))
        if withheld is not None:
            document.block("내용 (이 기관 사본에서 제외)", withheld.text())
            continue
        texts = {section.section: section.text for section in item.sections}
        for key in SOAP_SECTIONS:
            document.block(SOAP_LABELS[key], texts.get(key, ""))
        decisions = db.session.scalars(sa.select(LeadDecision).where(LeadDecision.item_id == item.id)).all()
        for decision in decisions:
            document.labelled(
                "주 사례관리기관",
                f"{agency_names([decision.chosen_agency_id]).get(decision.chosen_agency_id, '')} "
                f"({LEAD_METHOD_LABELS[decision.method]}, {decision.effective_on:%Y-%m-%d}부터)"
                f" 사유: {decision.rationale}"
                + (f" / 이의: {decision.objections}" if decision.objections else ""),
            )
        for role in (r for r in roles if r["item_id"] == item.id):
            isp = "; ".join(
                f"{entry['service']} {entry['quantity']} {entry['duration']} {entry['intensity']}".strip()
                for entry in role["isp_items"]
            )
            kind = "주관" if role["role"] == "lead" else "협력"
            document.labelled(
                f"역할({kind})", f"{role['agency_name']}: {role['responsibilities']} {isp}".strip()
            )
        actions = db.session.scalars(sa.select(ActionItem).where(ActionItem.item_id == item.id)).all()
        for action in actions:
            owner = agency_names([action.owner_agency_id]).get(action.owner_agency_id, "")
            document.labelled("실행과제", f"{action.text} ({owner}, {action.due_on:%Y-%m-%d}까지)")
    document.block("회의 결과", "\n".join(outcomes) or "닫힌 안건 없음")
    document.block("슈퍼비전", supervision_text(conference, agency_id))
    signoffs = [
        f"{'서명' if a.signoff == 'signed' else '이의'}: {a.signoff_comment or ''}"
        for a in conference.attendances
        if a.signoff
    ]
    document.block("비고", "\n".join(signoffs) or "-")
    return document.render()
