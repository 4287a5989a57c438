"""Worker: 1,000 referrals' letters and e-mails through a real Celery worker, against rendering alone.

The referrals are sent through the services first (``bench._live_referrals send``), so the broker holds
one letter task and one outbox delivery per referral, as after 1,000 users' sends. Then one Celery
worker (prefork, one child: per-process work compares with the one-process baseline) starts on that
queue; the pipeline's time runs from the worker's "ready" to the last letter row and the last e-mail
accepted by a local aiosmtpd server. The baseline renders the same 1,000 PDFs with
``referrals.letters.build_letter`` alone in one process. The SMTP server counts messages per
Message-ID (stable per outbox idempotency key): more than one is a duplicate.

The referrals are split into alternating rounds (pipeline then rendering alone, then the reverse order,
…): each round sends its share, starts a fresh worker on it and renders the same share alone. The ratio
is the median of the per-round throughput ratios, with the lowest and highest round.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bench._live_procs import (
    MemoryWatch,
    child_environment,
    free_port,
    megabytes,
    redis_database,
    run_python,
    running,
    tail,
)
from bench.harness import MIN_ROUNDS, BenchEnv, Figure, per_round_ratios, ratio_figure

BENCHMARK = "worker"
FULL_REFERRALS = 1000
ROUNDS = MIN_ROUNDS
THROUGHPUT_GOAL = 0.75  # pipeline throughput at least this share of the baseline's
RSS_GOAL_MB = 400.0
#: a Redis database of its own for this benchmark's queue, so nothing else's tasks mix in
BROKER_DATABASE = 11


class Mailbox:
    """aiosmtpd handler that counts accepted messages per Message-ID."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.message_ids: Counter[str] = Counter()
        self.last_at = 0.0

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 -- aiosmtpd's hook
        raw = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        message_id = ""
        for line in raw.split(b"\r\n\r\n", 1)[0].splitlines():
            if line.lower().startswith(b"message-id:"):
                message_id = line.split(b":", 1)[1].strip().decode()
        with self.lock:
            self.message_ids[message_id] += 1
            self.last_at = time.monotonic()
        return "250 OK"

    def total(self) -> int:
        """Messages accepted."""
        with self.lock:
            return sum(self.message_ids.values())

    def duplicates(self) -> int:
        """Messages beyond the first per Message-ID (a message without one counts as a duplicate)."""
        with self.lock:
            extra = sum(count - 1 for key, count in self.message_ids.items() if key)
            return extra + self.message_ids.get("", 0)


def count_letters(engine: sa.Engine, referral_ids: list[int]) -> int:
    """Rendered letter rows of the benchmark's referrals."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM referral_letters WHERE referral_id = ANY(:ids)"),
                {"ids": referral_ids},
            ).scalar_one()
        )


def queued_emails(engine: sa.Engine, recipients: list[str]) -> int:
    """E-mails the sends put in the outbox for the benchmark's receivers."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.text("SELECT count(*) FROM outbox_messages WHERE recipient = ANY(:to)"),
                {"to": recipients},
            ).scalar_one()
        )


def letter_hashes(engine: sa.Engine, referral_ids: list[int]) -> dict[str, str]:
    """The stored PDFs' hashes by referral id."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT referral_id, sha256 FROM referral_letters WHERE referral_id = ANY(:ids)"),
            {"ids": referral_ids},
        )
        return {str(referral_id): sha for referral_id, sha in rows}


def clear_queue(broker_url: str) -> None:
    """Empty the benchmark's own broker database (tasks left by an interrupted earlier run)."""
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        client.flushdb()
    finally:
        client.close()


@dataclass
class Pipeline:
    """What every round shares: the folders, the broker, the SMTP server and a database connection."""

    env: BenchEnv
    workdir: Path
    child_env: dict[str, str]
    mailbox: Mailbox
    engine: sa.Engine
    memory: MemoryWatch
    emails_expected: int = 0  # across the rounds so far (the mailbox counts across rounds too)

    def send(self, number: int, count: int) -> dict[str, Any]:
        """Send this round's referrals through the services (not timed): their letters and e-mails queue."""
        sent_file = self.workdir / f"sent{number}.json"
        run_python(
            ["bench._live_referrals", "send", str(count), str(sent_file)],
            self.child_env,
            self.env.repo_root,
            self.workdir / f"send{number}.log",
            timeout=3600,
        )
        sent: dict[str, Any] = json.loads(sent_file.read_text())
        sent["file"] = str(sent_file)
        self.emails_expected += queued_emails(self.engine, sent["recipients"])
        return sent

    def work(self, number: int, sent: dict[str, Any]) -> dict[str, Any]:
        """Start a worker on the queue; time from its "ready" to the round's last letter and e-mail."""
        count = len(sent["referral_ids"])
        concurrency = str(self.env.options.get("worker_concurrency", 1))
        command = [*_celery(), "--concurrency", concurrency, "--without-gossip", "--without-mingle"]
        log = self.workdir / f"worker{number}.log"
        with running([*command, "--without-heartbeat"], self.child_env, self.env.repo_root, log) as worker:
            self.memory.watch(f"worker{number}", worker.pid)
            ready_at = _wait_ready(log, worker, timeout=120)
            deadline = time.monotonic() + 120 + 2.0 * count
            while time.monotonic() < deadline:
                if (
                    self.mailbox.total() >= self.emails_expected
                    and count_letters(self.engine, sent["referral_ids"]) >= count
                ):
                    break
                time.sleep(0.05)
            done_at = time.monotonic()
            # Any duplicate delivery would arrive right after; give it the chance to show.
            time.sleep(3)
            letters = count_letters(self.engine, sent["referral_ids"])
        return {"seconds": done_at - ready_at, "letters": letters, "log_tail": tail(log, 5)}

    def alone(self, number: int, sent: dict[str, Any]) -> float:
        """Render the round's letters alone in one process; return the rendering's seconds."""
        baseline_file = self.workdir / f"baseline{number}.json"
        run_python(
            ["bench._live_referrals", "baseline", sent["file"], str(baseline_file)],
            self.child_env,
            self.env.repo_root,
            self.workdir / f"baseline{number}.log",
            timeout=3600,
        )
        baseline = json.loads(baseline_file.read_text())
        sent["sha256"] = baseline["sha256"]
        return float(baseline["seconds"])


def run(env: BenchEnv) -> list[Figure]:
    """Alternating rounds of the letter and e-mail pipeline against rendering the same PDFs alone."""
    total = int(env.options.get("worker_referrals", max(5, round(FULL_REFERRALS * min(1.0, env.scale)))))
    rounds = max(MIN_ROUNDS, int(env.options.get("worker_rounds", ROUNDS)))
    per_round = max(1, total // rounds)
    workdir = env.workdir / "worker"
    workdir.mkdir(parents=True, exist_ok=True)
    broker_url = redis_database(
        env.redis_url, int(env.options.get("worker_broker_database", BROKER_DATABASE))
    )
    clear_queue(broker_url)
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    engine = sa.create_engine(env.database_url)
    child_env = child_environment(
        env,
        workdir / "instance",
        HAMKKE_BROKER_URL=broker_url,
        HAMKKE_MAIL_SERVER="127.0.0.1",
        HAMKKE_MAIL_PORT=str(smtp_port),
        HAMKKE_MAIL_USE_TLS="false",
    )
    pipeline = Pipeline(env, workdir, child_env, mailbox, engine, MemoryWatch())
    results: list[dict[str, Any]] = []
    referral_ids: list[int] = []
    try:
        with pipeline.memory:
            for number in range(rounds):
                sent = pipeline.send(number, per_round)
                referral_ids += sent["referral_ids"]
                # Alternate which side goes first, so neither always has the warmer machine.
                if number % 2 == 0:
                    worked = pipeline.work(number, sent)
                    alone = pipeline.alone(number, sent)
                else:
                    alone = pipeline.alone(number, sent)
                    worked = pipeline.work(number, sent)
                results.append({**worked, "alone": alone, "sha256": sent["sha256"]})
        stored = letter_hashes(engine, referral_ids)
        letters = count_letters(engine, referral_ids)
    finally:
        controller.stop()
        engine.dispose()
    mismatched = sum(
        1 for result in results for key, sha in result["sha256"].items() if stored.get(key) != sha
    )
    summary: dict[str, Any] = {
        "referrals": per_round * rounds,
        "rounds": rounds,
        "per_round": per_round,
        "pipeline_seconds": [round(result["seconds"], 2) for result in results],
        "baseline_seconds": [round(result["alone"], 2) for result in results],
        "letters": letters,
        "emails": mailbox.total(),
        "emails_queued": pipeline.emails_expected,
        "duplicates": mailbox.duplicates(),
        "letters_differing_from_baseline": mismatched,
        "worker_concurrency": str(env.options.get("worker_concurrency", 1)),
        "worker_rss_mb_total": megabytes(max(pipeline.memory.peak_total.values(), default=0)),
        "worker_rss_mb_largest_process": megabytes(max(pipeline.memory.peak_each.values(), default=0)),
        "worker_log_tail": results[-1]["log_tail"] if results else "",
    }
    (workdir / "summary.json").write_text(json.dumps(summary, indent=2))
    return figures(summary)


def _celery() -> list[str]:
    import sys

    return [sys.executable, "-m", "celery", "-A", "worker.main", "worker", "--loglevel", "INFO"]


def _wait_ready(log: Path, worker: Any, timeout: float) -> float:
    """Wait for the worker's "ready." line; return the monotonic time it was seen."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"the Celery worker exited with {worker.returncode}:\n{tail(log)}")
        if b" ready." in log.read_bytes():
            return time.monotonic()
        time.sleep(0.02)
    raise TimeoutError(f"the Celery worker was not ready in {timeout:.0f}s:\n{tail(log)}")


def figures(summary: dict[str, Any]) -> list[Figure]:
    """The benchmark's figures from its summary."""
    count, per_round = summary["referrals"], summary["per_round"]
    pipeline_total, alone_total = sum(summary["pipeline_seconds"]), sum(summary["baseline_seconds"])
    pipeline = count / pipeline_total if pipeline_total > 0 else math.inf
    alone = count / alone_total if alone_total > 0 else math.inf
    # Throughput ratio per round: the same referrals, so it is rendering time over pipeline time.
    shares = per_round_ratios(summary["baseline_seconds"], summary["pipeline_seconds"])
    complete = summary["letters"] == count and summary["emails"] >= summary["emails_queued"] >= count
    how = f"{summary['rounds']} alternating rounds of {per_round} referrals, a fresh worker each round"
    return [
        Figure(
            BENCHMARK,
            f"pipeline throughput ({count} referrals)",
            round(pipeline, 2),
            "referrals/s",
            round(alone, 2),
            note=f"over all rounds; {how}",
        ),
        ratio_figure(
            BENCHMARK,
            "pipeline vs PDFs alone",
            shares,
            goal=f">= {THROUGHPUT_GOAL}",
            met=shares.median >= THROUGHPUT_GOAL,
            note=f"median of the per-round throughput ratios; {how}",
        ),
        Figure(
            BENCHMARK,
            "letters and e-mails done",
            float(summary["letters"] + summary["emails"]),
            "count",
            goal=f"= {count + summary['emails_queued']}",
            met=complete,
        ),
        Figure(
            BENCHMARK,
            "PDFs differing from the baseline's",
            float(summary["letters_differing_from_baseline"]),
            "count",
            goal="= 0",
            met=summary["letters_differing_from_baseline"] == 0,
            note="the same bytes prove both sides ran the same letter code on the same data",
        ),
        Figure(
            BENCHMARK,
            "duplicate e-mails",
            float(summary["duplicates"]),
            "count",
            goal="= 0",
            met=summary["duplicates"] == 0,
        ),
        Figure(
            BENCHMARK,
            "worker RSS",
            summary["worker_rss_mb_total"],
            "MB",
            goal=f"< {RSS_GOAL_MB:.0f} MB",
            met=summary["worker_rss_mb_total"] < RSS_GOAL_MB,
        ),
    ]
