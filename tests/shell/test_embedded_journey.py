"""The whole journey from outside, on a fresh `hamkke up`: only HTTP and Socket.IO, no retry anywhere.

A dong worker escalates a household to the district (구청 의뢰); the coordinator accepts it for an
urgent conference, schedules the conference, drafts and approves its agenda. The dong worker records
the client's consent to share with the network. Coordinator, dong worker and a welfare worker check in,
pledge and join over Socket.IO; the chair opens the item, decides the lead agency, assigns a role and
writes SOAP minutes, which the welfare worker's socket receives live; a P line becomes an action item;
the meeting closes and the minutes PDF downloads. The dong worker refers the client from the action
item; the referral letter is rendered by the worker; the welfare centre replies (reply letter); and
`hamkke jobs run` sends the action item's D-1 reminder, which the development mail page shows.
"""

from __future__ import annotations

import html
import re
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import socketio

from cases.models import CrisisItem
from hamkke.time import now_utc, to_local, today_local
from tests.fixtures.embedded import LOCKED, EmbeddedInstance, embedded_instance
from tests.fixtures.people import (
    COLLECTION_GRANT,
    Person,
    Tally,
    answer_referral,
    location_id,
    open_case,
    record_consent,
    record_intake,
)
from tests.fixtures.processes import wait_until

CHAIR, DONG, WELFARE = "김조정", "이복지", "최사례"
NS = "/conference"
#: the subject of an action item's D-1 reminder (conference/services/actions.py)
REMINDER = "[기한 내일]"


@dataclass
class Live:
    """Everything one person's conference socket received, by event name."""

    events: dict[str, list[Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, event: str, data: Any = None) -> None:
        """Keep one received event."""
        with self.lock:
            self.events.setdefault(event, []).append(data)

    def text(self) -> str:
        """All received payloads as one string (to look for a text that arrived live)."""
        with self.lock:
            return repr(self.events)


@dataclass
class Journey:
    """The three people, what the journey made (IDs) and their conference sockets."""

    up: EmbeddedInstance | None
    base_url: str
    tally: Tally
    people: dict[str, Person]
    facts: dict[str, Any] = field(default_factory=dict)
    sockets: dict[str, socketio.Client] = field(default_factory=dict)
    live: dict[str, Live] = field(default_factory=dict)

    @classmethod
    def start(cls, base_url: str, tally: Tally, up: EmbeddedInstance | None = None) -> Journey:
        """Sign the three people in through the development provider."""
        people = {name: Person(base_url, name, tally) for name in (CHAIR, DONG, WELFARE)}
        for name, person in people.items():
            person.sign_in(name)
        return cls(up=up, base_url=base_url, tally=tally, people=people)

    # --- 1. dong escalation -----------------------------------------------------------------------

    def escalate(self) -> None:
        """The dong worker takes a household from intake to 구청 의뢰; the coordinator accepts it."""
        dong = self.people[DONG]
        case_id = open_case(dong, "홍길순")
        # The client signs before the 초기상담 is recorded: the intake rests on that consent.
        self.facts["case_id"] = case_id
        number = re.search(r"\b(\d{6}-\d{3,})\b", dong.get(f"/cases/{case_id}").text)
        assert number, "the case page shows no case number"
        self.facts["case_number"] = number.group(1)
        self.consent()
        record_intake(dong, case_id)
        dong.post(
            f"/cases/{case_id}/needs",
            {
                "domain": "housing",
                "phenomenon": "난방 중단",
                "risk_level": "high",
                "client_words": "보일러 좀 고쳐 주세요",
                "need_statement": "안전한 겨울 주거",
                "priority": "1",
            },
            token_from=f"/cases/{case_id}/needs",
        )
        dong.post(
            f"/cases/{case_id}/crisis",
            # ten items scored 2 add up to 20: the level (높음) is computed from them
            {"rated_on": today_local().isoformat(), **{f"item_{item.value}": "2" for item in CrisisItem}},
            token_from=f"/cases/{case_id}/crisis",
        )
        dong.post(f"/cases/{case_id}/transition", {"action": "submit_assessment"})
        dong.post(
            f"/cases/{case_id}/escalate",
            {
                "reason": "고립과 난방 중단, 동 자원만으로 해결 어려움",
                "urgency": "urgent",
                "tried": "긴급지원 신청, 복지관 연계 시도",
            },
            token_from=f"/cases/{case_id}/escalate",
        )
        chair = self.people[CHAIR]
        listing = chair.get("/cases/escalations").text
        escalation_id = max(int(found) for found in re.findall(r'href="/cases/escalations/(\d+)"', listing))
        chair.post(
            f"/cases/escalations/{escalation_id}",
            {"accept-placement": "urgent_conference"},
            prefix="accept-",
            token_from=f"/cases/escalations/{escalation_id}",
        )
        assert "구청 접수" in dong.get("/cases/escalations").text
        self.facts.update(case_id=case_id, escalation_id=escalation_id)

    # --- 2. consent -------------------------------------------------------------------------------

    def consent(self) -> None:
        """The dong worker records the client's consent: collection, the network's conference, a referral."""
        dong = self.people[DONG]
        case_id = self.facts["case_id"]
        form = dong.get(f"/cases/{case_id}").text
        welfare = _option_value(dong.get(_consent_form_path(form)).text, "한빛종합사회복지관")
        conference = {
            "purpose": "conference_sharing",
            "recipient_kind": "network",
            "field_groups": ["basic", "needs"],
            "notice_recipient": "한빛구 통합사례관리 네트워크",
            "notice_purpose": "통합사례회의",
            "notice_items": "기본정보, 욕구",
            "notice_retention": "종결 시까지",
            "notice_refusal": "거부할 수 있으며 거부해도 불이익이 없습니다.",
        }
        referral = {
            "purpose": "referral",
            "recipient_kind": "agency",
            "recipient_agency_id": str(welfare),
            "field_groups": ["basic"],
            "notice_recipient": "한빛종합사회복지관",
            "notice_purpose": "서비스 의뢰",
            "notice_items": "기본정보",
            "notice_retention": "서비스 종료 시까지",
            "notice_refusal": "거부할 수 있으며 거부하면 연계가 늦어질 수 있습니다.",
        }
        self.facts["client_id"] = record_consent(
            dong, case_id, [COLLECTION_GRANT, conference, referral], signer="홍길순"
        )

    # --- 3. conference ----------------------------------------------------------------------------

    def schedule(self) -> None:
        """The coordinator schedules an urgent conference, drafts its agenda (the escalation) and approves."""
        chair = self.people[CHAIR]
        form = chair.get("/conferences/new").text
        agencies = {
            key: _agency_id(form, name)
            for key, name in (("dong", "솔내동"), ("welfare", "한빛종합사회복지관"))
        }
        chair_id = _option_value(form, CHAIR)
        starts = to_local(now_utc() + timedelta(hours=2))
        response = chair.post(
            "/conferences/new",
            {
                "kind": "urgent",
                "title": "솔내동 긴급 위기사례회의",
                "date": starts.date().isoformat(),
                "time": starts.strftime("%H:%M"),
                "place": "한빛구청 별관 3층",
                "briefing_days": "1",
                "chair_id": str(chair_id),
                "recorder_id": str(_option_value(form, "한자문")),  # not the chair
                "agency_ids": [str(agencies["dong"]), str(agencies["welfare"])],
            },
            token_from="/conferences/new",
        )
        conference_id = location_id(response, r"/conferences/(\d+)/plan")
        chair.post(
            f"/conferences/{conference_id}/draft-agenda", {}, token_from=f"/conferences/{conference_id}/plan"
        )
        plan = chair.get(f"/conferences/{conference_id}/plan").text
        assert f"사례 {self.facts['case_number']}" in plan, "the escalation is not on the draft agenda"
        chair.post(
            f"/conferences/{conference_id}/approve", {}, token_from=f"/conferences/{conference_id}/plan"
        )
        self.facts.update(conference_id=conference_id, agencies=agencies)

    def join(self) -> None:
        """Each of the three checks in, accepts the pledge and opens the conference socket."""
        conference_id = self.facts["conference_id"]
        for name, person in self.people.items():
            room = f"/conferences/{conference_id}"
            person.post(f"{room}/check-in", {}, token_from=room)
            page = person.get(room).text
            person.post(
                f"{room}/pledge", {"agree": "yes", "version": _field(page, "version")}, token_from=room
            )
            live = Live()
            client = person.connect_socket(NS, auth={"conference_id": conference_id}, on_any=live.record)
            self.sockets[name] = client
            self.live[name] = live

    def hold(self) -> None:
        """Start, open the item, decide the lead, assign a role, write SOAP, make an action, close."""
        chair, chair_socket = self.people[CHAIR], self.sockets[CHAIR]
        conference_id, agencies = self.facts["conference_id"], self.facts["agencies"]
        base = {"conference_id": conference_id}
        state = chair.call(chair_socket, NS, "sync", base)["state"]
        [item] = [i for i in state["items"] if f"사례 {self.facts['case_number']}" in i["title"]]
        item_id = item["id"]
        chair.call(chair_socket, NS, "start", base)
        chair.call(
            chair_socket, NS, "open_item", {**base, "item_id": item_id, "version": self._version(item_id)}
        )
        self._lead_and_role(item_id)
        soap = "대상자는 난방 중단으로 밤잠을 설친다고 함"
        chair.call(
            chair_socket,
            NS,
            "soap_save",
            {**base, "item_id": item_id, "section": "S", "text": soap, "base_version": 0},
        )
        chair.call(
            chair_socket,
            NS,
            "soap_save",
            {
                **base,
                "item_id": item_id,
                "section": "P",
                "text": "주거 점검\n정신건강 상담 연계",
                "base_version": 0,
            },
        )
        # Another agency's socket received the minutes live, without asking.
        wait_until(lambda: soap in self.live[WELFARE].text(), timeout=30, message="SOAP seen live")
        due = today_local() + timedelta(days=1)
        action = chair.call(
            chair_socket,
            NS,
            "create_action",
            {
                **base,
                "item_id": item_id,
                "line": "주거 점검",
                "owner_agency_id": agencies["dong"],
                "due_on": due.isoformat(),
            },
        )
        for stage in ("discuss", "agree"):
            chair.call(
                chair_socket,
                NS,
                "advance_stage",
                {**base, "item_id": item_id, "stage": stage, "version": self._version(item_id)},
            )
        chair.call(
            chair_socket,
            NS,
            "close_item",
            {**base, "item_id": item_id, "outcome": "agreed", "version": self._version(item_id)},
        )
        chair.call(chair_socket, NS, "finalize", base)
        self.facts.update(item_id=item_id, action_id=action["action_id"])

    def _lead_and_role(self, item_id: int) -> None:
        """The chair records the lead agency (the welfare centre) and the dong's role with its ISP."""
        chair, chair_socket = self.people[CHAIR], self.sockets[CHAIR]
        base, agencies = {"conference_id": self.facts["conference_id"]}, self.facts["agencies"]
        chair.call(
            chair_socket,
            NS,
            "decide_lead",
            {
                **base,
                "item_id": item_id,
                "method": "conference_decision",
                "candidate_agency_ids": [agencies["welfare"], agencies["dong"]],
                "chosen_agency_id": agencies["welfare"],
                "rationale": "주 호소문제 서비스 제공기관",
            },
        )
        chair.call(
            chair_socket,
            NS,
            "assign_role",
            {
                **base,
                "item_id": item_id,
                "agency_id": agencies["dong"],
                "role": "partner",
                "responsibilities": "주거 점검과 긴급지원 연계",
                "isp_items": [
                    {"service": "긴급지원", "quantity": "1회", "duration": "1개월", "intensity": "집중"}
                ],
            },
        )

    def _version(self, item_id: int) -> int:
        chair = self.people[CHAIR]
        state = chair.call(self.sockets[CHAIR], NS, "sync", {"conference_id": self.facts["conference_id"]})[
            "state"
        ]
        return int(next(i for i in state["items"] if i["id"] == item_id)["version"])

    def minutes(self) -> None:
        """The welfare worker downloads the minutes PDF."""
        pdf = self.people[WELFARE].get(f"/conferences/{self.facts['conference_id']}/minutes.pdf")
        assert pdf.content.startswith(b"%PDF"), pdf.text[:500]
        for client in self.sockets.values():
            client.disconnect()

    # --- 4. referral, letter, reply ---------------------------------------------------------------

    def refer(self) -> None:
        """The dong worker refers the client from the action item and sends it; the letter is rendered."""
        dong = self.people[DONG]
        action_id = self.facts["action_id"]
        response = dong.post(
            f"/conferences/actions/{action_id}/referral",
            {
                "receiving_agency_id": str(self.facts["agencies"]["welfare"]),
                "reason": "주거 점검 후 정서 지원 필요",
                "requested_services": "사례관리 서비스",
                "field_groups": ["basic"],
            },
            token_from=f"/conferences/actions/{action_id}/referral",
        )
        referral_id = location_id(response, r"/referrals/(\d+)$")
        dong.post(f"/referrals/{referral_id}/send", {}, token_from=f"/referrals/{referral_id}")
        self.facts["referral_id"] = referral_id
        self._letter(dong, referral_id, "서비스 의뢰서")

    def _letter(self, person: Person, referral_id: int, label: str) -> None:
        """Wait (looking as a browser does, at the page part) until the letter is there; download it."""
        part = f"/referrals/{referral_id}/letters"
        wait_until(
            lambda: label in (text := person.get(part).text) and "생성 중" not in text,
            timeout=120,
            message=f"{label} rendered",
        )
        text = person.get(part).text
        links = re.findall(r'href="(/referrals/letters/\d+)">' + re.escape(label), text)
        assert links, text
        pdf = person.get(links[-1])
        assert pdf.content.startswith(b"%PDF")

    def reply(self) -> None:
        """The welfare centre receives, accepts, starts and replies; the reply letter is rendered."""
        welfare = self.people[WELFARE]
        referral_id = self.facts["referral_id"]
        steps = [answer_referral(welfare, referral_id) for _ in range(4)]
        assert steps == ["receive", "accept", "start", "complete"], steps
        self._letter(welfare, referral_id, "회신서")

    # --- 5. reminder ------------------------------------------------------------------------------

    def remind(self) -> None:
        """`hamkke jobs run` sends the action item's D-1 reminder now; the mail page shows it."""
        assert self.up is not None
        dong = self.people[DONG]
        assert REMINDER not in dong.get("/dev/mail").text  # beat's first run is an hour away
        ran = self.up.hamkke("jobs", "run", "conference-action-reminders")
        assert ran.returncode == 0, ran.stdout + ran.stderr
        wait_until(lambda: REMINDER in dong.get("/dev/mail").text, timeout=120, message="reminder e-mail")
        assert REMINDER in dong.get("/notifications/").text


def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}"[^>]*value="([^"]*)"', page)
    assert found, f"no field {name}"
    return html.unescape(found.group(1))


def _consent_form_path(case_page: str) -> str:
    found = re.search(r'href="(/consents/clients/\d+/new)"', case_page)
    assert found, "the case page offers no link to record a consent"
    return found.group(1)


def _option_value(page: str, text: str) -> int:
    found = re.search(r'<option value="(\d+)"[^>]*>\s*' + re.escape(text), page)
    assert found, f"no option {text}"
    return int(found.group(1))


def _agency_id(page: str, name: str) -> int:
    found = re.search(r'value="(\d+)"[^>]*>\s*(?:<[^>]+>\s*)*[^<]*' + re.escape(name), page)
    assert found, f"no agency {name} on the form"
    return int(found.group(1))


@pytest.mark.embedded
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_the_whole_journey_from_outside(backend: str, tmp_path: Path) -> None:
    if backend != "sqlite":
        # It starts its own embedded default whatever the pass; once (in the SQLite pass) is enough.
        pytest.skip("runs in the embedded pass: pytest -m embedded --backend sqlite")
    tally = Tally()
    with embedded_instance(tmp_path) as up:
        journey = Journey.start(up.base_url, tally, up)
        try:
            for step in (
                "escalate",
                "schedule",
                "join",
                "hold",
                "minutes",
                "refer",
                "reply",
                "remind",
            ):
                getattr(journey, step)()
        finally:
            for person in journey.people.values():
                person.close()
        log = up.log_text()
    assert tally.server_errors == []
    assert tally.socket_errors == []
    assert tally.transport_errors == []
    assert LOCKED not in log
    # No retry anywhere: no task retried (Celery's "Task … retry: …") and no e-mail attempt failed.
    assert " retry: " not in log, [line for line in log.splitlines() if " retry: " in line][:5]
    assert not re.search(r"Outbox message \d+ attempt \d+: (retry|failed)", log)
