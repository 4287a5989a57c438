"""The edge commits: a successful request, socket event or task commits once, a failed one rolls back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, redirect
from flask.testing import FlaskClient

from hamkke.db import after_commit
from hamkke.db import db as _db
from hamkke.heartbeat import WorkerHeartbeat
from hamkke.unit_of_work import VIOLATIONS, UnitOfWorkNamespace, unsaved_work
from tests.fixtures.live import _keep_process_globals

pytestmark = pytest.mark.embedded


def _beat(token: str) -> WorkerHeartbeat:
    return WorkerHeartbeat(token=token, source="test", worker="edge-test")


@pytest.fixture(scope="module")
def edge_app(app_config: dict[str, Any], app: Flask) -> Flask:
    """A second app of the session's config with routes that write and answer in every way."""
    from hamkke.app import create_app

    with _keep_process_globals():
        built = create_app(app_config)

    @built.get("/_edge/ok")
    def ok() -> str:
        _db.session.add(_beat("edge-ok"))
        _db.session.flush()
        return "ok"

    @built.get("/_edge/redirect")
    def moved() -> Any:
        _db.session.add(_beat("edge-redirect"))
        return redirect("/", code=303)

    @built.get("/_edge/refused")
    def refused() -> tuple[str, int]:
        _db.session.add(_beat("edge-refused"))
        _db.session.flush()
        return "refused", 422

    @built.get("/_edge/broken")
    def broken() -> str:
        _db.session.add(_beat("edge-broken"))
        _db.session.flush()
        raise RuntimeError("a bug")

    @built.get("/_edge/conflict")
    def conflict() -> str:
        # Not flushed: the duplicate token fails only at the edge's commit.
        _db.session.add(_beat("edge-taken"))
        return "looks fine"

    @built.get("/_edge/late-write")
    def late_write() -> str:
        def write() -> None:
            # A change made once the unit committed (no SQL may run inside the commit): never saved.
            _db.session.add(_beat("edge-late"))

        after_commit(write)
        return "ok"

    @built.get("/_edge/savepoint")
    def savepoint() -> str:
        after_commit(lambda: RAN.append("after the commit"))
        # The access log appends inside a savepoint: releasing it is no commit of the unit of work.
        with _db.session.begin_nested():
            _db.session.add(_beat("edge-savepoint"))
        return "ran early" if RAN else "waiting"

    return built


#: what the /_edge/savepoint route's after-commit callback recorded
RAN: list[str] = []


@pytest.fixture
def edge_client(edge_app: Flask, db: Any) -> Iterator[FlaskClient]:
    """A client of the edge app over the test's transactional database."""
    with edge_app.app_context():
        yield edge_app.test_client()


def _tokens() -> set[str]:
    return set(_db.session.scalars(sa.select(WorkerHeartbeat.token).where(WorkerHeartbeat.source == "test")))


def test_success_and_redirect_commit_and_failures_roll_back(edge_client: FlaskClient) -> None:
    assert edge_client.get("/_edge/ok").status_code == 200
    assert edge_client.get("/_edge/redirect").status_code == 303
    assert edge_client.get("/_edge/refused").status_code == 422
    assert edge_client.get("/_edge/broken").status_code == 500
    assert _tokens() == {"edge-ok", "edge-redirect"}


def test_a_failed_commit_is_an_error_response_not_a_success(edge_client: FlaskClient) -> None:
    _db.session.add(_beat("edge-taken"))
    _db.session.commit()
    answer = edge_client.get("/_edge/conflict", headers={"Accept": "application/json"})
    assert answer.status_code == 409
    assert answer.get_json()["error"]["code"] == "conflict"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # the other hooks still ran


def test_the_guard_records_work_left_after_the_edge(edge_client: FlaskClient) -> None:
    assert edge_client.get("/_edge/late-write").status_code == 200
    found = list(VIOLATIONS)
    VIOLATIONS.clear()  # this test wants the violation; the suite's guard would fail it
    assert found == ["GET /_edge/late-write: unflushed changes: WorkerHeartbeat"]


def test_unsaved_work_sees_flushed_and_pending_changes(app: Flask, db: Any) -> None:
    assert unsaved_work(_db.session()) is None
    _db.session.add(_beat("edge-pending"))
    assert unsaved_work(_db.session()) == "unflushed changes: WorkerHeartbeat"
    _db.session.flush()
    assert unsaved_work(_db.session()) == "flushed writes not committed"
    _db.session.commit()
    assert unsaved_work(_db.session()) is None


def test_every_socket_namespace_commits_per_event(app: Flask) -> None:
    from hamkke.extensions import socketio

    assert socketio.server is not None
    handlers = socketio.server.namespace_handlers
    assert handlers, "no namespaces registered"
    for namespace, handler in handlers.items():
        assert isinstance(handler, UnitOfWorkNamespace), f"{namespace} does not commit at its edge"
        for name in dir(type(handler)):
            if name.startswith("on_"):
                method = getattr(type(handler), name)
                assert getattr(method, "__hamkke_unit_of_work__", False), f"{namespace} {name} unwrapped"


def test_after_commit_callbacks_wait_for_the_edge_commit_not_a_savepoint(edge_client: FlaskClient) -> None:
    RAN.clear()
    answer = edge_client.get("/_edge/savepoint")
    assert answer.get_data(as_text=True) == "waiting"
    assert RAN == ["after the commit"]
