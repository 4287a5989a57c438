"""A meeting already held (paper minutes) is recorded after the fact with a reason (issue 16, point 5).

The scheduling form used to refuse any start in the past, so a conference that met on paper could never
be entered. Now a past start needs a 사후 기록 사유: without one the page answers 422 in Korean with
everything typed kept and nothing saved; with one the conference opens for its minutes at once, says
so on its pages and minutes, is audited, and nobody is invited or reminded of a date gone by.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from conference import services
from conference.models import Conference, ConferenceKind, ConferenceStatus
from hamkke.audit import AuditEntry
from hamkke.errors import ValidationFailed
from hamkke.time import now_utc, to_local, today_local
from notifications.models import Notification, OutboxMessage
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.conferences import Meeting, seat

pytestmark = pytest.mark.embedded

TITLE = "11월 긴급 통합사례회의 (종이 회의록)"
REASON = "정전으로 시스템을 쓸 수 없어 종이 회의록으로 진행했습니다."


def _past_form(client: FlaskClient, meeting: Meeting, **overrides: Any) -> dict[str, Any]:
    """The scheduling form for a meeting held three days ago, inviting the partner agency."""
    data: dict[str, Any] = {
        "csrf_token": page_csrf_token(client, "/conferences/new"),
        "kind": "urgent",
        "title": TITLE,
        "date": (today_local() - timedelta(days=3)).isoformat(),
        "time": "10:30",
        "place": "구청 3층 회의실",
        "briefing_days": "3",
        "agency_ids": [str(meeting.partner.id)],
        "chair_id": str(meeting.chair.id),
        "recorder_id": str(meeting.recorder.id),
    }
    data.update(overrides)
    return data


def _created(db: Any) -> Conference | None:
    # Read what the request committed, not what this session remembers.
    db.session.expire_all()
    return db.session.scalar(sa.select(Conference).where(Conference.title == TITLE))


def test_a_past_meeting_without_a_reason_is_refused_in_korean_with_every_input_kept_and_nothing_saved(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair, agency_id=meeting.owner.id)
    conferences_before = db.session.scalar(sa.select(sa.func.count()).select_from(Conference))

    response = client.post("/conferences/new", data=_past_form(client, meeting))

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "사후 기록 사유를 적어야 기록할 수 있습니다" in html
    # The reason's field is marked and described by its error, inside the form (the htmx swap keeps it).
    assert re.search(r'<textarea id="conf-after-reason"[^>]*aria-invalid="true"', html)
    form = html[html.index('id="conference-new-form"') :]
    assert form.index('id="form-errors"') < form.index("</form>")
    # Everything typed comes back: the title, place, date, kind, chair, recorder and the invitation.
    assert f'value="{TITLE}"' in html
    assert 'value="구청 3층 회의실"' in html
    assert f'value="{(today_local() - timedelta(days=3)).isoformat()}"' in html
    assert '<option value="urgent" selected>' in html
    assert f'<option value="{meeting.chair.id}" selected>' in html
    assert f'<option value="{meeting.recorder.id}" selected>' in html
    assert re.search(rf'id="invite-{meeting.partner.id}"[^>]*checked', html)
    assert _created(db) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Conference)) == conferences_before


def test_a_past_meeting_with_a_reason_opens_for_its_minutes_audited_and_sends_no_invitation(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair, agency_id=meeting.owner.id)
    notifications_before = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    outbox_before = db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage))

    response = client.post(
        "/conferences/new", data=_past_form(client, meeting, recorded_after_reason=f"  {REASON}  ")
    )

    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    conference = _created(db)
    assert conference is not None
    assert conference.recorded_after_reason == REASON
    # Open for minutes at once: live, started when it was held, the agenda needs no approval first.
    assert conference.status == ConferenceStatus.live
    assert conference.started_at == conference.starts_at
    assert to_local(conference.starts_at).date() == today_local() - timedelta(days=3)
    assert conference.agenda_approved_at is not None
    assert [i.agency_id for i in conference.invitations] == [meeting.partner.id]
    audit = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "conference.created", AuditEntry.object_id == conference.id
        )
    )
    assert audit is not None
    assert audit.data == {"recorded_after_reason": REASON}
    # No one is told about a meeting already held: no notification, no e-mail in the outbox.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == notifications_before
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)) == outbox_before
    # Its pages say it was recorded afterwards, and why.
    plan = client.get(f"/conferences/{conference.id}/plan").get_data(as_text=True)
    assert "사후 기록" in plan
    assert REASON in plan
    assert 'id="propose-form"' in plan
    seat(db, conference, meeting.chair, meeting.owner)
    room = client.get(f"/conferences/{conference.id}").get_data(as_text=True)
    assert REASON in room


def test_reminders_skip_a_meeting_recorded_after_the_fact(db: Any, meeting: Meeting) -> None:
    from conference.tasks import send_reminders

    notifications_before = db.session.scalar(sa.select(sa.func.count()).select_from(Notification))
    services.create_conference(
        actor=meeting.chair,
        district_id=meeting.owner.district_id,
        kind=ConferenceKind.urgent,
        title=TITLE,
        starts_at=now_utc() - timedelta(days=1),
        host_agency_id=meeting.owner.id,
        place="동 주민센터",
        recorded_after_reason=REASON,
    )
    db.session.flush()
    send_reminders()
    reminders = db.session.scalars(
        sa.select(Notification.title).where(Notification.kind == "conference.reminder")
    ).all()
    assert all(TITLE not in title for title in reminders)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) >= notifications_before


def test_the_service_refuses_a_past_start_without_a_reason_and_ignores_a_reason_for_a_future_one(
    db: Any, meeting: Meeting
) -> None:
    common: dict[str, Any] = {
        "actor": meeting.chair,
        "district_id": meeting.owner.district_id,
        "kind": ConferenceKind.urgent,
        "title": TITLE,
        "host_agency_id": meeting.owner.id,
        "place": "동 주민센터",
    }
    with pytest.raises(ValidationFailed) as refused:
        services.create_conference(starts_at=now_utc() - timedelta(minutes=5), **common)
    assert refused.value.field == "recorded_after_reason"
    with pytest.raises(ValidationFailed):
        services.create_conference(
            starts_at=now_utc() - timedelta(days=2), recorded_after_reason="   ", **common
        )
    ahead = services.create_conference(
        starts_at=now_utc() + timedelta(days=2), recorded_after_reason=REASON, **common
    )
    assert ahead.status == ConferenceStatus.scheduled
    assert ahead.recorded_after_reason is None


def test_a_past_meeting_cannot_start_a_monthly_series(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair, agency_id=meeting.owner.id)

    response = client.post(
        "/conferences/new",
        data=_past_form(client, meeting, recorded_after_reason=REASON, recurring="yes"),
    )

    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "정기 회의로 반복할 수 없습니다" in html
    assert re.search(r'id="conf-recurring"[^>]*checked', html)
    assert _created(db) is None


def test_an_inline_post_answers_a_success_with_hx_redirect_and_a_refusal_with_the_422_page(
    client: FlaskClient, login_as: Any, db: Any, meeting: Meeting
) -> None:
    login_as(meeting.chair, agency_id=meeting.owner.id)
    inline = {"HX-Request": "true", "X-Hamkke-Inline-Form": "1"}

    refused = client.post("/conferences/new", data=_past_form(client, meeting), headers=inline)
    assert refused.status_code == 422
    assert 'id="conference-new-form"' in refused.get_data(as_text=True)
    assert "HX-Redirect" not in refused.headers

    saved = client.post(
        "/conferences/new", data=_past_form(client, meeting, recorded_after_reason=REASON), headers=inline
    )
    conference = _created(db)
    assert conference is not None
    # htmx navigates to the next page itself; a 303 would be followed inside the request instead.
    assert saved.status_code == 200
    assert saved.headers["HX-Redirect"] == f"/conferences/{conference.id}/plan"
    assert "Location" not in saved.headers
    assert saved.get_data() == b""


def test_the_minutes_pdf_says_the_meeting_was_recorded_after_the_fact_and_why(
    db: Any, meeting: Meeting
) -> None:
    import io

    from pypdf import PdfReader

    from conference.minutes_pdf import render_minutes_pdf

    conference = services.create_conference(
        actor=meeting.chair,
        district_id=meeting.owner.district_id,
        kind=ConferenceKind.urgent,
        title=TITLE,
        starts_at=now_utc() - timedelta(days=1),
        host_agency_id=meeting.owner.id,
        place="동 주민센터",
        recorded_after_reason=REASON,
    )
    db.session.flush()
    ahead = meeting.conference

    def text(of: Conference) -> str:
        data = render_minutes_pdf(of, meeting.owner.id)
        pages = PdfReader(io.BytesIO(data)).pages
        return "".join("".join((page.extract_text() or "").replace("\x00", "").split()) for page in pages)

    squeezed = "".join(REASON.split())
    assert "사후기록" in text(conference)
    assert squeezed in text(conference)
    assert "사후기록" not in text(ahead)
