"""Live conferences: 25 meetings × 40 participants on two web processes relaying through Redis.

Every participant is a signed-in member of an invited agency who checked in and accepted the pledge
(``bench._live_seed``). The chairs alternate SOAP saves and agenda-stage moves; the benchmark measures
the time from just before the chair's emit to the arrival at every socket in the room (its agency's
``item_data`` for a SOAP save, the room's ``delta`` for a stage move), and counts what never arrives.
Payload sizes are sampled from those change events (the whole ``state`` and ``case_data`` go only to
a joining socket), and the bare baseline is padded to them.
The baseline is a bare python-socketio server (``bench._live_bare``) run the same way: two gunicorn
processes, the same Redis, the same clients and rooms, payloads padded to the sizes Hamkke sent.
"""

from __future__ import annotations

import json
import math
import queue
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

from bench._live_procs import (
    WEB_DB_POOL,
    MemoryWatch,
    child_environment,
    free_port,
    gunicorn_command,
    megabytes,
    profile_summary,
    profiled,
    profiler_requested,
    run_python,
    stop_group,
    tail,
    wait_for_port,
)
from bench.harness import BenchEnv, Figure, percentile

BENCHMARK = "live"
FULL_CONFERENCES = 25
FULL_PARTICIPANTS = 40
#: client processes at full size (asyncio clients; 250 sockets each)
CLIENT_PROCESSES = 4
P99_GOAL_MS = 200.0
RATIO_GOAL = 1.5
RSS_GOAL_MB = 300.0
#: packages whose frames a profile note names (the product, not the libraries under it)
PRODUCT_PACKAGES = ("conference", "consents", "agencies", "cases", "referrals", "notifications", "hamkke")


def sizes_for(scale: float) -> tuple[int, int]:
    """Meetings and participants per meeting at ``scale`` (full size from 1 up; the data scale adds none)."""
    fraction = min(1.0, scale)
    return max(2, round(FULL_CONFERENCES * fraction)), max(3, round(FULL_PARTICIPANTS * fraction))


class ClientProcess:
    """One ``bench._live_clients`` child, driven line by line (connected/go, finished/report)."""

    def __init__(self, plan: dict[str, Any], workdir: Path, env: dict[str, str], cwd: Path) -> None:
        self.plan_path = workdir / f"{plan['name']}.plan.json"
        self.result_path = Path(plan["result"])
        self.log = workdir / f"{plan['name']}.log"
        self.plan_path.write_text(json.dumps(plan))
        self._stderr = self.log.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 -- our own interpreter and module
            [sys.executable, "-m", "bench._live_clients", str(self.plan_path)],
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("")  # end of output: the child has exited

    def expect(self, word: str, timeout: float) -> None:
        """Wait for the child to say ``word``; fail with its log if it says anything else or dies."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(
                f"client {self.plan_path.name} did not say {word!r} in {timeout:.0f}s"
            ) from None
        if line != word:
            self._stderr.flush()
            raise RuntimeError(f"client said {line!r} instead of {word!r}:\n{tail(self.log)}")

    def say(self, word: str) -> None:
        """Send one line to the child."""
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def result(self) -> dict[str, Any]:
        """The child's results (after it said ``reported``)."""
        self.process.wait(timeout=60)
        return dict(json.loads(self.result_path.read_text()))

    def close(self) -> None:
        """Stop the child if it is still running."""
        stop_group(self.process, timeout=10)
        self._reader.join(timeout=10)  # it ends at the end of the output, once the child is gone
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with suppress(OSError):  # a pipe to a child that was killed
                    stream.close()
        self._stderr.close()


@contextmanager
def web_pair(
    app: str, env: dict[str, str], cwd: Path, workdir: Path, label: str, threads: int
) -> Iterator[tuple[list[str], list[subprocess.Popen[bytes]]]]:
    """Two gunicorn processes serving ``app``; yields their URLs and processes."""
    ports = [free_port(), free_port()]
    with ExitStack() as stack:
        processes = []
        for number, port in enumerate(ports, start=1):
            log = workdir / f"{label}-web{number}.log"
            output = stack.enter_context(log.open("wb"))
            process = subprocess.Popen(  # noqa: S603 -- our own interpreter and gunicorn
                gunicorn_command(app, port, threads),
                cwd=cwd,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            stack.callback(stop_group, process)
            processes.append(process)
        for number, (port, process) in enumerate(zip(ports, processes, strict=True), start=1):
            wait_for_port(port, process, workdir / f"{label}-web{number}.log")
        yield [f"http://127.0.0.1:{port}" for port in ports], processes


def split(conferences: list[dict[str, Any]], parts: int) -> list[list[dict[str, Any]]]:
    """Deal whole meetings to ``parts`` client processes."""
    groups: list[list[dict[str, Any]]] = [[] for _ in range(min(parts, len(conferences)))]
    for index, conference in enumerate(conferences):
        groups[index % len(groups)].append(conference)
    return groups


def drive_clients(
    mode: str,
    urls: list[str],
    seeded: dict[str, Any],
    settings: dict[str, Any],
    workdir: Path,
    env: dict[str, str],
    cwd: Path,
    memory: MemoryWatch,
    profile: tuple[int, Path] | None = None,
) -> dict[str, Any]:
    """Run the child processes through connect, act and report; return their merged results."""
    children: list[ClientProcess] = []
    connect_timeout = 60 + 2.0 * settings["participants_total"]
    try:
        for number, group in enumerate(split(seeded["conferences"], settings["client_processes"])):
            name = f"{mode}-clients{number}"
            plan = {
                "name": name,
                "mode": mode,
                "urls": urls,
                "cookie_name": seeded["cookie_name"],
                "conferences": group,
                "actions": settings["actions"],
                "interval": settings["interval"],
                "tail_seconds": settings["tail_seconds"],
                "result": str(workdir / f"{name}.result.json"),
            }
            children.append(ClientProcess(plan, workdir, env, cwd))
        for child in children:
            child.expect("connected", connect_timeout)
        memory.sample()
        acting = time.monotonic()
        acting_timeout = settings["actions"] * settings["interval"] * 1.5 + settings["tail_seconds"] + 120
        with profiled(profile[0] if profile else 0, profile[1] if profile else workdir, profile is not None):
            for child in children:
                child.say("go")
            for child in children:
                child.expect("finished", acting_timeout)
        acting_seconds = time.monotonic() - acting
        memory.sample()
        for child in children:
            child.say("report")
        for child in children:
            child.expect("reported", 180)
        results = [child.result() for child in children]
    finally:
        for child in children:
            child.close()
    merged: dict[str, Any] = {
        "sends": [],
        "received": [],
        "refused": [],
        "connect_failures": [],
        "connect_seconds": 0.0,
        "dropped": 0,
        "sizes": {"state": [], "case_data": []},
        "acting_seconds": acting_seconds,
    }
    for result in results:
        for key in ("sends", "received", "refused", "connect_failures"):
            merged[key].extend(result[key])
        merged["dropped"] += result["dropped"]
        merged["connect_seconds"] = max(merged["connect_seconds"], result["connect_seconds"])
        for kind, values in result["sizes"].items():
            merged["sizes"][kind].extend(values)
    return merged


def analyse(merged: dict[str, Any], seeded: dict[str, Any]) -> dict[str, Any]:
    """Latencies of first deliveries and the count of lost ones.

    A change counts as delivered to a participant when the participant saw it in the first payload
    that carried it (the lowest revision anyone saw it at); seeing it only in a later payload means the
    change's own message was lost.
    """
    expected = {c["id"]: len(c["participants"]) for c in seeded["conferences"]}
    by_key: dict[tuple[int, str, int], list[tuple[int, int]]] = defaultdict(list)
    for conference_id, _person, kind, value, revision, arrived in merged["received"]:
        by_key[(conference_id, kind, value)].append((revision, arrived))
    latencies: list[float] = []
    lost = 0
    for conference_id, kind, value, sent in merged["sends"]:
        rows = by_key.get((conference_id, kind, value), [])
        first = min((revision for revision, _ in rows), default=None)
        delivered = [arrived for revision, arrived in rows if revision == first]
        latencies.extend((arrived - sent) / 1e6 for arrived in delivered)
        lost += expected[conference_id] - len(delivered)
    return {
        "changes": len(merged["sends"]),
        "deliveries": len(latencies),
        "lost": lost,
        "p50": percentile(latencies, 0.50) if latencies else math.inf,
        "p99": percentile(latencies, 0.99) if latencies else math.inf,
        "max": max(latencies, default=math.inf),
        "refused": len(merged["refused"]),
        "refused_examples": merged["refused"][:5],
        "connect_failures": len(merged["connect_failures"]),
        "connect_failure_examples": merged["connect_failures"][:5],
        "dropped": merged["dropped"],
        "connect_seconds": round(merged["connect_seconds"], 1),
        "acting_seconds": round(merged["acting_seconds"], 1),
    }


def median_size(samples: list[int], fallback: int) -> int:
    """The median payload size, or ``fallback`` when none was seen."""
    return int(statistics.median(samples)) if samples else fallback


def run(env: BenchEnv) -> list[Figure]:
    """Measure Hamkke's live-conference delivery against a bare python-socketio broadcast."""
    conferences, participants = sizes_for(env.scale)
    total = conferences * participants
    settings: dict[str, Any] = {
        "participants_total": total,
        "actions": int(env.options.get("live_actions", 10)),
        "interval": float(env.options.get("live_interval", 5.0)),
        "tail_seconds": float(env.options.get("live_tail_seconds", 15.0)),
        "client_processes": max(1, min(CLIENT_PROCESSES, math.ceil(total / 250))),
    }
    workdir = env.workdir / "live"
    workdir.mkdir(parents=True, exist_ok=True)
    cwd = env.repo_root
    hamkke_env = child_environment(env, workdir / "instance", **WEB_DB_POOL)
    seed_file = workdir / "seed.json"
    run_python(
        ["bench._live_seed", str(conferences), str(participants), str(seed_file)],
        hamkke_env,
        cwd,
        workdir / "seed.log",
        timeout=1800,
    )
    seeded = json.loads(seed_file.read_text())
    # Every open WebSocket holds one gthread thread; leave room for the handshakes' HTTP requests.
    threads = math.ceil(total / 2) + 50

    memory = MemoryWatch()
    with web_pair("hamkke.wsgi:app", hamkke_env, cwd, workdir, "hamkke", threads) as (urls, processes):
        for number, process in enumerate(processes, start=1):
            memory.watch(f"web{number}", process.pid)
        with memory:
            profile = (processes[0].pid, workdir / "web1.profile.raw") if profiler_requested(env) else None
            hamkke_run = drive_clients(
                "hamkke", urls, seeded, settings, workdir, hamkke_env, cwd, memory, profile
            )
    hamkke = analyse(hamkke_run, seeded)
    hamkke["state_bytes"] = median_size(hamkke_run["sizes"]["state"], 2000)
    hamkke["case_bytes"] = median_size(hamkke_run["sizes"]["case_data"], 1000)

    bare_env = dict(hamkke_env)
    bare_env.update(
        {
            "BENCH_BARE_REDIS_URL": env.redis_url,
            "BENCH_BARE_CHANNEL": f"bench-bare-{uuid.uuid4().hex[:8]}",
            "BENCH_BARE_STATE_BYTES": str(hamkke["state_bytes"]),
            "BENCH_BARE_CASE_BYTES": str(hamkke["case_bytes"]),
        }
    )
    bare_memory = MemoryWatch()
    with web_pair("bench._live_bare:app", bare_env, cwd, workdir, "bare", threads) as (urls, processes):
        for number, process in enumerate(processes, start=1):
            bare_memory.watch(f"web{number}", process.pid)
        with bare_memory:
            bare_run = drive_clients("bare", urls, seeded, settings, workdir, bare_env, cwd, bare_memory)
    bare = analyse(bare_run, seeded)
    summary = {
        "conferences": conferences,
        "participants": participants,
        "settings": settings,
        "hamkke": hamkke,
        "bare": bare,
        "rss_mb": {name: megabytes(value) for name, value in memory.peak_each.items()},
        "bare_rss_mb": {name: megabytes(value) for name, value in bare_memory.peak_each.items()},
        "profile_web1": profile_summary(workdir / "web1.profile.raw"),
    }
    (workdir / "summary.json").write_text(json.dumps(summary, indent=2))
    return figures(summary)


def _with_profile(note: str, profile: list[str]) -> str:
    """``note`` plus the product frames that took the most busy samples, when a profile was recorded."""
    product = [line for line in profile if any(f"({p}/" in line for p in PRODUCT_PACKAGES)]
    return f"{note}; py-spy (busy samples): {'; '.join(product[:6])}" if product else note


def _refusal_code(example: str) -> str:
    """The error code in a refused change's ack text (for the figure's note)."""
    marker = "'code': '"
    if marker not in example:
        return example[:80]
    return example.split(marker, 1)[1].split("'", 1)[0]


def figures(summary: dict[str, Any]) -> list[Figure]:
    """The benchmark's figures from its summary."""
    hamkke, bare = summary["hamkke"], summary["bare"]
    settings = summary["settings"]
    scope = f"{summary['conferences']}×{summary['participants']}"
    ratio = hamkke["p99"] / bare["p99"] if bare["p99"] > 0 else math.inf
    load = (
        f"{summary['conferences']} meetings × {summary['participants']} sockets on 2 gunicorn gthread "
        f"processes; each chair changes something every {settings['interval']:g} s "
        f"({settings['actions']} changes); {hamkke['deliveries']} deliveries measured"
    )
    refusals = sorted({_refusal_code(text) for text in hamkke["refused_examples"]})
    result = [
        Figure(
            BENCHMARK,
            f"delivery p50 ({scope})",
            round(hamkke["p50"], 1),
            "ms",
            round(bare["p50"], 1),
            note=load,
        ),
        Figure(
            BENCHMARK,
            f"delivery p99 ({scope})",
            round(hamkke["p99"], 1),
            "ms",
            round(bare["p99"], 1),
            goal=f"< {P99_GOAL_MS:.0f} ms",
            met=hamkke["p99"] < P99_GOAL_MS,
            note=_with_profile(
                "chair's emit → arrival at every socket in the room; baseline: bare python-socketio",
                summary.get("profile_web1", []),
            ),
        ),
        Figure(
            BENCHMARK,
            "p99 vs bare python-socketio",
            round(ratio, 2),
            "ratio",
            goal=f"<= {RATIO_GOAL}",
            met=ratio <= RATIO_GOAL,
        ),
        Figure(
            BENCHMARK,
            "lost messages",
            float(hamkke["lost"]),
            "count",
            float(bare["lost"]),
            goal="= 0",
            met=hamkke["lost"] == 0,
            note="a participant never got the change's own payload",
        ),
        Figure(
            BENCHMARK,
            "changes acknowledged",
            float(hamkke["changes"]),
            "count",
            float(bare["changes"]),
        ),
        Figure(
            BENCHMARK,
            "changes refused",
            float(hamkke["refused"]),
            "count",
            float(bare["refused"]),
            goal="= 0",
            met=hamkke["refused"] == 0,
            note=", ".join(refusals),
        ),
        Figure(
            BENCHMARK,
            "sockets that failed to connect",
            float(hamkke["connect_failures"]),
            "count",
            float(bare["connect_failures"]),
            goal="= 0",
            met=hamkke["connect_failures"] == 0,
        ),
        Figure(
            BENCHMARK,
            "sockets cut by the server during the run",
            float(hamkke["dropped"]),
            "count",
            float(bare["dropped"]),
            goal="= 0",
            met=hamkke["dropped"] == 0,
        ),
        Figure(
            BENCHMARK,
            "time for every participant to join",
            hamkke["connect_seconds"],
            "s",
            bare["connect_seconds"],
        ),
    ]
    for name, value in sorted(summary["rss_mb"].items()):
        result.append(
            Figure(
                BENCHMARK,
                f"{name} RSS",
                value,
                "MB",
                summary["bare_rss_mb"].get(name),
                goal=f"< {RSS_GOAL_MB:.0f} MB",
                met=value < RSS_GOAL_MB,
                note="peak resident memory of the gunicorn worker process",
            )
        )
    return result
