"""``hamkke setup``: the first district from an empty install; bad input names the row or setting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from agencies import onboarding
from agencies.access import can_manage_network
from agencies.agreement import current_agreement
from agencies.models import (
    Agency,
    AgencySector,
    AgencyStatus,
    AgencyType,
    District,
    Dong,
    IdentityProvider,
    Invitation,
    Person,
    Region,
    StaffRole,
)
from agencies.setup import decode_csv, parse_dong_csv
from hamkke.audit import AuditEntry
from tests.fixtures.services import free_port

DONGS_CSV = """권역,권역코드,행정동코드,행정동명
1권역(북부),gn-north,1168051000,신사동
1권역(북부),gn-north,1168052100,논현1동
2권역(남부),gn-south,1168064000,개포1동
2권역(남부),gn-south,1168065500,세곡동
"""


def write_csv(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / "dongs.csv"
    path.write_bytes(text.encode(encoding))
    return path


def run_setup(app: Flask, issuer: str, csv_path: Path, tmp_path: Path, **overrides: str) -> Result:
    secret = tmp_path / "secret"
    secret.write_text("test-client-secret\n", encoding="utf-8")
    options = {
        "--district-code": "gangnam",
        "--district-name": "강남구",
        "--dongs-csv": str(csv_path),
        "--provider-name": "강남구 통합 계정",
        "--issuer": issuer,
        "--client-id": "hamkke-test",
        "--client-secret-file": str(secret),
        "--allowed-domain": "hanbit.go.kr",
        "--coordinator-email": "kim.coordinator@hanbit.go.kr",
        **overrides,
    }
    args = ["setup", "--no-input"]
    for name, value in options.items():
        args += [name, value]
    return app.test_cli_runner().invoke(args=args)


def count(db: Any, model: type) -> int:
    return int(db.session.scalar(sa.select(sa.func.count()).select_from(model)))


def test_setup_creates_the_district_and_prints_the_coordinators_link(
    app: Flask, db: Any, idp: Any, tmp_path: Path
) -> None:
    result = run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path)

    assert result.exit_code == 0, result.output
    district = db.session.scalar(sa.select(District).where(District.code == "gangnam"))
    assert district is not None
    assert district.name == "강남구"
    assert [(r.code, r.name, [d.name for d in r.dongs]) for r in district.regions] == [
        ("gn-north", "1권역(북부)", ["신사동", "논현1동"]),
        ("gn-south", "2권역(남부)", ["개포1동", "세곡동"]),
    ]
    provider = db.session.scalar(
        sa.select(IdentityProvider).where(IdentityProvider.district_id == district.id)
    )
    assert provider is not None
    assert provider.allowed_email_domains == ["hanbit.go.kr"]
    assert "test-client-secret" not in provider.client_secret_encrypted
    team = db.session.scalar(sa.select(Agency).where(Agency.district_id == district.id))
    assert team is not None
    assert (team.code, team.name, team.type, team.status) == (
        "gangnam-team",
        "강남구 희망복지지원단",
        AgencyType.district_team,
        AgencyStatus.invited,
    )
    invitation = db.session.scalar(sa.select(Invitation).where(Invitation.agency_id == team.id))
    assert invitation is not None
    assert invitation.grants_coordinator
    link = result.output.strip().splitlines()[-1]
    assert link.startswith("http://localhost/agencies/join/")
    assert invitation.token_hash == onboarding.hash_token(link.rsplit("/", 1)[1])
    actions = set(db.session.scalars(sa.select(AuditEntry.action)))
    assert {"district.set_up", "agency.identity_provider_created", "agency.invited"} <= actions


def test_the_invited_coordinator_becomes_coordinator_and_invites_an_agency(
    app: Flask, db: Any, idp: Any, tmp_path: Path
) -> None:
    result = run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1].rsplit("/", 1)[1]
    person = Person(name="김조정", email="kim.coordinator@hanbit.go.kr")
    db.session.add(person)
    db.session.flush()

    membership = onboarding.accept_invitation(token, person=person)
    onboarding.accept_agreement(membership.agency, actor=person, version=current_agreement().version)
    db.session.commit()

    assert membership.role_set == {StaffRole.agency_admin, StaffRole.coordinator}
    district = membership.agency.district
    assert can_manage_network(person, district)
    region = district.regions[0]
    _invitation, invite_token = onboarding.invite_agency(
        onboarding.AgencyInvitationData(
            name="강남종합사회복지관",
            code="gangnam-welfare",
            type=AgencyType.community_welfare_centre,
            sector=AgencySector.private,
            region_ids=(region.id,),
            email="head@hanbit.go.kr",
            identity_provider_id=membership.agency.identity_provider_id,
        ),
        actor=person,
        district=district,
        send_email=False,
    )
    assert onboarding.find_invitation(invite_token) is not None


def test_an_ordinary_invitation_grants_no_coordinator_role(
    db: Any, app: Flask, idp: Any, tmp_path: Path
) -> None:
    result = run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path)
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1].rsplit("/", 1)[1]
    invitation = onboarding.find_invitation(token)
    assert invitation is not None
    invitation.grants_coordinator = False
    person = Person(name="김조정", email="kim.coordinator@hanbit.go.kr")
    db.session.add(person)
    db.session.flush()

    membership = onboarding.accept_invitation(token, person=person)

    assert membership.role_set == {StaffRole.agency_admin}


@pytest.mark.parametrize(
    ("csv_text", "korean", "english"),
    [
        ("권역,행정동명\n1권역,신사동\n", "'행정동코드' 열이 없습니다", "has no column 'dong_code'"),
        (DONGS_CSV.replace("1168052100,논현1동", "1168052100,"), "CSV 3행", "CSV row 3: dong is empty"),
        (
            DONGS_CSV.replace("1168064000", "1168051000"),
            "CSV 4행",
            "CSV row 4: dong_code 1168051000 repeats row 2",
        ),
        (DONGS_CSV.replace("gn-south,1168065500", "gn-other,1168065500"), "CSV 5행", "CSV row 5: region"),
        (DONGS_CSV.replace("1168065500", "11680 655"), "CSV 5행", "CSV row 5: dong_code"),
        ("권역,행정동코드,행정동명\n", "한 줄도 없습니다", "lists no dong"),
    ],
    ids=["missing column", "empty name", "duplicate code", "two region codes", "bad code", "no rows"],
)
def test_malformed_csv_names_the_row_and_creates_nothing(
    app: Flask, db: Any, idp: Any, tmp_path: Path, csv_text: str, korean: str, english: str
) -> None:
    result = run_setup(app, idp.url, write_csv(tmp_path, csv_text), tmp_path)

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert korean in lines[0], lines[0]
    assert english in lines[0], lines[0]
    assert "Traceback" not in result.output
    assert (count(db, District), count(db, Region), count(db, Dong), count(db, IdentityProvider)) == (
        0,
        0,
        0,
        0,
    )


def test_a_duplicate_district_is_refused_and_nothing_is_added(
    app: Flask, db: Any, idp: Any, tmp_path: Path
) -> None:
    assert run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path).exit_code == 0
    before = (count(db, Region), count(db, Dong), count(db, IdentityProvider), count(db, Invitation))

    result = run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path, **{"--district-name": "강남"})

    assert result.exit_code == 1
    assert "--district-code" in result.output
    assert "already exists" in result.output
    assert (count(db, Region), count(db, Dong), count(db, IdentityProvider), count(db, Invitation)) == before


def test_an_unreachable_provider_is_refused_naming_the_issuer(app: Flask, db: Any, tmp_path: Path) -> None:
    result = run_setup(app, f"http://127.0.0.1:{free_port()}", write_csv(tmp_path, DONGS_CSV), tmp_path)

    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "--issuer" in result.output
    assert "unreachable" in result.output
    assert count(db, District) == 0
    assert count(db, Agency) == 0


def test_a_provider_without_domains_or_claim_is_refused(
    app: Flask, db: Any, idp: Any, tmp_path: Path
) -> None:
    result = run_setup(app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path, **{"--allowed-domain": " "})

    assert result.exit_code == 1
    assert "--allowed-domain" in result.output
    assert count(db, District) == 0


def test_the_coordinator_must_be_allowed_by_the_provider(
    app: Flask, db: Any, idp: Any, tmp_path: Path
) -> None:
    result = run_setup(
        app, idp.url, write_csv(tmp_path, DONGS_CSV), tmp_path, **{"--coordinator-email": "kim@gmail.com"}
    )

    assert result.exit_code == 1
    assert "--coordinator-email" in result.output
    assert count(db, District) == 0


def test_no_input_names_the_missing_option(app: Flask, db: Any) -> None:
    result = app.test_cli_runner().invoke(args=["setup", "--no-input", "--district-code", "gangnam"])

    assert result.exit_code == 2
    assert "--district-name" in result.output
    assert count(db, District) == 0


def test_interactive_setup_asks_for_each_setting(app: Flask, db: Any, idp: Any, tmp_path: Path) -> None:
    csv_path = write_csv(tmp_path, DONGS_CSV)
    answers = [
        "gangnam",
        "강남구",
        str(csv_path),
        idp.url,
        "test-client-secret",
        "hanbit.go.kr",
        "강남구 통합 계정",
        "hamkke-test",
        "kim.coordinator@hanbit.go.kr",
    ]

    result = app.test_cli_runner().invoke(args=["setup"], input="\n".join(answers) + "\n")

    assert result.exit_code == 0, result.output
    assert "/agencies/join/" in result.output
    assert count(db, Dong) == 4


def test_the_government_csv_in_cp949_is_read() -> None:
    rows = parse_dong_csv(decode_csv(DONGS_CSV.encode("cp949")))
    assert [row.name for row in rows] == ["신사동", "논현1동", "개포1동", "세곡동"]
    assert rows[0].line == 2


def test_the_demo_refuses_to_run_in_production(app: Flask, db: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "ENV", "production")

    from demo.cli import demo_command

    result = app.test_cli_runner().invoke(demo_command)

    assert result.exit_code == 1
    assert "production" in result.output
    assert count(db, District) == 0
