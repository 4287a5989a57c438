"""Worker: 1,000 referrals' letters and e-mails through a real Celery worker, against rendering alone.

The referrals are sent through the services first (``bench._live_referrals send``), so the broker holds
one letter task and one outbox delivery per referral, as after 1,000 users' sends. Then one Celery
worker (prefork, one child: per-process work compares with the one-process baseline) starts on that
queue; the pipeline's time runs from the worker's "ready" to the last letter row and the last e-mail
accepted by a local aiosmtpd server. The baseline renders the same 1,000 PDFs with
``referrals.letters.build_letter`` alone in one process. The SMTP server counts messages per
Message-ID (stable per outbox idempotency key): more than one is a duplicate.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
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
from bench.harness import BenchEnv, Figure

BENCHMARK = "worker"
FULL_REFERRALS = 1000
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


def run(env: BenchEnv) -> list[Figure]:
    """Measure the letter and e-mail pipeline of ``count`` referrals against rendering the PDFs alone."""
    count = int(env.options.get("worker_referrals", max(5, round(FULL_REFERRALS * min(1.0, env.scale)))))
    workdir = env.workdir / "worker"
    workdir.mkdir(parents=True, exist_ok=True)
    cwd = env.repo_root
    broker_url = redis_database(
        env.redis_url, int(env.options.get("worker_broker_database", BROKER_DATABASE))
    )
    clear_queue(broker_url)
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    engine = sa.create_engine(env.database_url)
    try:
        child_env = child_environment(
            env,
            workdir / "instance",
            HAMKKE_BROKER_URL=broker_url,
            HAMKKE_MAIL_SERVER="127.0.0.1",
            HAMKKE_MAIL_PORT=str(smtp_port),
            HAMKKE_MAIL_USE_TLS="false",
        )
        sent_file = workdir / "sent.json"
        sending = time.monotonic()
        run_python(
            ["bench._live_referrals", "send", str(count), str(sent_file)],
            child_env,
            cwd,
            workdir / "send.log",
            timeout=3600,
        )
        send_seconds = time.monotonic() - sending
        sent = json.loads(sent_file.read_text())
        referral_ids: list[int] = sent["referral_ids"]
        emails_expected = queued_emails(engine, sent["recipients"])

        concurrency = str(env.options.get("worker_concurrency", 1))
        command = [
            *_celery(),
            "--concurrency",
            concurrency,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        log = workdir / "worker.log"
        memory = MemoryWatch()
        deadline_seconds = 120 + 2.0 * count
        with running(command, child_env, cwd, log) as worker, memory:
            memory.watch("worker", worker.pid)
            ready_at = _wait_ready(log, worker, timeout=120)
            deadline = time.monotonic() + deadline_seconds
            letters = 0
            while time.monotonic() < deadline:
                if mailbox.total() >= emails_expected:
                    letters = count_letters(engine, referral_ids)
                    if letters >= count:
                        break
                time.sleep(0.05)
            done_at = time.monotonic()
            # Any duplicate delivery would arrive right after; give it the chance to show.
            time.sleep(3)
            letters = count_letters(engine, referral_ids)
        pipeline_seconds = done_at - ready_at

        baseline_file = workdir / "baseline.json"
        run_python(
            ["bench._live_referrals", "baseline", str(sent_file), str(baseline_file)],
            child_env,
            cwd,
            workdir / "baseline.log",
            timeout=3600,
        )
        baseline = json.loads(baseline_file.read_text())
        stored = letter_hashes(engine, referral_ids)
    finally:
        controller.stop()
        engine.dispose()

    mismatched = sum(1 for key, sha in baseline["sha256"].items() if stored.get(key) != sha)
    summary: dict[str, Any] = {
        "referrals": count,
        "send_seconds": round(send_seconds, 1),
        "pipeline_seconds": round(pipeline_seconds, 2),
        "baseline_seconds": round(baseline["seconds"], 2),
        "letters": letters,
        "emails": mailbox.total(),
        "emails_queued": emails_expected,
        "duplicates": mailbox.duplicates(),
        "letters_differing_from_baseline": mismatched,
        "worker_concurrency": concurrency,
        "worker_rss_mb_total": megabytes(memory.peak_total["worker"]),
        "worker_rss_mb_largest_process": megabytes(memory.peak_each["worker"]),
        "worker_log_tail": tail(log, 5),
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
    count = summary["referrals"]
    pipeline = count / summary["pipeline_seconds"] if summary["pipeline_seconds"] > 0 else math.inf
    alone = count / summary["baseline_seconds"] if summary["baseline_seconds"] > 0 else math.inf
    share = pipeline / alone if alone > 0 else 0.0
    complete = summary["letters"] == count and summary["emails"] >= summary["emails_queued"] >= count
    return [
        Figure(
            BENCHMARK,
            f"pipeline throughput ({count} referrals)",
            round(pipeline, 2),
            "referrals/s",
            round(alone, 2),
        ),
        Figure(
            BENCHMARK,
            "pipeline vs PDFs alone",
            round(share, 2),
            "ratio",
            goal=f">= {THROUGHPUT_GOAL}",
            met=share >= THROUGHPUT_GOAL,
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
