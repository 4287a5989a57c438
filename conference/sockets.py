"""The ``/conference`` namespace: the live meeting, with every event authorized and refused safely.

A socket connects with ``auth={"conference_id": …}``; it must be signed in (``authenticate_socket``)
and checked in to that conference. It joins ``conference:<id>`` (agenda, presence, roles: no case
data) and, once the attendee accepted the current pledge, ``conference:<id>:agency:<agency_id>``
(case panels, SOAP and actions filtered for that agency) — guests get their own
``conference:<id>:person:<person_id>`` room instead, because they see only open items.
Handlers validate, authorize, call one service, commit once, and the payloads go out after the
commit through ``hamkke.realtime``.

What goes out is sized to the change: a ``delta`` to the conference room (the changed items,
attendees, roles board or SOAP version; never case data, no gate call), an ``item_data`` to each room
that may see the item (SOAP text, actions, lead decisions), and the gate-filtered ``case_data`` panel
per agency only when it changes (an item opens or closes, the meeting starts, consent changes) or to
a joining socket alone. The whole ``state`` goes only to a (re)connecting socket and on ``sync``.
The gate's access-log rows are written in their own short transaction after the change committed,
so meetings do not queue on the log's chain head while they hold their conference lock.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import wraps
from typing import Any, NoReturn, TypeVar, cast

from flask import g, request
from flask_socketio import emit, join_room
from sqlalchemy.exc import DataError, SQLAlchemyError

from agencies.models import Person
from agencies.sessions import signed_in_person
from agencies.sockets import (
    AuthenticatedNamespace,
    authenticate_socket,
    authenticated_event,
    forget_socket,
    refuse_connection,
)
from cases.models import Case
from conference import access
from conference.models import (
    AgendaItem,
    Attendance,
    CaseRole,
    Conference,
    ConferenceStatus,
    ItemOutcome,
    ItemStage,
    LeadMethod,
)
from conference.queries import (
    agency_payload,
    conference_delta,
    conference_payload,
    guest_payload,
    item_data,
)
from conference.services import actions as action_services
from conference.services import live, minutes, roles
from consents import access_log
from hamkke import realtime
from hamkke.db import db
from hamkke.errors import DomainError, NotFound, PermissionDenied, ServiceUnavailable, ValidationFailed
from hamkke.extensions import socketio

logger = logging.getLogger(__name__)

NAMESPACE = "/conference"
H = TypeVar("H", bound=Callable[..., Any])


def conference_room(conference_id: int) -> str:
    """Room of everyone checked in to a conference (no case data goes here)."""
    return f"conference:{conference_id}"


def agency_room(conference_id: int, agency_id: int) -> str:
    """Room of one agency's pledged attendees: case data filtered for that agency."""
    return f"conference:{conference_id}:agency:{agency_id}"


def person_room(conference_id: int, person_id: int) -> str:
    """Room of one attendee (guests' case data, personal acknowledgements)."""
    return f"conference:{conference_id}:person:{person_id}"


@dataclass(frozen=True)
class SocketSeat:
    """Which conference, attendance and agency a connected socket belongs to."""

    conference_id: int
    attendance_id: int
    person_id: int
    agency_id: int


class SeatRegistry:
    """Seats of the sockets in this process; a client never names its own conference after connecting."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seats: dict[str, SocketSeat] = {}

    def put(self, sid: str, seat: SocketSeat) -> None:
        """Remember a socket's seat."""
        with self._lock:
            self._seats[sid] = seat

    def pop(self, sid: str) -> SocketSeat | None:
        """Forget a socket and return its seat."""
        with self._lock:
            return self._seats.pop(sid, None)

    def get(self, sid: str) -> SocketSeat | None:
        """Return a socket's seat."""
        with self._lock:
            return self._seats.get(sid)


seats = SeatRegistry()


def _sid() -> str:
    return cast(str, request.sid)  # type: ignore[attr-defined]


def _refuse(event: str, error: DomainError) -> dict[str, Any]:
    db.session.rollback()
    payload = {
        "event": event,
        "code": error.code,
        "message": error.message,
        "english": error.english,
        "field": error.field,
    }
    logger.warning(
        "Refused conference event %s from sid %s: %s (%s)", event, _sid(), error.code, error.english
    )
    emit("error", payload)
    return {"ok": False, **payload}


def publish_delta(conference: Conference, **parts: Any) -> None:
    """Queue a small room-wide change (see ``queries.conference_delta``) for the commit; no case data."""
    db.session.flush()
    realtime.publish(
        "delta",
        conference_delta(conference, **parts),
        room=conference_room(conference.id),
        namespace=NAMESPACE,
    )


def publish_state(conference: Conference, *, room: str) -> None:
    """Queue the whole shared state (agenda, attendees, roles) for one room or socket."""
    db.session.flush()
    realtime.publish("state", conference_payload(conference), room=room, namespace=NAMESPACE)


def _case_rooms(conference: Conference) -> list[tuple[Attendance, str]]:
    """Return one pledged viewer per agency room, and each pledged guest with the guest's own room."""
    pledged = [a for a in conference.attendances if access.has_current_pledge(a)]
    rooms: list[tuple[Attendance, str]] = []
    for agency_id in sorted({a.agency_id for a in pledged if not a.is_guest}):
        viewer = next(a for a in pledged if a.agency_id == agency_id and not a.is_guest)
        rooms.append((viewer, agency_room(conference.id, agency_id)))
    rooms.extend((guest, person_room(conference.id, guest.person_id)) for guest in pledged if guest.is_guest)
    return rooms


def _viewer_payload(conference: Conference, viewer: Attendance) -> dict[str, Any]:
    if viewer.is_guest:
        return guest_payload(conference, viewer)
    return agency_payload(conference, viewer)


def publish_case_data(conference: Conference) -> None:
    """Queue each agency's (and guest's) gate-filtered case panels for the commit; one log row per view."""
    db.session.flush()
    with access.one_sharing_decision_per_case():
        for viewer, room in _case_rooms(conference):
            realtime.publish("case_data", _viewer_payload(conference, viewer), room=room, namespace=NAMESPACE)


def publish_item_data(conference: Conference, item: AgendaItem, **parts: Any) -> None:
    """Queue one item's changed minutes/actions/lead for the rooms that may see its case (no gate call)."""
    db.session.flush()
    payload = item_data(conference, item, **parts)
    with access.one_sharing_decision_per_case():
        for viewer, room in _case_rooms(conference):
            if access.may_see_item_case(item, viewer.agency_id, is_guest=viewer.is_guest):
                realtime.publish("item_data", payload, room=room, namespace=NAMESPACE)


def publish_all(conference: Conference) -> None:
    """Queue the whole state to the room and every agency's filtered case data (a full resync)."""
    publish_state(conference, room=conference_room(conference.id))
    publish_case_data(conference)


#: tries of ``send_case_data`` before the browser is told to resync
CASE_DATA_ATTEMPTS = 3


def send_case_data(conference_id: int, *, attendance_id: int | None = None, room: str | None = None) -> bool:
    """Send gate-filtered case data in a short transaction of its own, retrying; return success.

    Without ``attendance_id`` every agency room gets its panels; with it only that attendee's view
    goes to ``room`` (a joining socket). Call after the change committed: the access-log rows then do
    not wait for the conference lock, and a log that is briefly unavailable refuses no change. After
    the last failed attempt the socket (or the conference room) is told to resync.
    """
    for attempt in range(1, CASE_DATA_ATTEMPTS + 1):
        if attempt > 1:
            # A database that refused the last attempt (restarting, a deadlock): spread the retries out.
            time.sleep(random.uniform(0.1, 0.4) * attempt)  # noqa: S311 -- jitter, not a secret
        try:
            conference = db.session.get(Conference, conference_id)
            if conference is None:
                db.session.rollback()
                return False
            # The panels leave only after the commit, so their log rows can be appended together at
            # the end: the chain head is held for one INSERT and the commit, not while panels are built.
            # Every room's and item's "may this case go into the room?" is asked once per case.
            with access_log.appended_together(), access.one_sharing_decision_per_case():
                if attendance_id is None:
                    publish_case_data(conference)
                else:
                    viewer = db.session.get(Attendance, attendance_id)
                    if viewer is not None and access.has_current_pledge(viewer):
                        realtime.publish(
                            "case_data",
                            _viewer_payload(conference, viewer),
                            room=room or person_room(conference_id, viewer.person_id),
                            namespace=NAMESPACE,
                        )
            db.session.commit()
            return True
        except (DomainError, SQLAlchemyError) as error:
            db.session.rollback()
            logger.warning(
                "Case data of conference %s not sent (attempt %s): %r", conference_id, attempt, error
            )
    realtime.emit_now(
        "error",
        {
            "event": "case_data",
            "code": "case_data_unavailable",
            "message": "사례 정보를 불러오지 못했습니다. 잠시 후 다시 동기화합니다.",
            "field": None,
        },
        room=room or conference_room(conference_id),
        namespace=NAMESPACE,
    )
    return False


def refresh_case_data_after_commit(
    conference: Conference, *, attendance: Attendance | None = None, room: str | None = None
) -> None:
    """Ask the event wrapper to send case panels once this event has committed.

    Every agency's panels, or with ``attendance`` only that attendee's view to ``room``.
    """
    g.conference_case_refresh = (conference.id, attendance.id if attendance else None, room)


def conference_event(
    *, chair: bool = False, minute: bool = False, pledge: bool = True, writes: bool = True
) -> Callable[[H], H]:
    """Authorize an event (seated, same conference, checked in, pledged, role) or refuse it with ``error``.

    The handler receives ``(conference, attendance, person, data)``; it calls a service, queues what
    changed (``publish_delta`` and friends) and returns an ack dict. The decorator commits once; case
    panels a handler asked for (``refresh_case_data_after_commit``) go out after that commit.
    """

    def decorate(func: H) -> H:
        @wraps(func)
        def wrapper(self: Any, data: Any = None) -> Any:
            event = func.__name__.removeprefix("on_")
            g.pop("conference_case_refresh", None)
            try:
                if not isinstance(data, dict):
                    raise ValidationFailed("잘못된 요청입니다.", english="Malformed payload.")
                seat = seats.get(_sid())
                if seat is None:
                    raise PermissionDenied("회의에 참석하지 않았습니다.", english="Not seated.")
                if data.get("conference_id") != seat.conference_id:
                    raise NotFound("다른 회의입니다.", english="Event for another conference.")
                if writes:
                    # End the session check's read transaction, then lock before reading anything.
                    db.session.commit()
                    live.lock_conference(seat.conference_id)
                person = signed_in_person()
                conference = access.get_conference_for(person, seat.conference_id)
                # From the conference's attendances, which the fan-out to the rooms reads anyway:
                # one query serves both (fresh: this transaction loaded the conference just now).
                attendance = next((a for a in conference.attendances if a.id == seat.attendance_id), None)
                if attendance is None or attendance.person_id != person.id:
                    raise PermissionDenied("체크인하지 않았습니다.", english="Not checked in.")
                if pledge and not access.has_current_pledge(attendance):
                    raise PermissionDenied("비밀유지 서약을 먼저 하세요.", english="Pledge not accepted.")
                if chair and not access.is_chair(person, conference):
                    raise PermissionDenied("회의 진행자만 할 수 있습니다.", english="Chair only.")
                if minute and not access.can_edit_minutes(person, conference, attendance=attendance):
                    raise PermissionDenied("회의록 편집 권한이 없습니다.", english="Not a minute editor.")
                # One sharing decision per case for the whole event: the handler's own check, the
                # delta's consent flags and every room's fan-out ask the same question in one transaction.
                with access.one_sharing_decision_per_case():
                    ack = func(self, conference, attendance, person, data)
                db.session.commit()
            except DomainError as error:
                return _refuse(event, error)
            except SQLAlchemyError:
                # A lost race the locks did not prevent (or the database restarting): nothing was saved.
                logger.exception("Conference event %s failed in the database", event)
                return _refuse(event, ServiceUnavailable())
            except (KeyError, TypeError, ValueError) as error:
                # The detail goes to the log; the person reads a plain sentence.
                logger.warning("Malformed %s payload: %r", event, error)
                return _refuse(event, ValidationFailed("잘못된 요청입니다.", english="Malformed request."))
            refresh = g.pop("conference_case_refresh", None)
            if refresh is not None:
                conference_id, attendance_id, room = refresh
                send_case_data(conference_id, attendance_id=attendance_id, room=room)
            return {"ok": True, **(ack or {})}

        checked = authenticated_event(wrapper)

        @wraps(func)
        def guarded(self: Any, data: Any = None) -> Any:
            event = func.__name__.removeprefix("on_")
            try:
                return checked(self, data)
            except SQLAlchemyError:
                # The session check itself met a busy or restarting database: refuse, never crash.
                logger.exception("Conference event %s failed before authorization", event)
                return _refuse(event, ServiceUnavailable())

        return cast(H, guarded)

    return decorate


def _item(conference: Conference, data: dict[str, Any]) -> AgendaItem:
    item_id = int(data["item_id"])
    for item in conference.items:
        if item.id == item_id:
            return item
    raise NotFound("이 회의의 안건이 아닙니다.", english="Item of another conference.")


def _version(data: dict[str, Any]) -> int:
    version = data["version"]
    if not isinstance(version, int):
        raise ValidationFailed("버전이 없습니다.", field="version")
    return version


def _optional_date(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def _optional_int(value: Any) -> int | None:
    return int(value) if value not in (None, "") else None


class ConferenceNamespace(AuthenticatedNamespace):
    """``/conference``: presence, agenda flow, lead agency, roles, SOAP minutes and actions, live."""

    def on_connect(self, auth: dict[str, Any] | None = None) -> None:
        """Accept only a signed-in attendee checked in to the conference named in ``auth``.

        The joining socket alone gets the whole state and its agency's case panels; the room gets the
        attendee's presence row. A join the database cannot take now is refused with a reason.
        """
        try:
            record = authenticate_socket()
        except SQLAlchemyError as error:
            self._refuse_connect("unavailable", error)
        sid = _sid()
        try:
            conference_id = int((auth or {})["conference_id"])
        except (KeyError, TypeError, ValueError) as error:
            self._refuse_connect("no_conference", error)
        try:
            # End the session check's read transaction before taking the conference lock.
            db.session.commit()
            live.lock_conference(conference_id)
            conference = access.get_conference_for(record.person, conference_id)
            attendance = access.attendance_of(record.person, conference)
            if attendance is None:
                raise PermissionDenied("체크인하지 않았습니다.", english="Not checked in.")
            seats.put(
                sid, SocketSeat(conference.id, attendance.id, attendance.person_id, attendance.agency_id)
            )
            join_room(conference_room(conference.id))
            join_room(person_room(conference.id, attendance.person_id))
            pledged = access.has_current_pledge(attendance)
            if pledged and not attendance.is_guest:
                join_room(agency_room(conference.id, attendance.agency_id))
            if live.set_presence(attendance, connected=True):
                publish_delta(conference, attendances=[attendance])
            publish_state(conference, room=sid)
            # The join is committed before the case panels go out in their own short transaction.
            db.session.commit()
        except PermissionDenied as error:
            self._refuse_connect("not_checked_in", error)
        except NotFound as error:
            self._refuse_connect("no_conference", error)
        except DomainError as error:
            self._refuse_connect(error.code, error)
        except DataError as error:
            # An ID beyond the database's integer range names no conference.
            self._refuse_connect("no_conference", error)
        except SQLAlchemyError as error:
            # The database is busy (pool, lock) or restarting: the browser tries again.
            self._refuse_connect("unavailable", error)
        if pledged:
            send_case_data(conference.id, attendance_id=attendance.id, room=sid)

    def _refuse_connect(self, code: str, error: Exception) -> NoReturn:
        """Undo a half-done join and refuse the socket with ``code`` (the client's ``connect_error``)."""
        db.session.rollback()
        seats.pop(_sid())
        forget_socket()
        if isinstance(error, SQLAlchemyError):
            logger.error("Conference join refused (%s) for sid %s", code, _sid(), exc_info=error)
        else:
            logger.warning("Conference join refused (%s) for sid %s: %r", code, _sid(), error)
        domain = error if isinstance(error, DomainError) and code != "unavailable" else None
        refuse_connection(code, domain.message if domain else None, domain.english if domain else None)

    def on_disconnect(self, reason: str | None = None) -> None:
        """Count the attendee out; a chair who is gone hands the chair over (never to nobody).

        A database error retries once in a fresh transaction, so presence never stays stale.
        """
        forget_socket()
        seat = seats.pop(_sid())
        if seat is None:
            return
        for attempt in (1, 2):
            try:
                self._leave(seat)
                return
            except (DomainError, SQLAlchemyError):
                db.session.rollback()
                logger.exception(
                    "Conference %s: leaving of attendance %s failed (attempt %s)",
                    seat.conference_id,
                    seat.attendance_id,
                    attempt,
                )

    def _leave(self, seat: SocketSeat) -> None:
        # End the read transaction before taking the conference lock.
        db.session.commit()
        live.lock_conference(seat.conference_id)
        attendance = db.session.get(Attendance, seat.attendance_id)
        conference = db.session.get(Conference, seat.conference_id)
        if attendance is None or conference is None:
            db.session.rollback()
            return
        changed = live.set_presence(attendance, connected=False)
        person = db.session.get(Person, seat.person_id)
        chair_before = conference.chair_id
        if attendance.connections == 0 and person is not None:
            live.hand_over_chair(conference, leaving=person)
        if conference.chair_id != chair_before:
            # Chair, recorder and who may edit the minutes all changed: rare enough to resend it all.
            publish_state(conference, room=conference_room(conference.id))
        elif changed:
            publish_delta(conference, attendances=[attendance])
        # Each attempt of the retry loop around _leave is whole: committed here.
        db.session.commit()

    @conference_event(writes=False)
    def on_sync(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Return this attendee's full view (after a reconnect, before resending unsent SOAP text)."""
        ack = {"state": conference_payload(conference)}
        if attendance.is_guest:
            ack["case_data"] = guest_payload(conference, attendance)
        else:
            ack["case_data"] = agency_payload(conference, attendance)
        return ack

    @conference_event(pledge=False)
    def on_accept_pledge(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Accept the 비밀유지 서약 and join the agency's case-data room."""
        live.accept_pledge(attendance, version=str(data["version"]))
        if not attendance.is_guest:
            join_room(agency_room(conference.id, attendance.agency_id))
        publish_delta(conference, attendances=[attendance])
        refresh_case_data_after_commit(conference, attendance=attendance, room=_sid())
        return {}

    @conference_event(pledge=False)
    def on_raise_hand(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Raise or lower the attendee's hand."""
        live.set_hand(attendance, raised=bool(data["raised"]))
        publish_delta(conference, attendances=[attendance])
        return {}

    @conference_event(chair=True)
    def on_start(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Start the meeting."""
        live.start_conference(conference, actor=person)
        publish_delta(conference, header=True, items=conference.items)
        refresh_case_data_after_commit(conference)
        return {}

    @conference_event(chair=True)
    def on_open_item(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Open an agenda item (its case data becomes visible to consented agencies)."""
        item = live.open_item(_item(conference, data), actor=person, version=_version(data))
        publish_delta(conference, items=[item])
        refresh_case_data_after_commit(conference)
        return {}

    @conference_event(chair=True)
    def on_advance_stage(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Move the open item to the next (or previous) stage of the agenda flow."""
        item = _item(conference, data)
        live.advance_stage(item, actor=person, stage=ItemStage(data["stage"]), version=_version(data))
        publish_delta(conference, items=[item])
        return {}

    @conference_event(chair=True)
    def on_restart_timer(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Restart the open item's time box."""
        item = live.restart_timer(_item(conference, data), actor=person)
        publish_delta(conference, items=[item])
        return {}

    @conference_event(chair=True)
    def on_close_item(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Close the open item as agreed or for 재회의."""
        item = live.close_item(
            _item(conference, data),
            actor=person,
            outcome=ItemOutcome(data["outcome"]),
            version=_version(data),
        )
        publish_delta(conference, items=[item])
        # Once closed, only agencies with a role in the case keep seeing it.
        refresh_case_data_after_commit(conference)
        return {}

    @conference_event(chair=True)
    def on_decide_lead(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Record the lead-agency decision of the open item."""
        votes = data.get("votes") or {}
        if not isinstance(votes, dict):
            raise ValidationFailed("투표 형식이 잘못되었습니다.", field="votes")
        item = _item(conference, data)
        decision = roles.decide_lead_agency(
            item,
            actor=person,
            method=LeadMethod(data["method"]),
            candidate_agency_ids=[int(value) for value in data["candidate_agency_ids"]],
            chosen_agency_id=int(data["chosen_agency_id"]),
            rationale=str(data["rationale"]),
            votes={str(key): int(value) for key, value in votes.items()},
            objections=str(data.get("objections") or ""),
            effective_on=_optional_date(data.get("effective_on")),
        )
        publish_delta(conference, items=[item], roles=True)
        publish_item_data(conference, item, lead=True)
        return {"decision_id": decision.id}

    @conference_event(chair=True)
    def on_assign_role(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Give an agency its role and ISP items in the open item's case."""
        isp = [
            roles.IspItem(
                service=str(entry["service"]),
                quantity=str(entry.get("quantity") or ""),
                duration=str(entry.get("duration") or ""),
                intensity=str(entry.get("intensity") or ""),
                due_on=_optional_date(entry.get("due_on")),
            )
            for entry in data.get("isp_items") or []
        ]
        item = _item(conference, data)
        assignment = roles.assign_role(
            item,
            actor=person,
            agency_id=int(data["agency_id"]),
            role=CaseRole(data["role"]),
            responsibilities=str(data.get("responsibilities") or ""),
            isp_items=isp,
            due_on=_optional_date(data.get("due_on")),
        )
        # The item's version moved on too: the chair's next stage change must carry the new one.
        publish_delta(conference, items=[item], roles=True)
        return {"assignment_id": assignment.id}

    @conference_event(minute=True)
    def on_soap_save(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Save a SOAP section from its base version; concurrent edits are merged, never lost."""
        text = data["text"]
        if not isinstance(text, str) or not isinstance(data["base_version"], int):
            raise ValidationFailed("잘못된 회의록 요청입니다.", field="text")
        item = _item(conference, data)
        if not access.may_see_item_case(item, attendance.agency_id):
            raise PermissionDenied("이 안건의 내용을 볼 수 없습니다.")
        result = minutes.save_soap(
            item, actor=person, section=str(data["section"]), text=text, base_version=data["base_version"]
        )
        section = result.section
        publish_delta(
            conference, soap={"item_id": item.id, "section": section.section, "version": section.version}
        )
        publish_item_data(conference, item, sections=[section.section])
        return {"version": section.version, "text": section.text, "merged": result.merged}

    @conference_event(minute=True)
    def on_create_action(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Turn one P line into an action item."""
        due_on = _optional_date(data.get("due_on"))
        if due_on is None:
            raise ValidationFailed("기한을 정하세요.", field="due_on")
        item = _item(conference, data)
        action = action_services.create_action_from_plan_line(
            item,
            actor=person,
            line=str(data["line"]),
            owner_agency_id=int(data["owner_agency_id"]),
            due_on=due_on,
            assignee_id=_optional_int(data.get("assignee_id")),
            referral_id=_optional_int(data.get("referral_id")),
        )
        publish_item_data(conference, item, actions=True)
        return {"action_id": action.id}

    @conference_event(chair=True)
    def on_allow_editor(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """Let an attendee co-edit the minutes (or take it back)."""
        target = next((a for a in conference.attendances if a.person_id == int(data["person_id"])), None)
        if target is None:
            raise NotFound("참석자가 아닙니다.")
        live.allow_minute_editor(target, actor=person, allowed=bool(data["allowed"]))
        publish_delta(conference, attendances=[target])
        return {}

    @conference_event(chair=True)
    def on_finalize(
        self, conference: Conference, attendance: Attendance, person: Person, data: dict[str, Any]
    ) -> dict[str, Any]:
        """End the meeting and finalize the minutes."""
        version = minutes.finalize_minutes(conference, actor=person)
        publish_delta(conference, header=True, items=conference.items)
        return {"minutes_version": version.version}


def republish_conferences_of_case(case_id: int) -> int:
    """Re-send filtered case data of live conferences discussing a case; call after a consent change commits.

    Returns the number of conferences refreshed. The consents domain calls this (directly or via a
    receiver) after a revocation, so open panels redact within the round trip of one event.
    """
    discussing = [
        item.conference
        for item in db.session.query(AgendaItem).filter(AgendaItem.case_id == case_id)
        if item.conference.status == ConferenceStatus.live
    ]
    unique = {conference.id: conference for conference in discussing}
    # End the read transaction: each conference below is locked and committed on its own.
    db.session.commit()
    for conference_id in unique:
        live.lock_conference(conference_id)
        conference = db.session.get(Conference, conference_id)
        if conference is not None:
            # The items' consent flags to everyone, then the panels per agency through the gate.
            publish_delta(conference, items=conference.items)
        # One conference at a time: its lock is released before its panels go out.
        db.session.commit()
        send_case_data(conference_id)
    return len(unique)


def register_namespaces() -> None:
    """Attach the ``/conference`` namespace to the app's Socket.IO server."""
    socketio.on_namespace(ConferenceNamespace(NAMESPACE))


def refresh_after_consent_change(client_id: int) -> None:
    """Receiver of ``consent_changed``: re-send filtered case data of live conferences about the client.

    The consents domain sends the signal once the committing transaction has ended, on the caller's
    thread, app context and session, so the refresh runs right here (no background thread sharing a
    connection); a failure is logged by the sender and the panels re-sync on their next event.
    """
    republish_conferences_of_client(client_id)


def republish_conferences_of_client(client_id: int) -> int:
    """Re-send filtered case data of live conferences discussing any case of the client; return how many."""
    import sqlalchemy as sa

    case_ids = db.session.scalars(sa.select(Case.id).where(Case.main_client_id == client_id)).all()
    return sum(republish_conferences_of_case(case_id) for case_id in case_ids)
