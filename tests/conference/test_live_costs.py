"""What a live event costs in round trips to the database (issue 19): counted, never timed.

On a shared machine every statement is a round trip that waits its turn, so the live room's delay
grows with the number of statements an event sends, not with their size. These tests pin the savings:
one sharing decision per case for a whole join, the conference lock in one statement, and the
case-panel push's access-log rows in one INSERT after the panels were built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from conference.models import Conference
from conference.services import live
from conference.sockets import NAMESPACE
from tests.fixtures.conferences import Meeting, SocketFor, latest, seat

pytestmark = pytest.mark.embedded


@contextmanager
def _statements(db: Any) -> Iterator[list[str]]:
    """Collect every SQL statement sent while the block runs (savepoints left out)."""
    seen: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "SAVEPOINT" not in statement.upper():
            seen.append(" ".join(statement.split()))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)


def _emit(socket: Any, event: str, meeting: Meeting, **data: Any) -> Any:
    return socket.emit(
        event, {"conference_id": meeting.conference.id, **data}, namespace=NAMESPACE, callback=True
    )


def test_the_conference_lock_is_one_statement_and_leaves_the_fresh_row_in_the_session(
    db: Any, meeting: Meeting
) -> None:
    conference_id = meeting.conference.id
    db.session.commit()
    db.session.expire_all()
    before = int(db.session.scalar(sa.select(Conference.revision).where(Conference.id == conference_id)) or 0)
    with _statements(db) as seen:
        revision = live.lock_conference(conference_id)
        conference = db.session.get(Conference, conference_id)
        assert conference is not None
        assert conference.revision == revision == before + 1
        assert conference.title == meeting.conference.title
    # Before: the UPDATE, then the row, then its revision again (three round trips).
    assert len(seen) == 1, seen
    assert seen[0].upper().startswith("UPDATE CONFERENCES")


def test_a_join_asks_the_sharing_question_once_per_case_and_logs_in_one_insert(
    db: Any, meeting: Meeting, conference_socket: SocketFor, grant_conference_consent: Callable[..., Any]
) -> None:
    grant_conference_consent(
        meeting.case, recorded_by=meeting.chair, district_id=meeting.conference.district_id
    )
    db.session.commit()
    seat(db, meeting.conference, meeting.chair, meeting.owner)
    chair = conference_socket(meeting.chair, meeting.conference.id)
    assert _emit(chair, "start", meeting)["ok"]
    assert _emit(chair, "open_item", meeting, item_id=meeting.item.id, version=meeting.item.version)["ok"]
    seat(db, meeting.conference, meeting.partner_worker, meeting.partner)
    db.session.expire_all()  # as in a web process: every event starts from a fresh session

    with _statements(db) as seen:
        partner = conference_socket(meeting.partner_worker, meeting.conference.id)

    assert latest(partner, "case_data")["items"][str(meeting.item.id)]["panel"]["client_name"] == "김하나"
    grants = [s for s in seen if "FROM consent_grants" in s]
    # The state's consent flags, the panel push's sharing decision, and the gate's own view: before,
    # the push asked the sharing question again for each check of each item (four in all).
    assert len(grants) == 3, grants
    inserts = [s for s in seen if s.upper().startswith("INSERT INTO CONSENT_ACCESS_LOG")]
    assert len(inserts) == 1  # one row here: one INSERT on either database
    # The log rows are appended after the panels were built: nothing is read for a panel after them.
    last_insert = max(
        index for index, s in enumerate(seen) if s.upper().startswith("INSERT INTO CONSENT_ACCESS_LOG")
    )
    assert not [s for s in seen[last_insert + 1 :] if s.upper().startswith("SELECT")]
