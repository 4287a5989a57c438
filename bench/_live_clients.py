"""Socket.IO participants of the live benchmark: asyncio clients in a few processes, one chair per meeting.

Each client process holds whole meetings (so it knows when every participant of its meetings has
everything) and alternates participants between the two web processes, so every change is relayed
through Redis. Times are CLOCK_MONOTONIC nanoseconds, one clock for every process on the machine: a
chair records the time just before it emits a change, a participant the time its handler starts.

The parent drives the process line by line: ``connected``, then any number of rounds (``go`` →
``finished``, the chairs' changes of one round and the wait for their delivery), then ``report``. A join
counts what it received (the whole ``state`` and, for a pledged participant, its agency's ``case_data``)
and every refused attempt, so a participant without its case panel is never counted as served.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import socketio

NAMESPACE = "/conference"
#: how many handshakes one client process runs at once (each connect does real work on the server)
CONNECT_CONCURRENCY = 8
#: payloads per event kind whose size is recorded (the bare baseline is padded to their median)
SIZE_SAMPLES = 50
STAGES = ("present", "discuss")


def now_ns() -> int:
    """The machine-wide monotonic clock."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


def marker(action: int) -> str:
    """The SOAP text of the chair's ``action``-th change: the change is recognisable in every payload."""
    return f"bench {action}"


def keys_in(event: str, data: Any, item_id: int) -> list[tuple[str, int]]:
    """The change keys in a payload: ("stage", item version) from the room's ``state`` or ``delta``,
    ("soap", n) from the agency's ``case_data`` or ``item_data``."""
    if not isinstance(data, dict):
        return []
    if event in ("state", "delta"):
        for item in data.get("items") or []:
            if item.get("id") == item_id:
                return [("stage", int(item["version"]))]
    elif event in ("case_data", "item_data"):
        if event == "case_data":
            entry = (data.get("items") or {}).get(str(item_id)) or {}
        else:
            entry = data if data.get("item_id") == item_id else {}
        text = ((entry.get("soap") or {}).get("S") or {}).get("text") or ""
        if text.startswith("bench "):
            return [("soap", int(text.split()[1]))]
    return []


#: the size samples per kind: what a change sends to the conference room, and to each agency room
SIZE_KINDS = {"delta": "state", "item_data": "case_data"}


@dataclass
class Participant:
    """One socket and the first arrival of each change key it saw: key -> (revision, time)."""

    conference_id: int
    item_id: int
    person_id: int
    agency_id: int
    cookie: str
    client: socketio.AsyncClient = field(init=False)
    seen: dict[tuple[str, int], tuple[int, int]] = field(default_factory=dict)
    sizes: dict[str, list[int]] = field(default_factory=lambda: {"state": [], "case_data": []})

    #: the server cut the socket before the benchmark closed it (a browser would reconnect and sync)
    dropped: bool = False
    closing: bool = False
    #: the events this socket received at least once (a join must bring ``state`` and ``case_data``)
    events: set[str] = field(default_factory=set)
    #: every refused or failed join attempt, also those a retry made good
    join_failures: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("*", self._receive, namespace=NAMESPACE)
        self.client.on("disconnect", self._disconnected, namespace=NAMESPACE)

    async def _disconnected(self, reason: Any = None) -> None:
        if not self.closing:
            self.dropped = True

    async def _receive(self, event: str, data: Any = None) -> None:
        arrived = now_ns()
        self.events.add(event)
        for key in keys_in(event, data, self.item_id):
            if key not in self.seen:
                self.seen[key] = (int(data.get("revision", 0)), arrived)
        samples = self.sizes.get(SIZE_KINDS.get(event, ""))
        if samples is not None and len(samples) < SIZE_SAMPLES:
            samples.append(len(json.dumps(data)))


@dataclass
class Meeting:
    """A meeting held by this process: its participants (the first is the chair) and the chair's sends."""

    spec: dict[str, Any]
    participants: list[Participant]
    #: (kind, value, time, round) of acknowledged changes
    sends: list[tuple[str, int, int, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    # The chair's view of the item, kept from one round to the next.
    version: int = 0
    soap_version: int = 0
    text: str = ""
    stage: int = 0
    next_action: int = 0

    def __post_init__(self) -> None:
        self.version = int(self.spec["item_version"])

    def complete(self) -> bool:
        """Whether every connected participant has seen every acknowledged change."""
        keys = [(kind, value) for kind, value, _, _ in self.sends]
        return all(key in p.seen for p in self.participants if p.client.connected for key in keys)


async def connect(
    participant: Participant, url: str, cookie_name: str, gate: asyncio.Semaphore
) -> str | None:
    """Open the participant's socket (three tries); return an error text, or None once connected."""
    error = ""
    for attempt in range(3):
        async with gate:
            try:
                await participant.client.connect(
                    url,
                    namespaces=[NAMESPACE],
                    headers={"Cookie": f"{cookie_name}={participant.cookie}"},
                    auth={"conference_id": participant.conference_id, "agency_id": participant.agency_id},
                    transports=["websocket"],
                    wait_timeout=120,
                )
                return None
            except (TimeoutError, socketio.exceptions.ConnectionError, OSError) as failure:
                error = f"{type(failure).__name__}: {failure}"
                participant.join_failures.append(error)
        await asyncio.sleep(1 + attempt)
    return error


async def chair_loop(meeting: Meeting, mode: str, actions: int, interval: float, round_number: int) -> None:
    """One round of the chair's changes: SOAP saves and stage moves in turn, one every ``interval`` s."""
    spec = meeting.spec
    chair = meeting.participants[0].client
    await asyncio.sleep(random.uniform(0, interval))  # spread the meetings over the interval
    for _ in range(actions):
        action = meeting.next_action
        meeting.next_action += 1
        soap = action % 2 == 0
        if soap:
            meeting.text = marker(action)
        else:
            meeting.stage = 1 - meeting.stage
        version, soap_version, text, stage = (
            meeting.version,
            meeting.soap_version,
            meeting.text,
            meeting.stage,
        )
        base = {"conference_id": spec["id"], "item_id": spec["item_id"]}
        if mode == "bare":
            event = "edit"
            next_version = version if soap else version + 1
            data = {
                **base,
                "text": text,
                "version": next_version,
                "stage": STAGES[stage],
                "agency_ids": spec["agency_ids"],
            }
        elif soap:
            event = "soap_save"
            data = {**base, "section": "S", "text": text, "base_version": soap_version}
        else:
            event = "advance_stage"
            data = {**base, "stage": STAGES[stage], "version": version}
        sent = now_ns()
        try:
            ack = await chair.call(event, data, namespace=NAMESPACE, timeout=60)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError) as failure:
            meeting.refused.append(f"{event}: {type(failure).__name__}")
            ack = None
        if isinstance(ack, dict) and ack.get("ok"):
            if soap:
                meeting.soap_version = int(ack.get("version", soap_version))
                meeting.sends.append(("soap", action, sent, round_number))
            else:
                meeting.version += 1
                meeting.sends.append(("stage", meeting.version, sent, round_number))
        elif ack is not None:
            meeting.refused.append(f"{event}: {ack}")
            if not soap:
                meeting.stage = 1 - meeting.stage
        await asyncio.sleep(interval * random.uniform(0.8, 1.2))


async def signal_and_wait(word: str) -> str:
    """Say ``word`` to the parent (stdout), then return its next line (stdin): clients sync here."""
    print(word, flush=True)
    line = await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    return line.strip()


async def act_round(meetings: list[Meeting], plan: dict[str, Any], round_number: int) -> None:
    """The chairs' changes of one round, then the wait until everyone has them (or the tail ends)."""
    await asyncio.gather(
        *(
            chair_loop(m, plan["mode"], plan["actions"], plan["interval"], round_number)
            for m in meetings
            if m.participants[0].client.connected
        )
    )
    deadline = time.monotonic() + plan["tail_seconds"]
    while time.monotonic() < deadline and not all(m.complete() for m in meetings):
        await asyncio.sleep(0.1)


def sizes_of(meetings: list[Meeting]) -> dict[str, list[int]]:
    """The payload sizes sampled so far, per kind."""
    sizes: dict[str, list[int]] = {"state": [], "case_data": []}
    for m in meetings:
        for p in m.participants:
            for kind, values in p.sizes.items():
                sizes[kind].extend(values)
    return sizes


def join_report(meetings: list[Meeting]) -> dict[str, Any]:
    """What the joins brought: sockets without ``state`` or without their case panel, refused attempts."""
    joined = [p for m in meetings for p in m.participants if p.client.connected or p.dropped]
    failures = [text for m in meetings for p in m.participants for text in p.join_failures]
    return {
        "joined": len(joined),
        "without_state": sum(1 for p in joined if "state" not in p.events),
        "without_case_panel": sum(1 for p in joined if "case_data" not in p.events),
        "refused_attempts": len(failures),
        "refused_examples": failures[:5],
    }


async def run_plan(plan: dict[str, Any]) -> dict[str, Any]:
    """Connect this process's meetings, wait for the others, act, wait for deliveries, report."""
    urls: list[str] = plan["urls"]
    meetings = [
        Meeting(
            spec,
            [
                Participant(spec["id"], spec["item_id"], p["person_id"], p["agency_id"], p["cookie"])
                for p in spec["participants"]
            ],
        )
        for spec in plan["conferences"]
    ]
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    started = now_ns()
    # The chairs connect first, so that the chair of each meeting is present (and stays the chair).
    chair_errors = await asyncio.gather(
        *(connect(m.participants[0], urls[0], plan["cookie_name"], gate) for m in meetings)
    )
    others = [(p, urls[index % 2]) for m in meetings for index, p in enumerate(m.participants) if index > 0]
    other_errors = await asyncio.gather(*(connect(p, url, plan["cookie_name"], gate) for p, url in others))
    connect_seconds = (now_ns() - started) / 1e9
    failures = [error for error in [*chair_errors, *other_errors] if error]
    line, round_number = await signal_and_wait("connected"), 0
    while line == "go":
        await act_round(meetings, plan, round_number)
        round_number += 1
        # The parent pads the bare baseline to these sizes from Hamkke's first round on.
        Path(plan["sizes"]).write_text(json.dumps(sizes_of(meetings)))
        line = await signal_and_wait("finished")
    if line != "report":
        raise RuntimeError(f"expected 'go' or 'report' from the benchmark, got {line!r}")
    received = [
        [m.spec["id"], p.person_id, kind, value, revision, arrived]
        for m in meetings
        for p in m.participants
        for (kind, value), (revision, arrived) in p.seen.items()
    ]
    sizes = sizes_of(meetings)
    dropped = sum(1 for m in meetings for p in m.participants if p.dropped)
    joins = join_report(meetings)
    for m in meetings:
        for p in m.participants:
            p.closing = True
    await asyncio.gather(
        *(p.client.disconnect() for m in meetings for p in m.participants if p.client.connected)
    )
    return {
        "sends": [
            [m.spec["id"], kind, value, sent, number]
            for m in meetings
            for kind, value, sent, number in m.sends
        ],
        "joins": joins,
        "received": received,
        "refused": [text for m in meetings for text in m.refused],
        "connect_failures": failures,
        "dropped": dropped,
        "connect_seconds": connect_seconds,
        "sizes": sizes,
    }


def main(plan_path: str) -> None:
    """Run the plan in ``plan_path`` (JSON) and write the results next to it, to ``plan["result"]``."""
    plan = json.loads(Path(plan_path).read_text())
    result = asyncio.run(run_plan(plan))
    Path(plan["result"]).write_text(json.dumps(result))
    print("reported", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
