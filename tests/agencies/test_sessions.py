"""Server-side sessions: timeouts, sign-out, the approval wait, cookie flags, break-glass and its lockout."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from agencies.models import Agency, MembershipStatus, Person, UserSession
from agencies.sessions import SESSION_TOKEN_KEY, start_session
from hamkke.audit import AuditEntry
from hamkke.time import now_utc
from tests.fixtures.auth import page_csrf_token

pytestmark = pytest.mark.usefixtures("reset_rate_limits")

BREAK_GLASS_PASSWORD = "correct horse battery"


def audit_rows(db: Any, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == action)))


def is_signed_in_as(client: FlaskClient, person: Person) -> bool:
    # follow_redirects: the break-glass account's front page is the network administration page
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    return f'<span class="account__name">{person.name}</span>' in html


@pytest.fixture
def worker(create_person: Callable[..., Person], dummy_agency: Agency) -> Person:
    return create_person(agency=dummy_agency, name="김담당")


def test_signed_in_header_shows_name_and_sign_out(client: FlaskClient, login_as: Any, worker: Person) -> None:
    login_as(worker)

    html = client.get("/").get_data(as_text=True)

    assert "김담당" in html
    assert 'action="/auth/sign-out"' in html
    assert 'name="csrf_token"' in html


def test_anonymous_header_links_to_sign_in(client: FlaskClient) -> None:
    html = client.get("/").get_data(as_text=True)

    assert 'href="/auth/sign-in?next=/"' in html
    assert "로그인" in html


def test_idle_timeout_ends_session_server_side(
    client: FlaskClient, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)

    with time_machine.travel(now_utc() + timedelta(minutes=31), tick=False):
        html = client.get("/").get_data(as_text=True)

    assert "김담당" not in html
    assert "30분 동안 활동이 없어 로그아웃되었습니다" in html
    db.session.refresh(record)
    assert record.ended_at is not None
    assert record.end_reason == "idle_timeout"
    [row] = audit_rows(db, "auth.session_timeout")
    assert row.actor_id == worker.id
    assert row.data == {"reason": "idle_timeout"}


def test_activity_keeps_the_session_alive(client: FlaskClient, login_as: Any, worker: Person) -> None:
    login_as(worker)
    start = now_utc()

    for minutes in (20, 40, 60):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert is_signed_in_as(client, worker)


def test_absolute_timeout_ends_even_an_active_session(
    client: FlaskClient, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    start = now_utc()

    for step in range(1, 36):  # a request every 20 minutes: never idle, 11h40m in all
        with time_machine.travel(start + timedelta(minutes=20 * step), tick=False):
            assert is_signed_in_as(client, worker)
    with time_machine.travel(start + timedelta(hours=12, minutes=1), tick=False):
        html = client.get("/").get_data(as_text=True)

    assert "김담당" not in html
    db.session.refresh(record)
    assert record.end_reason == "absolute_timeout"
    assert audit_rows(db, "auth.session_timeout")[0].data == {"reason": "absolute_timeout"}


def test_sign_out_ends_the_session_and_the_old_cookie_is_dead(
    client: FlaskClient, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    with client.session_transaction() as cookie:
        token = cookie[SESSION_TOKEN_KEY]

    response = client.post("/auth/sign-out", data={"csrf_token": page_csrf_token(client)})

    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    db.session.refresh(record)
    assert record.end_reason == "signed_out"
    assert record.id_token_hint is None
    [row] = audit_rows(db, "auth.sign_out")
    assert row.actor_id == worker.id
    # Replaying the old cookie value does not bring the session back.
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = token
    assert not is_signed_in_as(client, worker)


def test_sign_out_needs_the_csrf_token(client: FlaskClient, login_as: Any, worker: Person, db: Any) -> None:
    record = login_as(worker)

    response = client.post("/auth/sign-out")

    assert response.status_code == 400
    db.session.refresh(record)
    assert record.ended_at is None


def test_session_cookie_is_httponly_and_lax(client: FlaskClient, login_as: Any, worker: Person) -> None:
    login_as(worker)

    response = client.get("/")

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("hamkke_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # BASE_URL is http:// in the tests; with https the Secure flag is set (see hamkke.config).
    assert "Secure" not in cookie


def test_disabled_person_is_signed_out_on_next_request(
    client: FlaskClient, login_as: Any, worker: Person, db: Any
) -> None:
    record = login_as(worker)
    worker.is_active = False
    db.session.commit()

    assert not is_signed_in_as(client, worker)
    db.session.refresh(record)
    assert record.end_reason == "person_disabled"
    assert audit_rows(db, "auth.session_ended")[0].data == {"reason": "person_disabled"}


def test_suspended_agency_ends_sessions_acting_for_it(
    client: FlaskClient, login_as: Any, worker: Person, dummy_agency: Agency, db: Any
) -> None:
    from agencies.models import AgencyStatus

    record = login_as(worker)
    dummy_agency.status = AgencyStatus.suspended
    db.session.commit()

    assert not is_signed_in_as(client, worker)
    db.session.refresh(record)
    assert record.end_reason == "agency_disabled"


@pytest.fixture
def pending_person(create_person: Callable[..., Person], dummy_agency: Agency) -> Person:
    return create_person(agency=dummy_agency, status=MembershipStatus.pending, roles=(), name="대기자")


def start_pending_session(app: Flask, client: FlaskClient, db: Any, person: Person) -> UserSession:
    with app.test_request_context("/"):
        from flask import session

        record = start_session(person, method="oidc", awaiting_approval=True)
        token = session[SESSION_TOKEN_KEY]
    db.session.commit()
    with client.session_transaction() as cookie:
        cookie[SESSION_TOKEN_KEY] = token
    return record


def test_pending_person_sees_only_the_waiting_page(
    app: Flask, client: FlaskClient, db: Any, pending_person: Person, dummy_agency: Agency
) -> None:
    start_pending_session(app, client, db, pending_person)

    home = client.get("/")
    waiting = client.get("/auth/pending")
    api = client.get("/api/v1/agencies")

    assert home.status_code == 302
    assert home.headers["Location"] == "/auth/pending"
    assert waiting.status_code == 200
    html = waiting.get_data(as_text=True)
    assert "가입 승인 대기" in html
    assert dummy_agency.name in html
    assert api.status_code == 403
    assert api.get_json()["error"]["code"] == "awaiting_approval"


def test_pending_person_can_sign_out(
    app: Flask, client: FlaskClient, db: Any, pending_person: Person
) -> None:
    record = start_pending_session(app, client, db, pending_person)
    token = page_csrf_token(client, "/auth/pending")

    response = client.post("/auth/sign-out", data={"csrf_token": token})

    assert response.status_code == 302
    db.session.refresh(record)
    assert record.end_reason == "signed_out"
    assert client.get("/").status_code == 200


# -- break-glass -------------------------------------------------------------------------------


@pytest.fixture
def break_glass(app: Flask, db: Any) -> Person:
    result = app.test_cli_runner().invoke(
        args=["agencies", "create-break-glass", "--email", "Setup@Example.org", "--name", "설정관리자"],
        input=f"{BREAK_GLASS_PASSWORD}\n{BREAK_GLASS_PASSWORD}\n",
    )
    assert result.exit_code == 0, result.output
    person = db.session.scalar(sa.select(Person).where(Person.is_break_glass))
    assert person is not None
    return person


def test_cli_creates_one_break_glass_account_with_an_argon2_hash(break_glass: Person, db: Any) -> None:
    assert break_glass.email == "setup@example.org"
    assert break_glass.password_hash is not None
    assert break_glass.password_hash.startswith("$argon2id$")
    assert BREAK_GLASS_PASSWORD not in break_glass.password_hash
    assert audit_rows(db, "auth.break_glass_created")[0].object_id == break_glass.id


def test_cli_refuses_a_second_break_glass_account(app: Flask, break_glass: Person) -> None:
    result = app.test_cli_runner().invoke(
        args=["agencies", "create-break-glass", "--email", "other@example.org", "--name", "또다른"],
        input=f"{BREAK_GLASS_PASSWORD}\n{BREAK_GLASS_PASSWORD}\n",
    )

    assert result.exit_code != 0
    assert "이미 있습니다" in result.output


def test_cli_refuses_a_short_password(app: Flask, db: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=["agencies", "create-break-glass", "--email", "setup@example.org", "--name", "설정관리자"],
        input="short-pw\nshort-pw\n",
    )

    assert result.exit_code != 0
    assert "12자 이상" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.is_break_glass)) == 0


def test_cli_refuses_mismatched_passwords(app: Flask, db: Any) -> None:
    result = app.test_cli_runner().invoke(
        args=["agencies", "create-break-glass", "--email", "setup@example.org", "--name", "설정관리자"],
        input=f"{BREAK_GLASS_PASSWORD}\nsomething-else-entirely\n" * 1,
    )

    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Person).where(Person.is_break_glass)) == 0


def local_sign_in(client: FlaskClient, email: str, password: str) -> Any:
    token = page_csrf_token(client, "/auth/local")
    return client.post(
        "/auth/local", data={"csrf_token": token, "email": email, "password": password, "next": "/"}
    )


def test_local_page_does_not_exist_without_a_break_glass_account(client: FlaskClient) -> None:
    assert client.get("/auth/local").status_code == 404


def test_break_glass_signs_in_and_is_audited(client: FlaskClient, break_glass: Person, db: Any) -> None:
    response = local_sign_in(client, "setup@example.org", BREAK_GLASS_PASSWORD)

    assert response.status_code == 302
    assert is_signed_in_as(client, break_glass)
    record = db.session.scalar(sa.select(UserSession).where(UserSession.person_id == break_glass.id))
    assert record is not None
    assert record.method == "break_glass"
    assert audit_rows(db, "auth.break_glass_sign_in")[0].actor_id == break_glass.id


def test_break_glass_locks_for_30_minutes_after_five_failures(
    client: FlaskClient, break_glass: Person, db: Any
) -> None:
    statuses = [local_sign_in(client, "setup@example.org", "wrong password!").status_code for _ in range(5)]

    assert statuses == [401, 401, 401, 401, 403]
    db.session.refresh(break_glass)
    assert break_glass.locked_until is not None
    assert len(audit_rows(db, "auth.break_glass_refused")) == 4
    assert len(audit_rows(db, "auth.break_glass_locked")) == 1
    # Even the right password is refused while locked.
    locked = local_sign_in(client, "setup@example.org", BREAK_GLASS_PASSWORD)
    assert locked.status_code == 403
    assert "30분 동안 잠겼습니다" in locked.get_data(as_text=True)
    assert not is_signed_in_as(client, break_glass)

    with time_machine.travel(now_utc() + timedelta(minutes=31), tick=False):
        assert local_sign_in(client, "setup@example.org", BREAK_GLASS_PASSWORD).status_code == 302
        assert is_signed_in_as(client, break_glass)
    db.session.refresh(break_glass)
    assert break_glass.failed_sign_ins == 0
    assert break_glass.locked_until is None


def test_break_glass_with_an_unknown_email_is_refused_alike(
    client: FlaskClient, break_glass: Person, db: Any
) -> None:
    response = local_sign_in(client, "nobody@example.org", BREAK_GLASS_PASSWORD)

    assert response.status_code == 401
    assert "이메일 또는 비밀번호가 올바르지 않습니다" in response.get_data(as_text=True)
    [row] = audit_rows(db, "auth.break_glass_refused")
    assert row.actor_id is None


def test_break_glass_endpoint_is_rate_limited(client: FlaskClient, break_glass: Person) -> None:
    statuses = [local_sign_in(client, "nobody@example.org", "x" * 12).status_code for _ in range(11)]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429


def test_guessing_one_account_does_not_lock_out_the_address(client: FlaskClient, break_glass: Person) -> None:
    # Someone behind the office's address hammers the break-glass account ...
    hammered = [local_sign_in(client, "setup@example.org", "x" * 12).status_code for _ in range(11)]
    # ... while the rest of the office, behind the same address, still gets its answers.
    others = [local_sign_in(client, f"colleague{n}@example.org", "x" * 12).status_code for n in range(5)]

    assert hammered[-1] == 429
    assert others == [401] * 5


def test_sign_in_page_lists_break_glass_only_when_it_exists(client: FlaskClient, break_glass: Person) -> None:
    html = client.get("/auth/sign-in").get_data(as_text=True)

    assert "초기 설정용 긴급 관리자 로그인" in html
