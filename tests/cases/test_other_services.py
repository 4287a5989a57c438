"""중복 서비스 확인: another agency's open case of the same person, named only with consent, logged."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from agencies.models import Agency, AgencySector, AgencyType, District, Person, StaffRole
from cases import services
from cases.models import Case, CaseStage, Client
from cases.models.fingerprints import identity_fingerprint, rrn_fingerprint
from consents import services as consent_services
from consents.access_log import AccessLogEntry
from hamkke.audit import AuditEntry
from hamkke.time import today_local
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.cases import CaseKit

pytestmark = pytest.mark.embedded

PERSON = {"name": "박서연", "birth_date": date(1961, 3, 9), "address": "시험구 솔내로 12, 101동 203호"}


def _open(agency: Agency, worker: Person, **person: Any) -> Case:
    return services.open_case(
        agency,
        services.ClientInput(**{**PERSON, **person}),
        actor=worker,
        opened_on=today_local() - timedelta(days=10),
        case_worker_id=worker.id,
    )


def _consent_to_network(case: Case, worker: Person, agency: Agency) -> None:
    """The client lets every agency of the district network receive their basic details (통합사례회의)."""
    today = today_local()
    consent_services.record_consent(
        case.main_client,
        consent_services.ConsentInput(
            signer_capacity="self",
            signer_name="본인서명",
            method="signed_in_person",
            signed_on=today,
            valid_from=today,
            case_id=case.id,
            grants=(
                consent_services.GrantInput(
                    purpose="conference_sharing",
                    recipient_kind="network",
                    field_groups=("basic",),
                    notice_purpose="통합사례관리 기관 간 연계",
                    notice_retention="사례 종결 후 5년",
                    notice_refusal="거부할 수 있으며, 거부하면 기관 간 연계가 제한될 수 있습니다.",
                ),
            ),
        ),
        actor=worker,
        agency=agency,
    )


@dataclass
class District2:
    """The asking dong centre's case, and the other agencies' cases of the same person."""

    asking: Case
    named: Agency
    named_worker: Person
    unnamed: Case
    far: Case


@pytest.fixture
def served(
    db: Any,
    case_kit: CaseKit,
    create_agency: Callable[..., Agency],
    create_person: Callable[..., Person],
) -> District2:
    asking = _open(case_kit.dong_centre, case_kit.worker)
    named = create_agency(name="솔내종합사회복지관", phone="02-555-0101", email="help@solnae.example")
    named_worker = create_person(agency=named, roles=[StaffRole.case_worker], name="복지관담당")
    # The same person written a little differently: spaces, a hyphen and a comma more or less.
    named_case = _open(named, named_worker, name="박 서연", address="시험구 솔내로12 101동-203호")
    _consent_to_network(named_case, named_worker, named)
    unnamed_agency = create_agency(name="솔내노인복지관")
    unnamed_worker = create_person(agency=unnamed_agency, roles=[StaffRole.case_worker], name="노인관담당")
    unnamed = _open(unnamed_agency, unnamed_worker)
    closed_agency = create_agency(name="솔내장애인복지관")
    closed_worker = create_person(agency=closed_agency, roles=[StaffRole.case_worker], name="장애인관담당")
    closed = _open(closed_agency, closed_worker)
    closed.stage = CaseStage.closed
    elsewhere = District(name="다른구", code="other-gu")
    db.session.add(elsewhere)
    db.session.flush()
    far_agency = create_agency(name="다른구 복지관", district=elsewhere, code="far-agency")
    far_worker = create_person(agency=far_agency, roles=[StaffRole.case_worker], name="다른구담당")
    far = _open(far_agency, far_worker)
    db.session.commit()
    return District2(asking, named, named_worker, unnamed, far)


def _log_rows(db: Any, client_id: int) -> list[AccessLogEntry]:
    return list(db.session.scalars(sa.select(AccessLogEntry).where(AccessLogEntry.client_id == client_id)))


def test_fingerprints_ignore_spacing_and_need_all_three(app: Any) -> None:
    born = PERSON["birth_date"]
    with app.app_context():
        written_apart = identity_fingerprint("박 서연", born, "시험구 솔내로12 101동-203호")
        assert identity_fingerprint(PERSON["name"], born, PERSON["address"]) == written_apart
        assert identity_fingerprint(PERSON["name"], date(1961, 3, 10), PERSON["address"]) != written_apart
        assert identity_fingerprint(PERSON["name"], born, None) is None
        assert identity_fingerprint(" ", born, PERSON["address"]) is None
        assert rrn_fingerprint("610309-234567") is None  # twelve digits are no number


def test_the_check_names_a_consenting_agency_and_only_counts_the_others(
    db: Any, client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, served: District2
) -> None:
    login_as(case_kit.worker)
    page = client.get(f"/cases/{served.asking.id}/others")
    text = page.get_data(as_text=True)

    assert page.status_code == 200, text[:400]
    for shown in ("솔내종합사회복지관", "02-555-0101", "복지관담당"):
        assert shown in text
    assert "다른 기관 1곳" in text  # the old people's centre: counted, never named
    for hidden in ("솔내노인복지관", "솔내장애인복지관", "다른구 복지관", "노인관담당"):
        assert hidden not in text
    named_client = db.session.scalar(
        sa.select(Client.id)
        .join(Case, Case.main_client_id == Client.id)
        .where(Case.owning_agency_id == served.named.id)
    )
    named_rows = _log_rows(db, named_client)
    unnamed_rows = _log_rows(db, served.unnamed.main_client_id)
    assert [(row.actor_id, row.field_groups, row.reason) for row in named_rows] == [
        (case_kit.worker.id, ["basic"], "중복 서비스 확인")
    ]
    assert [(row.field_groups, row.reason) for row in unnamed_rows] == [([], "중복 서비스 확인")]
    assert _log_rows(db, served.far.main_client_id) == []
    audit = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "cases.duplicate_check"))
    assert audit is not None
    assert audit.data == {"named": 1, "unnamed": 1, "by": ["identity"]}


def test_the_check_is_reached_from_the_case_page(
    client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, served: District2
) -> None:
    login_as(case_kit.worker)
    page = client.get(f"/cases/{served.asking.id}").get_data(as_text=True)
    assert f'href="/cases/{served.asking.id}/others"' in page


def test_a_record_without_name_birth_date_and_address_cannot_be_matched(
    db: Any, client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit
) -> None:
    case = _open(case_kit.dong_centre, case_kit.worker, address=None)
    db.session.commit()
    login_as(case_kit.worker)
    page = client.get(f"/cases/{case.id}/others")
    assert page.status_code == 422
    assert "이름·생년월일·주소를 모두 입력하거나" in page.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "cases.duplicate_check")) is None
    )


def test_only_the_agency_holding_the_case_may_check(
    client: FlaskClient, login_as: Callable[..., Any], served: District2
) -> None:
    login_as(served.named_worker)
    assert client.get(f"/cases/{served.asking.id}/others").status_code in (403, 404)


def test_a_number_counts_only_with_its_legal_basis(
    db: Any, case_kit: CaseKit, create_agency: Callable[..., Agency], create_person: Callable[..., Person]
) -> None:
    rrn = "610309-2345678"
    with_basis = _open(
        case_kit.dong_centre, case_kit.worker, rrn=rrn, rrn_legal_basis="사회보장급여법 제37조"
    )
    public = create_agency(
        name="시험구청 복지정책과", sector=AgencySector.public, type=AgencyType.district_team
    )
    worker = create_person(agency=public, roles=[StaffRole.case_worker], name="구청담당")
    other = _open(
        public, worker, name="다른이름", address=None, rrn=rrn, rrn_legal_basis="사회보장급여법 제37조"
    )
    db.session.flush()
    assert with_basis.main_client.rrn_match_key == rrn_fingerprint(rrn) == other.main_client.rrn_match_key
    assert other.main_client.identity_match_key is None
    assert with_basis.main_client.identity_match_key == identity_fingerprint(
        PERSON["name"], PERSON["birth_date"], PERSON["address"]
    )


def test_the_command_fingerprints_clients_stored_before_the_upgrade(
    app: Any, db: Any, case_kit: CaseKit
) -> None:
    case = _open(case_kit.dong_centre, case_kit.worker)
    db.session.commit()
    db.session.execute(sa.update(Client).values(identity_match_key=None, rrn_match_key=None))
    db.session.commit()

    result = app.test_cli_runner().invoke(args=["cases", "fingerprints"])

    assert result.exit_code == 0, result.output
    assert "clients re-fingerprinted: 1" in result.output
    stored = db.session.scalar(sa.select(Client.identity_match_key).where(Client.id == case.main_client_id))
    assert stored == identity_fingerprint(PERSON["name"], PERSON["birth_date"], PERSON["address"])


def test_fingerprints_are_recomputed_only_when_an_identity_column_changes(db: Any, case_kit: CaseKit) -> None:
    case = _open(case_kit.dong_centre, case_kit.worker)
    db.session.commit()
    client_id = case.main_client_id
    # A marker written behind the ORM's back shows whether the next write recomputed the keys.
    db.session.execute(sa.update(Client).where(Client.id == client_id).values(identity_match_key="marker"))
    db.session.commit()
    client = db.session.get(Client, client_id)

    client.phone = "010-5555-0101"
    db.session.commit()
    assert db.session.scalar(sa.select(Client.identity_match_key).where(Client.id == client_id)) == "marker"

    client.address = "시험구 솔내로 14"
    db.session.commit()
    assert db.session.scalar(sa.select(Client.identity_match_key).where(Client.id == client_id)) == (
        identity_fingerprint(PERSON["name"], PERSON["birth_date"], "시험구 솔내로 14")
    )


def _register(client: FlaskClient, **fields: str) -> Any:
    """Register a new client through the intake form (접수) as the signed-in worker."""
    token = page_csrf_token(client, "/cases/new")
    data = {"csrf_token": token, "opened_on": today_local().isoformat(), "intake_route": "outreach", **fields}
    return client.post("/cases/new", data=data)


def test_registering_a_client_runs_the_check_next_and_logs_it(
    db: Any, client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit, served: District2
) -> None:
    login_as(case_kit.worker)
    saved = _register(
        client, name="박서연", birth_date=PERSON["birth_date"].isoformat(), address=str(PERSON["address"])
    )
    assert saved.status_code == 303
    new_case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    assert saved.headers["Location"].endswith(f"/cases/{new_case.id}/others?after_intake=1")
    before = len(_log_rows(db, served.unnamed.main_client_id))
    answer = client.get(saved.headers["Location"])
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200, text[:400]
    assert "사례를 접수했습니다" in text
    assert "솔내종합사회복지관" in text
    assert "다른 기관" in text
    assert "솔내노인복지관" not in text
    assert len(_log_rows(db, served.unnamed.main_client_id)) == before + 1
    audits = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "cases.duplicate_check")
    ).all()
    assert any(entry.object_id == new_case.main_client_id for entry in audits)


def test_registering_without_a_lawful_identifier_keeps_the_case_and_refuses_the_check(
    db: Any, client: FlaskClient, login_as: Callable[..., Any], case_kit: CaseKit
) -> None:
    login_as(case_kit.worker)
    saved = _register(client, name="이름만")
    assert saved.status_code == 303
    new_case = db.session.scalar(sa.select(Case).order_by(Case.id.desc()))
    assert new_case.main_client.name == "이름만"
    answer = client.get(saved.headers["Location"])
    text = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "이름·생년월일·주소를 모두 입력하거나" in text
    assert "사례 접수는 저장되었습니다" in text
    assert (
        db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "cases.duplicate_check")) is None
    )
    # Nothing else breaks: the case page still opens.
    assert client.get(f"/cases/{new_case.id}").status_code == 200
