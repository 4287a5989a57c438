"""Two real web processes sharing Redis as the Socket.IO queue, and an emit from a non-web process."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import socketio

from tests.fixtures.processes import clean_environment, running, wait_until
from tests.fixtures.services import free_port, wait_for_port

HAMKKE = str(Path(sys.executable).with_name("hamkke"))


class Listener:
    """A python-socketio client of /conference that records the events it receives."""

    def __init__(self, url: str, cookie: str) -> None:
        self.events: list[tuple[str, Any]] = []
        self._lock = threading.Lock()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record, namespace="/conference")
        self.url = url
        self.cookie = cookie

    def _record(self, event: str, data: Any = None) -> None:
        with self._lock:
            self.events.append((event, data))

    def connect(self, conference_id: int) -> None:
        self.client.connect(
            self.url,
            namespaces=["/conference"],
            headers={"Cookie": self.cookie},
            auth={"conference_id": conference_id},
            transports=["polling"],
            wait_timeout=10,
        )

    def saw(self, predicate: Any) -> bool:
        with self._lock:
            return any(predicate(event, data) for event, data in self.events)


def test_events_relay_between_two_web_processes_and_from_a_non_web_process(
    redis_url: str, tmp_path: Path
) -> None:
    env = clean_environment(
        {
            "HAMKKE_DATABASE_URL": f"sqlite:///{tmp_path / 'scale.db'}",
            "HAMKKE_SECRET_KEY": secrets.token_urlsafe(48),
            "HAMKKE_FIELD_ENCRYPTION_KEY": secrets.token_urlsafe(48),
            "HAMKKE_REDIS_URL": redis_url,
            "HAMKKE_INSTANCE_PATH": str(tmp_path),
            "HAMKKE_BASE_URL": "http://127.0.0.1",
        }
    )
    subprocess.run([HAMKKE, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    seeded = subprocess.run(
        [sys.executable, "-m", "tests.conference.scaleout_seed", "seed"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = json.loads(seeded.stdout.decode().strip().splitlines()[-1])
    conference_id = data["conference_id"]
    ports = [free_port(), free_port()]
    with (
        running([HAMKKE, "serve", "--port", str(ports[0])], env, tmp_path / "web1.log"),
        running([HAMKKE, "serve", "--port", str(ports[1])], env, tmp_path / "web2.log"),
    ):
        for port in ports:
            wait_for_port(port, timeout=30)
        chair = Listener(f"http://127.0.0.1:{ports[0]}", f"{data['cookie_name']}={data['cookies'][0]}")
        partner = Listener(f"http://127.0.0.1:{ports[1]}", f"{data['cookie_name']}={data['cookies'][1]}")
        chair.connect(conference_id)
        partner.connect(conference_id)
        try:
            ack = chair.client.call(
                "raise_hand",
                {"conference_id": conference_id, "raised": True},
                namespace="/conference",
                timeout=10,
            )
            assert ack == {"ok": True}

            def partner_saw_raised_hand(event: str, payload: Any) -> bool:
                return event == "delta" and any(a["hand_raised_at"] for a in payload.get("attendees", []))

            wait_until(lambda: partner.saw(partner_saw_raised_hand), timeout=10, message="relayed delta")

            subprocess.run(
                [sys.executable, "-m", "tests.conference.scaleout_seed", "emit", str(conference_id)],
                env=env,
                check=True,
                capture_output=True,
                timeout=120,
            )
            for listener in (chair, partner):
                wait_until(
                    lambda listener=listener: listener.saw(
                        lambda e, p: e == "notice" and p == {"from": "worker"}
                    ),
                    timeout=10,
                    message="worker event",
                )
        finally:
            chair.client.disconnect()
            partner.client.disconnect()
