"""Regression (issue 13, finding 2): the conference's sharing flag is the gate's decision, not its own.

The conference used to build its own "shared with the conference?" answer from the grants. It said yes
for a child under 14 who signed alone, for a consent valid "until the case closes" after the case
closed, and under 처리정지, and that answer decided whether SOAP text and actions reached other
agencies' rooms. Each case here checks the flag and the item's visibility against the gate's view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from agencies.models import Person, StaffRole
from cases.models import Case, CaseStage, Client
from conference import access
from conference.models import AgendaItem, Conference
from consents import gate, services
from hamkke.errors import NotFound
from hamkke.time import today_local
from tests.fixtures.consents import ConsentWorld, grant


@dataclass
class Room:
    """A client's case on the open agenda of a conference the recipient agency attends."""

    client: Client
    case: Case
    conference: Conference
    item: AgendaItem


@pytest.fixture
def room(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    create_person: Callable[..., Person],
) -> Room:
    """Build the client (birth date unknown when the consent is signed), case and conference."""
    from conference import services as conference_services
    from conference.access import CURRENT_PLEDGE_VERSION
    from conference.models import ConferenceKind
    from hamkke.time import now_utc

    world = consent_world
    client = create_client(birth_date=None)
    case = create_plain_case(client)
    chair = create_person(agency=world.owner, roles=[StaffRole.coordinator], name="의장")
    recorder = create_person(agency=world.owner, name="서기")
    conference = conference_services.create_conference(
        actor=chair,
        district_id=world.district.id,
        kind=ConferenceKind.regional,
        title="동의 판단 회의",
        place="구청 회의실",
        starts_at=now_utc() + timedelta(hours=1),
        host_agency_id=world.owner.id,
        chair_id=chair.id,
        recorder_id=recorder.id,
    )
    conference_services.invite(conference, actor=chair, agency_id=world.recipient.id)
    item = conference_services.propose_item(
        conference, actor=chair, title="동의 판단 사례", agency_id=world.owner.id, case_id=case.id
    )
    conference_services.approve_agenda(conference, actor=chair)
    attendance = conference_services.check_in(
        conference, person=world.recipient_worker, agency_id=world.recipient.id
    )
    conference_services.accept_pledge(attendance, version=CURRENT_PLEDGE_VERSION)
    conference_services.start_conference(conference, actor=chair)
    conference_services.open_item(item, actor=chair)
    db.session.flush()
    return Room(client=client, case=case, conference=conference, item=item)


def _sign_network_sharing(world: ConsentWorld, room: Room, **overrides: Any) -> None:
    services.record_consent(
        room.client,
        services.ConsentInput(
            signer_capacity="self",
            signer_name="본인",
            method="signed_in_person",
            signed_on=today_local(),
            valid_from=today_local(),
            grants=(grant(purpose="conference_sharing", recipient_kind="network", field_groups=("basic",)),),
            **overrides,
        ),
        actor=world.worker,
        agency=world.owner,
    )


def _gate_shows_recipient(world: ConsentWorld, room: Room) -> bool:
    try:
        gate.view_client(
            room.client,
            world.recipient_worker,
            purpose="conference_sharing",
            acting_agency_id=world.recipient.id,
            context={
                "case_id": room.case.id,
                "conference_id": room.conference.id,
                "attending_agency_ids": sorted(access.attending_agency_ids(room.conference)),
            },
        )
    except NotFound:
        return False
    return True


def _flag_and_room(world: ConsentWorld, room: Room) -> tuple[bool, bool]:
    return (
        access.conference_sharing_consented(room.case, room.conference),
        access.may_see_item_case(room.item, world.recipient.id),
    )


@pytest.mark.embedded
def test_a_network_sharing_consent_opens_the_room_as_the_gate_does(
    db: Any, consent_world: ConsentWorld, room: Room
) -> None:
    _sign_network_sharing(consent_world, room)
    db.session.flush()
    assert _flag_and_room(consent_world, room) == (True, True)
    assert _gate_shows_recipient(consent_world, room)


@pytest.mark.embedded
def test_a_child_under_14_who_signed_alone_is_not_shared_with_the_conference(
    db: Any, consent_world: ConsentWorld, room: Room
) -> None:
    _sign_network_sharing(consent_world, room)
    # The birth date is learnt after signing: the child was 10, so only a 법정대리인's consent counts.
    room.client.birth_date = today_local() - timedelta(days=365 * 10)
    db.session.flush()
    assert not _gate_shows_recipient(consent_world, room)
    assert _flag_and_room(consent_world, room) == (False, False)


@pytest.mark.embedded
def test_a_consent_until_the_case_closes_ends_with_the_case(
    db: Any, consent_world: ConsentWorld, room: Room
) -> None:
    _sign_network_sharing(consent_world, room, case_id=room.case.id)
    room.case.stage = CaseStage.closed
    db.session.flush()
    assert not _gate_shows_recipient(consent_world, room)
    assert _flag_and_room(consent_world, room) == (False, False)


@pytest.mark.embedded
def test_processing_suspension_closes_the_room(db: Any, consent_world: ConsentWorld, room: Room) -> None:
    _sign_network_sharing(consent_world, room)
    request = services.record_request(
        room.client, actor=consent_world.worker, agency=consent_world.owner, kind="suspension"
    )
    services.fulfil_suspension(request, room.client, actor=consent_world.worker)
    db.session.flush()
    assert not _gate_shows_recipient(consent_world, room)
    assert _flag_and_room(consent_world, room) == (False, False)


@pytest.mark.embedded
def test_the_case_page_prints_a_timeline_note_only_from_the_gates_counselling_view(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Case],
    client: Any,
    login_as: Callable[..., Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Regression: ``cases/case.html`` printed ``e.note`` from the ORM whenever any group was visible."""
    from cases import services as case_services
    from consents.policy import Decision

    person = create_client()
    case = create_plain_case(person)
    case_services._event(
        case, "note", actor=consent_world.worker, agency_id=consent_world.owner.id, note="상담 중 자해 언급"
    )
    db.session.commit()
    login_as(consent_world.worker, agency_id=consent_world.owner.id)
    assert "상담 중 자해 언급" in client.get(f"/cases/{case.id}").get_data(as_text=True)

    # The same page for a view whose groups leave out 상담기록 (what another agency could be given).
    def narrowed(case: Case, viewer: Any) -> Any:
        decision = Decision(groups=frozenset({"basic"}), is_owner=False)
        return gate._build_view(person, decision, "case_management", case.id)

    monkeypatch.setattr("cases.views.common.client_view", narrowed)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "상담 중 자해 언급" not in page
