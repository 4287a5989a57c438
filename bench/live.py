"""Live conferences: 25 meetings × 40 participants on two web processes relaying through Redis.

Every participant is a signed-in member of an invited agency who checked in and accepted the pledge
(``bench._live_seed``). The chairs alternate SOAP saves and agenda-stage moves; the benchmark measures
the time from just before the chair's emit to the arrival at every socket in the room (its agency's
``item_data`` for a SOAP save, the room's ``delta`` for a stage move), and counts what never arrives.
Payload sizes are sampled from those change events (the whole ``state`` and ``case_data`` go only to
a joining socket), and the bare baseline is padded to them.
The baseline is a bare python-socketio server (``bench._live_bare``) run the same way: two gunicorn
processes, the same Redis, the same clients and rooms, payloads padded to the sizes Hamkke sent.

Both pairs of servers run side by side and both sets of sockets stay connected; the chairs act in
alternating rounds (Hamkke, bare; bare, Hamkke; …), so the ratio is the median of per-round ratios of
p99 with their spread, and a busier minute on the machine falls on both alike. p99 is over every
delivery (one per socket per change), and also per change: the time until the last socket in the room
had it. Lost counts every failed payload: a delivery that never came, a join without its ``state`` or
without its case panel, and every refused join attempt (also one a retry made good).
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
from bench.harness import (
    MIN_ROUNDS,
    BenchEnv,
    Figure,
    alternate,
    per_round_ratios,
    percentile,
    ratio_figure,
)

BENCHMARK = "live"
FULL_CONFERENCES = 25
FULL_PARTICIPANTS = 40
#: client processes at full size (asyncio clients; 250 sockets each)
CLIENT_PROCESSES = 4
#: alternating rounds, and each chair's changes per round (two SOAP saves, two stage moves)
ROUNDS = MIN_ROUNDS
ACTIONS_PER_ROUND = 4
P99_GOAL_MS = 200.0
RATIO_GOAL = 1.5
RSS_GOAL_MB = 300.0
#: packages whose frames a profile note names (the product, not the libraries under it)
PRODUCT_PACKAGES = (
    "conference",
    "consents",
    "agencies",
    "cases",
    "referrals",
    "notifications",
    "dashboards",
    "home",
    "hamkke",
)


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


class Fleet:
    """The client processes of one side (Hamkke or bare): connected once, then driven round by round."""

    def __init__(
        self,
        mode: str,
        urls: list[str],
        seeded: dict[str, Any],
        settings: dict[str, Any],
        workdir: Path,
        env: dict[str, str],
        cwd: Path,
    ) -> None:
        self.settings = settings
        self.children: list[ClientProcess] = []
        self.rounds = 0
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
                "sizes": str(workdir / f"{name}.sizes.json"),
            }
            self.children.append(ClientProcess(plan, workdir, env, cwd))

    def connect(self) -> None:
        """Wait until every child has joined its participants."""
        timeout = 60 + 2.0 * self.settings["participants_total"]
        for child in self.children:
            child.expect("connected", timeout)

    def act(self) -> float:
        """One round of the chairs' changes and their delivery; return its seconds."""
        began = time.monotonic()
        timeout = self.settings["actions"] * self.settings["interval"] * 1.5 + self.settings["tail_seconds"]
        for child in self.children:
            child.say("go")
        for child in self.children:
            child.expect("finished", timeout + 120)
        self.rounds += 1
        return time.monotonic() - began

    def sizes(self) -> dict[str, list[int]]:
        """The payload sizes the children sampled so far."""
        merged: dict[str, list[int]] = {"state": [], "case_data": []}
        for child in self.children:
            path = Path(str(child.plan_path).replace(".plan.json", ".sizes.json"))
            if path.exists():
                for kind, values in json.loads(path.read_text()).items():
                    merged[kind].extend(values)
        return merged

    def report(self) -> dict[str, Any]:
        """End the rounds and merge the children's results."""
        for child in self.children:
            child.say("report")
        for child in self.children:
            child.expect("reported", 180)
        return merge([child.result() for child in self.children])

    def close(self) -> None:
        """Stop every child still running."""
        for child in self.children:
            child.close()


def merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    """The client processes' results as one."""
    merged: dict[str, Any] = {
        "sends": [],
        "received": [],
        "refused": [],
        "connect_failures": [],
        "connect_seconds": 0.0,
        "dropped": 0,
        "sizes": {"state": [], "case_data": []},
        "joins": {"joined": 0, "without_state": 0, "without_case_panel": 0, "refused_attempts": 0},
        "refused_join_examples": [],
    }
    for result in results:
        for key in ("sends", "received", "refused", "connect_failures"):
            merged[key].extend(result[key])
        merged["dropped"] += result["dropped"]
        merged["connect_seconds"] = max(merged["connect_seconds"], result["connect_seconds"])
        for kind, values in result["sizes"].items():
            merged["sizes"][kind].extend(values)
        for key in merged["joins"]:
            merged["joins"][key] += result["joins"][key]
        merged["refused_join_examples"].extend(result["joins"]["refused_examples"])
    return merged


@contextmanager
def fleet(*args: Any) -> Iterator[Fleet]:
    """A connected ``Fleet`` for the block."""
    clients = Fleet(*args)
    try:
        clients.connect()
        yield clients
    finally:
        clients.close()


def analyse(merged: dict[str, Any], seeded: dict[str, Any], rounds: int) -> dict[str, Any]:
    """Latencies per delivery and per change, per round and overall, and every failed payload.

    A change counts as delivered to a participant when the participant saw it in the first payload
    that carried it (the lowest revision anyone saw it at); seeing it only in a later payload means the
    change's own message was lost. A change's room latency is the time until its last socket had it;
    a change some socket never got has none (it is counted as lost instead).
    """
    expected = {c["id"]: len(c["participants"]) for c in seeded["conferences"]}
    by_key: dict[tuple[int, str, int], list[tuple[int, int]]] = defaultdict(list)
    for conference_id, _person, kind, value, revision, arrived in merged["received"]:
        by_key[(conference_id, kind, value)].append((revision, arrived))
    latencies: list[float] = []
    per_round: dict[int, list[float]] = defaultdict(list)
    room_latencies: list[float] = []
    missing = 0
    for conference_id, kind, value, sent, round_number in merged["sends"]:
        rows = by_key.get((conference_id, kind, value), [])
        first = min((revision for revision, _ in rows), default=None)
        delivered = [(arrived - sent) / 1e6 for revision, arrived in rows if revision == first]
        latencies.extend(delivered)
        per_round[round_number].extend(delivered)
        missing += max(0, expected[conference_id] - len(delivered))
        if delivered and len(delivered) >= expected[conference_id]:
            room_latencies.append(max(delivered))
    joins = merged["joins"]
    lost = {
        "deliveries missing": missing,
        "joins without their case panel": joins["without_case_panel"],
        "joins without the state": joins["without_state"],
        "join attempts refused": joins["refused_attempts"],
    }
    return {
        "changes": len(merged["sends"]),
        "deliveries": len(latencies),
        "lost": sum(lost.values()),
        "lost_breakdown": lost,
        "joined": joins["joined"],
        "p50": percentile(latencies, 0.50) if latencies else math.inf,
        "p99": percentile(latencies, 0.99) if latencies else math.inf,
        "room_p99": percentile(room_latencies, 0.99) if room_latencies else math.inf,
        "complete_changes": len(room_latencies),
        "round_p99": [
            percentile(per_round[number], 0.99) if per_round[number] else math.inf for number in range(rounds)
        ],
        "max": max(latencies, default=math.inf),
        "refused": len(merged["refused"]),
        "refused_examples": merged["refused"][:5],
        "refused_join_examples": merged["refused_join_examples"][:5],
        "connect_failures": len(merged["connect_failures"]),
        "connect_failure_examples": merged["connect_failures"][:5],
        "dropped": merged["dropped"],
        "connect_seconds": round(merged["connect_seconds"], 1),
    }


def median_size(samples: list[int], fallback: int) -> int:
    """The median payload size, or ``fallback`` when none was seen."""
    return int(statistics.median(samples)) if samples else fallback


def run(env: BenchEnv) -> list[Figure]:
    """Measure Hamkke's live-conference delivery against a bare python-socketio broadcast, in rounds."""
    conferences, participants = sizes_for(env.scale)
    total = conferences * participants
    settings: dict[str, Any] = {
        "participants_total": total,
        "rounds": max(MIN_ROUNDS, int(env.options.get("live_rounds", ROUNDS))),
        "actions": int(env.options.get("live_actions", ACTIONS_PER_ROUND)),
        # --quick checks the harness: changes come faster so five rounds each take seconds, not minutes.
        "interval": float(env.options.get("live_interval", 1.0 if env.quick else 5.0)),
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
    sizes_file = workdir / "bare-sizes.json"
    bare_env = dict(hamkke_env)
    bare_env.update(
        {
            "BENCH_BARE_REDIS_URL": env.redis_url,
            "BENCH_BARE_CHANNEL": f"bench-bare-{uuid.uuid4().hex[:8]}",
            "BENCH_BARE_SIZES_FILE": str(sizes_file),
        }
    )
    memory, bare_memory = MemoryWatch(), MemoryWatch()
    with ExitStack() as stack:
        urls, processes = stack.enter_context(
            web_pair("hamkke.wsgi:app", hamkke_env, cwd, workdir, "hamkke", threads)
        )
        bare_urls, bare_processes = stack.enter_context(
            web_pair("bench._live_bare:app", bare_env, cwd, workdir, "bare", threads)
        )
        for watch, started in ((memory, processes), (bare_memory, bare_processes)):
            for number, process in enumerate(started, start=1):
                watch.watch(f"web{number}", process.pid)
            stack.enter_context(watch)
        hamkke = stack.enter_context(fleet("hamkke", urls, seeded, settings, workdir, hamkke_env, cwd))
        bare = stack.enter_context(fleet("bare", bare_urls, seeded, settings, workdir, bare_env, cwd))
        profile = (processes[0].pid, workdir / "web1.profile.raw") if profiler_requested(env) else None

        def hamkke_round() -> float:
            # py-spy records the first round only (the others are measured unobserved).
            with profiled(
                profile[0] if profile else 0,
                profile[1] if profile else workdir,
                hamkke.rounds == 0 and profile is not None,
            ):
                seconds = hamkke.act()
            if not sizes_file.exists():
                sampled = hamkke.sizes()
                sizes_file.write_text(
                    json.dumps(
                        {
                            "state_bytes": median_size(sampled["state"], 2000),
                            "case_bytes": median_size(sampled["case_data"], 1000),
                        }
                    )
                )
            return seconds

        # Hamkke acts first in the first round, so the bare server knows the sizes to pad to.
        acting = alternate(settings["rounds"], {"hamkke": hamkke_round, "bare": bare.act})
        hamkke_run, bare_run = hamkke.report(), bare.report()
    summary = {
        "conferences": conferences,
        "participants": participants,
        "settings": settings,
        "hamkke": analyse(hamkke_run, seeded, settings["rounds"]),
        "bare": analyse(bare_run, seeded, settings["rounds"]),
        "acting_seconds": {side: [round(value, 1) for value in values] for side, values in acting.items()},
        "padded_to": json.loads(sizes_file.read_text()) if sizes_file.exists() else {},
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


def _breakdown(side: dict[str, Any]) -> str:
    """The lost payloads by kind, for the figure's note."""
    return ", ".join(f"{kind} {count}" for kind, count in side["lost_breakdown"].items())


def figures(summary: dict[str, Any]) -> list[Figure]:
    """The benchmark's figures from its summary."""
    hamkke, bare = summary["hamkke"], summary["bare"]
    settings = summary["settings"]
    scope = f"{summary['conferences']}×{summary['participants']}"
    rounds = per_round_ratios(hamkke["round_p99"], bare["round_p99"])
    load = (
        f"{summary['conferences']} meetings × {summary['participants']} sockets on 2 gunicorn gthread "
        f"processes; {settings['rounds']} alternating rounds with the bare server, each chair changing "
        f"something every {settings['interval']:g} s ({settings['actions']} changes per round); "
        f"{hamkke['deliveries']} deliveries of {hamkke['changes']} changes measured"
    )
    refusals = sorted({_refusal_code(text) for text in hamkke["refused_examples"]})
    join_refusals = sorted({text[:80] for text in hamkke["refused_join_examples"]})
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
                "over every delivery (one per socket per change): chair's emit → arrival at the socket",
                summary.get("profile_web1", []),
            ),
        ),
        Figure(
            BENCHMARK,
            f"change p99, whole room ({scope})",
            round(hamkke["room_p99"], 1),
            "ms",
            round(bare["room_p99"], 1),
            note=(
                f"per change: chair's emit → the last socket in the room has it; over the "
                f"{hamkke['complete_changes']} of {hamkke['changes']} changes every socket got"
            ),
        ),
        ratio_figure(
            BENCHMARK,
            "p99 vs bare python-socketio",
            rounds,
            goal=f"<= {RATIO_GOAL}",
            met=rounds.median <= RATIO_GOAL,
            note="median of the per-round ratios of delivery p99 (Hamkke and bare rounds alternate)",
        ),
        Figure(
            BENCHMARK,
            "lost payloads",
            float(hamkke["lost"]),
            "count",
            float(bare["lost"]),
            goal="= 0",
            met=hamkke["lost"] == 0,
            note=f"Hamkke: {_breakdown(hamkke)}; bare: {_breakdown(bare)}"
            + (f"; join refusals: {'; '.join(join_refusals)}" if join_refusals else ""),
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
            note="after three attempts; every refused attempt is also counted in lost payloads",
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
            note="one measurement each: the sockets join once and stay for every round",
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
