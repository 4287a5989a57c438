"""A role's ISP items reach the case as proposals; the room sees each item's fate, never the reason."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from cases.models.selfplans import PlanProposal, ProposalStatus
from cases.services.proposals import decline_proposal
from conference.sockets import NAMESPACE
from tests.fixtures.conferences import Meeting, SocketFor, latest, seat


def _emit(socket: Any, event: str, meeting: Meeting, **data: Any) -> Any:
    return socket.emit(
        event, {"conference_id": meeting.conference.id, **data}, namespace=NAMESPACE, callback=True
    )


def _assign(chair: Any, meeting: Meeting, *services: str) -> Any:
    return _emit(
        chair,
        "assign_role",
        meeting,
        item_id=meeting.item.id,
        agency_id=meeting.partner.id,
        role="partner",
        responsibilities="정신건강 상담",
        isp_items=[
            {"service": name, "quantity": "주 1회", "duration": "3개월", "intensity": "집중"}
            for name in services
        ],
    )


def test_isp_items_become_proposals_and_the_room_sees_their_fate(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Any
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    chair = conference_socket(meeting.chair, meeting.conference.id)
    assert _emit(chair, "start", meeting)["ok"]
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]

    assert _assign(chair, meeting, "우울 상담", "약물 관리")["ok"]
    assert _assign(chair, meeting, "우울 상담")["ok"]  # a re-assignment replaces what is still pending

    db.session.expire_all()
    proposals = db.session.scalars(sa.select(PlanProposal).order_by(PlanProposal.id)).all()
    assert [(p.case_id, p.service, p.status) for p in proposals] == [
        (meeting.case.id, "우울 상담", ProposalStatus.pending)
    ]
    assert proposals[0].agency_id == meeting.partner.id
    decline_proposal(
        proposals[0], actor=meeting.chair, agency_id=meeting.owner.id, reason="본인이 원하지 않음"
    )
    db.session.commit()

    assert _assign(chair, meeting, "우울 상담")["ok"]
    fates = latest(chair, "delta")["roles"][0]["isp_fates"]
    assert [(f["service"], f["label"]) for f in fates] == [
        ("우울 상담", "반영하지 않음"),
        ("우울 상담", "검토 대기"),
    ]
    assert "본인이 원하지 않음" not in str(latest(chair, "delta"))
