"""The closed loop: create within consent, send, answer, complete; every step audited, pushed, notified."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa

from agencies.models import AgencyStatus
from hamkke.audit import AuditEntry
from hamkke.errors import ConsentRequired, InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from notifications.models import Notification, OutboxMessage
from referrals import services
from referrals.models import Referral, ReferralStatus, RejectionReason
from referrals.services import TRANSITIONS, EligibilityWarning, ReferralContent
from tests.fixtures.referrals import ConsentBook, ReferralNetwork

S = ReferralStatus


def _count(db: Any, model: Any, *where: Any) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where)))


def _notified(db: Any, person_id: int) -> list[Notification]:
    return list(db.session.scalars(sa.select(Notification).where(Notification.person_id == person_id)))


@pytest.mark.embedded
def test_referral_goes_round_the_loop_and_both_sides_hear_of_every_step(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral], emitted: list[Any]
) -> None:
    referral = make_referral()
    assert referral.status == S.draft
    assert _notified(db, network.receiver.id) == []  # a draft is the sender's business only

    services.send_referral(referral, actor=network.sender)
    db.session.commit()
    assert referral.status == S.requested
    assert referral.request_document_number is not None
    assert referral.request_document_number.startswith("솔내동주민센터-")
    assert referral.response_due_on is not None
    assert referral.linkage is not None
    assert referral.linkage.agency_name == "한빛종합사회복지관"
    # Every acting member of the receiving agency gets it in the inbox and by e-mail (through the outbox).
    for person in (network.receiver, network.receiver_colleague):
        [note] = _notified(db, person.id)
        assert note.kind == "referral.received"
        assert note.link == f"/referrals/{referral.id}"
        assert "김하나" not in note.title + note.body  # client details stay behind the gate
    emails = db.session.scalars(sa.select(OutboxMessage.recipient)).all()
    assert sorted(emails) == sorted([network.receiver.email, network.receiver_colleague.email])
    rooms = {room for event, payload, room in emitted if event == "referral.updated"}
    assert rooms == {f"agency:{network.dong_centre.id}", f"agency:{network.welfare_centre.id}"}

    services.mark_received(referral, actor=network.receiver)
    services.accept(referral, actor=network.receiver, note="다음 주 첫 배달")
    services.start(referral, actor=network.receiver)
    services.complete(
        referral,
        actor=network.receiver,
        outcome="주 2회 밑반찬 배달 시작",
        result_report="3개월 제공 후 재평가",
    )
    db.session.commit()

    assert referral.status == S.completed
    assert referral.receiver_id == network.receiver.id
    assert referral.reply_document_number is not None
    assert referral.reply_document_number.startswith("한빛종합사회복지관-")
    assert referral.linkage.result.startswith("완료")
    assert [event.to_status for event in referral.events] == [
        "draft",
        "requested",
        "received",
        "accepted",
        "in-progress",
        "completed",
    ]
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "referrals").order_by(AuditEntry.id)
    ).all()
    assert actions == [
        "referral.created",
        "referral.requested",
        "referral.received",
        "referral.accepted",
        "referral.in_progress",
        "referral.completed",
    ]
    # The sender hears of acceptance, start and completion (receipt is only on the timeline).
    kinds = sorted(note.kind for note in _notified(db, network.sender.id))
    assert kinds == ["referral.accepted", "referral.completed", "referral.in_progress"]
    statuses = [
        payload["status"] for event, payload, room in emitted if room == f"agency:{network.dong_centre.id}"
    ]
    assert statuses == ["requested", "received", "accepted", "in-progress", "completed"]


def test_document_numbers_count_up_per_agency_and_year(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    first = services.send_referral(make_referral(), actor=network.sender)
    second = services.send_referral(make_referral(), actor=network.sender)
    assert first.request_document_number is not None
    assert second.request_document_number is not None
    assert first.request_document_number.endswith("-0001")
    assert second.request_document_number.endswith("-0002")


def test_transition_table_refuses_everything_it_does_not_list(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    for current in S:
        for target in S:
            if (current, target) in TRANSITIONS:
                assert services.allowed_transition(current, target) in {"sender", "receiver"}
            else:
                with pytest.raises(InvalidTransition):
                    services.allowed_transition(current, target)

    referral = services.send_referral(make_referral(), actor=network.sender)
    with pytest.raises(InvalidTransition, match="'의뢰함' 상태의 의뢰는 '서비스 제공 중'"):
        services.start(referral, actor=network.receiver)
    assert referral.status == S.requested


def test_reply_to_a_closed_referral_is_refused_and_changes_nothing(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    services.reject(referral, actor=network.receiver, reason=RejectionReason.capacity_full)
    db.session.commit()
    events_before = len(referral.events)

    with pytest.raises(InvalidTransition, match="이미 종결된 의뢰"):
        services.complete(referral, actor=network.receiver, outcome="제공함")
    with pytest.raises(InvalidTransition, match="이미 종결된 의뢰"):
        services.accept(referral, actor=network.receiver)
    db.session.rollback()
    db.session.refresh(referral)
    assert referral.status == S.rejected
    assert referral.outcome is None
    assert referral.reply_document_number is None
    assert len(referral.events) == events_before
    assert referral.rejection_reason == RejectionReason.capacity_full
    assert referral.linkage is not None
    assert "정원 초과" in referral.linkage.result


def test_rejecting_needs_a_known_reason_and_a_note_for_other(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = services.send_referral(make_referral(), actor=network.sender)
    with pytest.raises(ValidationFailed) as unknown:
        services.reject(referral, actor=network.receiver, reason="bored")
    assert unknown.value.field == "rejection_reason"
    with pytest.raises(ValidationFailed) as missing_note:
        services.reject(referral, actor=network.receiver, reason=RejectionReason.other)
    assert missing_note.value.field == "rejection_note"
    assert referral.status == S.requested


def test_each_side_may_only_make_its_own_moves(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    referral = make_referral()
    with pytest.raises(NotFound):  # a draft does not exist for the receiving agency yet
        services.send_referral(referral, actor=network.receiver)
    services.send_referral(referral, actor=network.sender)
    with pytest.raises(PermissionDenied):
        services.accept(referral, actor=network.sender)
    with pytest.raises(PermissionDenied):
        services.cancel(referral, actor=network.receiver)
    with pytest.raises(NotFound):
        services.accept(referral, actor=network.outsider)
    assert referral.status == S.requested


def test_cancel_before_acceptance_and_revoke_after_it_need_the_sender(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    cancelled = services.send_referral(make_referral(), actor=network.sender)
    services.cancel(cancelled, actor=network.sender, note="대상자가 이사함")
    assert cancelled.status == S.cancelled

    accepted = services.send_referral(make_referral(), actor=network.sender)
    services.accept(accepted, actor=network.receiver)
    with pytest.raises(InvalidTransition):
        services.cancel(accepted, actor=network.sender)
    with pytest.raises(ValidationFailed):
        services.revoke(accepted, actor=network.sender, note=" ")
    services.revoke(accepted, actor=network.sender, note="대상자가 서비스를 원하지 않음")
    assert accepted.status == S.revoked
    kinds = {note.kind for note in _notified(db, network.receiver.id)}
    assert {"referral.cancelled", "referral.revoked"} <= kinds


def test_reroute_sends_the_same_content_to_another_agency_and_cancels_the_original(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral], consents: ConsentBook
) -> None:
    original = services.send_referral(make_referral(), actor=network.sender)
    consents.grant(network.client, network.other_centre, {"basic"})
    new = services.reroute(
        original, actor=network.sender, receiving_agency=network.other_centre, service=network.other_service
    )
    assert original.status == S.cancelled
    assert new.status == S.requested
    assert new.rerouted_from_id == original.id
    assert new.reason == original.reason
    assert new.shared_field_groups == ["basic"]
    assert new.receiving_agency_id == network.other_centre.id


def test_reroute_without_consent_for_the_new_agency_is_refused_whole(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    original = services.send_referral(make_referral(), actor=network.sender)
    db.session.commit()
    with pytest.raises(ConsentRequired):
        services.reroute(original, actor=network.sender, receiving_agency=network.other_centre)
    db.session.rollback()
    db.session.refresh(original)
    assert original.status == S.requested
    assert _count(db, Referral) == 1


def test_field_groups_outside_consent_are_refused_at_creation(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    consents.grant(network.client, network.welfare_centre, {"basic"})
    content = ReferralContent(reason="식사", requested_services="밑반찬", field_groups=("basic", "health"))
    with pytest.raises(ConsentRequired, match="건강") as refused:
        services.create_referral(
            network.case, actor=network.sender, receiving_agency=network.welfare_centre, content=content
        )
    assert refused.value.field == "field_groups"
    assert _count(db, Referral) == 0


def test_consent_withdrawn_after_the_draft_stops_the_sending(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral], consents: ConsentBook
) -> None:
    referral = make_referral(groups=("basic", "economic"))
    db.session.commit()
    consents.grant(network.client, network.welfare_centre, {"basic"})  # economic withdrawn meanwhile

    with pytest.raises(ConsentRequired, match="경제상황"):
        services.send_referral(referral, actor=network.sender)
    db.session.rollback()
    db.session.refresh(referral)
    assert referral.status == S.draft
    assert referral.request_document_number is None
    assert _count(db, Notification) == 0
    assert _count(db, OutboxMessage) == 0


def test_no_field_group_at_all_needs_no_consent(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    content = ReferralContent(reason="식사", requested_services="밑반찬")
    referral = services.create_referral(
        network.case, actor=network.sender, receiving_agency=network.welfare_centre, content=content
    )
    services.send_referral(referral, actor=network.sender)
    assert referral.shared_field_groups == []


def test_inactive_agency_cannot_receive_referrals(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    network.welfare_centre.status = AgencyStatus.suspended
    with pytest.raises(ValidationFailed, match="활동하지 않는 기관") as refused:
        make_referral()
    assert refused.value.field == "receiving_agency"

    network.welfare_centre.status = AgencyStatus.active
    referral = make_referral()
    network.welfare_centre.status = AgencyStatus.suspended  # suspended between draft and sending
    with pytest.raises(ValidationFailed, match="활동하지 않는 기관"):
        services.send_referral(referral, actor=network.sender)
    assert referral.status == S.draft


def test_service_over_capacity_warns_and_an_override_reason_lets_it_through(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    network.service.capacity = 1
    first = services.send_referral(make_referral(), actor=network.sender)
    services.accept(first, actor=network.receiver)

    with pytest.raises(EligibilityWarning, match="정원") as warned:
        make_referral()
    assert warned.value.field == "eligibility_override_reason"
    assert _count(db, Referral) == 1

    second = make_referral(eligibility_override_reason="긴급: 결식 우려")
    assert second.eligibility_override_reason == "긴급: 결식 우려"
    audit = db.session.scalar(
        sa.select(AuditEntry).where(
            AuditEntry.action == "referral.created", AuditEntry.object_id == second.id
        )
    )
    assert audit is not None
    assert audit.data["eligibility_overridden"] is True


def test_service_area_outside_the_clients_dong_warns(
    db: Any,
    network: ReferralNetwork,
    make_referral: Callable[..., Referral],
    create_district: Callable[..., Any],
) -> None:
    elsewhere = create_district().dongs[0]
    network.welfare_centre.dongs.append(elsewhere)
    with pytest.raises(EligibilityWarning, match="서비스 지역 밖"):
        make_referral()


def test_empty_content_is_refused_with_the_field_named(db: Any, network: ReferralNetwork) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.create_referral(
            network.case,
            actor=network.sender,
            receiving_agency=network.welfare_centre,
            content=ReferralContent(reason=" ", requested_services=""),
        )
    assert refused.value.field == "reason"
    assert _count(db, Referral) == 0


def test_only_case_staff_may_refer_a_case(db: Any, network: ReferralNetwork, consents: ConsentBook) -> None:
    content = ReferralContent(reason="식사", requested_services="밑반찬")
    with pytest.raises(NotFound):
        services.create_referral(
            network.case, actor=network.receiver, receiving_agency=network.other_centre, content=content
        )


def test_agency_systems_get_signed_webhooks_without_client_data(
    db: Any, network: ReferralNetwork, make_referral: Callable[..., Referral]
) -> None:
    from notifications.models import DeliveryChannel
    from notifications.webhooks import create_endpoint

    create_endpoint(
        agency_id=network.welfare_centre.id,
        url="https://hanbit.example/hook",
        secret="s3cret",
        events=["referral.*"],
    )
    create_endpoint(
        agency_id=network.dong_centre.id,
        url="https://solnae.example/hook",
        secret="s3cret",
        events=["referral.completed"],
    )
    referral = services.send_referral(make_referral(), actor=network.sender)
    services.accept(referral, actor=network.receiver)
    services.complete(referral, actor=network.receiver, outcome="제공")

    hooks = db.session.scalars(
        sa.select(OutboxMessage)
        .where(OutboxMessage.channel == DeliveryChannel.webhook)
        .order_by(OutboxMessage.id)
    ).all()
    assert [(hook.recipient, hook.payload["event"]) for hook in hooks] == [
        ("https://hanbit.example/hook", "referral.received"),
        ("https://hanbit.example/hook", "referral.accepted"),
        ("https://hanbit.example/hook", "referral.completed"),
        ("https://solnae.example/hook", "referral.completed"),
    ]
    assert "김하나" not in str([hook.payload for hook in hooks])


def test_referral_from_an_isp_item_goes_to_its_provider(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    from cases.models import PlanService, ServicePlan

    plan = ServicePlan(
        case_id=network.case.id, horizon_months=6, client_role="식사 챙기기", created_by_id=network.sender.id
    )
    item = PlanService(
        plan=plan,
        name="밑반찬 지원",
        provider_agency_id=network.welfare_centre.id,
        quantity="주 2회",
        duration_months=3,
        intensity="보통",
    )
    db.session.add_all([plan, item])
    db.session.flush()
    referral = services.create_from_plan_service(
        item, actor=network.sender, content=ReferralContent(reason="ISP 실행", requested_services="밑반찬")
    )
    assert referral.receiving_agency_id == network.welfare_centre.id
    assert (referral.source_type.value, referral.source_id) == ("isp_item", item.id)


def test_referral_from_a_conference_action_item_links_the_item_once(
    db: Any, network: ReferralNetwork, consents: ConsentBook
) -> None:
    from datetime import date

    from conference.models import ActionItem, AgendaItem, Conference, ConferenceKind
    from hamkke.time import now_utc

    conference = Conference(
        district_id=network.district.id,
        kind=ConferenceKind.dong,
        title="솔내동 사례회의",
        starts_at=now_utc(),
        host_agency_id=network.dong_centre.id,
    )
    db.session.add(conference)
    db.session.flush()
    agenda = AgendaItem(conference_id=conference.id, title="김○○ 가구")
    db.session.add(agenda)
    db.session.flush()
    action = ActionItem(
        conference_id=conference.id,
        item_id=agenda.id,
        case_id=network.case.id,
        text="복지관 밑반찬 연계",
        owner_agency_id=network.dong_centre.id,
        due_on=date(2026, 12, 1),
    )
    db.session.add(action)
    db.session.flush()
    content = ReferralContent(reason="회의 결정", requested_services="밑반찬")
    referral = services.create_from_action_item(
        action, actor=network.sender, receiving_agency=network.welfare_centre, content=content
    )
    assert action.referral_id == referral.id
    assert referral.source_type.value == "action_item"
    with pytest.raises(InvalidTransition, match="이미 의뢰가 연결"):
        services.create_from_action_item(
            action, actor=network.sender, receiving_agency=network.welfare_centre, content=content
        )
