"""The development mail catcher, its page, and beat's jobs on demand (`hamkke jobs`, the page's button)."""

from __future__ import annotations

import re
import secrets
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from hamkke.config import REPO_ROOT
from hamkke.devmail import mail_folder
from hamkke.heartbeat import WorkerHeartbeat
from tests.fixtures.auth import page_csrf_token
from tests.fixtures.processes import clean_environment, running, wait_until
from tests.fixtures.services import free_port

pytestmark = pytest.mark.embedded


def _minutes_email() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "hamkke@localhost"
    message["To"] = "choi.cm@hanbit-welfare.or.kr"
    message["Subject"] = "[함께] 통합사례회의 회의록"
    message.set_content("회의록을 첨부합니다.")
    message.add_attachment(b"%PDF-1.7 minutes", maintype="application", subtype="pdf", filename="회의록.pdf")
    return message


def _port_open(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def test_caught_mail_is_listed_with_its_attachment(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    folder = mail_folder(app.instance_path)
    port = free_port()
    command = [sys.executable, "-m", "hamkke.devmail", "--port", str(port), "--folder", str(folder)]
    with running(command, clean_environment({}), tmp_path / "catcher.log"):
        wait_until(lambda: _port_open(port), timeout=60, message="catcher listening")
        with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
            smtp.send_message(_minutes_email())

    page = client.get("/dev/mail")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "[함께] 통합사례회의 회의록" in text
    assert "choi.cm@hanbit-welfare.or.kr" in text
    link = re.search(r'href="(/dev/mail/[^"]+/attachments/0)"', text)
    assert link is not None
    download = client.get(link.group(1))
    assert download.status_code == 200
    assert download.data == b"%PDF-1.7 minutes"
    assert (
        "회의록.pdf" in download.headers["Content-Disposition"]
        or "filename*" in (download.headers["Content-Disposition"])
    )
    # Only names the catcher wrote can be asked for.
    assert client.get("/dev/mail/..%2Fhamkke/attachments/0").status_code == 404
    assert client.get("/dev/mail/20260101T000000000000-" + "0" * 32 + "/attachments/0").status_code == 404


def test_the_footer_links_the_development_mail_page(client: FlaskClient) -> None:
    assert 'href="/dev/mail"' in client.get("/").get_data(as_text=True)


def test_production_has_no_mail_page_and_refuses_the_catcher(tmp_path: Path) -> None:
    from hamkke.app import create_app

    production = create_app(
        {
            "ENV": "production",
            "TESTING": True,
            "SECRET_KEY": secrets.token_urlsafe(48),
            "FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://hamkke@127.0.0.1:9/hamkke",
            "REDIS_URL": "redis://127.0.0.1:9/0",
            "BASE_URL": "https://hamkke.example.go.kr",
        }
    )
    assert not [rule for rule in production.url_map.iter_rules() if rule.rule.startswith("/dev/")]
    refused = subprocess.run(
        [sys.executable, "-m", "hamkke.devmail", "--port", str(free_port())],
        env=clean_environment({"HAMKKE_ENV": "production", "HAMKKE_INSTANCE_PATH": str(tmp_path)}),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode != 0
    assert "development only" in refused.stderr


def test_hamkke_jobs_lists_every_beat_job_and_runs_one(app: Flask, db: Any) -> None:
    from hamkke.schedule import beat_schedule

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["jobs", "list"])
    assert listed.exit_code == 0, listed.output
    for name in beat_schedule():
        assert name in listed.output
    assert "조치 항목 기한 알림" in listed.output

    unknown = runner.invoke(args=["jobs", "run", "no-such-job"])
    assert unknown.exit_code != 0
    assert "no such job" in unknown.output

    ran = runner.invoke(args=["jobs", "run", "worker-heartbeat"])
    assert ran.exit_code == 0, ran.output
    token = ran.output.strip().rsplit("→ ", 1)[1]
    assert (
        db.session.scalar(sa.select(WorkerHeartbeat.source).where(WorkerHeartbeat.token == token)) == "beat"
    )


def test_the_mail_page_runs_a_job_now(client: FlaskClient, db: Any) -> None:
    page = client.get("/dev/mail").get_data(as_text=True)
    assert 'action="/dev/jobs/conference-action-reminders"' in page
    refused = client.post("/dev/jobs/worker-heartbeat", data={})
    assert refused.status_code == 400  # no CSRF token
    before = db.session.scalar(sa.select(sa.func.count()).select_from(WorkerHeartbeat))
    ran = client.post("/dev/jobs/worker-heartbeat", data={"csrf_token": page_csrf_token(client, "/dev/mail")})
    assert ran.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WorkerHeartbeat)) >= max(before, 1)
    assert "작업을 실행했습니다" in client.get("/dev/mail").get_data(as_text=True)
    assert (
        client.post(
            "/dev/jobs/no-such-job", data={"csrf_token": page_csrf_token(client, "/dev/mail")}
        ).status_code
        == 404
    )
