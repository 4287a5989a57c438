"""Property: the conference's sharing flag is the gate's decision, never a second consent rule.

Two layers, as in ``test_property``. The bulk (2,600 generated clients, each asked for 2 conferences
× 2 districts: 10,400 cases, derandomized) compares :func:`consents.policy.conference_shares` — what
the conference asks through ``consents.sharing`` — with the gate's :func:`consents.policy.decide`
for an attending agency no grant names, and with the independent oracle of ``test_property``; the
cases the conference once decided on its own (a child under 14 who signed alone, a consent "until the
case closes" after the case closed, 처리정지) are generated thousands of times and pinned as examples.
Then stored consents go through the real conference module and the real gate view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cases.models import Case
from consents import gate, services
from consents.policy import (
    ANY_ATTENDEE,
    ConferenceContext,
    GrantFacts,
    SubjectFacts,
    ViewerFacts,
    conference_shares,
    decide,
)
from hamkke.errors import NotFound
from hamkke.time import today_local
from tests.consents.test_property import (  # noqa: F401 -- channel_world is a fixture used below
    GROUPS,
    ON,
    ChannelWorld,
    _stored_client,
    channel_world,
    days,
    groups_subset,
    oracle,
)
from tests.fixtures.consents import ConsentWorld, consent_input

# --- the conference's sharing decision: the gate's, for every generated client --------------------

#: generated clients for the conference decision; each is asked for 2 conferences × 2 districts
CONFERENCE_EXAMPLES = 2_600
CONFERENCE_CASES = CONFERENCE_EXAMPLES * 4


@st.composite
def conference_scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a client whose grants are mostly for conferences: sharing, closed cases, minors, 처리정지."""
    grants = []
    for _ in range(draw(st.integers(0, 3))):
        valid_from = draw(days)
        grants.append(
            GrantFacts(
                consent_id=draw(st.integers(1, 50)),
                purpose=draw(st.sampled_from(("conference_sharing", "conference_sharing", "referral"))),
                recipient_kind=draw(st.sampled_from(("conference", "network", "network", "agency"))),
                field_groups=draw(groups_subset),
                valid_from=valid_from,
                valid_until=draw(st.none() | days.map(lambda d: max(d, valid_from))),  # noqa: B023
                recipient_agency_id=draw(st.integers(1, 5)),
                conference_id=draw(st.sampled_from((1, 2))),
                district_id=draw(st.sampled_from((1, 2))),
                case_closed=draw(st.sampled_from((False, False, True))),
                signer_capacity=draw(st.sampled_from(("self", "legal_representative", "guardian"))),
                includes_sensitive=draw(st.booleans()),
                revoked=draw(st.sampled_from((False, False, False, True))),
                revoked_groups=draw(st.frozensets(st.sampled_from(GROUPS), max_size=2)),
            )
        )
    return {
        "owner": draw(st.integers(1, 5)),
        "under_14": draw(st.sampled_from((False, False, True))),
        "suspended": draw(st.sampled_from((False, False, False, True))),
        "on": draw(days),
        "grants": grants,
        "conference": None,
    }


def _grant(**changes: Any) -> GrantFacts:
    """A conference-sharing grant to the district-1 network, valid from ON, signed by the client."""
    values: dict[str, Any] = {
        "consent_id": 1,
        "purpose": "conference_sharing",
        "recipient_kind": "network",
        "field_groups": frozenset({"basic"}),
        "valid_from": ON,
        "valid_until": None,
        "district_id": 1,
    }
    values.update(changes)
    return GrantFacts(**values)


def _scenario(**changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "owner": 5,
        "under_14": False,
        "suspended": False,
        "on": ON,
        "grants": [_grant()],
        "conference": None,
    }
    values.update(changes)
    return values


@pytest.mark.embedded
def test_conference_sharing_flag_is_the_gates_decision_for_every_generated_client() -> None:
    """``policy.conference_shares`` (what the conference asks through ``consents.sharing``) equals both
    the gate's ``decide`` for an attending agency of the district named by no grant, and the oracle,
    for generated clients, including a child under 14 who signed alone, a consent "until the case
    closes" after the case closed, and 처리정지."""
    checked = {"cases": 0, "shared": 0, "minor_alone": 0, "closed": 0, "suspended": 0}

    @settings(
        max_examples=CONFERENCE_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
        phases=(Phase.explicit, Phase.generate),
    )
    @given(scenario=conference_scenarios())
    # The three cases the conference once decided on its own, each against a grant that otherwise shares:
    @example(scenario=_scenario(under_14=True))
    @example(scenario=_scenario(grants=[_grant(case_closed=True)]))
    @example(scenario=_scenario(suspended=True))
    @example(scenario=_scenario())
    def check(scenario: dict[str, Any]) -> None:
        subject = SubjectFacts(
            client_id=4242,
            owning_agency_id=scenario["owner"],
            is_under_14=scenario["under_14"],
            processing_suspended=scenario["suspended"],
        )
        for conference_id in (1, 2):
            for district_id in (1, 2):
                flag = conference_shares(
                    subject,
                    conference_id=conference_id,
                    district_id=district_id,
                    on=scenario["on"],
                    grants=scenario["grants"],
                )
                attendee = ViewerFacts(agency_id=ANY_ATTENDEE, district_id=district_id)
                room = ConferenceContext(conference_id=conference_id, attending_agency_ids=frozenset({0}))
                gate_decision = decide(
                    subject,
                    attendee,
                    purpose="conference_sharing",
                    on=scenario["on"],
                    grants=scenario["grants"],
                    conference=room,
                )
                expected = oracle(
                    owner=scenario["owner"],
                    under_14=scenario["under_14"],
                    suspended=scenario["suspended"],
                    viewer=attendee,
                    purpose="conference_sharing",
                    on=scenario["on"],
                    grants=scenario["grants"],
                    conference=room,
                )
                assert flag == bool(gate_decision.groups) == bool(expected)
                checked["cases"] += 1
                checked["shared"] += flag
                if scenario["under_14"] and any(
                    g.signer_capacity != "legal_representative" for g in scenario["grants"]
                ):
                    checked["minor_alone"] += 1
                checked["closed"] += any(g.case_closed for g in scenario["grants"])
                checked["suspended"] += scenario["suspended"]

    check()
    assert checked["cases"] >= CONFERENCE_CASES >= 10_000
    # Every kind of case was generated many times, and some clients do share.
    assert min(checked["minor_alone"], checked["closed"], checked["suspended"], checked["shared"]) >= 100, (
        checked
    )


# --- the conference's sharing flag on stored consents, against the gate's view --------------------

#: generated clients with stored consents; each compares the conference's flag with the gate's view
STORED_CONFERENCE_EXAMPLES = 20


@st.composite
def stored_conference_consents(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a client's conference-sharing consents and what happened since: age learnt, closure, 처리정지."""
    return {
        "consents": [
            {
                "kind": draw(st.sampled_from(("network", "conference"))),
                "signer": draw(st.sampled_from(("self", "legal_representative"))),
                "until_case_closes": draw(st.booleans()),
                "revoked": draw(st.sampled_from((False, False, True))),
            }
            for _ in range(draw(st.integers(0, 2)))
        ],
        "child": draw(st.booleans()),
        "closed": draw(st.booleans()),
        "suspended": draw(st.sampled_from((False, False, True))),
    }


@pytest.mark.embedded
def test_conference_flag_on_stored_consents_equals_the_gates_view(
    app: Flask,
    db: Any,
    channel_world: ChannelWorld,  # noqa: F811 -- the fixture imported above
    consent_world: ConsentWorld,
) -> None:
    from cases.models import CaseStage
    from conference.access import attending_agency_ids, conference_sharing_consented
    from tests.fixtures.consents import grant

    world = consent_world
    conference = channel_world.conference
    counter = {"examples": 0, "shared": 0, "refused": 0}

    @settings(
        max_examples=STORED_CONFERENCE_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(spec=stored_conference_consents())
    def check(spec: dict[str, Any]) -> None:
        counter["examples"] += 1
        client = _stored_client(db, world)
        client.birth_date = None  # unknown when the consents are signed
        case = Case(
            household_id=client.household_id,
            main_client_id=client.id,
            owning_agency_id=world.owner.id,
            case_worker_id=world.worker.id,
            stage=CaseStage.delivery,
            opened_on=today_local() - timedelta(days=30),
        )
        db.session.add(case)
        db.session.flush()
        for item in spec["consents"]:
            consent = services.record_consent(
                client,
                consent_input(
                    grant(
                        purpose="conference_sharing",
                        recipient_kind=item["kind"],
                        field_groups=("basic", "needs"),
                        conference_id=conference.id if item["kind"] == "conference" else None,
                    ),
                    signer_capacity=item["signer"],
                    signer_relationship=None if item["signer"] == "self" else "모",
                    representation_evidence=None if item["signer"] == "self" else "가족관계증명서",
                    case_id=case.id if item["until_case_closes"] else None,
                ),
                actor=world.worker,
                agency=world.owner,
            )
            if item["revoked"]:
                services.revoke_consent(consent, actor=world.worker)
        if spec["child"]:
            client.birth_date = today_local() - timedelta(days=365 * 9)
        if spec["closed"]:
            case.stage = CaseStage.closed
        if spec["suspended"]:
            request = services.record_request(
                client, actor=world.worker, agency=world.owner, kind="suspension"
            )
            services.fulfil_suspension(request, client, actor=world.worker)
        db.session.flush()

        flag = conference_sharing_consented(case, conference)
        try:
            gate.view_client(
                client,
                world.recipient_worker,
                purpose="conference_sharing",
                acting_agency_id=world.recipient.id,
                context={
                    "case_id": case.id,
                    "conference_id": conference.id,
                    "attending_agency_ids": sorted(attending_agency_ids(conference)),
                },
            )
        except NotFound:
            shown = False
        else:
            shown = True
        assert flag == shown, spec
        counter["shared" if flag else "refused"] += 1
        db.session.commit()

    with app.test_request_context("/"):
        check()
    assert counter["examples"] == STORED_CONFERENCE_EXAMPLES
    assert counter["shared"] >= 1, counter
    assert counter["refused"] >= 1, counter
