"""Property: no field outside consent reaches another agency, through any channel that exists now.

Two layers. The bulk (520 generated clients, each viewed by 5 agencies for 4 purposes: 10,400 cases,
derandomized so every run checks the same ones)
compares :func:`consents.policy.decide` with an independent oracle written below and renders each
decision into a real :class:`ClientView`, its JSON and the scope macro, looking for canary values of
withheld groups. A deterministic subset then goes through the real channels with the database:
the HTML panel, the JSON API, and e-mails queued through notifications and re-checked at send time.
A third test adds the later channels on stored consents for referrals, conferences and collection,
revoked after the referral is sent: the 의뢰서 PDF (rendered by the worker's ``ensure_letter``, its text
extracted), the referral webhooks in the outbox (no client field at all), the ``/conference`` socket
payloads (``agency_payload`` and what ``publish_all`` emits to each agency's room), and the exports (the
data-subject export asked by other agencies, the HSDS directory, the access-log CSV).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from cases.fields import FIELD_GROUPS
from cases.models import Client, Household
from consents import gate, services
from consents.models import Consent
from consents.policy import (
    ConferenceContext,
    GrantFacts,
    SubjectFacts,
    ViewerFacts,
    decide,
)
from hamkke.crypto import encrypt_text
from hamkke.errors import DomainError, NotFound
from hamkke.time import today_local
from notifications.delivery import deliver
from notifications.models import DeliveryStatus, OutboxMessage
from tests.fixtures.consents import ConsentWorld, consent_input

GROUPS = tuple(FIELD_GROUPS)
PURPOSES = ("case_management", "conference_sharing", "referral", "follow_up")
KINDS = ("collector", "agency", "conference", "network")
ON = date(2026, 6, 15)
#: generated clients per run; each is checked from 5 agencies × 4 purposes
BULK_EXAMPLES = 520
BULK_CASES = BULK_EXAMPLES * 5 * 4


GROUP_INDEX = {code: index for index, code in enumerate(GROUPS)}


def marker(group: str) -> str:
    """Return the tag every canary of a group carries (short: some columns hold 10 characters)."""
    return f"~{GROUP_INDEX[group]}~"


def canary(group: str, column: str) -> str:
    """Return the value planted in one personal column: its group's marker plus a bit of the name."""
    return f"{marker(group)}{column[:5]}"


def oracle(
    *,
    owner: int,
    under_14: bool,
    viewer: ViewerFacts,
    suspended: bool = False,
    purpose: str,
    on: date,
    grants: Iterable[GrantFacts],
    conference: ConferenceContext | None,
) -> frozenset[str]:
    """Decide visibility group by group, straight from the rules as the issue states them."""
    if viewer.agency_id == owner:
        return frozenset(GROUPS)
    if suspended:
        return frozenset()  # 처리정지: nothing goes to another agency, whatever was consented
    grants = list(grants)
    visible: set[str] = set()
    for group in GROUPS:
        for grant in grants:
            in_force = (
                not grant.revoked
                and not grant.case_closed
                and grant.valid_from <= on
                and (grant.valid_until is None or on <= grant.valid_until)
            )
            signer_ok = not under_14 or grant.signer_capacity == "legal_representative"
            covers = group in grant.field_groups and group not in grant.revoked_groups
            if group == "unique_id":
                separate_ok = (
                    grant.includes_unique_id and viewer.is_public and bool(grant.rrn_statutory_basis)
                )
            elif FIELD_GROUPS[group].sensitive:
                separate_ok = grant.includes_sensitive
            else:
                separate_ok = True
            if grant.recipient_kind == "agency":
                addressed = grant.recipient_agency_id == viewer.agency_id
            elif grant.recipient_kind == "network":
                addressed = grant.district_id == viewer.district_id
            elif grant.recipient_kind == "conference":
                addressed = (
                    conference is not None
                    and conference.conference_id == grant.conference_id
                    and viewer.agency_id in conference.attending_agency_ids
                )
            else:
                addressed = False
            if in_force and signer_ok and covers and separate_ok and addressed and grant.purpose == purpose:
                visible.add(group)
                break
    return frozenset(visible)


# --- the bulk: generated policy inputs, rendered into real views --------------------------------

days = st.integers(min_value=-60, max_value=60).map(lambda n: ON + timedelta(days=n))
groups_subset = st.frozensets(st.sampled_from(GROUPS), max_size=len(GROUPS))


@st.composite
def grant_facts(draw: st.DrawFn) -> GrantFacts:
    """Draw one grant as it stands at decision time (revoked, expired, partial, …)."""
    valid_from = draw(days)
    valid_until = draw(st.none() | days.filter(lambda d: d >= valid_from))
    return GrantFacts(
        consent_id=draw(st.integers(1, 50)),
        purpose=draw(st.sampled_from(PURPOSES)),
        recipient_kind=draw(st.sampled_from(KINDS)),
        field_groups=draw(groups_subset),
        valid_from=valid_from,
        valid_until=valid_until,
        recipient_agency_id=draw(st.integers(1, 5)),
        conference_id=draw(st.sampled_from((1, 2))),
        district_id=draw(st.sampled_from((1, 2))),
        case_closed=draw(st.booleans()),
        signer_capacity=draw(st.sampled_from(("self", "legal_representative", "guardian"))),
        includes_sensitive=draw(st.booleans()),
        includes_unique_id=draw(st.booleans()),
        rrn_statutory_basis=draw(st.sampled_from((None, "", "사회보장급여법 시행령 제28조"))),
        revoked=draw(st.booleans()),
        revoked_groups=draw(groups_subset),
    )


#: the five agencies every bulk case is viewed from: (agency id, district, public?)
VIEWERS = tuple(
    ViewerFacts(agency_id=agency_id, district_id=1 if agency_id <= 3 else 2, is_public=agency_id in {3, 5})
    for agency_id in range(1, 6)
)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """Draw a client (owner, age), a date, maybe a conference, and the client's grants.

    Each drawn client is then viewed by all five agencies for all four purposes: 20 cases per draw.
    """
    conference = draw(
        st.none()
        | st.builds(
            ConferenceContext,
            conference_id=st.sampled_from((1, 2)),
            attending_agency_ids=st.frozensets(st.integers(1, 5), max_size=5),
        )
    )
    return {
        "owner": draw(st.integers(1, 5)),
        "under_14": draw(st.booleans()),
        # 처리정지 in a few of the clients (it empties every non-owner's view)
        "suspended": draw(st.sampled_from((False, False, False, True))),
        "on": draw(days),
        "grants": draw(st.lists(grant_facts(), max_size=5)),
        "conference": conference,
    }


def transient_client(owner: int) -> Client:
    """Build a client (not saved) whose every personal field holds its group's canary."""
    household = Household(owning_agency_id=owner, composition=canary("household", "composition"))
    values: dict[str, Any] = {"owning_agency_id": owner, "household": household}
    for code, group in FIELD_GROUPS.items():
        for column in group.columns:
            if column == "rrn_masked":
                values["rrn_encrypted"] = encrypt_text("900101-1" + "234567")
            elif column in {"birth_date"}:
                values[column] = date(1980, 1, 1)
            elif column in {"monthly_income", "debt_amount", "lives_together"}:
                continue
            else:
                values[column] = canary(code, column)
    client = Client(**values)
    client.id = 4242
    client.household_id = 99
    return client


def leaked_groups(text: str, visible: frozenset[str]) -> set[str]:
    """Return withheld groups whose canary appears in ``text``."""
    return {group for group in GROUPS if group not in visible and marker(group) in text}


@pytest.fixture
def bulk_client(app: Flask) -> Client:
    """One transient client with canaries, reused by every bulk example (views never mutate it)."""
    return transient_client(owner=1)


def test_bulk_policy_matches_oracle_and_views_carry_no_withheld_field(
    app: Flask, bulk_client: Client
) -> None:
    macro = app.jinja_env.from_string(
        '{% from "consents/_macros.html" import scope_indicator, field_value %}'
        "{{ scope_indicator(view, groups, {}) }}"
        "{% for name in columns %}{{ field_value(view, name) }}{% endfor %}"
    )
    columns = [column for group in FIELD_GROUPS.values() for column in group.columns]
    checked = {"cases": 0, "rendered": 0}

    @settings(
        max_examples=BULK_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(scenario=scenarios())
    def check(scenario: dict[str, Any]) -> None:
        owner = scenario["owner"]
        subject = SubjectFacts(
            client_id=4242,
            owning_agency_id=owner,
            is_under_14=scenario["under_14"],
            processing_suspended=scenario["suspended"],
        )
        bulk_client.owning_agency_id = owner
        for viewer in VIEWERS:
            for purpose in PURPOSES:
                decision = decide(
                    subject,
                    viewer,
                    purpose=purpose,
                    on=scenario["on"],
                    grants=scenario["grants"],
                    conference=scenario["conference"],
                )
                expected = oracle(
                    owner=owner,
                    under_14=scenario["under_14"],
                    suspended=scenario["suspended"],
                    viewer=viewer,
                    purpose=purpose,
                    on=scenario["on"],
                    grants=scenario["grants"],
                    conference=scenario["conference"],
                )
                assert decision.groups == expected
                checked["cases"] += 1
                view = gate._build_view(bulk_client, decision, purpose, None)
                payload = json.dumps(view.as_dict(), ensure_ascii=False, default=str)
                assert not leaked_groups(payload, decision.groups), payload
                if "household" not in decision.groups:
                    assert view.records("households") == ()
                if checked["cases"] % 10 == 0:
                    html = macro.render(view=view, groups=FIELD_GROUPS, columns=columns)
                    assert not leaked_groups(html, decision.groups)
                    checked["rendered"] += 1

    with app.test_request_context("/"):
        check()
    assert checked["cases"] >= BULK_CASES >= 10_000
    assert checked["rendered"] >= BULK_CASES // 10


# --- the subset: real consents in the database, real channels -----------------------------------


@st.composite
def stored_consents(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Draw consents the service accepts, with revocations (full or partial) and past expiries."""
    consents = []
    for _ in range(draw(st.integers(0, 3))):
        grants = []
        for _ in range(draw(st.integers(1, 2))):
            kind = draw(st.sampled_from(("agency", "network", "public")))
            grants.append(
                {
                    "purpose": draw(st.sampled_from(("referral", "follow_up"))),
                    "kind": kind,
                    "groups": tuple(
                        sorted(draw(st.frozensets(st.sampled_from(GROUPS), min_size=1, max_size=4)))
                    ),
                }
            )
        consents.append(
            {
                "grants": grants,
                "sensitive": draw(st.booleans()),
                "expired": draw(st.booleans()),
                "revoke": draw(st.sampled_from(("none", "all", "partial"))),
            }
        )
    return consents


def _grant_input(world: ConsentWorld, spec: dict[str, Any]) -> services.GrantInput:
    recipient = {"agency": world.recipient.id, "public": world.public.id}.get(spec["kind"])
    return services.GrantInput(
        purpose=spec["purpose"],
        recipient_kind="network" if spec["kind"] == "network" else "agency",
        field_groups=spec["groups"],
        recipient_agency_id=recipient,
        notice_purpose="연계",
        notice_retention="종결 시까지",
        notice_refusal="거부 가능, 연계 제한",
    )


def test_real_channels_never_carry_withheld_fields(
    app: Flask,
    db: Any,
    consent_world: ConsentWorld,
    login_as: Callable[..., Any],
) -> None:
    world = consent_world
    viewers = {
        "recipient": (world.recipient_worker, world.recipient),
        "public": (world.public_worker, world.public),
        "outsider": (world.outsider_worker, world.outsider),
    }
    browsers: dict[str, FlaskClient] = {}
    for key, (person, agency) in viewers.items():
        browsers[key] = app.test_client()
        login_as(person, agency_id=agency.id, test_client=browsers[key])
    counter = {"n": 0, "channels": 0}

    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(specs=stored_consents())
    def check(specs: list[dict[str, Any]]) -> None:
        counter["n"] += 1
        client = _stored_client(db, world)
        for spec in specs:
            past = today_local() - timedelta(days=40)
            try:
                consent = services.record_consent(
                    client,
                    consent_input(
                        *[_grant_input(world, g) for g in spec["grants"]],
                        includes_sensitive=spec["sensitive"],
                        signed_on=past if spec["expired"] else today_local(),
                        valid_from=past if spec["expired"] else today_local(),
                        valid_until=past + timedelta(days=10) if spec["expired"] else None,
                    ),
                    actor=world.worker,
                    agency=world.owner,
                )
            except DomainError:
                continue  # refused input (e.g. health without the separate consent) saves nothing
            if spec["revoke"] == "all":
                services.revoke_consent(consent, actor=world.worker)
            elif spec["revoke"] == "partial":
                services.revoke_consent(
                    consent,
                    actor=world.worker,
                    grant=consent.grants[0],
                    field_groups=consent.grants[0].field_groups[:1],
                )
        db.session.commit()
        facts = gate.load_grant_facts([client.id])[client.id]
        for key, (person, agency) in viewers.items():
            viewer = ViewerFacts(
                agency_id=agency.id, district_id=agency.district_id, is_public=key == "public"
            )
            for purpose in ("referral", "follow_up"):
                expected = oracle(
                    owner=world.owner.id,
                    under_14=False,
                    viewer=viewer,
                    purpose=purpose,
                    on=today_local(),
                    grants=facts,
                    conference=None,
                )
                _check_channels(browsers[key], client, purpose, expected, person, agency)
                counter["channels"] += 1

    def _check_channels(
        browser: FlaskClient, client: Client, purpose: str, expected: frozenset[str], person: Any, agency: Any
    ) -> None:
        page = browser.get(f"/consents/panel/{client.id}?purpose={purpose}")
        api = browser.get(f"/consents/api/clients/{client.id}?purpose={purpose}")
        if not expected:
            assert page.status_code == 404
            assert api.status_code == 404
            assert not leaked_groups(page.get_data(as_text=True) + api.get_data(as_text=True), frozenset())
            return
        assert page.status_code == 200
        assert api.status_code == 200
        assert not leaked_groups(page.get_data(as_text=True), expected)
        # Decode first: the JSON body may escape non-ASCII, which would hide a canary from a text search.
        assert not leaked_groups(json.dumps(api.get_json(), ensure_ascii=False), expected)
        assert set(api.get_json()["visible_groups"]) == expected
        # E-mail: the queued text and, after a revocation, the send-time check.
        view = gate.view_client(client, person, purpose=purpose, acting_agency_id=agency.id, channel="email")
        message = services.queue_client_email(
            view,
            to="someone@example.org",
            subject="안내",
            fields=[c for g in FIELD_GROUPS.values() for c in g.columns if c != "rrn_masked"],
            recipient_agency_id=agency.id,
            idempotency_key=f"prop:{client.id}:{agency.id}:{purpose}",
        )
        assert not leaked_groups(json.dumps(message.payload, ensure_ascii=False), expected)

    with app.test_request_context("/"):
        check()
    assert counter["n"] == 25
    assert counter["channels"] == 25 * 6
    # Every e-mail queued above is re-checked at send time: after revoking everything, none goes out.
    for consent in db.session.scalars(sa.select(Consent)).all():
        if not any(r.grant_id is None and not r.field_groups for r in consent.revocations):
            services.revoke_consent(consent, actor=world.worker)
    db.session.commit()
    pending = db.session.scalars(
        sa.select(OutboxMessage.id).where(OutboxMessage.status == DeliveryStatus.pending)
    )
    for outbox_id in pending.all():
        assert deliver(outbox_id) == "cancelled"


def _stored_client(db: Any, world: ConsentWorld) -> Client:
    household = Household(owning_agency_id=world.owner.id, composition=canary("household", "composition"))
    db.session.add(household)
    db.session.flush()
    values: dict[str, Any] = {"household_id": household.id, "owning_agency_id": world.owner.id}
    for code, group in FIELD_GROUPS.items():
        for column in group.columns:
            if column in {"rrn_masked", "birth_date", "monthly_income", "debt_amount", "lives_together"}:
                continue
            values[column] = canary(code, column)
    client = Client(**values)
    db.session.add(client)
    db.session.flush()
    return client


def test_gate_refuses_unknown_viewers_for_generated_clients(db: Any, consent_world: ConsentWorld) -> None:
    client = _stored_client(db, consent_world)
    with pytest.raises(NotFound):
        gate.view_client(client, None, purpose="referral", acting_agency_id=consent_world.recipient.id)


# --- later channels: letters, webhooks, conference sockets, exports ------------------------------

#: examples of the channel test; each checks a letter, webhooks, every attendee's socket payloads and
#: the exports, so a run covers CHANNEL_EXAMPLES × (1 letter + 3 socket viewers + 3 exports) disclosures
CHANNEL_EXAMPLES = 20


#: recipients a purpose can name (a collection consent names the collector; a conference needs its purpose)
RECIPIENTS_BY_PURPOSE = {
    "referral": ("agency", "public", "network"),
    "conference_sharing": ("conference", "network", "agency", "public"),
    "case_management": ("collector",),
}


@st.composite
def channel_consents(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Draw consents the service mostly accepts: referral, conference and collection grants, some revoked."""
    consents = []
    for _ in range(draw(st.integers(0, 3))):
        grants = []
        for _ in range(draw(st.integers(1, 2))):
            purpose = draw(st.sampled_from(tuple(RECIPIENTS_BY_PURPOSE)))
            groups = draw(st.frozensets(st.sampled_from(GROUPS[:1] + GROUPS[2:]), min_size=1, max_size=5))
            grants.append(
                {
                    "purpose": purpose,
                    "kind": draw(st.sampled_from(RECIPIENTS_BY_PURPOSE[purpose])),
                    "groups": tuple(sorted(groups)),
                }
            )
        consents.append(
            {
                "grants": grants,
                "sensitive": draw(st.sampled_from((True, True, False))),
                "revoke": draw(st.sampled_from(("none", "none", "all", "partial"))),
            }
        )
    return consents


@dataclass
class ChannelWorld:
    """One client with canaries, their case, a referral target, webhook endpoints and a live conference."""

    client: Client
    case: Any
    conference: Any
    attendances: dict[str, Any]


@pytest.fixture
def channel_world(
    db: Any,
    consent_world: ConsentWorld,
    create_person: Callable[..., Any],
    create_plain_case: Callable[..., Any],
) -> ChannelWorld:
    """Build the client, case, webhook endpoints and a conference on the case, attended by three agencies."""
    from agencies.models import StaffRole
    from conference import services as conference_services
    from conference.access import CURRENT_PLEDGE_VERSION
    from conference.models import ConferenceKind
    from hamkke.time import now_utc
    from notifications.webhooks import create_endpoint

    world = consent_world
    client = _stored_client(db, world)
    case = create_plain_case(client)
    for agency in (world.owner, world.recipient):
        create_endpoint(
            agency_id=agency.id, url="http://127.0.0.1:9/hook", secret="s" * 40, events=["referral.*"]
        )
    chair = create_person(agency=world.owner, roles=[StaffRole.coordinator], name="의장")
    recorder = create_person(agency=world.owner, name="서기")
    conference = conference_services.create_conference(
        actor=chair,
        district_id=world.district.id,
        kind=ConferenceKind.regional,
        title="속성 시험 통합사례회의",
        place="구청 회의실",
        starts_at=now_utc() + timedelta(hours=1),
        host_agency_id=world.owner.id,
        chair_id=chair.id,
        recorder_id=recorder.id,
    )
    for agency in (world.recipient, world.public, world.outsider):
        conference_services.invite(conference, actor=chair, agency_id=agency.id)
    item = conference_services.propose_item(
        conference, actor=chair, title="속성 시험 사례", agency_id=world.owner.id, case_id=case.id
    )
    conference_services.approve_agenda(conference, actor=chair)
    attendances = {}
    for key, person, agency in (
        ("recipient", world.recipient_worker, world.recipient),
        ("public", world.public_worker, world.public),
        ("outsider", world.outsider_worker, world.outsider),
    ):
        attendance = conference_services.check_in(conference, person=person, agency_id=agency.id)
        conference_services.accept_pledge(attendance, version=CURRENT_PLEDGE_VERSION)
        attendances[key] = attendance
    # The item is open: other agencies see its case exactly as far as the consent allows.
    conference_services.start_conference(conference, actor=chair)
    conference_services.open_item(item, actor=chair)
    db.session.commit()
    return ChannelWorld(client=client, case=case, conference=conference, attendances=attendances)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    # pypdf reads this font's text with NUL padding, and wrapped lines may split a canary: drop both.
    return "".join(
        "".join((page.extract_text() or "").replace("\x00", "").split()) for page in PdfReader(path).pages
    )


def test_letters_webhooks_sockets_and_exports_never_carry_withheld_fields(
    app: Flask,
    db: Any,
    consent_world: ConsentWorld,
    channel_world: ChannelWorld,
    emitted: list[tuple[str, dict[str, Any], str]],
    login_as: Callable[..., Any],
) -> None:
    from conference.access import attending_agency_ids
    from conference.queries import agency_payload
    from conference.sockets import agency_room, publish_all
    from referrals import services as referral_services
    from referrals.directory import hsds_export
    from referrals.letters import ensure_letter
    from referrals.models import LetterKind

    world, setting = consent_world, channel_world
    client, conference = setting.client, setting.conference
    viewers = {
        "recipient": (world.recipient_worker, world.recipient, False),
        "public": (world.public_worker, world.public, True),
        "outsider": (world.outsider_worker, world.outsider, False),
    }
    auditor = app.test_client()
    login_as(world.auditor, test_client=auditor)
    counter = dict.fromkeys(
        ("examples", "letters", "letter_fields", "sockets", "socket_fields", "webhooks", "exports"), 0
    )

    def grant_input(spec: dict[str, Any]) -> services.GrantInput:
        kind = {"public": "agency"}.get(spec["kind"], spec["kind"])
        return services.GrantInput(
            purpose=spec["purpose"],
            recipient_kind=kind,
            field_groups=spec["groups"],
            recipient_agency_id={"agency": world.recipient.id, "public": world.public.id}.get(spec["kind"]),
            conference_id=conference.id if spec["kind"] == "conference" else None,
            notice_purpose="연계",
            notice_retention="종결 시까지",
            notice_refusal="거부 가능, 연계 제한",
        )

    def expected(key: str, purpose: str, with_conference: bool) -> frozenset[str]:
        _person, agency, is_public = viewers[key]
        context = (
            ConferenceContext(
                conference_id=conference.id, attending_agency_ids=attending_agency_ids(conference)
            )
            if with_conference
            else None
        )
        return oracle(
            owner=world.owner.id,
            under_14=False,
            viewer=ViewerFacts(agency_id=agency.id, district_id=agency.district_id, is_public=is_public),
            purpose=purpose,
            on=today_local(),
            grants=gate.load_grant_facts([client.id])[client.id],
            conference=context,
        )

    @settings(
        max_examples=CHANNEL_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        # No shrinking: each example writes consents, a referral, a letter; the failing one is reported as is.
        phases=(Phase.explicit, Phase.reuse, Phase.generate),
    )
    @given(specs=channel_consents())
    # One case known to disclose (a referral and a conference grant with 기본정보), so the positive
    # controls below always run whatever the generated ones turn out to be.
    @example(
        specs=[
            {
                "grants": [
                    {"purpose": "referral", "kind": "agency", "groups": ("basic", "household")},
                    {"purpose": "conference_sharing", "kind": "conference", "groups": ("basic", "needs")},
                ],
                "sensitive": False,
                "revoke": "none",
            }
        ]
    )
    def check(specs: list[dict[str, Any]]) -> None:
        counter["examples"] += 1
        # A fresh start: everything consented before is revoked (history stays, as it must).
        for consent in db.session.scalars(sa.select(Consent).where(Consent.client_id == client.id)).all():
            if not any(r.grant_id is None and not r.field_groups for r in consent.revocations):
                services.revoke_consent(consent, actor=world.worker)
        recorded = []
        for spec in specs:
            try:
                consent = services.record_consent(
                    client,
                    consent_input(
                        *[grant_input(g) for g in spec["grants"]], includes_sensitive=spec["sensitive"]
                    ),
                    actor=world.worker,
                    agency=world.owner,
                )
            except DomainError:
                continue  # refused input saves nothing
            recorded.append((consent, spec["revoke"]))
        db.session.commit()
        # The referral carries everything consented when it is written; revocations come after sending.
        allowed = gate.groups_allowed_now(client, world.recipient, purpose="referral")
        referral = referral_services.create_referral(
            setting.case,
            actor=world.worker,
            receiving_agency=world.recipient,
            content=referral_services.ReferralContent(
                reason="속성 시험",
                requested_services="상담",
                main_problem="시험",
                service_history="",
                notes="",
                field_groups=tuple(sorted(allowed)),
            ),
        )
        referral_services.send_referral(referral, actor=world.worker)
        db.session.commit()
        for consent, revoke in recorded:
            if revoke == "all":
                services.revoke_consent(consent, actor=world.worker)
            elif revoke == "partial":
                services.revoke_consent(
                    consent,
                    actor=world.worker,
                    grant=consent.grants[0],
                    field_groups=consent.grants[0].field_groups[:1],
                )
        db.session.commit()

        # Letter (의뢰서 PDF), rendered after the revocations: re-checked at render time.
        letter = ensure_letter(referral.id, LetterKind.request)
        assert letter is not None
        text = _pdf_text(Path(app.instance_path) / letter.path)
        to_recipient = expected("recipient", "referral", with_conference=False)
        assert set(letter.field_groups) <= to_recipient, (letter.field_groups, to_recipient)
        assert not leaked_groups(text, to_recipient), text
        if "basic" in letter.field_groups:
            # The extraction sees the letter's text: a consented canary is there.
            assert marker("basic") in text
            counter["letter_fields"] += 1
        counter["letters"] += 1

        # Webhooks (referral events): IDs and codes only, never a client field.
        hooks = db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.idempotency_key.like(f"referral:{referral.id}:%webhook%")
            )
        ).all()
        assert hooks
        for hook in hooks:
            assert not leaked_groups(json.dumps(hook.payload, ensure_ascii=False), frozenset())
            counter["webhooks"] += 1

        # Conference sockets: what publish_all emits to each agency room, and each attendee's payload.
        emitted.clear()
        publish_all(conference)
        db.session.commit()
        for key, (_person, agency, _public) in viewers.items():
            visible = expected(key, "conference_sharing", with_conference=True)
            payload = agency_payload(conference, setting.attendances[key], channel="socket")
            payload_text = json.dumps(payload, ensure_ascii=False, default=str)
            assert not leaked_groups(payload_text, visible)
            opened = any(entry.get("visible") for entry in payload["items"].values())
            if "basic" in visible and opened:
                # The consented part does arrive once the item is open to the agency (the conference shows
                # an item only on a conference or network grant: stricter than the gate, never looser).
                assert marker("basic") in payload_text, payload_text
                counter["socket_fields"] += 1
            room = agency_room(conference.id, agency.id)
            sent = [p for event, p, r in emitted if r == room and event == "case_data"]
            assert sent, (key, [(e, r) for e, _, r in emitted])
            for item in sent:
                assert not leaked_groups(json.dumps(item, ensure_ascii=False, default=str), visible)
            counter["sockets"] += 1
        for event, item, room in emitted:
            if not room.endswith(tuple(f":agency:{a.id}" for _, a, _ in viewers.values())):
                # Conference-wide rooms (state, presence) carry no client data at all.
                assert not leaked_groups(json.dumps(item, ensure_ascii=False, default=str), frozenset()), (
                    event
                )
        db.session.commit()

        # Exports: the data-subject export by another agency, the HSDS directory, the access-log CSV.
        for key, (person, agency, _public) in viewers.items():
            visible = expected(key, "case_management", with_conference=False)
            try:
                export = services.export_client_data(client, actor=person, agency=agency, reason="속성 시험")
            except NotFound:
                assert not visible
            else:
                assert not leaked_groups(json.dumps(export, ensure_ascii=False, default=str), visible)
            db.session.commit()
        assert not leaked_groups(json.dumps(hsds_export(world.district), ensure_ascii=False), frozenset())
        log_csv = auditor.get("/consents/access-log.csv")
        assert log_csv.status_code == 200, log_csv.status_code
        assert not leaked_groups(log_csv.get_data(as_text=True), frozenset())
        counter["exports"] += 3

    with app.test_request_context("/"):
        check()
    assert counter["examples"] == CHANNEL_EXAMPLES + 1
    assert counter["letters"] == counter["examples"]
    assert counter["sockets"] == 3 * counter["examples"]
    # Some generated consents let the letter carry a field: the positive control above ran.
    assert counter["letter_fields"] >= 1, counter
    assert counter["socket_fields"] >= 1, counter
    assert counter["webhooks"] >= counter["examples"]
