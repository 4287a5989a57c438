"""Each agency's copy of the minutes PDF: the meeting's decisions in every copy, and a plain reason
(Korean, then English) where an item's case content is left out, never a bare "-"."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from pypdf import PdfReader

from agencies.models import Agency, Person, StaffRole
from conference import services
from conference.minutes_pdf import render_minutes_pdf
from conference.models import ItemOutcome, ItemStage, LeadMethod
from tests.fixtures.conferences import Meeting, seat

pytestmark = pytest.mark.embedded


def _text(data: bytes) -> str:
    """The PDF's text without whitespace (line wrapping moves spaces and breaks around)."""
    return "".join(
        "".join((page.extract_text() or "").replace("\x00", "").split())
        for page in PdfReader(io.BytesIO(data)).pages
    )


def _squeeze(text: str) -> str:
    return "".join(text.split())


def test_chairs_copy_lists_the_decisions_and_says_why_the_case_content_is_left_out(
    db: Any,
    meeting: Meeting,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
    grant_conference_consent: Callable[..., Any],
) -> None:
    # The district team hosts and chairs; the case is another agency's and the partner becomes lead.
    district_team = create_agency(name="한빛구청 희망복지지원단")
    chair = create_person(agency=district_team, roles=[StaffRole.coordinator], name="구청조정")
    conference, item = meeting.conference, meeting.item
    conference.host_agency_id = district_team.id
    conference.chair_id = chair.id
    db.session.flush()
    grant_conference_consent(meeting.case, recorded_by=meeting.recorder, district_id=conference.district_id)
    seat(db, conference, chair, district_team)
    seat(db, conference, meeting.partner_worker, meeting.partner)
    services.start_conference(conference, actor=chair)
    services.open_item(item, actor=chair)
    services.save_soap(item, actor=chair, section="P", text="주거 점검과 상담 연계", base_version=0)
    services.decide_lead_agency(
        item,
        actor=chair,
        method=LeadMethod.conference_decision,
        candidate_agency_ids=[meeting.partner.id, meeting.owner.id],
        chosen_agency_id=meeting.partner.id,
        rationale="주 호소문제 서비스 제공기관",
    )
    for stage in (ItemStage.discuss, ItemStage.agree):
        services.advance_stage(item, actor=chair, stage=stage)
    services.close_item(item, actor=chair, outcome=ItemOutcome.agreed)
    services.finalize_minutes(conference, actor=chair)
    db.session.commit()

    chairs = _text(render_minutes_pdf(conference, district_team.id))
    partners = _text(render_minutes_pdf(conference, meeting.partner.id))

    decision = _squeeze(f"{item.title}: 합의")
    assert decision in partners
    assert decision in chairs, "the chair's copy must list the meeting's decisions"
    assert "주거점검과상담연계" in partners
    # The chair's agency has no role in the case: the content stays out, and the copy says why.
    assert "주거점검과상담연계" not in chairs
    assert "주호소문제서비스제공기관" not in chairs
    assert "귀기관은이사례에서맡은역할이없어" in chairs
    assert "Youragencyhasnoroleinthiscase" in chairs
    assert "동의범위밖" not in chairs


def test_a_copy_without_consent_names_the_missing_consent_and_keeps_the_outcome(
    db: Any, meeting: Meeting
) -> None:
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    seat(db, meeting.conference, meeting.other_worker, meeting.outsider_agency)
    services.start_conference(meeting.conference, actor=meeting.chair)
    services.open_item(meeting.item, actor=meeting.chair)
    services.save_soap(meeting.item, actor=meeting.chair, section="S", text="대상자 진술", base_version=0)
    services.close_item(meeting.item, actor=meeting.chair, outcome=ItemOutcome.reconvene)
    services.finalize_minutes(meeting.conference, actor=meeting.chair)
    db.session.commit()

    owners = _text(render_minutes_pdf(meeting.conference, meeting.owner.id))
    outsiders = _text(render_minutes_pdf(meeting.conference, meeting.outsider_agency.id))

    assert "대상자진술" in owners
    assert "대상자진술" not in outsiders
    assert "통합사례회의공유에동의하지않았거나" in outsiders
    assert "Theclienthasnotconsented" in outsiders
    assert _squeeze(f"{meeting.item.title}: 재회의") in outsiders
