"""Briefing packets: per invited agency and agenda item, through the disclosure gate, from N days before."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from conference import briefing, services
from conference.models import InvitationRole
from consents.models import AccessChannel, AccessLogEntry
from hamkke.time import now_utc
from tests.fixtures.conferences import Meeting


def _log(db: Any, client_id: int) -> list[AccessLogEntry]:
    return list(
        db.session.scalars(
            sa.select(AccessLogEntry).where(AccessLogEntry.client_id == client_id).order_by(AccessLogEntry.id)
        )
    )


def test_before_the_window_opens_a_korean_message_and_no_disclosure(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    meeting.conference.starts_at = now_utc() + timedelta(days=10)
    meeting.conference.briefing_days = 3
    db.session.commit()
    login_as(meeting.partner_worker)

    page = client.get(f"/conferences/{meeting.conference.id}/briefing")
    pdf = client.get(f"/conferences/{meeting.conference.id}/briefing.pdf")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "회의 3일 전" in html
    assert 'id="briefing-closed"' in html
    assert "김하나" not in html
    assert pdf.status_code == 409
    assert _log(db, meeting.case.main_client_id) == []


def test_invited_agency_reads_consented_packets_and_each_view_is_logged(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    login_as(meeting.partner_worker)

    page = client.get(f"/conferences/{meeting.conference.id}/briefing")
    pdf = client.get(f"/conferences/{meeting.conference.id}/briefing.pdf")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "김하나" in html
    assert meeting.item.title in html
    assert "<caption>" in html
    assert pdf.status_code == 200
    assert pdf.data.startswith(b"%PDF")
    entries = _log(db, meeting.case.main_client_id)
    assert [(e.agency_id, e.channel, e.purpose) for e in entries] == [
        (meeting.partner.id, AccessChannel.page, "conference_sharing"),
        (meeting.partner.id, AccessChannel.download, "conference_sharing"),
    ]
    assert all(e.reason == briefing.BRIEFING_REASON for e in entries)
    # The network grant covers basic and needs only: no economic or health values reach the packet.
    assert set(entries[0].field_groups) == {"basic", "needs"}


def test_item_without_conference_consent_shows_no_client_data_to_anyone(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    for person in (meeting.partner_worker, meeting.chair):
        login_as(person)
        html = client.get(f"/conferences/{meeting.conference.id}/briefing").get_data(as_text=True)

        assert meeting.item.title in html
        assert "회의 공유 동의 없음" in html
        assert "김하나" not in html
    assert _log(db, meeting.case.main_client_id) == []


def test_agencies_not_invited_get_404(
    client: FlaskClient,
    login_as: Any,
    db: Any,
    meeting: Meeting,
    create_agency: Any,
    create_person: Any,
    grant_conference_consent: Any,
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    adviser_agency = create_agency(name="한빛대학교")
    adviser = create_person(agency=adviser_agency, name="자문위원")
    services.invite(
        meeting.conference,
        actor=meeting.chair,
        agency_id=adviser_agency.id,
        person_id=adviser.id,
        role=InvitationRole.guest,
    )
    stranger = create_person(agency=create_agency(name="다른 구 기관"))
    db.session.commit()

    for person in (adviser, stranger):
        login_as(person)
        assert client.get(f"/conferences/{meeting.conference.id}/briefing").status_code == 404
        assert client.get(f"/conferences/{meeting.conference.id}/briefing.pdf").status_code == 404
    assert _log(db, meeting.case.main_client_id) == []


def test_draft_items_are_not_in_the_packets(db: Any, meeting: Meeting, create_meeting_case: Any) -> None:
    meeting.conference.agenda_approved_at = None
    draft_case = create_meeting_case(meeting.owner, name="이초안")
    services.propose_item(
        meeting.conference,
        actor=meeting.chair,
        title="초안 안건",
        agency_id=meeting.owner.id,
        case_id=draft_case.id,
    )

    packets = briefing.packets_for(
        meeting.conference, meeting.partner_worker, meeting.partner.id, channel="page"
    )

    assert [packet.item_id for packet in packets] == [meeting.item.id]


def test_window_follows_the_conference_setting(meeting: Meeting) -> None:
    meeting.conference.starts_at = now_utc() + timedelta(days=6)
    meeting.conference.briefing_days = 7

    assert briefing.is_open(meeting.conference)
    meeting.conference.briefing_days = 5
    assert not briefing.is_open(meeting.conference)
