"""Eight people use the embedded default at once for a minute, while its worker and beat run.

`hamkke up` in a temporary instance (SQLite, filesystem broker, the development provider), eight
threads signed in through the provider over real HTTP doing the journeys' writes and reads: a dong
worker opens cases, records 초기상담 and sends referrals; four staff of receiving agencies take them
through 접수 → 수락 → 시작 → 회신; a coordinator and a welfare worker sit in the demo conference over
Socket.IO; a supervisor and an auditor read lists, pages and dashboards. Everyone's browser keeps the
``/live`` socket open. Afterwards: no 5xx, no socket error event, every letter rendered, and no
"database is locked" in any process's log. The figures are printed (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.embedded import LOCKED, EmbeddedInstance, embedded_instance
from tests.fixtures.people import (
    COLLECTION_GRANT,
    Person,
    Tally,
    answer_referral,
    open_case,
    received_referrals,
    record_consent,
    record_intake,
    send_referral,
)
from tests.fixtures.processes import wait_until

#: how long the eight people work (the issue asks for 60 s)
LOAD_SECONDS = 60.0
#: receiving agencies' staff (demo accounts) and the agency names the sender prefers to refer to
RECEIVERS = ("최사례", "정관리", "강자활", "윤마음")
RECEIVING_AGENCIES = ("한빛종합사회복지관", "자활", "정신건강")

#: the outbox's log line of a failed attempt (notifications/delivery.py)
OUTBOX_TROUBLE = re.compile(r"Outbox message \d+ attempt \d+: (retry|failed)")

MISSING_LETTERS = """
    SELECT count(*) FROM referrals r
    WHERE (r.request_document_number IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM referral_letters l WHERE l.referral_id = r.id AND l.kind = 'request'))
       OR (r.reply_document_number IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM referral_letters l WHERE l.referral_id = r.id AND l.kind = 'reply'))
"""


class Crew:
    """The eight people, the shared tally, and a stop flag."""

    def __init__(self, up: EmbeddedInstance) -> None:
        self.up = up
        self.tally = Tally()
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.sent: list[int] = []

    def run(self, name: str, step: Callable[[Person], None], setup: Callable[[Person], None] | None) -> None:
        """Sign in, open the ``/live`` socket, then repeat ``step`` until told to stop."""
        person = Person(self.up.base_url, name, self.tally)
        try:
            person.sign_in(name)
            live = person.connect_socket("/live")
            if setup is not None:
                setup(person)
            while not self.stop.is_set():
                step(person)
                person.call(live, "/live", "check_session", {})
                self.tally.did("live.check_session")
        except Exception as error:  # any failure ends this person's work and fails the test
            with self.lock:
                self.failures.append(f"{name}: {type(error).__name__}: {str(error)[:1500]}")
        finally:
            person.close()

    # --- journeys ---------------------------------------------------------------------------------

    def dong_worker(self, person: Person) -> None:
        """Open a case, record the 초기상담, refer the client to a service, read the lists."""
        name = f"부하시험{random.randint(1000, 9999)}"
        case_id = open_case(person, name)
        record_consent(person, case_id, [COLLECTION_GRANT], signer=name)
        self.tally.did("case.opened")
        record_intake(person, case_id)
        self.tally.did("case.intake")
        referral_id = send_referral(person, case_id, prefer=RECEIVING_AGENCIES)
        with self.lock:
            self.sent.append(referral_id)
        self.tally.did("referral.sent")
        for path in ("/cases/", f"/cases/{case_id}", "/referrals/?box=sent", f"/referrals/{referral_id}"):
            person.get(path)

    def receiver(self, person: Person) -> None:
        """Take every received referral one step further (접수, 수락, 시작, 회신); read the pages."""
        for referral_id in received_referrals(person):
            step = answer_referral(person, referral_id)
            if step is not None:
                self.tally.did(f"referral.{step}")
            person.get(f"/referrals/{referral_id}/letters")
        person.get("/notifications/")
        person.get("/conferences/actions")
        time.sleep(0.5)

    def reader(self, person: Person) -> None:
        """Read what a supervisor or an auditor reads: case lists and pages, escalations, dashboards."""
        page = person.get("/cases/").text
        for case_id in sorted(set(re.findall(r'href="/cases/(\d+)"', page)))[:3]:
            person.get(f"/cases/{case_id}")
        # Not every role has every page: a redirect or refusal is an answer, only a 5xx is a failure.
        for path in ("/cases/escalations", "/dashboards/", "/notifications/", "/referrals/"):
            person.get(path, expect=(200, 302, 403, 404))
        self.tally.did("reader.round")

    def conference_setup(self, person: Person) -> None:
        """Check in to the demo conference, accept the pledge and join its room over Socket.IO."""
        page = person.get("/conferences/").text
        conference_id = int(re.findall(r'href="/conferences/(\d+)"', page)[0])
        person.post(f"/conferences/{conference_id}/check-in", {}, token_from=f"/conferences/{conference_id}")
        room = person.get(f"/conferences/{conference_id}").text
        version = re.search(r'name="version" value="([^"]+)"', room)
        if version is not None:
            person.post(
                f"/conferences/{conference_id}/pledge",
                {"agree": "yes", "version": version.group(1)},
                token_from=f"/conferences/{conference_id}",
            )
        client = person.connect_socket("/conference", auth={"conference_id": conference_id})
        setattr(person, "conference", (conference_id, client))  # noqa: B010 -- per-person state

    def participant(self, person: Person) -> None:
        """Re-sync the conference view over the socket and fetch its JSON state, like a browser."""
        conference_id, client = person.conference  # type: ignore[attr-defined]
        ack = person.call(client, "/conference", "sync", {"conference_id": conference_id})
        assert "state" in ack
        person.get(f"/conferences/{conference_id}/state.json")
        person.get("/cases/escalations", expect=(200, 403))
        self.tally.did("conference.sync")
        time.sleep(0.5)


@pytest.mark.embedded
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_eight_people_for_a_minute_see_no_error_and_every_letter(backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        # It starts its own embedded default whatever the pass; once (in the SQLite pass) is enough.
        pytest.skip("runs in the embedded pass: pytest -m embedded --backend sqlite")
    with embedded_instance(tmp_path) as up:
        crew = Crew(up)
        people: list[tuple[str, Callable[[Person], None], Callable[[Person], None] | None]] = [
            ("이복지", crew.dong_worker, None),
            ("박팀장", crew.reader, None),
            ("서감사", crew.reader, None),
            ("김조정", crew.participant, crew.conference_setup),
            *[(name, crew.receiver, None) for name in RECEIVERS],
        ]
        threads = [
            threading.Thread(target=crew.run, args=entry, name=entry[0], daemon=True) for entry in people
        ]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        crew.stop.wait(LOAD_SECONDS)
        crew.stop.set()
        for thread in threads:
            thread.join(timeout=180)
        worked = time.monotonic() - started

        # The worker renders every letter of what was sent and answered (no sweeper needed).
        try:
            wait_until(lambda: up.query(MISSING_LETTERS)[0][0] == 0, timeout=120, message="every letter")
        except TimeoutError as error:
            raise AssertionError(_why_letters_missing(up)) from error
        letters = up.query("SELECT kind, count(*) FROM referral_letters GROUP BY kind")
        # E-mail (the receivers' referral notices) reached the development mail catcher.
        wait_until(lambda: _undelivered(up) == 0, timeout=120, message="every e-mail delivered")
        caught = len(list((up.instance / "devmail").glob("*.eml")))
        log = up.log_text()

    figures = {
        "seconds": round(worked, 1),
        "requests": sum(crew.tally.statuses.values()),
        "statuses": dict(sorted(crew.tally.statuses.items())),
        "actions": dict(sorted(crew.tally.actions.items())),
        "letters": dict(letters),
        "server_errors": len(crew.tally.server_errors),
        "socket_errors": len(crew.tally.socket_errors),
        "locked_lines": log.count(LOCKED),
        "caught_emails": caught,
    }
    print("\nembedded load:", json.dumps(figures, ensure_ascii=False))
    (tmp_path / "figures.json").write_text(json.dumps(figures, ensure_ascii=False))
    assert not crew.failures, crew.failures
    assert not any(thread.is_alive() for thread in threads)
    assert crew.tally.server_errors == []
    assert crew.tally.transport_errors == []
    assert crew.tally.socket_errors == []
    assert LOCKED not in log, [line for line in log.splitlines() if LOCKED in line][:5]
    # Every journey made progress: cases, referrals sent and answered to the end, live conference.
    for action in ("case.opened", "referral.sent", "referral.complete", "conference.sync", "reader.round"):
        assert crew.tally.actions[action] > 0, (action, figures)
    assert dict(letters).get("request", 0) >= len(crew.sent)
    assert caught > 0
    assert not OUTBOX_TROUBLE.search(log), OUTBOX_TROUBLE.search(log)  # nothing met a closed port


def _why_letters_missing(up: EmbeddedInstance) -> str:
    """Name the referrals whose letters never came, with what the processes logged about trouble."""
    missing = up.query(MISSING_LETTERS.replace("SELECT count(*)", "SELECT r.id, r.status"))
    trouble = [
        line
        for line in up.log_text().splitlines()
        if any(word in line for word in ("ERROR", "Error", "Traceback", "Letter", "retry", "Retry"))
    ]
    return f"letters missing for referrals {missing}; log lines about trouble: {trouble[-60:]}"


def _undelivered(up: EmbeddedInstance) -> int:
    return int(
        up.query(
            "SELECT count(*) FROM outbox_messages WHERE status IN ('pending', 'sending')"
            " AND next_attempt_at <= datetime('now')"
        )[0][0]
    )
