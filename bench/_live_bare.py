"""The live benchmark's baseline: a bare python-socketio server that broadcasts payloads of Hamkke's sizes.

gunicorn serves ``bench._live_bare:app`` exactly like Hamkke (one gthread worker), two processes share
Redis as the message queue, and the same clients join the same rooms (the conference and their
agency's). The chair's ``edit`` makes this server send what Hamkke sends after a SOAP save or an agenda
change: one ``state`` to the conference room and one ``case_data`` per agency room, padded to the sizes
measured on Hamkke in the same run (``BENCH_BARE_STATE_BYTES`` and ``BENCH_BARE_CASE_BYTES``), with no
database, no authorization and no consent filtering. What Hamkke adds on top is what the ratio shows.
The sizes can also come from ``BENCH_BARE_SIZES_FILE``, written by the benchmark once Hamkke's first
round has run (the servers start before that). A join gets a ``state`` and a ``case_data`` of those
sizes, as a Hamkke join gets the whole state and its agency's case panel.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

import socketio

NAMESPACE = "/conference"
STATE_BYTES = int(os.environ.get("BENCH_BARE_STATE_BYTES", "2000"))
CASE_BYTES = int(os.environ.get("BENCH_BARE_CASE_BYTES", "1000"))
_measured: dict[str, int] = {}


def sizes() -> tuple[int, int]:
    """The state and case-data sizes to pad to: from the sizes file once it exists, else the environment."""
    if not _measured:
        path = os.environ.get("BENCH_BARE_SIZES_FILE")
        if path and Path(path).exists():
            _measured.update(json.loads(Path(path).read_text()))
    return _measured.get("state_bytes", STATE_BYTES), _measured.get("case_bytes", CASE_BYTES)


def padded(payload: dict[str, Any], size: int) -> dict[str, Any]:
    """Return ``payload`` with a filler field making its JSON ``size`` bytes long (or as short as it gets)."""
    payload["pad"] = ""
    missing = size - len(json.dumps(payload))
    payload["pad"] = "x" * max(0, missing)
    return payload


class BareConference(socketio.Namespace):
    """Rooms as Hamkke's ``/conference`` has them, and one event that broadcasts like a live change."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._lock = threading.Lock()
        self._revisions: dict[int, int] = {}

    def on_connect(self, sid: str, environ: dict[str, Any], auth: dict[str, Any] | None = None) -> None:
        """Join the conference room and the agency room named in ``auth`` (no sign-in: the baseline)."""
        conference_id = int((auth or {})["conference_id"])
        agency_id = int((auth or {})["agency_id"])
        self.enter_room(sid, f"conference:{conference_id}")
        self.enter_room(sid, f"conference:{conference_id}:agency:{agency_id}")
        state_bytes, case_bytes = sizes()
        base = {"conference_id": conference_id, "revision": self._revisions.get(conference_id, 0)}
        self.emit("state", padded({**base, "items": []}, state_bytes), to=sid)
        self.emit("case_data", padded({**base, "agency_id": agency_id, "items": {}}, case_bytes), to=sid)

    def on_edit(self, sid: str, data: dict[str, Any]) -> dict[str, Any]:
        """Broadcast one change: the shared state to the room, case data to each agency's room."""
        conference_id = int(data["conference_id"])
        item_id = int(data["item_id"])
        with self._lock:
            revision = self._revisions.get(conference_id, 0) + 1
            self._revisions[conference_id] = revision
        version = int(data["version"])
        state_bytes, case_bytes = sizes()
        state = padded(
            {
                "conference_id": conference_id,
                "revision": revision,
                "items": [{"id": item_id, "version": version, "stage": str(data.get("stage", ""))}],
            },
            state_bytes,
        )
        self.emit("state", state, room=f"conference:{conference_id}")
        soap = {"S": {"text": str(data["text"]), "version": version}}
        for agency_id in data["agency_ids"]:
            case_data = padded(
                {
                    "conference_id": conference_id,
                    "revision": revision,
                    "agency_id": agency_id,
                    "items": {str(item_id): {"visible": True, "soap": soap}},
                },
                case_bytes,
            )
            self.emit("case_data", case_data, room=f"conference:{conference_id}:agency:{agency_id}")
        return {"ok": True}


def build_app() -> socketio.WSGIApp:
    """The WSGI app gunicorn serves, relaying through the Redis channel named in the environment."""
    manager = socketio.RedisManager(
        os.environ["BENCH_BARE_REDIS_URL"], channel=os.environ.get("BENCH_BARE_CHANNEL", "bench-bare")
    )
    server = socketio.Server(
        async_mode="threading", client_manager=manager, logger=False, engineio_logger=False
    )
    server.register_namespace(BareConference(NAMESPACE))
    return socketio.WSGIApp(server)


app = build_app()
