"""Hypothesis sends malformed payloads to every socket event of ``/conference`` and ``/live``.

Events are enumerated from the namespaces' ``on_*`` handlers (plus names no handler answers), and the
payload keys each handler reads are taken from its source, so a new event or field is fuzzed without
editing this file. The chair and a partner agency's worker (both checked in, pledged) send them on
one live conference; every answer must be an acknowledgement, a refused one must come with an
``error`` event, no exception may escape a handler, and a refusal changes nothing: no row written,
the same conference state.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_socketio import SocketIOTestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from agencies.sockets import LIVE_NAMESPACE, LiveNamespace
from conference.models import CaseRole, Conference, ItemOutcome, ItemStage, LeadMethod
from conference.queries import conference_payload
from conference.sockets import NAMESPACE, ConferenceNamespace
from hamkke.extensions import socketio
from tests.fixtures.conferences import Meeting, SocketFor, events, seat
from tests.fuzz.test_forms import GARBAGE, LOG_TABLES, row_counts

pytestmark = pytest.mark.slow

#: no shrinking: every example is a real request on a large database; a failure is reported as found
NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)

#: generated payloads per event
EXAMPLES = 15

#: names no handler answers: must be ignored without an exception
UNKNOWN_EVENTS = ("no_such_event", "__init__", "connect ", "")

#: events that end the meeting go last, so the others still meet a live conference
LAST = ("finalize",)

DATA_KEY = re.compile(r"""(?:data|entry)(?:\.get\(|\[)\s*["']([a-z_]+)["']""")


def handler_events(namespace: type) -> list[str]:
    """Return the events a namespace class handles (``on_<event>``), connection events excluded."""
    names = [
        name.removeprefix("on_")
        for name, _ in inspect.getmembers(namespace, inspect.isfunction)
        if name.startswith("on_") and name not in {"on_connect", "on_disconnect"}
    ]
    return sorted(names, key=lambda name: (name in LAST, name))


def handler_keys(namespace: type, event: str) -> set[str]:
    """Return the payload keys a handler reads (``data["x"]``, ``data.get("x")``, ``entry[...]``)."""
    handler = inspect.unwrap(getattr(namespace, f"on_{event}"))
    source = inspect.getsource(handler)
    # Helpers such as _item() and _version() read keys too.
    for helper in re.findall(r"\b(_[a-z_]+)\(", source):
        found = getattr(inspect.getmodule(handler), helper, None)
        if callable(found):
            with contextlib.suppress(OSError, TypeError):
                source += inspect.getsource(found)
    return set(DATA_KEY.findall(source)) | {"conference_id"}


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(GARBAGE),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def plausible(meeting: Meeting) -> dict[str, st.SearchStrategy[Any]]:
    """Values that make sense for well-known keys, so generated payloads also get past the first checks."""
    agencies = [meeting.owner.id, meeting.partner.id, meeting.outsider_agency.id]
    people = [meeting.chair.id, meeting.partner_worker.id, meeting.other_worker.id]
    dates = st.sampled_from(("2026-12-01", "2026-02-30", "", "내일", "2026-12-01T00:00:00"))
    return {
        "conference_id": mostly(
            st.just(meeting.conference.id), st.sampled_from((meeting.conference.id + 999, "1", None))
        ),
        "item_id": st.sampled_from((meeting.item.id, meeting.item.id + 999, str(meeting.item.id), -1)),
        "version": st.integers(min_value=-1, max_value=5) | st.sampled_from(("1", None, 1.5)),
        "base_version": st.integers(min_value=-1, max_value=5) | st.sampled_from(("0", None)),
        "stage": st.sampled_from([s.value for s in ItemStage] + ["", "끝"]),
        "outcome": st.sampled_from([o.value for o in ItemOutcome] + ["", "?"]),
        "method": st.sampled_from([m.value for m in LeadMethod] + ["coin"]),
        "role": st.sampled_from([r.value for r in CaseRole] + ["boss"]),
        "section": st.sampled_from(("s", "o", "a", "p", "S", "x", "")),
        "agency_id": st.sampled_from([*agencies, 0, "x"]),
        "chosen_agency_id": st.sampled_from([*agencies, 0, "x"]),
        "owner_agency_id": st.sampled_from([*agencies, 0]),
        "candidate_agency_ids": st.lists(st.sampled_from([*agencies, 0, "x"]), max_size=3),
        "person_id": st.sampled_from([*people, 0]),
        "assignee_id": st.sampled_from([*people, 0, None, ""]),
        "votes": st.dictionaries(st.sampled_from([str(a) for a in agencies] + ["x"]), json_leaf, max_size=3),
        "due_on": dates,
        "effective_on": dates,
        "text": st.sampled_from(GARBAGE) | st.text(max_size=60),
        "line": st.sampled_from(GARBAGE) | st.text(max_size=30),
        "isp_items": st.lists(
            st.fixed_dictionaries(
                {}, optional={"service": json_leaf, "due_on": dates, "quantity": json_leaf}
            ),
            max_size=2,
        ),
    }


ABSENT = object()


def mostly(usual: st.SearchStrategy[Any], rare: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Draw from ``usual`` four times in five, else from ``rare``."""
    return st.integers(min_value=0, max_value=4).flatmap(lambda roll: rare if roll == 0 else usual)


def payloads(keys: set[str], meeting: Meeting) -> st.SearchStrategy[Any]:
    """Draw a payload: mostly an object whose keys are plausible or garbage (or missing), else no object."""
    known = plausible(meeting)
    fields = {
        key: mostly(mostly(known[key], json_value) if key in known else json_value, st.just(ABSENT))
        for key in sorted(keys)
    }
    objects = st.fixed_dictionaries(fields).map(
        lambda drawn: {key: value for key, value in drawn.items() if value is not ABSENT}
    )
    extras = st.dictionaries(st.sampled_from(("__proto__", "id", "sid", "x" * 100)), json_value, max_size=2)
    with_extras = st.tuples(objects, extras).map(lambda pair: {**pair[1], **pair[0]})
    return mostly(with_extras, st.none() | json_leaf | st.lists(json_leaf, max_size=3))


def _drain(socket: SocketIOTestClient, namespace: str) -> list[dict[str, Any]]:
    return socket.get_received(namespace) if socket.is_connected(namespace) else []


def _state(db: Any, tables: list[str], conference_id: int) -> tuple[dict[str, int], str]:
    db.session.expire_all()
    conference = db.session.get(Conference, conference_id)
    assert conference is not None
    payload = conference_payload(conference)
    # Presence and hands change with connections and are not what a refusal could change.
    return row_counts(db, tables), json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)


@pytest.fixture
def seated(db: Any, meeting: Meeting, conference_socket: SocketFor) -> dict[str, SocketIOTestClient]:
    """The chair's and the partner worker's sockets on the meeting, started."""
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    sockets = {
        "chair": conference_socket(meeting.chair, meeting.conference.id),
        "partner": conference_socket(
            meeting.partner_worker, meeting.conference.id, agency_id=meeting.partner.id
        ),
    }
    assert all(socket.is_connected(NAMESPACE) for socket in sockets.values())
    started = sockets["chair"].emit(
        "start", {"conference_id": meeting.conference.id}, namespace=NAMESPACE, callback=True
    )
    assert started["ok"], started
    return sockets


def test_every_conference_event_refuses_malformed_payloads_cleanly(
    db: Any, meeting: Meeting, seated: dict[str, SocketIOTestClient]
) -> None:
    tables = sorted(set(sa.inspect(db.session.connection()).get_table_names()) - LOG_TABLES)
    names = handler_events(ConferenceNamespace)
    assert {"sync", "soap_save", "decide_lead", "assign_role", "create_action", "finalize"} <= set(names)
    counts = {"refused": 0, "accepted": 0}
    failures: list[str] = []
    for event in [*names, *UNKNOWN_EVENTS]:
        keys = handler_keys(ConferenceNamespace, event) if event in names else {"conference_id"}
        try:
            _fuzz_event(db, meeting, seated, tables, event, handled=event in names, keys=keys, counts=counts)
        except (Exception, BaseExceptionGroup) as error:  # gathered: one run reports every event
            failures.append(f"{event!r}: {str(error)[:1500]}")
    assert not failures, "\n\n".join(failures)
    # Most payloads are refused, and some plausible ones get through to the services (so they were reached).
    assert counts["refused"] >= len(names) * EXAMPLES // 2, counts
    assert counts["accepted"] >= 1, counts
    # Both sockets are still in the room and the meeting still answers.
    for socket in seated.values():
        assert socket.is_connected(NAMESPACE)
        assert events(socket, "state") is not None


def _fuzz_event(
    db: Any,
    meeting: Meeting,
    seated: dict[str, SocketIOTestClient],
    tables: list[str],
    event: str,
    *,
    handled: bool,
    keys: set[str],
    counts: dict[str, int],
) -> None:
    """Send ``EXAMPLES`` generated payloads of one event from the chair or the partner and check each."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=NO_SHRINK,
    )
    @given(who=st.sampled_from(("chair", "partner")), payload=payloads(keys, meeting))
    def fuzz(who: str, payload: Any) -> None:
        socket = seated[who]
        _drain(socket, NAMESPACE)
        before = _state(db, tables, meeting.conference.id)
        try:
            ack = socket.emit(event, payload, namespace=NAMESPACE, callback=True)
        except Exception as error:  # an exception escaping a handler
            db.session.rollback()
            raise AssertionError(f"{event} {payload!r:.200} raised {error!r}") from error
        received = _drain(socket, NAMESPACE)
        if not handled:
            assert ack in (None, []), ack  # ignored
            assert before == _state(db, tables, meeting.conference.id)
            return
        assert isinstance(ack, dict), (event, ack)
        assert "ok" in ack, (event, ack)
        if ack["ok"]:
            counts["accepted"] += 1
            return
        counts["refused"] += 1
        errors = [e["args"][0] for e in received if e["name"] == "error"]
        assert errors, (event, received)
        assert errors[-1]["event"] == event, (event, received)
        assert errors[-1]["message"], errors[-1]
        assert before == _state(db, tables, meeting.conference.id), (event, payload)
        assert socket.is_connected(NAMESPACE)

    fuzz()


@pytest.mark.parametrize(
    "auth",
    [
        None,
        {},
        {"conference_id": None},
        {"conference_id": "abc"},
        {"conference_id": 10**30},
        {"conference_id": []},
    ],
)
def test_connect_with_malformed_auth_is_refused_and_changes_nothing(
    app: Flask, db: Any, meeting: Meeting, login_as: Any, auth: Any
) -> None:
    tables = sorted(set(sa.inspect(db.session.connection()).get_table_names()) - LOG_TABLES)
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    browser = app.test_client()
    login_as(meeting.chair, test_client=browser)
    before = _state(db, tables, meeting.conference.id)
    try:
        socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=browser, auth=auth)
    except Exception as error:  # an exception escaping the connect handler
        db.session.rollback()
        raise AssertionError(f"connect with {auth!r} raised {error!r}") from error
    assert not socket.is_connected(NAMESPACE)
    assert before == _state(db, tables, meeting.conference.id)


def test_live_events_answer_or_ignore_any_payload(
    app: Flask, db: Any, meeting: Meeting, login_as: Any
) -> None:
    browser = app.test_client()
    login_as(meeting.chair, test_client=browser)
    socket = socketio.test_client(app, namespace=LIVE_NAMESPACE, flask_test_client=browser)
    assert socket.is_connected(LIVE_NAMESPACE)
    names = handler_events(LiveNamespace)
    assert "check_session" in names
    tables = sorted(set(sa.inspect(db.session.connection()).get_table_names()) - LOG_TABLES)

    @settings(
        max_examples=EXAMPLES * 2,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=NO_SHRINK,
    )
    @given(event=st.sampled_from([*names, *UNKNOWN_EVENTS]), payload=json_value)
    def fuzz(event: str, payload: Any) -> None:
        before = row_counts(db, tables)
        ack = socket.emit(event, payload, namespace=LIVE_NAMESPACE, callback=True)
        if event in names:
            assert isinstance(ack, dict), ack
            assert ack["ok"], ack
            assert isinstance(ack["seconds_left"], int)
        else:
            assert ack in (None, []), ack  # ignored
        assert row_counts(db, tables) == before
        assert socket.is_connected(LIVE_NAMESPACE)

    fuzz()
    socket.disconnect(namespace=LIVE_NAMESPACE)
