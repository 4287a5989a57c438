"""The disclosure gate: owner sees all; others see exactly what an active consent grants; all logged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine

from cases.models import CaseStage, Client
from consents import services
from consents.gate import view_client, view_clients
from consents.models import AccessLogEntry, Consent
from consents.policy import PLACEHOLDER
from hamkke.errors import NotFound
from hamkke.time import SEOUL, today_local
from tests.fixtures.consents import CANARY, ConsentWorld, grant

pytestmark = pytest.mark.embedded


def _view(
    world: ConsentWorld, client: Client, *, as_public: bool = False, purpose: str = "referral", **kw: Any
) -> Any:
    person, agency = (
        (world.public_worker, world.public) if as_public else (world.recipient_worker, world.recipient)
    )
    return view_client(client, person, purpose=purpose, acting_agency_id=agency.id, **kw)


def test_owner_sees_everything_and_access_is_logged(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    client = create_client()
    view = view_client(
        client, consent_world.worker, purpose="case_management", acting_agency_id=consent_world.owner.id
    )
    assert view.is_owner
    assert view.basis == "owner"
    assert view.name == f"{CANARY}이름"
    assert view.get("mental_health") == f"{CANARY}정신건강"
    entry = db.session.scalar(sa.select(AccessLogEntry).where(AccessLogEntry.client_id == client.id))
    assert entry is not None
    assert entry.actor_id == consent_world.worker.id
    assert entry.agency_id == consent_world.owner.id
    assert entry.channel == "page"
    assert entry.basis == "owner"
    assert "health" in entry.field_groups


def test_other_agency_without_consent_gets_not_found(
    db: Any, consent_world: ConsentWorld, create_client: Callable[..., Client]
) -> None:
    client = create_client()
    with pytest.raises(NotFound):
        _view(consent_world, client)
    # Acting for an agency one is not a member of is refused the same way.
    with pytest.raises(NotFound):
        view_client(
            client, consent_world.worker, purpose="referral", acting_agency_id=consent_world.recipient.id
        )


def test_recipient_sees_only_consented_groups_for_that_purpose(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    consent = sign_consent(
        client, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "economic"))
    )
    view = _view(consent_world, client)
    assert view.visible_groups == frozenset({"basic", "economic"})
    assert view.name == f"{CANARY}이름"
    assert view.get("housing") == f"{CANARY}주거"
    assert view.get("family_relations") == PLACEHOLDER
    assert view.value("health", "mental_health") == PLACEHOLDER
    assert CANARY not in str(view.as_dict()["fields"]["mental_health"])
    assert view.basis == f"consent:{consent.id}"
    assert not view.is_owner
    # Another purpose is not covered, and another agency is not covered.
    with pytest.raises(NotFound):
        _view(consent_world, client, purpose="follow_up")
    with pytest.raises(NotFound):
        view_client(
            client,
            consent_world.outsider_worker,
            purpose="referral",
            acting_agency_id=consent_world.outsider.id,
        )


def test_health_needs_separate_sensitive_consent(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(
        client,
        grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "health")),
        includes_sensitive=True,
    )
    assert _view(consent_world, client).get("mental_health") == f"{CANARY}정신건강"


def test_unique_id_reaches_only_public_agency_with_statute(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(
        client,
        grant(recipient_agency_id=consent_world.public.id, field_groups=("basic", "unique_id")),
        includes_unique_id=True,
        rrn_statutory_basis="사회보장급여법 시행령 제28조",
    )
    view = _view(consent_world, client, as_public=True)
    assert view.can_see("unique_id")


def test_revocation_is_seen_by_the_next_read(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    consent = sign_consent(
        client, grant(recipient_agency_id=consent_world.recipient.id, field_groups=("basic", "family"))
    )
    assert _view(consent_world, client).can_see("family")
    services.revoke_consent(
        consent, actor=consent_world.worker, grant=consent.grants[0], field_groups=["family"]
    )
    db.session.commit()
    view = _view(consent_world, client)
    assert not view.can_see("family")
    assert view.can_see("basic")
    services.revoke_consent(consent, actor=consent_world.worker)
    db.session.commit()
    with pytest.raises(NotFound):
        _view(consent_world, client)


def test_expiry_by_date_takes_effect_the_next_day(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    last_day = today_local() + timedelta(days=5)
    sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id), valid_until=last_day)
    assert _view(consent_world, client).can_see("basic")
    the_day_after = datetime.combine(last_day + timedelta(days=1), time(12), tzinfo=SEOUL)
    with time_machine.travel(the_day_after, tick=False), pytest.raises(NotFound):
        _view(consent_world, client)


def test_consent_until_case_closes_ends_with_the_case(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
    create_plain_case: Callable[..., Any],
) -> None:
    client = create_client()
    case = create_plain_case(client)
    sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id), case_id=case.id)
    assert _view(consent_world, client).can_see("basic")
    case.stage = CaseStage.closed
    db.session.flush()
    with pytest.raises(NotFound):
        _view(consent_world, client)


def test_conference_grant_only_inside_that_conference_for_attendees(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(client, grant("conference_sharing", "conference", ("basic", "needs"), conference_id=77))
    attending = {"conference_id": 77, "attending_agency_ids": [consent_world.recipient.id]}
    view = _view(consent_world, client, purpose="conference_sharing", context=attending)
    assert view.visible_groups == frozenset({"basic", "needs"})
    with pytest.raises(NotFound):
        _view(consent_world, client, purpose="conference_sharing")
    with pytest.raises(NotFound):
        _view(
            consent_world,
            client,
            purpose="conference_sharing",
            context={"conference_id": 78, "attending_agency_ids": [consent_world.recipient.id]},
        )
    with pytest.raises(NotFound):
        _view(consent_world, client, purpose="conference_sharing", as_public=True, context=attending)


def test_network_grant_reaches_agencies_of_the_district(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    client = create_client()
    sign_consent(client, grant("follow_up", "network", ("basic",)))
    assert _view(consent_world, client, purpose="follow_up").can_see("basic")
    assert _view(consent_world, client, purpose="follow_up", as_public=True).can_see("basic")


def test_household_members_consent_for_themselves(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    head = create_client()
    spouse = create_client(household=head.household)
    sign_consent(head, grant(recipient_agency_id=consent_world.recipient.id))
    views = view_clients(
        [head, spouse],
        consent_world.recipient_worker,
        purpose="referral",
        acting_agency_id=consent_world.recipient.id,
    )
    assert [view.client_id for view in views] == [head.id]
    logged = db.session.scalars(
        sa.select(AccessLogEntry.client_id).where(AccessLogEntry.channel == "page")
    ).all()
    assert logged == [head.id]


def test_child_consent_signed_by_self_never_counts(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    sign_consent: Callable[..., Consent],
) -> None:
    # Signed while 14, the record says self; the rule is checked at read time too (birthday data corrected).
    client = create_client(birth_date=date(1990, 1, 1))
    sign_consent(client, grant(recipient_agency_id=consent_world.recipient.id))
    client.birth_date = today_local() - timedelta(days=365 * 8)
    db.session.flush()
    with pytest.raises(NotFound):
        _view(consent_world, client)


def test_case_records_only_of_the_clients_household(
    db: Any,
    consent_world: ConsentWorld,
    create_client: Callable[..., Client],
    create_plain_case: Callable[..., Any],
) -> None:
    client = create_client()
    other_case = create_plain_case(create_client())
    view = view_client(
        client,
        consent_world.worker,
        purpose="case_management",
        acting_agency_id=consent_world.owner.id,
        context={"case_id": other_case.id},
    )
    assert view.records("case_needs") == ()
