"""Referrals with real parts: a Celery worker process, the test Redis stopped and killed workers.

The data lives in a database of its own (committed for real, so the worker process sees it) and the
worker consumes a queue of its own, so nothing other tests left on the broker reaches it.
"""

from __future__ import annotations

import functools
import signal
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import scoped_session, sessionmaker

from hamkke.db import db as _db
from notifications.models import DeliveryStatus, OutboxMessage
from notifications.tasks import deliver_outbox_message
from referrals import services
from referrals.models import LetterKind, Referral, ReferralLetter
from referrals.tasks import render_letter
from tests.fixtures.mail import SmtpSink
from tests.fixtures.processes import celery_worker_command, clean_environment, running, stop_group, wait_until
from tests.fixtures.referrals import ReferralNetwork, build_network
from tests.fixtures.services import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def own_database(request: pytest.FixtureRequest, backend: str, app: Flask, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the schema (PostgreSQL, or SQLite on the embedded pass) used as db.session."""
    if backend == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = server.create_database(f"referrals_{uuid.uuid4().hex[:10]}")
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    else:
        url = f"sqlite:///{tmp_path / 'referrals.db'}"
        engine = sa.create_engine(url)
    _db.metadata.create_all(engine)
    session = scoped_session(sessionmaker(bind=engine, expire_on_commit=False))
    original = _db.session
    _db.session = session
    try:
        yield url
    finally:
        session.remove()
        _db.session = original
        engine.dispose()


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> str:
    """A queue of this test's own; the app's enqueues after commit go there (the rest of the path is real)."""
    name = f"referrals-{uuid.uuid4().hex[:8]}"
    for task in (render_letter, deliver_outbox_message):
        monkeypatch.setattr(task, "apply_async", functools.partial(task.apply_async, queue=name))
    return name


@pytest.fixture
def worker_env(
    own_database: str, session_redis_url: str | None, mailbox: SmtpSink, app: Flask, tmp_path: Path
) -> dict[str, str]:
    """The worker's environment: this test's database, the session broker (Redis, or the embedded folder)."""
    settings = {
        "HAMKKE_DATABASE_URL": own_database,
        "HAMKKE_MAIL_SERVER": str(app.config["MAIL_SERVER"]),
        "HAMKKE_MAIL_PORT": str(app.config["MAIL_PORT"]),
    }
    if session_redis_url is not None:
        settings["HAMKKE_REDIS_URL"] = session_redis_url
        settings["HAMKKE_INSTANCE_PATH"] = str(tmp_path / "worker-instance")
    else:
        # The embedded transport is a folder: the worker shares the session app's instance folder.
        settings["HAMKKE_INSTANCE_PATH"] = app.instance_path
    return clean_environment(settings)


def _postgres_only(backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("Redis and killed-worker tests run on the PostgreSQL pass; the embedded one below")


def _letters(referral_id: int) -> list[ReferralLetter]:
    _db.session.rollback()  # see what the worker committed
    return list(
        _db.session.scalars(sa.select(ReferralLetter).where(ReferralLetter.referral_id == referral_id))
    )


def _outbox() -> list[OutboxMessage]:
    _db.session.rollback()
    return list(_db.session.scalars(sa.select(OutboxMessage)))


def _send(network: ReferralNetwork, consent: Callable[..., Any]) -> Referral:
    referral = services.create_referral(
        network.case,
        actor=network.sender,
        receiving_agency=network.welfare_centre,
        service=network.service,
        content=services.ReferralContent(reason="결식 우려", requested_services="밑반찬 지원"),
    )
    services.send_referral(referral, actor=network.sender)
    _db.session.commit()
    return referral


def _queue_length(redis_url: str, name: str) -> int:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        return int(client.llen(name))
    finally:
        client.close()


def test_redis_down_mid_run_loses_and_duplicates_nothing(
    backend: str,
    app: Flask,
    worker_env: dict[str, str],
    queue: str,
    request: pytest.FixtureRequest,
    mailbox: SmtpSink,
    tmp_path: Path,
) -> None:
    _postgres_only(backend)
    redis_server: RedisServer | None = request.getfixturevalue("redis_server")
    if redis_server is None:
        pytest.skip("needs the test Redis it can stop and start")
    celery = app.extensions["celery"]
    network = build_network(_db.session)
    _db.session.commit()
    receivers = (network.receiver.email, network.receiver_colleague.email)

    with running(celery_worker_command("--queues", queue), worker_env, tmp_path / "worker.log"):
        first = _send(network, dict)
        wait_until(lambda: len(_letters(first.id)) == 1, timeout=60, message="first letter rendered")
        wait_until(lambda: all(mailbox.to(r) for r in receivers), timeout=60, message="first e-mails")

        redis_server.stop()
        started = time.monotonic()
        try:
            # The web side keeps working: the change commits, its enqueues fail fast and are left.
            second = _send(network, dict)
            services.accept(first, actor=network.receiver)
            _db.session.commit()
            time.sleep(max(0.0, 10 - (time.monotonic() - started)))
        finally:
            redis_server.start()
        assert _letters(second.id) == []

        # Beat runs the sweepers; they find the lost work in the database.
        for name in ("notifications.sweep_outbox", "referrals.sweep_letters"):
            celery.send_task(name, queue=queue)
        wait_until(lambda: len(_letters(second.id)) == 1, timeout=90, message="second letter rendered")
        wait_until(
            lambda: all(m.status == DeliveryStatus.sent for m in _outbox()), timeout=90, message="outbox sent"
        )
        # A second sweep and duplicate task deliveries change nothing.
        for name in ("notifications.sweep_outbox", "referrals.sweep_letters"):
            celery.send_task(name, queue=queue)
        celery.send_task("referrals.render_letter", args=(second.id, "request"), queue=queue)
        wait_until(lambda: _queue_length(worker_env["HAMKKE_REDIS_URL"], queue) == 0, timeout=30)
        time.sleep(2)

    # Each outbox message has a stable Message-ID: every one arrived, and none twice.
    sent = Counter(str(m["Message-ID"]) for m in mailbox.messages)
    assert len(sent) == 5
    assert max(sent.values()) == 1, sent
    for address in receivers:
        assert len(mailbox.to(address)) == 2  # one per referral
    assert len(mailbox.to(network.sender.email)) == 1  # the acceptance
    assert len(_outbox()) == 5
    for referral in (first, second):
        [letter] = _letters(referral.id)
        assert letter.kind == LetterKind.request


def test_worker_killed_during_a_letter_renders_it_once(
    backend: str, app: Flask, worker_env: dict[str, str], queue: str, tmp_path: Path
) -> None:
    _postgres_only(backend)
    celery = app.extensions["celery"]
    network = build_network(_db.session)
    _db.session.commit()
    referral = _send(network, dict)
    letter_file = Path(worker_env["HAMKKE_INSTANCE_PATH"]) / "letters" / "referrals" / str(referral.id)

    # Hold the referral row so the worker blocks when it inserts the letter row (the FK needs a share
    # lock): it has written the PDF but not committed when we kill it.
    engine = _db.session.get_bind()
    with engine.connect() as holder:
        holder.execute(sa.text("SELECT id FROM referrals WHERE id = :id FOR UPDATE"), {"id": referral.id})
        with running(celery_worker_command("--queues", queue), worker_env, tmp_path / "killed.log") as worker:
            celery.send_task("referrals.render_letter", args=(referral.id, "request"), queue=queue)
            wait_until(lambda: (letter_file / "request-v1.pdf").exists(), timeout=60, message="PDF written")
            time.sleep(1)
            stop_group(worker, sig=signal.SIGKILL)
        holder.rollback()
    assert _letters(referral.id) == []

    # The message was never acknowledged; Redis redelivers it to the next worker (here sent again,
    # as the redelivery after the visibility timeout would be), and the sweeper also finds the letter.
    with running(celery_worker_command("--queues", queue), worker_env, tmp_path / "second.log"):
        celery.send_task("referrals.render_letter", args=(referral.id, "request"), queue=queue)
        celery.send_task("referrals.sweep_letters", queue=queue)
        celery.send_task("referrals.render_letter", args=(referral.id, "request"), queue=queue)
        wait_until(
            lambda: len(_letters(referral.id)) == 1, timeout=60, message="letter rendered after the kill"
        )
        wait_until(lambda: _queue_length(worker_env["HAMKKE_REDIS_URL"], queue) == 0, timeout=30)
        time.sleep(2)
    [letter] = _letters(referral.id)
    import hashlib

    assert hashlib.sha256(
        (Path(worker_env["HAMKKE_INSTANCE_PATH"]) / letter.path).read_bytes()
    ).hexdigest() == (letter.sha256)
    assert sorted(path.name for path in letter_file.iterdir()) == ["request-v1.pdf"]  # no stray temp file


@pytest.mark.embedded
def test_embedded_transport_delivers_letter_and_emails_once(
    backend: str, app: Flask, worker_env: dict[str, str], queue: str, mailbox: SmtpSink, tmp_path: Path
) -> None:
    if backend != "sqlite":
        pytest.skip("the embedded transport runs on the SQLite pass")
    celery = app.extensions["celery"]
    network = build_network(_db.session)
    _db.session.commit()
    with running(celery_worker_command("--queues", queue), worker_env, tmp_path / "embedded.log"):
        referral = _send(network, dict)
        wait_until(lambda: len(_letters(referral.id)) == 1, timeout=90, message="letter rendered")
        wait_until(
            lambda: len(_outbox()) == 2 and all(m.status == DeliveryStatus.sent for m in _outbox()),
            timeout=90,
            message="e-mails sent",
        )
        # Duplicate deliveries of both tasks change nothing.
        celery.send_task("referrals.render_letter", args=(referral.id, "request"), queue=queue)
        for message in _outbox():
            celery.send_task("notifications.deliver_outbox_message", args=(message.id,), queue=queue)
        celery.send_task("referrals.sweep_letters", queue=queue)
        time.sleep(5)
    assert len(_letters(referral.id)) == 1
    sent = Counter(str(m["Message-ID"]) for m in mailbox.messages)
    assert len(sent) == 2
    assert max(sent.values()) == 1
