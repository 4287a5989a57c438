"""The /conference namespace: connect, per-event authorization, per-agency redaction, SOAP merging."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from cases.models import Case
from conference.models import (
    ActionItem,
    ConferenceStatus,
    ItemStatus,
    LeadDecision,
    RoleAssignment,
    SoapSection,
)
from conference.sockets import NAMESPACE, republish_conferences_of_case, seats
from tests.fixtures.conferences import Meeting, SocketFor, events, latest, seat


def _emit(socket: Any, event: str, meeting: Meeting, **data: Any) -> Any:
    return socket.emit(
        event, {"conference_id": meeting.conference.id, **data}, namespace=NAMESPACE, callback=True
    )


def _live(db: Any, meeting: Meeting, conference_socket: SocketFor) -> Any:
    """Seat the chair, connect and start the meeting; return the chair's socket."""
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    chair = conference_socket(meeting.chair, meeting.conference.id)
    assert _emit(chair, "start", meeting)["ok"]
    return chair


def test_connect_without_session_is_refused(meeting: Meeting, conference_socket: SocketFor) -> None:
    socket = conference_socket(None, meeting.conference.id)

    assert not socket.is_connected(NAMESPACE)


def test_connect_refused_when_not_checked_in_or_not_invited(
    db: Any, meeting: Meeting, conference_socket: SocketFor, create_person: Any, create_agency: Any
) -> None:
    stranger = create_person(agency=create_agency())
    db.session.commit()

    assert not conference_socket(meeting.partner_worker, meeting.conference.id).is_connected(NAMESPACE)
    assert not conference_socket(stranger, meeting.conference.id).is_connected(NAMESPACE)
    assert not conference_socket(meeting.chair, None).is_connected(NAMESPACE)


def test_checked_in_attendee_connects_and_is_present(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)

    socket = conference_socket(meeting.partner_worker, meeting.conference.id)

    assert socket.is_connected(NAMESPACE)
    state = latest(socket, "state")
    assert [a["present"] for a in state["attendees"]] == [True]


def test_chair_only_events_are_refused_for_others_and_nothing_changes(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    events(partner, "state")

    ack = _emit(partner, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)

    assert ack["ok"] is False

    assert ack["code"] == "forbidden"
    assert latest(partner, "error")["event"] == "open_item"
    db.session.expire_all()
    assert db.session.get(type(meeting.item), meeting.item.id).status == ItemStatus.approved


def _hangul(text: str) -> bool:
    return any("가" <= char <= "힣" for char in text)


def test_every_refusal_carries_a_korean_reason_and_a_plain_english_one(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    db.session.expire_all()
    version = db.session.get(type(meeting.item), meeting.item.id).version

    refusals = [
        _emit(partner, "advance_stage", meeting, item_id=meeting.item.id, stage="discuss", version=version),
        _emit(chair, "advance_stage", meeting, item_id=meeting.item.id, stage="agree", version=version),
        _emit(chair, "close_item", meeting, item_id=meeting.item.id, outcome="agreed", version=version),
        _emit(chair, "open_item", meeting, item_id="not-a-number", version=version),
    ]

    for ack in refusals:
        assert ack["ok"] is False
        assert _hangul(ack["message"]), ack
        assert "english" in ack
    assert refusals[0]["english"] == "Chair only."
    assert "합의 단계" in refusals[2]["message"]
    # The malformed payload's detail stays in the log, never in front of the person.
    assert refusals[3]["english"] == "Malformed request."
    assert latest(partner, "error")["message"] == refusals[0]["message"]


def test_unpledged_attendee_gets_no_case_data_and_cannot_act(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.recorder, meeting.owner, pledge=False)
    recorder = conference_socket(meeting.recorder, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]

    assert events(recorder, "case_data") == []
    ack = _emit(
        recorder, "soap_save", meeting, item_id=meeting.item.id, section="S", text="x", base_version=0
    )
    assert ack["code"] == "forbidden"

    assert _emit(recorder, "accept_pledge", meeting, version="2026-11")["ok"]
    assert latest(recorder, "case_data")["items"][str(meeting.item.id)]["visible"] is True


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "open",
        {"conference_id": "x"},
        {"item_id": 1},
    ],
)
def test_malformed_or_foreign_payloads_are_refused(
    db: Any, meeting: Meeting, conference_socket: SocketFor, payload: Any
) -> None:
    chair = _live(db, meeting, conference_socket)

    ack = chair.emit("open_item", payload, namespace=NAMESPACE, callback=True)

    assert ack["ok"] is False
    assert latest(chair, "error")["event"] == "open_item"
    db.session.expire_all()
    assert db.session.get(type(meeting.item), meeting.item.id).status == ItemStatus.approved


def test_item_of_another_conference_stale_version_and_closed_item_are_refused(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)

    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id + 999, version=1)["code"] == "not_found"
    assert (
        _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=0)["code"] == "invalid_transition"
    )
    ack = _emit(
        chair,
        "close_item",
        meeting,
        item_id=meeting.item.id,
        outcome="reconvene",
        version=meeting.item.version,
    )
    assert ack["code"] == "invalid_transition"
    soap = _emit(chair, "soap_save", meeting, item_id=meeting.item.id, section="S", text="x", base_version=0)
    assert soap["code"] == "invalid_transition"


def test_per_agency_redaction_without_consent(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)

    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]

    owner_view = latest(chair, "case_data")["items"][str(meeting.item.id)]
    partner_view = latest(partner, "case_data")["items"][str(meeting.item.id)]
    assert owner_view["visible"] is True
    assert owner_view["panel"]["client_name"] == "김하나"
    assert partner_view == {"visible": False}
    assert latest(partner, "state")["items"][0]["consent_ok"] is False


def test_consent_opens_item_to_other_agencies_and_revocation_redacts(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    consent = grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    assert latest(partner, "case_data")["items"][str(meeting.item.id)]["visible"] is True

    from consents.models import ConsentRevocation

    db.session.add(ConsentRevocation(consent_id=consent.id, recorded_by_id=meeting.chair.id, reason="철회"))
    db.session.commit()
    assert republish_conferences_of_case(meeting.case.id) == 1

    assert latest(partner, "case_data")["items"][str(meeting.item.id)] == {"visible": False}


def test_closed_item_stays_visible_only_to_agencies_with_a_role(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    seat(db, meeting.conference, meeting.other_worker, meeting.outsider_agency)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    other = conference_socket(meeting.other_worker, meeting.conference.id)
    item_id = meeting.item.id
    assert _emit(chair, "open_item", meeting, item_id=item_id, version=meeting.item.version)["ok"]
    ack = _emit(
        chair,
        "assign_role",
        meeting,
        item_id=item_id,
        agency_id=meeting.partner.id,
        role="partner",
        responsibilities="정신건강 상담",
        isp_items=[{"service": "상담", "quantity": "주 1회", "duration": "3개월", "intensity": "집중"}],
    )
    assert ack["ok"]
    assert latest(other, "delta")["roles"][0]["agency_id"] == meeting.partner.id
    db.session.expire_all()
    # The assignment moved the item's version on: the chair's next change must name the new one.
    assert latest(chair, "delta")["items"][0]["version"] == meeting.item.version
    assert _emit(
        chair, "close_item", meeting, item_id=item_id, outcome="reconvene", version=meeting.item.version
    )["ok"]

    assert latest(partner, "case_data")["items"][str(item_id)]["visible"] is True
    assert latest(other, "case_data")["items"][str(item_id)] == {"visible": False}


def test_full_item_flow_lead_agency_roles_soap_and_action(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    item = meeting.item
    assert _emit(chair, "open_item", meeting, item_id=item.id, version=item.version)["ok"]
    for stage in ("discuss", "agree"):
        assert _emit(chair, "advance_stage", meeting, item_id=item.id, stage=stage, version=item.version)[
            "ok"
        ]

    refused = _emit(
        chair,
        "decide_lead",
        meeting,
        item_id=item.id,
        method="client_choice",
        candidate_agency_ids=[meeting.partner.id],
        chosen_agency_id=meeting.partner.id,
        rationale="대상자 선택",
    )
    assert refused["code"] == "validation_failed"
    decided = _emit(
        chair,
        "decide_lead",
        meeting,
        item_id=item.id,
        method="conference_decision",
        candidate_agency_ids=[meeting.owner.id, meeting.partner.id],
        chosen_agency_id=meeting.partner.id,
        votes={str(meeting.owner.id): meeting.partner.id},
        objections="없음",
        rationale="주 호소가 정신건강 문제",
        effective_on="2026-12-01",
    )
    assert decided["ok"]
    saved = _emit(
        chair,
        "soap_save",
        meeting,
        item_id=item.id,
        section="P",
        text="정신건강 상담 연계\n주거 점검",
        base_version=0,
    )
    assert saved == {"ok": True, "version": 1, "text": "정신건강 상담 연계\n주거 점검", "merged": False}
    action = _emit(
        chair,
        "create_action",
        meeting,
        item_id=item.id,
        line="주거 점검",
        owner_agency_id=meeting.owner.id,
        due_on="2099-01-31",
    )
    assert action["ok"]
    assert _emit(chair, "close_item", meeting, item_id=item.id, outcome="agreed", version=item.version)["ok"]
    assert _emit(chair, "finalize", meeting)["ok"]

    db.session.expire_all()
    assert db.session.get(Case, meeting.case.id).lead_agency_id == meeting.partner.id
    decision = db.session.scalar(sa.select(LeadDecision))
    assert decision is not None
    assert decision.effective_on.isoformat() == "2026-12-01"
    roles = {r.agency_id: r.role for r in db.session.scalars(sa.select(RoleAssignment))}
    assert roles == {meeting.partner.id: "lead"}
    assert db.session.scalar(sa.select(ActionItem.text)) == "주거 점검"
    assert db.session.get(type(meeting.conference), meeting.conference.id).status == ConferenceStatus.closed


def test_concurrent_soap_edits_from_two_editors_lose_nothing(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.recorder, meeting.owner)
    recorder = conference_socket(meeting.recorder, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    base = _emit(
        chair,
        "soap_save",
        meeting,
        item_id=meeting.item.id,
        section="S",
        text="첫 줄\n둘째 줄",
        base_version=0,
    )
    assert base["version"] == 1

    first = _emit(
        chair,
        "soap_save",
        meeting,
        item_id=meeting.item.id,
        section="S",
        text="첫 줄 (의장)\n둘째 줄",
        base_version=1,
    )
    second = _emit(
        recorder,
        "soap_save",
        meeting,
        item_id=meeting.item.id,
        section="S",
        text="첫 줄\n둘째 줄\n셋째 줄 (서기)",
        base_version=1,
    )

    assert first["merged"] is False
    assert second["merged"] is True
    assert second["text"] == "첫 줄 (의장)\n둘째 줄\n셋째 줄 (서기)"
    section = db.session.scalar(sa.select(SoapSection).where(SoapSection.section == "S"))
    assert section is not None
    assert section.version == 3


def test_resend_after_reconnect_with_old_base_version_keeps_typed_text(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.recorder, meeting.owner)
    recorder = conference_socket(meeting.recorder, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    _emit(chair, "soap_save", meeting, item_id=meeting.item.id, section="O", text="관찰", base_version=0)
    recorder.disconnect(namespace=NAMESPACE)
    _emit(
        chair,
        "soap_save",
        meeting,
        item_id=meeting.item.id,
        section="O",
        text="관찰\n의장 추가",
        base_version=1,
    )

    again = conference_socket(meeting.recorder, meeting.conference.id)
    synced = _emit(again, "sync", meeting)
    assert synced["case_data"]["items"][str(meeting.item.id)]["soap"]["O"]["version"] == 2
    resent = _emit(
        again,
        "soap_save",
        meeting,
        item_id=meeting.item.id,
        section="O",
        text="관찰\n오프라인 입력",
        base_version=1,
    )

    assert resent["text"] == "관찰\n의장 추가\n오프라인 입력"


def test_chair_leaving_hands_the_chair_to_the_recorder(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.recorder, meeting.owner)
    recorder = conference_socket(meeting.recorder, meeting.conference.id)

    chair.disconnect(namespace=NAMESPACE)

    db.session.expire_all()
    conference = db.session.get(type(meeting.conference), meeting.conference.id)
    assert conference.chair_id == meeting.recorder.id
    assert conference.recorder_id == meeting.chair.id
    assert latest(recorder, "state")["chair_id"] == meeting.recorder.id
    assert _emit(recorder, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]


def test_lone_chair_leaving_keeps_the_chair(db: Any, meeting: Meeting, conference_socket: SocketFor) -> None:
    chair = _live(db, meeting, conference_socket)

    chair.disconnect(namespace=NAMESPACE)

    db.session.expire_all()
    assert db.session.get(type(meeting.conference), meeting.conference.id).chair_id == meeting.chair.id
    assert seats.get("nope") is None


def test_guest_sees_only_the_open_item(
    db: Any,
    meeting: Meeting,
    conference_socket: SocketFor,
    create_person: Any,
    grant_conference_consent: Any,
) -> None:
    from conference import services
    from conference.models import InvitationRole

    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    adviser = create_person(name="자문위원")
    services.invite(
        meeting.conference,
        actor=meeting.chair,
        agency_id=meeting.owner.id,
        person_id=adviser.id,
        role=InvitationRole.guest,
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, adviser, meeting.owner)
    guest = conference_socket(adviser, meeting.conference.id)
    item_id = str(meeting.item.id)

    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    assert latest(guest, "case_data")["items"][item_id]["visible"] is True
    assert (
        _emit(guest, "soap_save", meeting, item_id=meeting.item.id, section="S", text="x", base_version=0)[
            "code"
        ]
        == "forbidden"
    )
    assert _emit(
        chair,
        "close_item",
        meeting,
        item_id=meeting.item.id,
        outcome="reconvene",
        version=meeting.item.version,
    )["ok"]
    assert latest(guest, "case_data")["items"][item_id] == {"visible": False}


def test_revocation_mid_meeting_redacts_within_two_seconds(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    import time

    from consents.services import revoke_consent

    consent = grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    assert latest(partner, "case_data")["items"][str(meeting.item.id)]["visible"] is True

    revoke_consent(consent, actor=meeting.chair, reason="대상자 요청")
    db.session.commit()
    started = time.monotonic()
    while time.monotonic() - started < 2:
        if latest(partner, "case_data")["items"][str(meeting.item.id)] == {"visible": False}:
            break
        time.sleep(0.05)

    assert latest(partner, "case_data")["items"][str(meeting.item.id)] == {"visible": False}
    assert latest(chair, "case_data")["items"][str(meeting.item.id)]["visible"] is True


def test_live_case_payloads_are_logged_on_the_socket_channel(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    import sqlalchemy as sa

    from consents.models import AccessChannel, AccessLogEntry

    chair = _live(db, meeting, conference_socket)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    assert latest(chair, "case_data")["items"][str(meeting.item.id)]["panel"]["client_name"] == "김하나"

    channels = set(db.session.scalars(sa.select(AccessLogEntry.channel)))
    assert AccessChannel.socket in channels
    assert AccessChannel.page not in channels


def _access_rows(db: Any) -> int:
    from consents.models import AccessLogEntry

    db.session.rollback()
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(AccessLogEntry)) or 0)


def test_changes_go_out_as_small_deltas_without_case_data_or_gate_calls(
    db: Any, meeting: Meeting, conference_socket: SocketFor
) -> None:
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    partner = conference_socket(meeting.partner_worker, meeting.conference.id)
    item_id = meeting.item.id
    assert _emit(chair, "open_item", meeting, item_id=item_id, version=meeting.item.version)["ok"]
    states = (len(events(chair, "state")), len(events(partner, "state")))
    panels = (len(events(chair, "case_data")), len(events(partner, "case_data")))
    logged = _access_rows(db)

    assert _emit(chair, "advance_stage", meeting, item_id=item_id, stage="discuss", version=2)["ok"]
    saved = _emit(chair, "soap_save", meeting, item_id=item_id, section="S", text="상담 요청", base_version=0)
    assert saved["ok"]
    assert _emit(partner, "raise_hand", meeting, raised=True)["ok"]

    assert _access_rows(db) == logged
    assert (len(events(chair, "state")), len(events(partner, "state"))) == states
    assert (len(events(chair, "case_data")), len(events(partner, "case_data"))) == panels
    deltas = events(partner, "delta")
    assert [d["items"][0]["stage"] for d in deltas if "items" in d][-1] == "discuss"
    assert {"item_id": item_id, "section": "S", "version": 1} in [d.get("soap") for d in deltas]
    assert [a["hand_raised_at"] is not None for a in deltas[-1]["attendees"]] == [True]
    assert all("상담 요청" not in repr(d) and "김하나" not in repr(d) for d in deltas)
    # The SOAP text reaches only the agency that may see the case (the partner has no consent).
    assert latest(chair, "item_data")["soap"]["S"] == {"text": "상담 요청", "version": 1}
    assert events(partner, "item_data") == []


def test_a_joining_socket_alone_gets_the_state_and_its_agency_view(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    chair_states, chair_panels = len(events(chair, "state")), len(events(chair, "case_data"))
    logged = _access_rows(db)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)

    partner = conference_socket(meeting.partner_worker, meeting.conference.id)

    assert latest(partner, "state")["items"][0]["status"] == "open"
    assert latest(partner, "case_data")["items"][str(meeting.item.id)]["panel"]["client_name"] == "김하나"
    assert _access_rows(db) == logged + 1
    assert (len(events(chair, "state")), len(events(chair, "case_data"))) == (chair_states, chair_panels)
    joined = latest(chair, "delta")["attendees"]
    assert [(a["person_id"], a["present"]) for a in joined] == [(meeting.partner_worker.id, True)]

    partner.disconnect(namespace=NAMESPACE)

    left = latest(chair, "delta")["attendees"]
    assert [(a["person_id"], a["present"]) for a in left] == [(meeting.partner_worker.id, False)]


def _consent_queries_of(db: Any, send: Callable[[], Any]) -> int:
    """Count the SQL statements that read consent records while ``send`` runs (the event, in-process)."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "consent" in statement.lower():
            seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert send()["ok"]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    return len(seen)


def test_one_sharing_decision_per_event_however_many_agency_rooms(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    chair = _live(db, meeting, conference_socket)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    item_id = meeting.item.id
    assert _emit(chair, "open_item", meeting, item_id=item_id, version=meeting.item.version)["ok"]
    versions = iter(range(10))

    def save() -> Any:
        version = next(versions)
        return _emit(
            chair,
            "soap_save",
            meeting,
            item_id=item_id,
            section="S",
            text=f"v{version}",
            base_version=version,
        )

    save()  # the first save creates the section: measure the ones after it
    two_rooms = _consent_queries_of(db, save)
    seat(db, meeting.conference, meeting.other_worker, meeting.outsider_agency)
    three_rooms = _consent_queries_of(db, save)

    assert two_rooms > 0, "the sharing decision was not asked at all"
    # The open item's answer does not depend on the receiving agency: asked once, not once per room.
    assert three_rooms == two_rooms
